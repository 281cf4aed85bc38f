"""Historical averaging (Salimans et al. 2016, "Improved Techniques for Training GANs", arXiv:1606.03498, Sec. 3.3).

Each player's cost gets the term lambda ||theta - (1/t) sum_{i=1..t} theta[i]||^2, theta[i] the parameters at
update i. Written as a gradient transformation, the running mean lives in the optimizer state, so a checkpoint of
the player (its `opt_state`) carries it across a resume.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax


class HistoricalAveragingState(NamedTuple):
  """`count` t: updates seen; `mean`: (1/t) sum_{i=1..t} theta[i], zeros before the first update."""

  count: jax.Array
  mean: optax.Params


def historical_averaging(weight: float) -> optax.GradientTransformation:
  """Adds the gradient of weight * ||theta - mean||^2 to the updates: g + 2 weight (theta - mean).

  At update t the mean first takes in the current parameters theta[t] (mean_t = mean_{t-1} + (theta[t] -
  mean_{t-1}) / t, the paper's sum running to t), then the gradient is taken with the mean held fixed: it is a
  record of the past, not a function of theta. At t = 1 the mean is theta[1] and the term adds nothing. Place it
  first in a chain, before the optimizer, as a term of the cost would be: `optax.chain(historical_averaging(w),
  optax.adam(...))`.

  Args:
    weight: lambda >= 0 (0 leaves the updates unchanged but still keeps the mean).

  Returns:
    An `optax.GradientTransformation` with a `HistoricalAveragingState`; `update` needs `params`.
  """
  if not weight >= 0:
    raise ValueError(f"weight must be >= 0, got {weight}")

  def init_fn(params):
    return HistoricalAveragingState(count=jnp.zeros((), jnp.int32), mean=jax.tree.map(jnp.zeros_like, params))

  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError("historical_averaging needs the current params: call update(updates, state, params)")
    count = state.count + 1
    mean = jax.tree.map(lambda m, p: m + (p - m) / count.astype(p.dtype), state.mean, params)
    updates = jax.tree.map(lambda g, p, m: g + 2.0 * weight * (p - m), updates, params, mean)
    return updates, HistoricalAveragingState(count=count, mean=mean)

  return optax.GradientTransformation(init_fn, update_fn)
