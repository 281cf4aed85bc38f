"""The training step shared by every GAN variant, as pure unjitted functions over a `Game` and a data `Source`.

Each function maps `(state, source, ...)` to `(state, metrics)`. The game (`jgan.games`) says what the nets see
and what they minimize; this module draws the data and the noise, runs the players, differentiates, averages over
devices and applies the optimizers. Every key is derived from `state.rng` and the state's counters, so a step is a
pure function of its arguments. Under data parallelism (`axis_name` set, inside `shard_map`) every device draws the
same *global* batch and noise and keeps its own slice of them, gradients and metrics are averaged with
`lax.pmean` and batch-norm statistics are averaged inside the modules; the result is then the same, to float
rounding, whatever the number of devices.

Schedule (WGAN reference code, `main.py`; also the k steps of Goodfellow et al. Algorithm 1): generator iteration
g runs `n_critic` discriminator steps, raised to `warmup_n_critic` when g < warmup_steps or g % every == 0; then
one generator step. Each discriminator step first applies the game's weight constraint (WGAN clipping), then one
optimizer step on a fresh real batch and fresh noise.

Simultaneous updates (`simultaneous_step`, `Config.updates="simultaneous"`, k = 1 only): both players' gradients
are taken at the same parameters, from one real batch and one draw of noise, and applied together, as the code
of Goodfellow et al. (pylearn2's `AdversaryCost2.get_gradients`) and of ALI / PacGAN (`ali_algorithm`) does.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from jgan import parallel
from jgan.data.source import Source
from jgan.games import Game
from jgan.games.base import real_and_fake
from jgan.state import GANState, PlayerState
from jgan.updates import nonfinite, stream_key

Metrics = dict[str, jax.Array]

# Independent key streams, each indexed by its own counter.
_CRITIC_NOISE, _DATA, _GENERATOR_NOISE, _GENERATOR_DATA, _CRITIC_DROPOUT, _GENERATOR_DROPOUT = range(6)


def critic_iterations(step, *, n_critic: int = 5, warmup_steps: int = 25, warmup_n_critic: int = 100,
                      every: int = 500):
  """Discriminator steps for generator iteration `step`: `warmup_n_critic` when step < warmup_steps or
  step % every == 0, else `n_critic`. Works on Python ints and on traced integers alike."""
  if isinstance(step, int):
    return warmup_n_critic if step < warmup_steps or step % every == 0 else n_critic
  return jnp.where((step < warmup_steps) | (step % every == 0), warmup_n_critic, n_critic)


class _Training:
  """A player called in training mode with given params; successive calls see updated batch-norm statistics and
  draw fresh dropout masks (call i uses fold_in(rng, i))."""

  def __init__(self, player: PlayerState, params: Any, rng: jax.Array):
    self.player, self.params, self.rng, self.calls = player, params, rng, 0

  def __call__(self, x: jax.Array) -> Any:
    out, self.player = self.player(x, params=self.params, train=True, rng=self._next_rng())
    return out

  def features(self, x: jax.Array) -> tuple[Any, tuple[jax.Array, ...]]:
    """Like a call, and also the net's per-layer features (`PlayerState.__call__(features=True)`): feature
    matching reads them."""
    (out, features), self.player = self.player(x, params=self.params, train=True, rng=self._next_rng(),
                                               features=True)
    return out, features

  def pair(self, a: jax.Array, b: jax.Array) -> tuple[Any, Any]:
    """`(self(a), self(b))`. For a net whose examples do not interact (`PlayerState.examples_independent`), from
    one call on the two batches stacked: the same sums (in another order) with twice the rows per matrix product,
    which XLA:CPU runs faster (the 64x64 MLP critic's gradient on a real and a fake batch of 64: 15 against 18
    ms). Nets with batch norm keep two calls: their statistics are per batch, as in the reference code (stacking
    the DCGAN critic's batches with batch norm per batch was measured: no gain beyond noise, experiments/README.md)."""
    if not self.player.examples_independent or a.shape[1:] != b.shape[1:] or a.dtype != b.dtype:
      return self(a), self(b)
    out = self(jnp.concatenate([a, b]))
    n = a.shape[0]
    return jax.tree.map(lambda v: v[:n], out), jax.tree.map(lambda v: v[n:], out)

  def stateless(self, x: jax.Array) -> Any:
    """The output in training mode at the current statistics, recording no update: a pure function of `x`, so
    a penalty may differentiate it with respect to its input (WGAN-GP) without leaking traced statistics."""
    return self.player(x, params=self.params, train=True, rng=self._next_rng())[0]

  def _next_rng(self) -> jax.Array:
    rng = jax.random.fold_in(self.rng, self.calls)
    self.calls += 1
    return rng


def _latent(game: Game, rng: jax.Array, batch_size: int, axis_name: str | None):
  return jax.tree.map(lambda v: parallel.local_slice(v, axis_name), game.sample_latent(rng, batch_size))


def _critic_step_inputs(state: GANState, source: Source, game: Game, batch_size: int, axis_name: str | None):
  """The real batch, the code and the (generator, discriminator) dropout keys of critic step `state.critic_steps`:
  the discriminator step and the simultaneous step draw the same ones."""
  real = source.batch(stream_key(state.rng, _DATA, 0), state.critic_steps, batch_size, axis_name)
  latent = _latent(game, stream_key(state.rng, _CRITIC_NOISE, state.critic_steps), batch_size, axis_name)
  g_dropout_rng, d_dropout_rng = jax.random.split(stream_key(state.rng, _CRITIC_DROPOUT, state.critic_steps))
  return real, latent, g_dropout_rng, d_dropout_rng


def discriminator_step(state: GANState, source: Source, *, game: Game, batch_size: int,
                       axis_name: str | None = None) -> tuple[GANState, Metrics]:
  """One discriminator (critic) update on a real batch and a generated one (Algorithm 1's inner loop)."""
  params = game.constrain_discriminator(state.discriminator.params)  # WGAN: clamp before each critic step
  real, latent, g_dropout_rng, d_dropout_rng = _critic_step_inputs(state, source, game, batch_size, axis_name)
  # G in train mode, as the reference implementations run it here.
  fake, generator = state.generator(game.generator_input(latent), train=True, rng=g_dropout_rng)
  fake = jax.lax.stop_gradient(fake)

  def loss_fn(params):
    discriminator = _Training(state.discriminator, params, d_dropout_rng)
    loss, metrics = game.discriminator_loss(game.packed(discriminator), real, fake, latent)  # PacGAN's packs
    return loss, (discriminator.player.batch_stats, metrics)

  (loss, (batch_stats, metrics)), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
  grads = parallel.pmean(grads, axis_name)
  critic = state.discriminator.replace(params=params, batch_stats=batch_stats).apply_gradients(grads)
  metrics = parallel.pmean({"d_loss": loss, **metrics}, axis_name)
  state = state.replace(generator=generator, discriminator=critic, critic_steps=state.critic_steps + 1)
  return state, {**metrics, "d_nonfinite": nonfinite(loss, critic.params)}


def generator_step(state: GANState, source: Source, *, game: Game, batch_size: int,
                   axis_name: str | None = None) -> tuple[GANState, Metrics]:
  """One generator update on fresh noise; the discriminator is not updated, its running statistics are."""
  latent = _latent(game, stream_key(state.rng, _GENERATOR_NOISE, state.step), batch_size, axis_name)
  real = None
  if game.uses_real_in_generator_step:
    real = source.batch(stream_key(state.rng, _GENERATOR_DATA, 0), state.step, batch_size, axis_name)

  g_dropout_rng, d_dropout_rng = jax.random.split(stream_key(state.rng, _GENERATOR_DROPOUT, state.step))

  def loss_fn(params):
    fake, generator = state.generator(game.generator_input(latent), params=params, train=True, rng=g_dropout_rng)
    discriminator = _Training(state.discriminator, state.discriminator.params, d_dropout_rng)
    loss, metrics = game.generator_loss(game.packed(discriminator), fake, latent, real)
    return loss, (generator.batch_stats, discriminator.player.batch_stats, metrics)

  (loss, (g_stats, d_stats, metrics)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.generator.params)
  generator = state.generator.replace(batch_stats=g_stats).apply_gradients(parallel.pmean(grads, axis_name))
  state = state.replace(generator=generator, discriminator=state.discriminator.replace(batch_stats=d_stats),
                        step=state.step + 1)
  metrics = parallel.pmean({"g_loss": loss, **metrics}, axis_name)
  return state, {**metrics, "g_nonfinite": nonfinite(loss, generator.params)}


class _SharedCalls:
  """A player that computes its output on a given input array once: in a simultaneous update the discriminator
  loss and the generator loss then read the same pass over the generated batch (one dropout mask, one batch-norm
  update), as the reference code's single graph `D(G(z))` does. Keyed by the array's identity; the cache keeps
  each array alive so an identity is never reused within a trace."""

  def __init__(self, player):
    self.player, self._outputs = player, {}

  def _store(self, x, out):
    self._outputs[id(x)] = (x, out)
    return out

  def __call__(self, x: jax.Array) -> Any:
    if id(x) in self._outputs:
      return self._outputs[id(x)][1]
    return self._store(x, self.player(x))

  def pair(self, a: jax.Array, b: jax.Array) -> tuple[Any, Any]:
    if id(a) in self._outputs or id(b) in self._outputs:
      return self(a), self(b)
    out_a, out_b = real_and_fake(self.player, a, b)
    return self._store(a, out_a), self._store(b, out_b)

  def features(self, x: jax.Array) -> tuple[Any, tuple[jax.Array, ...]]:
    return self.player.features(x)

  def stateless(self, x: jax.Array) -> Any:
    return self.player.stateless(x)


def simultaneous_step(state: GANState, source: Source, *, game: Game, batch_size: int,
                      axis_name: str | None = None) -> tuple[GANState, Metrics]:
  """One update of both players from one real batch and one code: the discriminator's gradient of its loss and
  the generator's gradient of its loss, both at the current parameters, applied together (simultaneous gradient
  descent; Goodfellow et al.'s `AdversaryCost2`, ALI's and PacGAN's `ali_algorithm`). One generator pass and one
  discriminator pass per batch serve both losses (`_SharedCalls`); each counter advances by one."""
  d_params = game.constrain_discriminator(state.discriminator.params)
  real, latent, g_dropout_rng, d_dropout_rng = _critic_step_inputs(state, source, game, batch_size, axis_name)

  def losses(g_params, d_params):
    fake, generator = state.generator(game.generator_input(latent), params=g_params, train=True, rng=g_dropout_rng)
    training = _Training(state.discriminator, d_params, d_dropout_rng)
    discriminator = _SharedCalls(game.packed(training))
    d_loss, d_metrics = game.discriminator_loss(discriminator, real, fake, latent)
    g_loss, g_metrics = game.generator_loss(discriminator, fake, latent, real)
    return (d_loss, g_loss), (generator.batch_stats, training.player.batch_stats, {**d_metrics, **g_metrics})

  (d_loss, g_loss), pullback, (g_stats, d_stats, metrics) = jax.vjp(
      losses, state.generator.params, d_params, has_aux=True)
  one, zero = jnp.ones_like(d_loss), jnp.zeros_like(g_loss)
  _, d_grads = pullback((one, zero))  # d d_loss / d theta_D (the part for theta_G is dead code, removed by XLA)
  g_grads, _ = pullback((zero, one))  # d g_loss / d theta_G
  critic = state.discriminator.replace(params=d_params, batch_stats=d_stats).apply_gradients(
      parallel.pmean(d_grads, axis_name))
  generator = state.generator.replace(batch_stats=g_stats).apply_gradients(parallel.pmean(g_grads, axis_name))
  state = state.replace(generator=generator, discriminator=critic, step=state.step + 1,
                        critic_steps=state.critic_steps + 1)
  metrics = parallel.pmean({"d_loss": d_loss, "g_loss": g_loss, **metrics}, axis_name)
  return state, {**metrics, "d_nonfinite": nonfinite(d_loss, critic.params),
                 "g_nonfinite": nonfinite(g_loss, generator.params)}


def _critic_steps_unrolled(state, source, count: int, step_kwargs) -> tuple[GANState, Metrics]:
  total = None
  for _ in range(count):
    state, metrics = discriminator_step(state, source, **step_kwargs)
    total = metrics if total is None else jax.tree.map(jnp.add, total, metrics)
  return state, total


def _zero_metrics(state, source, step_kwargs) -> Metrics:
  shapes = jax.eval_shape(lambda s: discriminator_step(s, source, **step_kwargs)[1], state)
  return jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)


