"""ProGAN (Karras et al. 2018, "Progressive Growing of GANs for Improved Quality, Stability, and Variation",
arXiv:1710.10196): generator and discriminator grown together from 4x4, each new resolution faded in.

    python -m jgan.experiments.progan [--dataset digits|stacked_digits|FOLDER|celeb_a] [--image-size 32] [--out DIR]
    python -m jgan.experiments.progan --no-progressive ...          # the fixed-resolution baseline
    python -m jgan.experiments.progan evaluate DIR [--split test]   # SWD per level, MS-SSIM, digit scores / modes

The flags' defaults are the paper's (pixel norm, equalised learning rate, minibatch stddev, WGAN-GP + drift 0.001,
Adam(0, 0.99) at 1e-3, 800k images per fade-in and per stable stage, latent 512, fmap_base 8192 / max 512, batch
16) except the CPU recipe below: 32x32 digits with narrow nets (feature_base 128, feature_max 64: 64, 64, 32, 16
maps at 4, 8, 16, 32; latent 64), 4,800 images per stage (300 iterations at batch 16) and 2,400 iterations in all
(stable 4x4, then fade-in and stable at 8, 16 and 32, the last 600 iterations at 32x32). On accelerators, e.g.
CelebA at 128x128:
  --dataset celeb_a --image-size 128 --feature-base 8192 --feature-max 512 --latent-dim 512
      --fade-images 800000 --stable-images 800000 --batch-sizes 4:128,8:128,16:128,32:64,64:32,128:16
Config: jgan/progan/config.py; nets: jgan/progan/nets.py; step: jgan/progan/progan.py.
"""

from __future__ import annotations

import sys

from jgan.progan import cli
from jgan.progan.config import ProGANConfig


def get_config() -> ProGANConfig:
  """The paper's recipe scaled to 32x32 digits on a CPU (see the module docstring)."""
  return ProGANConfig(dataset="digits", image_size=32, latent_dim=64, feature_base=128, feature_max=64,
                      fade_images=4800, stable_images=4800, batch_size=16, steps=2400, sample_every=300,
                      checkpoint_every=300, eval_every=300, eval_samples=1000)


def main(argv: list[str] | None = None) -> int:
  return cli.main("progan", get_config(), __doc__, argv)


if __name__ == "__main__":
  sys.exit(main())
