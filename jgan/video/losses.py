"""The losses of Mathieu, Couprie and LeCun 2016 (arXiv:1511.05440), as pure functions of frames in [-1, 1].

  l_p     = mean |Y^ - Y|^p                                                          (Eq. 1, p = 1 or 2)
  GDL     = mean_ij ||Y_ij - Y_i-1,j| - |Y^_ij - Y^_i-1,j||^alpha
          + mean_ij ||Y_i,j-1 - Y_ij| - |Y^_i,j-1 - Y^_ij||^alpha                     (Eq. 5, alpha = 1 or 2)
  L_adv^D = sum_k bce(D_k(X_k, Y_k), 1) + bce(D_k(X_k, G_k(X)), 0)                   (Eq. 3)
  L_adv^G = sum_k bce(D_k(X_k, G_k(X)), 1)                                           (Eq. 4)

The paper writes l_p and GDL as sums over pixels; here they are means (over the pixels, channels and examples), so a
weight does not depend on the frame size: a difference of normalisation only. Each term of the generator is taken at
every scale k against the target pooled to that scale and summed over the scales, as the adversarial loss is (Eq. 4).
"""

from __future__ import annotations

from typing import Sequence

import jax
import jax.numpy as jnp

from jgan import losses as gan_losses
from jgan.models import multiscale


def lp_loss(outputs: jax.Array, targets: jax.Array, p: int) -> jax.Array:
  """mean |outputs - targets|^p (Eq. 1)."""
  return jnp.mean(jnp.abs(outputs - targets) ** p)


def gradient_difference_loss(outputs: jax.Array, targets: jax.Array, alpha: int) -> jax.Array:
  """The gradient difference loss (Eq. 5) of (B, H, W, C) frames: the mean over the (H - 1) W vertical and the
  H (W - 1) horizontal neighbour pairs of | |target difference| - |output difference| |^alpha, summed over both
  directions. Zero for identical frames and for frames that differ by a constant, with a zero gradient there.

  The outer |.| is written sign(d) d: JAX's d|x|/dx is +1 at x = 0, which would give a pair whose gradients already
  match (d = 0, the loss's minimum, e.g. two flat background pixels) a gradient of 1 (alpha 1) pushing it apart;
  sign(d) d has the subgradient 0 there. The inner |.| keeps JAX's +1 at 0, so a flat prediction under a true
  edge still gets a push to make one."""
  total = 0.0
  for axis in (1, 2):
    true = jnp.abs(jnp.diff(targets, axis=axis))
    predicted = jnp.abs(jnp.diff(outputs, axis=axis))
    difference = true - predicted
    total = total + jnp.mean((jnp.sign(difference) * difference) ** alpha)
  return total


def target_pyramid(target: jax.Array, scales: int) -> list[jax.Array]:
  """The target frame pooled to each scale of the generator, coarse first."""
  return multiscale.pyramid(target, scales)


def reconstruction_terms(predictions: Sequence[jax.Array], target: jax.Array, *, p: int,
                         alpha: int) -> dict[str, jax.Array]:
  """{'lp', 'gdl'}: each summed over the scales of `predictions` (coarse first) against the pooled target."""
  targets = target_pyramid(target, len(predictions))
  return {"lp": sum(lp_loss(y_hat, y, p) for y_hat, y in zip(predictions, targets)),
          "gdl": sum(gradient_difference_loss(y_hat, y, alpha) for y_hat, y in zip(predictions, targets))}


def discriminator_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
  """Eq. 3: binary cross-entropies of every scale's logits (B, scales), summed over scales, mean over examples."""
  return jnp.mean(jnp.sum(gan_losses.minimax_discriminator_loss(real_logits, fake_logits), axis=-1))


def generator_adversarial_loss(fake_logits: jax.Array) -> jax.Array:
  """Eq. 4: bce(D_k(X_k, G_k(X)), 1) summed over the scales, mean over examples."""
  return jnp.mean(jnp.sum(gan_losses.non_saturating_generator_loss(fake_logits), axis=-1))