def generator_iteration(state: GANState, source: Source, *, n_critic: int, game: Game, batch_size: int,
                        axis_name: str | None = None, unroll: int = 5,
                        simultaneous: bool = False) -> tuple[GANState, Metrics]:
  """`n_critic` discriminator steps then one generator step; discriminator metrics averaged over its steps. With
  `simultaneous` (n_critic 1 only), one `simultaneous_step` instead.

  Discriminator steps are unrolled in blocks of `unroll`; when `n_critic > unroll` the blocks run in a `fori_loop`,
  so a 100-step iteration compiles one block, not 100 steps. (On XLA:CPU convolutions inside a loop are much slower
  than unrolled ones: the training loop runs such iterations block by block from the host there; see `jgan.train`.)
  """
  step_kwargs = dict(game=game, batch_size=batch_size, axis_name=axis_name)
  if simultaneous:
    if n_critic != 1:
      raise ValueError(f"simultaneous updates take one discriminator step per iteration, got n_critic {n_critic}")
    return simultaneous_step(state, source, **step_kwargs)
  blocks, rest = divmod(n_critic, unroll)
  total = _zero_metrics(state, source, step_kwargs)
  if rest:
    state, rest_total = _critic_steps_unrolled(state, source, rest, step_kwargs)
    total = jax.tree.map(jnp.add, total, rest_total)
  if blocks:
    def body(_, carry):
      state, total = carry
      state, block_total = _critic_steps_unrolled(state, source, unroll, step_kwargs)
      return state, jax.tree.map(jnp.add, total, block_total)
    state, total = jax.lax.fori_loop(0, blocks, body, (state, total)) if blocks > 1 else body(0, (state, total))
  state, g_metrics = generator_step(state, source, **step_kwargs)
  return state, {**{k: v / n_critic for k, v in total.items()}, **g_metrics}


