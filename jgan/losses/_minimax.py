"""The original GAN losses (Goodfellow et al. 2014, arXiv:1406.2661), computed from discriminator logits.

The discriminator D(x) = sigmoid(l(x)) maximizes V(D, G) = E log D(x) + E log(1 - D(G(z))) (their Eq. 1); written
as a loss to minimize it is -log D(x) - log(1 - D(G(z))). With log D = log_sigmoid(l) and log(1 - D) =
log_sigmoid(-l) both terms stay finite for any logit, where `log(sigmoid(l))` underflows to log 0 at l < -88.
The generator either minimizes log(1 - D(G(z))) (the minimax game) or, as the paper recommends because that loss
saturates when D rejects the samples early in training, minimizes -log D(G(z)) (the "non-saturating" heuristic).
Per-example values in the sign convention of TF-GAN; the step reduces them.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def minimax_discriminator_loss(discriminator_real_outputs: jax.Array, discriminator_gen_outputs: jax.Array, *,
                               real_label: float = 1.0) -> jax.Array:
  """Per-example -[a log D(x) + (1 - a) log(1 - D(x))] - log(1 - D(G(z))) from logits: minus V(D, G), Eq. 1.

  `real_label` a < 1 is one-sided label smoothing (Salimans et al. 2016, arXiv:1606.03498, Sec. 3.4): the target
  for real data becomes a, the target for generated data stays 0.
  """
  real_term = real_label * jax.nn.log_sigmoid(discriminator_real_outputs)
  if real_label != 1.0:  # skipped when exact: keeps the unsmoothed loss free of a 0 * (-inf) for huge logits
    real_term = real_term + (1.0 - real_label) * jax.nn.log_sigmoid(-discriminator_real_outputs)
  return -real_term - jax.nn.log_sigmoid(-discriminator_gen_outputs)


def minimax_generator_loss(discriminator_gen_outputs: jax.Array) -> jax.Array:
  """Per-example log(1 - D(G(z))) from logits: the generator's side of Eq. 1 (saturates when D(G(z)) -> 0)."""
  return jax.nn.log_sigmoid(-discriminator_gen_outputs)


def non_saturating_generator_loss(discriminator_gen_outputs: jax.Array) -> jax.Array:
  """Per-example -log D(G(z)) from logits: the paper's heuristic (Sec. 3), with strong gradients early on."""
  return -jax.nn.log_sigmoid(discriminator_gen_outputs)


def discriminator_probability(logits: jax.Array) -> jax.Array:
  """D(x) = sigmoid(l): what a metric reports as the discriminator's belief that x is real."""
  return jax.nn.sigmoid(logits.astype(jnp.float32))
