"""InfoGAN (Chen et al. 2016) on the embedded digits or any data set jgan reads.

    python -m jgan.experiments.infogan [--dataset digits] [--steps N] [--out DIR] [--resume]

Writes under --out: metrics.jsonl, tensorboard/, samples/step_*.png (fixed latent codes), d_loss.png, checkpoints/.
Config: jgan/configs/infogan.py; losses: jgan/games/infogan.py; step: jgan/steps.py; loop: jgan/train.py.
"""

from __future__ import annotations

import sys

from jgan import cli
from jgan.configs import infogan


def main(argv: list[str] | None = None) -> int:
  return cli.main("infogan", infogan.get_config(), __doc__, argv)


if __name__ == "__main__":
  sys.exit(main())
