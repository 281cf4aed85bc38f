"""pix2pix (Isola et al. 2017, arXiv:1611.07004): paired image-to-image translation with a conditional GAN.

    python -m jgan.experiments.pix2pix [--dataset edges2digits|digits2mnist_m|FOLDER] [--steps N] [--out DIR]
    python -m jgan.experiments.pix2pix evaluate DIR [--split test]

The first trains (every config field is a flag; the defaults are the paper's recipe, at 32x32 on the offline
edges2digits task: U-Net, 70x70 PatchGAN, cGAN + 100 L1, Adam 2e-4 beta1 0.5, batch 1, jitter 36 -> 32). Writes
under --out: metrics.jsonl, tensorboard/, samples/step_*.png (validation input | output | target), checkpoints/.
The second scores the run's latest checkpoint on a split (L1, PSNR, SSIM to the targets; the target classifier's
accuracy on the outputs and on the real targets) and writes DIR/scores_<split>.json.
Translate your own images with a trained model: python -m jgan.translate --checkpoint DIR --input FILE_OR_FOLDER.
Config: jgan/translation/config.py; step: jgan/translation/pix2pix.py; nets: jgan/models/unet.py, patchgan.py.
"""

from __future__ import annotations

import sys

from jgan.configs.presets import Preset
from jgan.translation import cli
from jgan.translation.config import Pix2PixConfig


def get_config() -> Pix2PixConfig:
  """The paper's recipe on the offline paired task (32x32 digits: jitter 36 -> 32, as 286 -> 256)."""
  return Pix2PixConfig(dataset="edges2digits", image_size=32, load_size=36, steps=50_000, sample_every=1000,
                       checkpoint_every=5000)



# `--preset fast` (jgan.configs.presets): the changes to the recipe above, and why.
PRESETS = {"fast": Preset("outputs that look like digits in a few minutes: nets of width 32, batch 16, 600 "
                          "iterations (the budget of experiments/translation/)",
                          dict(batch_size=16, generator_features=32, discriminator_features=32, steps=600,
                               sample_every=100, checkpoint_every=200))}


def main(argv: list[str] | None = None) -> int:
  return cli.main("pix2pix", get_config(), __doc__, argv, presets=PRESETS)


if __name__ == "__main__":
  sys.exit(main())
