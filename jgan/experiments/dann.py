"""DANN (Ganin & Lempitsky 2015, "Unsupervised Domain Adaptation by Backpropagation", arXiv:1409.7495): a feature
extractor trained to predict the source's labels while a domain classifier behind a gradient reversal layer makes
its features hide the domain.

    python -m jgan.experiments.dann --source digits --target mnist_m [--mode dann|source_only|target_only]
    python -m jgan.experiments.dann evaluate DIR [--split test]

The defaults are the paper's MNIST -> MNIST-M recipe: its MNIST architecture (conv 5x5 32, pool, conv 5x5 48, pool;
labels fc 100-100-10; domain fc 100-1), SGD with momentum 0.9 at mu_p = 0.01 / (1 + 10 p)^0.75, lambda_p =
2 / (1 + exp(-10 p)) - 1, batches of 64 source + 64 target images. Domains: digits, mnist_m, uci_digits (32x32).
`--mode source_only` and `--mode target_only` are the paper's lower and upper bounds. Scores: the label predictor's
accuracy on the target's validation images during training, the domain classifier's accuracy (0.5 when the features
hide the domain), and `evaluate` for a split. Config: jgan/adaptation/config.py; step: jgan/adaptation/dann.py.
"""

from __future__ import annotations

import sys

from jgan.adaptation import cli
from jgan.adaptation.config import DANNConfig


def get_config() -> DANNConfig:
  """The paper's MNIST -> MNIST-M recipe (see the module docstring)."""
  return DANNConfig()


def main(argv: list[str] | None = None) -> int:
  return cli.main("dann", get_config(), __doc__, argv)


if __name__ == "__main__":
  sys.exit(main())
