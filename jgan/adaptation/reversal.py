"""The gradient reversal layer and the schedules of Ganin & Lempitsky 2015, "Unsupervised Domain Adaptation by
Backpropagation" (arXiv:1409.7495, Sec. 3.2 and 5.1).

The reversal layer R_lambda is the identity in the forward pass and multiplies the gradient by -lambda in the
backward pass (Eq. 12-13), so one backward pass trains the domain classifier to tell the domains apart and the
feature extractor to make them indistinguishable. lambda is not trained: it rises from 0 to 1 over training as
lambda_p = 2 / (1 + exp(-gamma p)) - 1 with gamma = 10, p the training progress in [0, 1], which keeps the
domain classifier's noisy early gradient away from the features; the learning rate anneals as
mu_p = mu_0 / (1 + alpha p)^beta with mu_0 = 0.01, alpha = 10, beta = 0.75 (Sec. 5.1).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


@jax.custom_vjp
def reverse_gradient(x: jax.Array, scale: jax.Array) -> jax.Array:
  """R_lambda(x) = x, with d R / d x = -lambda I (Eq. 12-13); `scale` is lambda and receives no gradient."""
  return x


def _forward(x, scale):
  return x, scale


def _backward(scale, g):
  # lambda is a schedule, not a parameter: its cotangent is zero (of its own shape and type).
  return jax.tree.map(lambda t: -scale * t, g), jnp.zeros_like(scale)


reverse_gradient.defvjp(_forward, _backward)


def adaptation_factor(progress: jax.Array, gamma: float = 10.0) -> jax.Array:
  """lambda_p = 2 / (1 + exp(-gamma p)) - 1: 0 at p = 0, about 1 - 2 e^-gamma at p = 1 (Sec. 5.1)."""
  return 2.0 / (1.0 + jnp.exp(-gamma * progress)) - 1.0


def annealed_learning_rate(progress: jax.Array, mu0: float = 0.01, alpha: float = 10.0,
                           beta: float = 0.75) -> jax.Array:
  """mu_p = mu_0 / (1 + alpha p)^beta (Sec. 5.1): from mu_0 at p = 0 to mu_0 / 11^0.75 (about mu_0 / 6) at p = 1."""
  return mu0 / (1.0 + alpha * progress) ** beta


def progress(step: jax.Array, steps: int) -> jax.Array:
  """p = step / steps as float32, clipped to [0, 1] (a run extended on resume stays at the schedule's end)."""
  return jnp.clip(jnp.asarray(step, jnp.float32) / steps, 0.0, 1.0)
