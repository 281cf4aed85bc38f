"""Wasserstein GAN (Arjovsky, Chintala and Bottou 2017) on the embedded digits or any data set jgan reads.

    python -m jgan.experiments.wgan [--arch dcgan|mlp] [--dataset digits] [--steps 2000] [--out DIR] [--resume]

Writes under --out: metrics.jsonl, tensorboard/, samples/step_*.png (fixed noise), wasserstein.png, checkpoints/.
Config: jgan/configs/wgan.py; losses: jgan/games/wgan.py; step: jgan/steps.py; loop: jgan/train.py.
"""

from __future__ import annotations

import sys

from jgan import cli
from jgan.configs import wgan


def main(argv: list[str] | None = None) -> int:
  return cli.main("wgan", wgan.get_config(), __doc__, argv, presets=wgan.PRESETS)


if __name__ == "__main__":
  sys.exit(main())
