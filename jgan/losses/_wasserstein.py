"""Wasserstein GAN losses (Arjovsky, Chintala and Bottou 2017, arXiv:1701.07875, Algorithm 1).

The critic f maximizes E f(x) - E f(G(z)), the Kantorovich-Rubinstein dual estimate of the Earth-Mover distance
W(P_r, P_g) (their Eq. 3); the generator minimizes -E f(G(z)). Both are written as quantities to minimize, in the
sign convention of TF-GAN. The reference code uses the opposite sign for f (its critic minimizes
E f(x) - E f(G(z))), which is the same game with f replaced by -f.
"""

from __future__ import annotations

import jax


def wasserstein_generator_loss(discriminator_gen_outputs: jax.Array) -> jax.Array:
  """Per-example generator loss -f(G(z)); its mean is the generator's objective in Algorithm 1, line 11."""
  return -discriminator_gen_outputs


def wasserstein_discriminator_loss(discriminator_real_outputs: jax.Array,
                                   discriminator_gen_outputs: jax.Array) -> jax.Array:
  """Per-example critic loss f(G(z_i)) - f(x_i); its mean is minus the critic's estimate of W (Algorithm 1, line 5)."""
  return discriminator_gen_outputs - discriminator_real_outputs
