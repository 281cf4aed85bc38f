"""Weight clipping for WGAN critics (Arjovsky et al. 2017, arXiv:1701.07875, Algorithm 1, line 7)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax


def clip_to_box(params: optax.Params, clip_value: float) -> optax.Params:
  """Returns `params` with every leaf clipped elementwise to [-clip_value, clip_value]."""
  return jax.tree.map(lambda p: jnp.clip(p, -clip_value, clip_value), params)


def clip_params(clip_value: float) -> optax.GradientTransformation:
  """Rewrites updates so that the updated parameters lie in [-clip_value, clip_value].

  Computes `u' = clip(p + u, -c, c) - p`, so `optax.apply_updates(p, u') = clip(p + u, -c, c)`: the projection
  of Algorithm 1, line 7, applied to every parameter leaf (batch-norm scales and offsets included). Place it last
  in a chain. The WGAN reference clamps the weights *before* each critic step rather than after each update; jgan's
  WGAN step therefore calls `clip_to_box` at the start of each critic step (the generator step then sees the critic
  exactly as the reference does), and this transformation is the same projection for chains that clip after updates.

  Args:
    clip_value: c > 0, the half-width of the box.

  Returns:
    An `optax.GradientTransformation` with empty state; `update` needs `params`.
  """
  if not clip_value > 0:
    raise ValueError(f"clip_value must be > 0, got {clip_value}")

  def init_fn(params):
    del params
    return optax.EmptyState()

  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError("clip_params needs the current params: call update(updates, state, params)")
    updates = jax.tree.map(lambda p, u: jnp.clip(p + u, -clip_value, clip_value) - p, params, updates)
    return updates, state

  return optax.GradientTransformation(init_fn, update_fn)
