"""Distances between sample sets, computed exactly where the geometry allows it."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


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


def wasserstein_2d(x: np.ndarray | jax.Array, y: np.ndarray | jax.Array) -> float:
  """Exact Wasserstein-1 distance between two empirical point sets of any dimension and possibly different sizes.

  Uniform weights and Euclidean ground cost: the optimal transport linear program solved by POT (Flamary et al.
  2021) as `ot.emd2(a, b, ot.dist(x, y, metric="euclidean"))`, in float64. Cost O(n m) memory, so keep the sets to a
  few thousand points.
  """
  import ot  # imported lazily: POT takes seconds to import and only this metric needs it
  x = np.asarray(x, np.float64).reshape(len(x), -1)
  y = np.asarray(y, np.float64).reshape(len(y), -1)
  if x.shape[1] != y.shape[1]:
    raise ValueError(f"wasserstein_2d needs points of equal dimension, got {x.shape[1]} and {y.shape[1]}")
  a, b = np.full(len(x), 1.0 / len(x)), np.full(len(y), 1.0 / len(y))
  # The network simplex stops early (with a warning) at POT's default of 1e5 iterations for a few thousand points.
  return float(ot.emd2(a, b, ot.dist(x, y, metric="euclidean"), numItermax=10_000_000))
