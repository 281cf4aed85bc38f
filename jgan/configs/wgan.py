"""WGAN configuration (Arjovsky, Chintala and Bottou 2017, arXiv:1701.07875).

Defaults are the reference code's (github.com/martinarjovsky/WassersteinGAN, `main.py`): RMSProp with learning
rate 5e-5 for both players, clipping c = 0.01, batch 64, 5 critic steps per generator iteration raised to 100 for
the first 25 generator iterations and every 500th, DCGAN nets with 64 filters and a 100-d latent, run here on the
embedded digits padded to 32x32.

    python -m jgan.experiments.wgan                      # DCGAN WGAN on the embedded digits
    python -m jgan.experiments.wgan --arch mlp --steps 500
"""

from __future__ import annotations

from jgan.configs.base import POSITIVE_INTS, Config, validate
from jgan.configs.presets import Preset

# The base config's defaults are this recipe; the name is kept for code written against the foundation.
WGANConfig = Config

__all__ = ["Config", "POSITIVE_INTS", "WGANConfig", "get_config", "validate"]


def get_config() -> Config:
  return Config(game="wgan")


# `--preset fast` (jgan.configs.presets): the changes to the recipe above, and why; and what the paper's shows.
PRESETS = {"paper": Preset("the paper's learning rate 5e-5 is slow: the sample grids stay uniform grey for the first "
                           "few hundred iterations, then strokes appear", {}),
           "fast": Preset("readable digits in a few minutes on a 2-core CPU: nets of width 32, the rate 4x the "
                          "paper's, 20 critic steps in the warm-up iterations instead of 100, 800 iterations",
                          dict(generator_features=32, critic_features=32, learning_rate=0.0002, warmup_n_critic=20,
                               steps=800, sample_every=100, checkpoint_every=200))}
