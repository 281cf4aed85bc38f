"""AC-GAN configuration (Odena, Olah and Shlens 2016, arXiv:1610.09585).

The class c is given to the generator ([z, onehot(c)]) and predicted by an auxiliary head of the discriminator;
both players maximize the log-likelihood of the right class on real and generated images (Eqs. 2-3,
`jgan/games/acgan.py`), with weight 1. Optimizer of the paper's appendix: Adam with learning rate 2e-4 and
beta1 = 0.5, batch 100, 100-d noise; one discriminator step per generator step; the generator minimizes
-log D(G(z)) (Goodfellow et al.'s advice, Sec. 3) rather than log(1 - D(G(z))). Sample grids have one row per class.

Deviations: the paper's nets are for CIFAR-10 and ImageNet (5x5 kernels, dropout in the discriminator, a class
one-hot joined to z through a linear layer); it gives no MNIST model. jgan uses its DCGAN pair at 32x32 with the
class head a linear layer on the discriminator's last features (`jgan/models/dcgan.py`), on the embedded digits.

    python -m jgan.experiments.acgan
"""

from __future__ import annotations

from jgan.configs.base import Config
from jgan.configs.presets import Preset


def get_config() -> Config:
  return Config(game="acgan", g_loss="non_saturating", arch="dcgan", image_size=32, latent_dim=100, latent="normal",
                generator_features=64, critic_features=64, clip_value=0.0, optimizer="adam", learning_rate=2e-4,
                beta1=0.5, beta2=0.999, batch_size=100, n_critic=1, warmup_steps=0, warmup_n_critic=1,
                aux_weight=1.0, steps=2000, sample_every=100, checkpoint_every=500, num_samples=100)


# `--preset fast` (jgan.configs.presets): the changes to the recipe above, and why.
PRESETS = {"fast": Preset("readable digits of the requested class in a few minutes: nets of width 32, 800 iterations",
                          dict(generator_features=32, critic_features=32, steps=800, sample_every=100,
                               checkpoint_every=200))}
