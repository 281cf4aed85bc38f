"""InfoGAN (Chen et al. 2016, arXiv:1606.03657) on the embedded digits or any data set jgan reads.

    python -m jgan.experiments.infogan [--dataset digits] [--steps N] [--out DIR] [--resume]

Writes under --out: metrics.jsonl, tensorboard/, samples/step_*.png (fixed latent codes), d_loss.png, checkpoints/.
Config: jgan/configs/infogan.py; losses: jgan/games/infogan.py; step: jgan/steps.py; loop: jgan/train.py.
Scores: `--eval-every N` (jgan.eval.during_training), experiments/family/evaluate.py; latent walks and arithmetic:
`python -m jgan.latent --checkpoint DIR`. `python -m jgan.latent --mode codes` varies one code at a time.
"""

from __future__ import annotations

import sys

from jgan import cli
from jgan.configs import infogan


def main(argv: list[str] | None = None) -> int:
  return cli.main("infogan", infogan.get_config(), __doc__, argv, presets=infogan.PRESETS)


if __name__ == "__main__":
  sys.exit(main())
