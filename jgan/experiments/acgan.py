"""AC-GAN (Odena, Olah and Shlens 2016, arXiv:1610.09585) on the embedded digits or any data set jgan reads.

    python -m jgan.experiments.acgan [--dataset digits] [--steps N] [--out DIR] [--resume]

Writes under --out: metrics.jsonl, tensorboard/, samples/step_*.png (fixed latent codes), d_loss.png, checkpoints/.
Config: jgan/configs/acgan.py; losses: jgan/games/acgan.py; step: jgan/steps.py; loop: jgan/train.py.
Scores: `--eval-every N` (jgan.eval.during_training), experiments/family/evaluate.py; latent walks and arithmetic:
`python -m jgan.latent --checkpoint DIR`. `python -m jgan.sample --label K` draws class K.
"""

from __future__ import annotations

import sys

from jgan import cli
from jgan.configs import acgan


def main(argv: list[str] | None = None) -> int:
  return cli.main("acgan", acgan.get_config(), __doc__, argv, presets=acgan.PRESETS)


if __name__ == "__main__":
  sys.exit(main())
