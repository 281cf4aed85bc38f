"""WGAN with gradient penalty (Gulrajani et al. 2017) on the embedded digits or any data set jgan reads.

    python -m jgan.experiments.wgan_gp [--arch dcgan|mlp] [--dataset digits] [--steps 2000] [--out DIR] [--resume]

Writes under --out: metrics.jsonl (wasserstein, gradient_penalty, gradient_norm, ...), tensorboard/,
samples/step_*.png (fixed noise), wasserstein.png, checkpoints/.
Config: jgan/configs/wgan_gp.py; losses: jgan/games/wgan_gp.py; step: jgan/steps.py; loop: jgan/train.py.
"""

from __future__ import annotations

import sys

from jgan import cli
from jgan.configs import wgan_gp


def main(argv: list[str] | None = None) -> int:
  return cli.main("wgan_gp", wgan_gp.get_config(), __doc__, argv, presets=wgan_gp.PRESETS)


if __name__ == "__main__":
  sys.exit(main())
