"""AC-GAN configuration (Odena, Olah and Shlens 2016, arXiv:1610.09585).

DCGAN-style nets (the paper's Appendix), the class given to the generator and predicted by an auxiliary head of
the discriminator; Adam with learning rate 2e-4 and beta1 = 0.5, batch 100, 100-d noise; sample grids have one row
per class.

    python -m jgan.experiments.acgan
"""

from __future__ import annotations

from jgan.configs.base import Config


def get_config() -> Config:
  return Config(game="acgan", g_loss="non_saturating", arch="dcgan", image_size=32, latent_dim=100, latent="normal",
                generator_features=64, critic_features=64, clip_value=0.0, optimizer="adam", learning_rate=2e-4,
                beta1=0.5, beta2=0.999, batch_size=100, n_critic=1, warmup_steps=0, warmup_n_critic=1,
                aux_weight=1.0, steps=2000, sample_every=100, checkpoint_every=500, num_samples=100)
