"""SimGAN (Shrivastava et al. 2017, "Learning from Simulated and Unsupervised Images through Adversarial Training",
arXiv:1612.07828): a refiner makes simulated images realistic while keeping their labels.

    python -m jgan.experiments.simgan [--self-regularization 0.5] [--history-size 0] [--generator-steps 2]
    python -m jgan.experiments.simgan evaluate DIR [--split test]

Simulated images: digits rendered from the DejaVu fonts with random affine jitter and known labels
(`jgan.data.simulated_digits`); real images: the embedded handwritten digits, unlabelled. The defaults are the
paper's: a refiner of 4 ResNet blocks of 64 maps, self-regularization lambda ||R(x) - x||_1, the local discriminator
(one probability per patch), a history buffer giving half of each discriminator batch, K_g = 2 refiner and K_d = 1
discriminator updates per iteration, after 1,000 refiner updates on the self-regularization alone and 200
discriminator updates (Sec. 3.1; `--refiner-pretrain 0 --discriminator-pretrain 0` skips them). `--history-size 0` is the paper's ablation without history. The paper's test,
a task net trained on refined vs simulated images, is `jgan.adaptation.simgan.classifier_transfer(run_dir)`.
Config: jgan/adaptation/config.py; step: jgan/adaptation/simgan.py.
"""

from __future__ import annotations

import sys

from jgan.adaptation import cli
from jgan.adaptation.config import SimGANConfig


def get_config() -> SimGANConfig:
  """The paper's recipe on the simulated digits (see the module docstring): `SimGANConfig`'s defaults with the
  pre-training of Sec. 3.1 and the refiner's linear output."""
  return SimGANConfig(refiner_pretrain=1000, discriminator_pretrain=200, refiner_output="linear")


def main(argv: list[str] | None = None) -> int:
  return cli.main("simgan", get_config(), __doc__, argv)


if __name__ == "__main__":
  sys.exit(main())
