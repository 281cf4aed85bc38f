"""DCGAN (Radford, Metz and Chintala 2015, arXiv:1511.06434) on the embedded digits or any data set jgan reads.

    python -m jgan.experiments.dcgan [--dataset digits] [--steps N] [--out DIR] [--resume]

Writes under --out: metrics.jsonl, tensorboard/, samples/step_*.png (fixed latent codes), d_loss.png, checkpoints/.
Config: jgan/configs/dcgan.py; losses: jgan/games/gan.py; step: jgan/steps.py; loop: jgan/train.py.
Scores: `--eval-every N` (jgan.eval.during_training), experiments/family/evaluate.py; latent walks and arithmetic:
`python -m jgan.latent --checkpoint DIR`.
"""

from __future__ import annotations

import sys

from jgan import cli
from jgan.configs import dcgan


def main(argv: list[str] | None = None) -> int:
  return cli.main("dcgan", dcgan.get_config(), __doc__, argv, presets=dcgan.PRESETS)


if __name__ == "__main__":
  sys.exit(main())
