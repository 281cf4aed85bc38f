"""SN-GAN (Miyato et al. 2018): a GAN whose discriminator is spectrally normalized, on the embedded digits or any
data set jgan reads.

    python -m jgan.experiments.sngan [--arch dcgan|mlp] [--dataset digits] [--steps 2000] [--out DIR] [--resume]

Writes under --out: metrics.jsonl, tensorboard/, samples/step_*.png (fixed noise), d_loss.png, checkpoints/.
Config: jgan/configs/sngan.py; the layer: jgan/models/layers_improved.py (`spectral`); losses: jgan/games/gan.py;
step: jgan/steps.py; loop: jgan/train.py.
"""

from __future__ import annotations

import sys

from jgan import cli
from jgan.configs import sngan


def main(argv: list[str] | None = None) -> int:
  return cli.main("sngan", sngan.get_config(), __doc__, argv, presets=sngan.PRESETS)


if __name__ == "__main__":
  sys.exit(main())
