"""The least-squares GAN losses (Mao et al. 2017, "Least Squares Generative Adversarial Networks",
arXiv:1611.04076, Eq. 2 with a = 0, b = c = 1), as CycleGAN uses them (Zhu et al. 2017, arXiv:1703.10593, Sec. 4).

The discriminator regresses real outputs to 1 and generated ones to 0; the generator pushes its outputs' scores to
1. CycleGAN's code halves the discriminator's sum "to slow down the rate at which D learns relative to G"; the
factor 1/2 is part of `least_squares_discriminator_loss`. Per-example (per-patch) values, reduced by the step.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def least_squares_discriminator_loss(discriminator_real_outputs: jax.Array,
                                     discriminator_gen_outputs: jax.Array) -> jax.Array:
  """1/2 [(D(x) - 1)^2 + D(G(z))^2] per output (Mao et al. Eq. 2, a = 0, b = 1)."""
  return 0.5 * (jnp.square(discriminator_real_outputs - 1.0) + jnp.square(discriminator_gen_outputs))


def least_squares_generator_loss(discriminator_gen_outputs: jax.Array) -> jax.Array:
  """(D(G(z)) - 1)^2 per output (Mao et al. Eq. 2, c = 1; CycleGAN's generator loss, without the 1/2)."""
  return jnp.square(discriminator_gen_outputs - 1.0)
