"""WGAN with gradient penalty (Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", arXiv:1704.00028).

The critic minimizes E f(G(z)) - E f(x) + lambda E (||grad f(x_hat)||_2 - 1)^2 (their Eq. 3), x_hat = eps x +
(1 - eps) G(z) with eps ~ U(0, 1) per example (Algorithm 1): a soft Lipschitz constraint in place of weight
clipping. The generator minimizes -E f(G(z)). Paper defaults (`jgan/configs/wgan_gp.py`): lambda = 10, Adam with
learning rate 1e-4 and betas (0, 0.9), 5 critic steps per generator step, and no batch norm in the critic (the
penalty is per example, so examples must not interact: layer norm instead).

eps is part of the latent code (`sample_latent` draws it beside z from the step's noise key), so under data
parallelism each device takes its slice of the global draw, as it does of z.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import jax
import jax.numpy as jnp

from jgan import losses
from jgan.games.base import Game, real_and_fake


def safe_norm(x: jax.Array) -> jax.Array:
  """Per-example Euclidean norm over all but the first axis, with a zero (not NaN) gradient at x = 0.

  d||x||/dx = x / ||x|| is 0/0 at x = 0; the double `where` keeps sqrt away from 0 in both passes, so the norm is
  exact elsewhere and a critic with zero input gradient (a constant, a dead ReLU net) gives a finite penalty
  gradient.
  """
  squared = jnp.sum(x.reshape(x.shape[0], -1) ** 2, axis=-1)
  positive = squared > 0
  return jnp.where(positive, jnp.sqrt(jnp.where(positive, squared, 1.0)), 0.0)


def gradient_penalty(critic, x_hat: jax.Array) -> tuple[jax.Array, jax.Array]:
  """(mean (||grad f(x_hat_i)||_2 - 1)^2, the mean norm): `critic` maps a batch to per-example values.

  The per-example input gradients are the gradient of sum_i f(x_hat_i), exact when examples do not interact.
  """
  gradients = jax.grad(lambda x: jnp.sum(critic(x)))(x_hat)
  norms = safe_norm(gradients)
  return jnp.mean((norms - 1.0) ** 2), jnp.mean(norms)


@dataclasses.dataclass(frozen=True)
class WGANGP(Game):

  gp_weight: float = 10.0  # lambda

  plot_metric: ClassVar[str] = "wasserstein"
  plot_label: ClassVar[str] = "critic estimate of W"

  def sample_latent(self, rng, batch_size):
    z_rng, eps_rng = jax.random.split(rng)
    return {**super().sample_latent(z_rng, batch_size), "epsilon": jax.random.uniform(eps_rng, (batch_size,))}

  def discriminator_loss(self, discriminator, real, fake, latent):
    real_x = real["x"]
    real_out, fake_out = real_and_fake(discriminator, real_x, fake)
    wasserstein_loss = jnp.mean(losses.wasserstein_discriminator_loss(real_out, fake_out))
    eps = latent["epsilon"].reshape((-1,) + (1,) * (real_x.ndim - 1))
    x_hat = eps * real_x + (1.0 - eps) * fake
    penalty, norm = gradient_penalty(discriminator.stateless, x_hat)
    loss = wasserstein_loss + self.gp_weight * penalty
    return loss, {"wasserstein": -wasserstein_loss, "gradient_penalty": penalty, "gradient_norm": norm}

  def generator_loss(self, discriminator, fake, latent, real):
    return jnp.mean(losses.wasserstein_generator_loss(discriminator(fake))), {}
