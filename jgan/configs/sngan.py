"""SN-GAN configuration (Miyato, Kataoka, Koyama and Yoshida 2018, "Spectral Normalization for Generative
Adversarial Networks", arXiv:1802.05957).

Every layer of the discriminator divides its weight by sigma(W), the largest singular value estimated by one power
iteration per call from a persistent vector u (the paper's Algorithm 1; `flax.linen.SpectralNorm`, u kept in the
critic's `batch_stats`, so checkpointed, updated in training and frozen in evaluation). No batch norm in the
discriminator (the paper's SN discriminators have none). The objective is the standard GAN one with the
generator's non-saturating loss (the paper's Eq. 3 and the "-log D" generator loss it uses for its standard CNN
runs). Optimizer: Adam with the paper's setting C of Table 1 (Radford et al.'s: learning rate 2e-4, beta1 0.5,
beta2 0.999, one discriminator update per generator update), the cheapest of its six settings, at which SN-GAN
scored as well as at the others. Batch 64, 100-d normal z (the paper's 128-d; 100 for our DCGAN nets).

Deviations: the nets are jgan's DCGAN pair on 32x32 digits (4x4 stride-2 convolutions, LeakyReLU 0.2), not the
paper's "standard CNN" (3x3 and 4x4 convolutions, LeakyReLU 0.1) on CIFAR-10 and STL-10.

    python -m jgan.experiments.sngan                       # on the embedded digits
    python -m jgan.experiments.sngan --dataset ring8 --arch mlp --latent-dim 2   # any data set, any critic
"""

from __future__ import annotations

from jgan.configs.base import Config
from jgan.configs.presets import Preset


def get_config() -> Config:
  return Config(game="gan", g_loss="non_saturating", spectral_norm=1, norm="none", arch="dcgan", image_size=32,
                latent_dim=100, latent="normal", clip_value=0.0, optimizer="adam", learning_rate=2e-4, beta1=0.5,
                beta2=0.999, batch_size=64, n_critic=1, warmup_steps=0, warmup_n_critic=1, steps=2000,
                sample_every=100, checkpoint_every=500)


# `--preset fast` (jgan.configs.presets): the changes to the recipe above, and why.
PRESETS = {"fast": Preset("readable digits in a few minutes: nets of width 32, learning rate 1e-3 (the rate of the "
                          "paper's settings D-F, at which SN-GAN stayed stable), 1,600 iterations; chosen on validation "
                          "FD among six settings (experiments/presets/choices/sngan.json)",
                          dict(generator_features=32, critic_features=32, learning_rate=1e-3, steps=1600,
                               sample_every=100, checkpoint_every=400))}
