"""The autoencoder's training state: its nets, and one optimizer state per training phase.

The adversarial autoencoder updates the encoder in two phases with different objectives (reconstruction, and
fooling the code discriminator; Makhzani et al. 2015, Sec. 2), each with its own optimizer, so optimizer states
belong to phases, not to nets: `AAEState.opt_states[phase]` covers the parameters of the nets that phase updates.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from flax import struct

from jgan.state import Net


class Phase(NamedTuple):
  """A training phase: its name, the nets it updates, and its Optax transformation."""

  name: str
  nets: tuple[str, ...]
  tx: optax.GradientTransformation


class AAEState(struct.PyTreeNode):
  """Nets by name ('encoder', 'decoder', 'discriminator', 'discriminator_y'), optimizer states by phase,
  the iteration counter (also the data position) and the run's key. `phases` is static."""

  nets: dict[str, Net]
  opt_states: dict[str, optax.OptState]
  step: jax.Array
  rng: jax.Array
  phases: tuple[Phase, ...] = struct.field(pytree_node=False)

  @classmethod
  def create(cls, nets: dict[str, Net], phases: tuple[Phase, ...], rng: jax.Array) -> "AAEState":
    opt_states = {p.name: p.tx.init({n: nets[n].params for n in p.nets}) for p in phases}
    return cls(nets=nets, opt_states=opt_states, step=jnp.zeros((), jnp.int32), rng=rng, phases=phases)

  def phase(self, name: str) -> Phase:
    return next(p for p in self.phases if p.name == name)

  def params(self, phase: str) -> dict[str, Any]:
    """The parameters phase `phase` differentiates: {net name: params}."""
    return {n: self.nets[n].params for n in self.phase(phase).nets}

  def apply_gradients(self, phase: str, grads: dict[str, Any]) -> "AAEState":
    """One optimizer step of `phase` on the nets it updates, with its own optimizer state."""
    tx = self.phase(phase).tx
    params = self.params(phase)
    updates, opt_state = tx.update(grads, self.opt_states[phase], params)
    params = optax.apply_updates(params, updates)
    nets = {**self.nets, **{n: self.nets[n].replace(params=params[n]) for n in params}}
    return self.replace(nets=nets, opt_states={**self.opt_states, phase: opt_state})
