"""Optimizer chains with the hyperparameter conventions of the papers jgan reproduces."""

from __future__ import annotations

import optax


def rmsprop_torch(learning_rate: float, *, decay: float = 0.99, eps: float = 1e-8) -> optax.GradientTransformation:
  """RMSProp as PyTorch's `torch.optim.RMSprop` defaults compute it (the WGAN reference's optimizer).

  v <- decay * v + (1 - decay) * g^2 (v starts at 0), then p <- p - lr * g / (sqrt(v) + eps): eps outside the square
  root and decay 0.99, where `optax.rmsprop`'s defaults are decay 0.9 and eps inside the root.
  """
  if not learning_rate > 0:
    raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
  return optax.rmsprop(learning_rate, decay=decay, eps=eps, eps_in_sqrt=False, initial_scale=0.0)


def adam(learning_rate: float, *, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> optax.GradientTransformation:
  """Adam (Kingma and Ba 2015), eps outside the root as in PyTorch and the GAN papers' code."""
  if not learning_rate > 0:
    raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
  return optax.adam(learning_rate, b1=b1, b2=b2, eps=eps)
