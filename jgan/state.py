"""Immutable training state: one `PlayerState` per player, and a `GANState` holding both."""

from __future__ import annotations

from typing import Any, Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from flax import struct


class PlayerState(struct.PyTreeNode):
  """Parameters, batch-norm statistics and optimizer state of one player; `apply_fn` and `tx` are static."""

  params: Any
  batch_stats: Any
  opt_state: optax.OptState
  apply_fn: Callable = struct.field(pytree_node=False)
  tx: optax.GradientTransformation = struct.field(pytree_node=False)

  @classmethod
  def create(cls, module: nn.Module, tx: optax.GradientTransformation, init_rng: jax.Array,
             example_input: jax.Array) -> "PlayerState":
    variables = module.init(init_rng, example_input, train=False)
    params = variables["params"]
    return cls(params=params, batch_stats=variables.get("batch_stats", {}), opt_state=tx.init(params),
               apply_fn=module.apply, tx=tx)

  def apply_gradients(self, grads: Any) -> "PlayerState":
    updates, opt_state = self.tx.update(grads, self.opt_state, self.params)
    return self.replace(params=optax.apply_updates(self.params, updates), opt_state=opt_state)

  def __call__(self, x: jax.Array, *, params: Any = None, train: bool,
               rng: jax.Array | None = None) -> tuple[jax.Array, "PlayerState"]:
    """Applies the module; in training mode also returns the state with updated batch-norm statistics.

    `rng` feeds the modules' 'dropout' stream in training mode (nets without dropout ignore it).
    """
    variables = {"params": self.params if params is None else params, "batch_stats": self.batch_stats}
    if not train:
      return self.apply_fn(variables, x, train=False), self
    rngs = {} if rng is None else {"dropout": rng}
    out, mutated = self.apply_fn(variables, x, train=True, mutable=["batch_stats"], rngs=rngs)
    return out, self.replace(batch_stats=mutated.get("batch_stats", self.batch_stats))


class GANState(struct.PyTreeNode):
  """Both players, the counters the schedule and data stream depend on, and the run's PRNG key.

  `step` counts generator iterations, `critic_steps` counts critic steps (one real batch each: it is also the data
  position). Every key a step uses is derived from `rng` and these counters, so the state is all a resume needs.
  """

  generator: PlayerState
  discriminator: PlayerState
  step: jax.Array
  critic_steps: jax.Array
  rng: jax.Array

  @classmethod
  def create(cls, generator: PlayerState, discriminator: PlayerState, rng: jax.Array) -> "GANState":
    return cls(generator=generator, discriminator=discriminator, step=jnp.zeros((), jnp.int32),
               critic_steps=jnp.zeros((), jnp.int32), rng=rng)
