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


def adam(learning_rate: float | optax.Schedule, *, b1: float = 0.9, b2: float = 0.999,
         eps: float = 1e-8) -> optax.GradientTransformation:
  """Adam (Kingma and Ba 2015), eps outside the root as in PyTorch and the GAN papers' code; `learning_rate` a
  number or an Optax schedule of the update count."""
  if not callable(learning_rate) and not learning_rate > 0:
    raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
  return optax.adam(learning_rate, b1=b1, b2=b2, eps=eps)


def constant_then_linear_decay(learning_rate: float, *, constant_steps: int,
                               decay_steps: int) -> optax.Schedule | float:
  """The rate `learning_rate` for `constant_steps` updates, then falling linearly to 0 over `decay_steps` updates
  (CycleGAN, Zhu et al. 2017, Sec. 4: "the same learning rate for the first 100 epochs and linearly decay the rate
  to zero over the next 100 epochs"); the plain number when `decay_steps` is 0 (a constant rate)."""
  if decay_steps <= 0:
    return learning_rate
  return optax.join_schedules([optax.constant_schedule(learning_rate),
                               optax.linear_schedule(learning_rate, 0.0, decay_steps)], [constant_steps])
