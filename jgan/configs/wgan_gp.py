"""WGAN-GP configuration (Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", arXiv:1704.00028).

The paper's defaults (Algorithm 1): gradient penalty lambda = 10, Adam with learning rate 1e-4 and betas
(0, 0.9) for both players, n_critic = 5 critic steps per generator step with no long warm-up iterations, and no
batch norm in the critic: layer norm (`norm="layer"`, over each example's H x W x C with a scale and offset per
channel, as their `tflib` layer norm) keeps the per-example penalty valid. No weight clipping. DCGAN nets with 64
filters and a 100-d normal latent on the embedded digits padded to 32x32; batch 64 (their MNIST code uses 50).

    python -m jgan.experiments.wgan_gp                   # DCGAN WGAN-GP on the embedded digits
    python -m jgan.experiments.wgan_gp --spectral-norm 1 # spectrally normalized critic as well
"""

from __future__ import annotations

from jgan.configs.base import Config
from jgan.configs.presets import Preset


def get_config() -> Config:
  return Config(game="wgan_gp", gp_weight=10.0, arch="dcgan", image_size=32, latent_dim=100, latent="normal",
                norm="layer", clip_value=0.0, optimizer="adam", learning_rate=1e-4, beta1=0.0, beta2=0.9,
                batch_size=64, n_critic=5, warmup_steps=0, warmup_n_critic=5, steps=2000, sample_every=100,
                checkpoint_every=500)


# `--preset fast` (jgan.configs.presets): the changes to the recipe above, and why.
PRESETS = {"fast": Preset("readable digits in a few minutes: nets of width 32, learning rate 1e-3 with betas (0.5, "
                          "0.9), 500 iterations; chosen on validation FD among three settings "
                          "(experiments/presets/choices/wgan_gp.json; the paper's 1e-4 with beta1 0 shows only faint "
                          "strokes at this budget)",
                          dict(generator_features=32, critic_features=32, learning_rate=1e-3, beta1=0.5, steps=500,
                               sample_every=100, checkpoint_every=100))}
