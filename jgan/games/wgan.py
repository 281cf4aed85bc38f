"""Wasserstein GAN (Arjovsky, Chintala and Bottou 2017, arXiv:1701.07875, Algorithm 1).

The critic f maximizes E f(x) - E f(G(z)) under a Lipschitz constraint kept by clipping its weights (`clip_value`,
applied before each critic step as in the reference code); the generator minimizes -E f(G(z)). No sigmoid, no log.
Losses: `jgan/losses/_wasserstein.py`.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import jax.numpy as jnp

from jgan import losses
from jgan.games.base import Game, real_and_fake


@dataclasses.dataclass(frozen=True)
class WGAN(Game):

  plot_metric: ClassVar[str] = "wasserstein"
  plot_label: ClassVar[str] = "critic estimate of W"

  def discriminator_loss(self, discriminator, real, fake, latent):
    # Two forward passes, as in the reference: batch statistics are those of the real and of the fake batch. A
    # critic without batch statistics (the MLP) sees both batches in one pass (`real_and_fake`).
    real_out, fake_out = real_and_fake(discriminator, real["x"], fake)
    loss = jnp.mean(losses.wasserstein_discriminator_loss(real_out, fake_out))
    return loss, {"wasserstein": -loss}

  def generator_loss(self, discriminator, fake, latent, real):
    return jnp.mean(losses.wasserstein_generator_loss(discriminator(fake))), {}
