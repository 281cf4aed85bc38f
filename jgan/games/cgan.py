"""Conditional GAN (Mirza and Osindero 2014, arXiv:1411.1784): the label y is fed to both players.

The generator sees [z, onehot(y)] and the discriminator sees [x, onehot(y)] (one-hot vectors appended as constant
feature maps to images), and they play the GAN game of Eq. 2, V = E log D(x|y) + E log(1 - D(G(z|y)|y)). Labels of
generated samples are drawn uniformly; sampling takes a label, and the grids have one row per class. The paper's
separate input layers for x and y are the net's business: `jgan.models.maxout` sends the appended channels through
their own layer.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import jax
import jax.numpy as jnp

from jgan.games.base import class_blocks, one_hot_channels, real_and_fake
from jgan.games.gan import GAN


@dataclasses.dataclass(frozen=True)
class ConditionalGAN(GAN):

  num_classes: int = 10
  uses_labels: ClassVar[bool] = True

  @property
  def condition_dim(self) -> int:
    return self.num_classes

  def sample_latent(self, rng, batch_size):
    z_rng, label_rng = jax.random.split(rng)
    latent = super().sample_latent(z_rng, batch_size)
    return {**latent, "label": jax.random.randint(label_rng, (batch_size,), 0, self.num_classes)}

  def fixed_latent(self, rng, num):
    return {**super().fixed_latent(rng, num), "label": class_blocks(num, self.num_classes)}

  def grid_columns(self, num):
    return num // self.num_classes if num % self.num_classes == 0 else None

  def generator_input(self, latent):
    return jnp.concatenate([latent["z"], jax.nn.one_hot(latent["label"], self.num_classes)], axis=-1)

  def discriminator_input(self, x, label):
    return one_hot_channels(x, jax.nn.one_hot(label, self.num_classes))

  def discriminator_loss(self, discriminator, real, fake, latent):
    real_x = self.discriminator_input(real["x"], real["label"])
    fake_x = self.discriminator_input(fake, latent["label"])
    return self.adversarial_discriminator_loss(*real_and_fake(discriminator, real_x, fake_x))

  def generator_loss(self, discriminator, fake, latent, real):
    return self.adversarial_generator_loss(discriminator(self.discriminator_input(fake, latent["label"]))), {}
