"""Constraints on the weights, applied as projections after each update: WGAN critics' weight clipping (Arjovsky et
al. 2017, arXiv:1701.07875, Algorithm 1, line 7) and maxout nets' max column norm (Goodfellow et al. 2013,
arXiv:1302.4389, Sec. 8; pylearn2's `max_col_norm`)."""

from __future__ import annotations

import math

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
  return _projection("clip_params", lambda params, updates: jax.tree.map(
      lambda p, u: jnp.clip(p + u, -clip_value, clip_value) - p, params, updates))


def max_column_norm(max_norm: float) -> optax.GradientTransformation:
  """Rewrites updates so that every column of every updated dense kernel has L2 norm at most `max_norm`.

  pylearn2's `max_col_norm` constraint (Srebro and Shraibman 2005's max-norm regularization as maxout nets used it,
  Goodfellow et al. 2013, arXiv:1302.4389): after each update, a column w_j of a kernel W (the weights into one
  unit, or one maxout piece) longer than c is rescaled to length c: w_j <- w_j * min(1, c / ||w_j||). Computes
  `u' = project(p + u) - p` for the leaves named 'kernel' with 2 axes (input, output); biases and other leaves pass
  unchanged. Place it last in a chain.

  Args:
    max_norm: c > 0.

  Returns:
    An `optax.GradientTransformation` with empty state; `update` needs `params`.
  """
  if not (max_norm > 0 and math.isfinite(max_norm)):
    raise ValueError(f"max_norm must be a finite number > 0, got {max_norm}")

  def project(path, p, u):
    if getattr(path[-1], "key", None) != "kernel" or p.ndim != 2:
      return u
    new = p + u
    norms = jnp.sqrt(jnp.sum(jnp.square(new), axis=0, keepdims=True))
    return new * jnp.minimum(1.0, max_norm / jnp.maximum(norms, 1e-12)) - p

  return _projection("max_column_norm",
                     lambda params, updates: jax.tree_util.tree_map_with_path(project, params, updates))


def _projection(name: str, rewrite) -> optax.GradientTransformation:
  """A stateless transformation whose `update` returns `rewrite(params, updates)`: updates that land the parameters
  on a constraint set."""

  def init_fn(params):
    del params
    return optax.EmptyState()

  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError(f"{name} needs the current params: call update(updates, state, params)")
    return rewrite(params, updates), state

  return optax.GradientTransformation(init_fn, update_fn)
