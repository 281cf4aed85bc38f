"""Immutable training state: a `Net` (a module and its variables), a `PlayerState` (a net and its optimizer) per
player, a `GANState` holding both players, and a `MultiNetState` for systems of several nets trained in phases
(adversarial autoencoders, pix2pix, CycleGAN, ...)."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from flax import struct


class Net(struct.PyTreeNode):
  """A Flax module as a pure function with its variables: parameters and non-trainable state; `apply_fn` static."""

  params: Any
  batch_stats: Any
  apply_fn: Callable = struct.field(pytree_node=False)

  @staticmethod
  def init_variables(module: nn.Module, init_rng: jax.Array, example_input: jax.Array) -> tuple[Any, Any]:
    """(params, batch_stats) of `module` initialized on `example_input` in inference mode."""
    variables = module.init(init_rng, example_input, train=False)
    return variables["params"], variables.get("batch_stats", {})

  def __call__(self, x: jax.Array, *, params: Any = None, train: bool, rng: jax.Array | None = None,
               features: bool = False) -> tuple[Any, "Net"]:
    """Applies the module; in training mode also returns the state with updated batch-norm statistics.

    `batch_stats` is the player's whole non-trainable state: batch-norm statistics, and also spectral
    normalization's power-iteration vectors (Flax keeps them there) and a virtual-batch-norm reference batch
    (`jgan.models.layers_improved`), so all of it is threaded through training and checkpointed. `rng` feeds the
    modules' 'dropout' stream in training mode (nets without dropout ignore it). With `features` the output is
    `(out, per_layer_features)`, the tuple of activations the net sows into 'intermediates' under 'features'
    (feature matching reads it; empty for nets that sow nothing).
    """
    variables = {"params": self.params if params is None else params, "batch_stats": self.batch_stats}
    if not train and not features:
      return self.apply_fn(variables, x, train=False), self
    mutable = ["batch_stats"] * train + ["intermediates"] * features
    rngs = {"dropout": rng} if train and rng is not None else {}
    out, mutated = self.apply_fn(variables, x, train=train, mutable=mutable, rngs=rngs)
    if features:
      out = (out, tuple(mutated.get("intermediates", {}).get("features", ())))
    return out, self.replace(batch_stats=mutated.get("batch_stats", self.batch_stats)) if train else self


class PlayerState(Net):
  """A player: a `Net` with the optimizer that updates it (its state `opt_state`; the transformation `tx` static)."""

  opt_state: optax.OptState
  tx: optax.GradientTransformation = struct.field(pytree_node=False)
  # The module's `examples_independent` (False where it has none): each example's output depends on that example
  # alone and a call updates no state, so a step may evaluate two batches in one call (`jgan.steps`).
  examples_independent: bool = struct.field(pytree_node=False, default=False)

  @classmethod
  def create(cls, module: nn.Module, tx: optax.GradientTransformation, init_rng: jax.Array,
             example_input: jax.Array) -> "PlayerState":
    params, batch_stats = Net.init_variables(module, init_rng, example_input)
    return cls(params=params, batch_stats=batch_stats, opt_state=tx.init(params), apply_fn=module.apply, tx=tx,
               examples_independent=bool(getattr(module, "examples_independent", False)))

  def apply_gradients(self, grads: Any) -> "PlayerState":
    updates, opt_state = self.tx.update(grads, self.opt_state, self.params)
    return self.replace(params=optax.apply_updates(self.params, updates), opt_state=opt_state)


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


class Phase(NamedTuple):
  """A training phase: its name, the nets it updates, and its Optax transformation."""

  name: str
  nets: tuple[str, ...]
  tx: optax.GradientTransformation


class MultiNetState(struct.PyTreeNode):
  """Nets by name, one optimizer state per training phase, buffers, the iteration counter and the run's key.

  Systems of several nets update them in phases with different objectives, each with its own optimizer (the
  adversarial autoencoder's reconstruction and regularization phases, Makhzani et al. 2015, Sec. 2; CycleGAN's
  generators and discriminators, Zhu et al. 2017, Sec. 4), so optimizer states belong to phases, not to nets:
  `opt_states[phase]` covers the parameters of the nets that phase updates. `buffers` holds whatever else the
  step carries between iterations and a resume must restore (CycleGAN's image pools). `step` counts iterations
  and is also the data position; every key a step uses comes from `rng` and `step`. `phases` is static.
  """

  nets: dict[str, Net]
  opt_states: dict[str, optax.OptState]
  step: jax.Array
  rng: jax.Array
  buffers: dict[str, Any]
  phases: tuple[Phase, ...] = struct.field(pytree_node=False)

  @classmethod
  def create(cls, nets: dict[str, Net], phases: tuple[Phase, ...], rng: jax.Array,
             buffers: dict[str, Any] | None = None) -> "MultiNetState":
    unknown = sorted({n for p in phases for n in p.nets} - set(nets))
    if unknown:
      raise ValueError(f"phases update nets {unknown} that are not in the state ({sorted(nets)})")
    opt_states = {p.name: p.tx.init({n: nets[n].params for n in p.nets}) for p in phases}
    return cls(nets=nets, opt_states=opt_states, step=jnp.zeros((), jnp.int32), rng=rng, buffers=buffers or {},
               phases=phases)

  def phase(self, name: str) -> Phase:
    return next(p for p in self.phases if p.name == name)

  def params(self, phase: str) -> dict[str, Any]:
    """The parameters phase `phase` differentiates: {net name: params}."""
    return {n: self.nets[n].params for n in self.phase(phase).nets}

  def apply_gradients(self, phase: str, grads: dict[str, Any]) -> "MultiNetState":
    """One optimizer step of `phase` on the nets it updates, with its own optimizer state."""
    tx = self.phase(phase).tx
    params = self.params(phase)
    updates, opt_state = tx.update(grads, self.opt_states[phase], params)
    params = optax.apply_updates(params, updates)
    nets = {**self.nets, **{n: self.nets[n].replace(params=params[n]) for n in params}}
    return self.replace(nets=nets, opt_states={**self.opt_states, phase: opt_state})

  def with_batch_stats(self, batch_stats: dict[str, Any]) -> "MultiNetState":
    """The state with the given nets' non-trainable state (batch-norm statistics) replaced: {net: batch_stats}."""
    return self.replace(nets={**self.nets, **{n: self.nets[n].replace(batch_stats=s) for n, s in batch_stats.items()}})
