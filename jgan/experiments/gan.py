"""The original GAN (Goodfellow et al. 2014, arXiv:1406.2661) on the embedded digits or any data set jgan reads.

    python -m jgan.experiments.gan [--dataset digits] [--steps N] [--out DIR] [--resume]

Writes under --out: metrics.jsonl, tensorboard/, samples/step_*.png (fixed latent codes), d_loss.png, checkpoints/.
Config: jgan/configs/gan.py; losses: jgan/games/gan.py; step: jgan/steps.py; loop: jgan/train.py.
Scores: `--eval-every N` (jgan.eval.during_training), experiments/family/evaluate.py; latent walks and arithmetic:
`python -m jgan.latent --checkpoint DIR`.
The recipe's SGD gives each player its own learning rate (discriminator 0.05, generator 0.1): with another
optimizer set both, e.g. `--optimizer adam --learning-rate 2e-4 --generator-learning-rate 2e-4`.
"""

from __future__ import annotations

import sys

from jgan import cli
from jgan.configs import gan


def main(argv: list[str] | None = None) -> int:
  return cli.main("gan", gan.get_config(), __doc__, argv, presets=gan.PRESETS)


if __name__ == "__main__":
  sys.exit(main())
