"""DTN (Taigman, Polyak & Wolf 2017, "Unsupervised Cross-Domain Image Generation", arXiv:1611.02200): G = g(f(x))
with f fixed (the source domain's classifier), trained with a ternary GAN loss, f-constancy and identity on the
target.

    python -m jgan.experiments.dtn [--source mnist_m --target digits] [--const-weight 15 --tid-weight 15]
    python -m jgan.experiments.dtn evaluate DIR [--split test]

The defaults are the paper's digit recipe: alpha = beta = 15 (L_CONST, L_TID), gamma = 0 (TV), a ternary
discriminator (source-generated, target-generated, real target). f is the shipped source-domain classifier's 128
penultimate features (`jgan.eval.domain_classifiers`), frozen. The score is the paper's: a target-domain classifier's
accuracy on G(x) with x's source label. `--const-weight 0` is the baseline without f-constancy.
Config: jgan/adaptation/config.py; step: jgan/adaptation/dtn.py.
"""

from __future__ import annotations

import sys

from jgan.adaptation import cli
from jgan.adaptation.config import DTNConfig


def get_config() -> DTNConfig:
  """The paper's digit recipe, MNIST-M -> digits (see the module docstring)."""
  return DTNConfig()


def main(argv: list[str] | None = None) -> int:
  return cli.main("dtn", get_config(), __doc__, argv)


if __name__ == "__main__":
  sys.exit(main())
