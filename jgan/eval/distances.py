"""Distances between sample sets, computed exactly where the geometry allows it."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def wasserstein_1d(x: jax.Array, y: jax.Array) -> jax.Array:
  """Exact Wasserstein-1 distance between two equally sized 1-D empirical distributions.

  For n points each, W1 = (1/n) sum_i |x_(i) - y_(i)| over the sorted samples (the optimal coupling in 1-D is
  monotone). Batched over leading axes: the last axis holds the samples.
  """
  if x.shape[-1] != y.shape[-1]:
    raise ValueError(f"wasserstein_1d needs equally many samples, got {x.shape[-1]} and {y.shape[-1]}")
  return jnp.mean(jnp.abs(jnp.sort(x, axis=-1) - jnp.sort(y, axis=-1)), axis=-1)


def sliced_wasserstein(x: jax.Array, y: jax.Array, rng: jax.Array, *, num_projections: int = 256) -> jax.Array:
  """Sliced Wasserstein-1 distance (Rabin et al. 2011) between two equally sized sample sets of any shape.

  Flattens each sample, projects both sets on `num_projections` random unit directions and averages the exact 1-D
  Wasserstein-1 distances of the projections: a Monte-Carlo estimate of E_theta W1(theta.x, theta.y).
  """
  x = jnp.reshape(x, (x.shape[0], -1)).astype(jnp.float32)
  y = jnp.reshape(y, (y.shape[0], -1)).astype(jnp.float32)
  if x.shape != y.shape:
    raise ValueError(f"sliced_wasserstein needs sample sets of equal shape, got {x.shape} and {y.shape}")
  directions = jax.random.normal(rng, (x.shape[1], num_projections))
  directions = directions / jnp.linalg.norm(directions, axis=0, keepdims=True)
  return jnp.mean(wasserstein_1d((x @ directions).T, (y @ directions).T))
