"""DCGAN configuration (Radford, Metz and Chintala 2015, arXiv:1511.06434, Sec. 3-4).

All-convolutional generator and discriminator with batch norm in both (not on the generator's output or the
discriminator's input layer), ReLU/tanh generator, LeakyReLU(0.2) discriminator ending in a sigmoid (here a logit,
with the sigmoid inside the numerically stable loss), weights ~ N(0, 0.02), Adam with learning rate 2e-4 and
beta1 = 0.5, batch 128, 100-d uniform z, one discriminator step per generator step, the non-saturating loss.
Source: the paper (Sec. 3 "approach and model architecture" guidelines, Sec. 4 "details of adversarial training").

Deviations:
  * The digits are padded to 32x32: the paper's nets are 64x64; here the same layout one level shallower
    (generator 4x4 -> 8 -> 16 -> 32, discriminator the mirror image).
  * 4x4 kernels (the PyTorch DCGAN example and the WGAN reference, `jgan/models/dcgan.py`) where the authors' Theano
    code has 5x5; no biases (batch norm follows every layer but the ends); the sigmoid sits in the loss.
  * The paper trains on LSUN, Imagenet-1k and faces; its MNIST result is a conditional variant in the code, not
    this unconditional one.

    python -m jgan.experiments.dcgan
"""

from __future__ import annotations

from jgan.configs.base import Config
from jgan.configs.presets import Preset


def get_config() -> Config:
  return Config(game="gan", g_loss="non_saturating", arch="dcgan", image_size=32, latent_dim=100, latent="uniform",
                generator_features=64, critic_features=64, clip_value=0.0, optimizer="adam", learning_rate=2e-4,
                beta1=0.5, beta2=0.999, batch_size=128, n_critic=1, warmup_steps=0, warmup_n_critic=1,
                steps=2000, sample_every=100, checkpoint_every=500)


# `--preset fast` (jgan.configs.presets): the changes to the recipe above, and why.
PRESETS = {"fast": Preset("readable digits in a few minutes on a 2-core CPU: nets of width 32, batch 64, 800 "
                          "iterations",
                          dict(generator_features=32, critic_features=32, batch_size=64, steps=800, sample_every=100,
                               checkpoint_every=200))}