def critic_block(state: GANState, source: Source, *, count: int, game: Game, batch_size: int,
                 axis_name: str | None = None) -> tuple[GANState, Metrics]:
  """`count` unrolled discriminator steps (summed metrics): the building block of host-driven long iterations."""
  return _critic_steps_unrolled(state, source, count, dict(game=game, batch_size=batch_size, axis_name=axis_name))


def train_iterations(state: GANState, source: Source, *, num_iterations: int, schedule: dict, game: Game,
                     batch_size: int, axis_name: str | None = None,
                     simultaneous: bool = False) -> tuple[GANState, Metrics]:
  """`num_iterations` generator iterations in one call, following the schedule on the device (with
  `simultaneous`, `simultaneous_step` each: the schedule must be one discriminator step per iteration).

  Returns per-iteration metrics stacked along a leading axis, plus `n_critic`. Everything runs in XLA loops: the
  right form for dense nets and for accelerators.
  """
  step_kwargs = dict(game=game, batch_size=batch_size, axis_name=axis_name)
  schedule_fn = functools.partial(critic_iterations, **schedule)
  if simultaneous:
    if schedule["n_critic"] != 1 or schedule["warmup_n_critic"] != 1:
      raise ValueError(f"simultaneous updates take one discriminator step per iteration, got schedule {schedule}")
    def simultaneous_iteration(state, _):
      state, metrics = simultaneous_step(state, source, **step_kwargs)
      return state, {**metrics, "n_critic": jnp.ones((), jnp.int32)}
    return jax.lax.scan(simultaneous_iteration, state, None, length=num_iterations)

  def iteration(state, _):
    n_critic = schedule_fn(state.step)
    def body(_, carry):
      state, total = carry
      state, metrics = discriminator_step(state, source, **step_kwargs)
      return state, jax.tree.map(jnp.add, total, metrics)
    zero = _zero_metrics(state, source, step_kwargs)
    state, total = jax.lax.fori_loop(0, n_critic, body, (state, zero))
    state, g_metrics = generator_step(state, source, **step_kwargs)
    return state, {**{k: v / n_critic for k, v in total.items()}, **g_metrics, "n_critic": n_critic}

  return jax.lax.scan(iteration, state, None, length=num_iterations)
