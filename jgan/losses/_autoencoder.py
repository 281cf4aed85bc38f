"""Autoencoder losses (per example; the step averages them): the reconstruction term of the adversarial
autoencoder and of the VAE, and the VAE's KL term. The AAE's adversarial terms are the GAN losses of
`jgan.losses._minimax` applied to codes (Makhzani et al. 2015, arXiv:1511.05644, Sec. 2)."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def bernoulli_reconstruction_loss(logits: jax.Array, images: jax.Array) -> jax.Array:
  """-log p(x|z) of a Bernoulli decoder, summed over pixels: sum_i softplus(l_i) - t_i l_i with t = (x + 1) / 2.

  `images` in jgan's [-1, 1] range (t in [0, 1], grey values as soft targets, as usual for MNIST); `logits` are
  the decoder's. Written with softplus so it stays finite for any logit.
  """
  targets = (images.astype(jnp.float32) + 1.0) / 2.0
  per_pixel = jax.nn.softplus(logits) - targets * logits
  return jnp.sum(per_pixel.reshape(per_pixel.shape[0], -1), axis=-1)


def gaussian_kl(mean: jax.Array, log_var: jax.Array) -> jax.Array:
  """KL(N(mean, exp(log_var)) || N(0, I)) = 1/2 sum_j (exp(log_var_j) + mean_j^2 - 1 - log_var_j) (Kingma and
  Welling 2014, Appendix B), per example."""
  return 0.5 * jnp.sum(jnp.exp(log_var) + mean ** 2 - 1.0 - log_var, axis=-1)


def gaussian_log_density(z: jax.Array, mean: jax.Array, log_var: jax.Array) -> jax.Array:
  """log N(z; mean, diag(exp(log_var))), per example."""
  return -0.5 * jnp.sum((z - mean) ** 2 * jnp.exp(-log_var) + log_var + jnp.log(2 * jnp.pi), axis=-1)


def monte_carlo_kl(z: jax.Array, mean: jax.Array, log_var: jax.Array, prior_log_density: jax.Array) -> jax.Array:
  """log q(z|x) - log p(z) at z ~ q(z|x): the one-sample estimate of KL(q(z|x) || p(z)) for a prior without a
  closed-form KL (the VAE with the mixture prior of the AAE paper's Fig. 2d)."""
  return gaussian_log_density(z, mean, log_var) - prior_log_density
