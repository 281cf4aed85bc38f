"""InfoGAN configuration (Chen et al. 2016, arXiv:1606.03657, Sec. 6 and Appendix C.1, MNIST).

Latent code: 62-d uniform noise, a categorical code c1 ~ Cat(10) and two continuous codes c2, c3 ~ U(-1, 1); Q
shares the discriminator's trunk; lambda = 1; Adam with beta1 = 0.5, learning rate 2e-4 for the discriminator and
1e-3 for the generator; batch 100 (their Table 1 settings, with jgan's DCGAN nets at 32x32); sample grids have one
row per category of c1.

    python -m jgan.experiments.infogan
"""

from __future__ import annotations

from jgan.configs.base import Config


def get_config() -> Config:
  return Config(game="infogan", g_loss="non_saturating", arch="dcgan", image_size=32, latent_dim=62,
                latent="uniform", categorical_codes=10, continuous_codes=2, info_weight=1.0, generator_features=64,
                critic_features=64, clip_value=0.0, optimizer="adam", learning_rate=2e-4,
                generator_learning_rate=1e-3, beta1=0.5, beta2=0.999, batch_size=100, n_critic=1, warmup_steps=0,
                warmup_n_critic=1, steps=2000, sample_every=100, checkpoint_every=500, num_samples=100)
