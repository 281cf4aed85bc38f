"""The WGAN training step (Arjovsky et al. 2017, arXiv:1701.07875, Algorithm 1), as pure unjitted functions.

Each function maps `(state, images, ...)` to `(state, metrics)`. `images` is the whole uint8 data set on the
device; batches are gathered from it by `jgan.data.batch_indices`. Every key is derived from `state.rng` and the
state's counters, so a step is a pure function of its arguments. Under data parallelism (`axis_name` set, inside
`shard_map`) every device draws the same *global* batch and noise and keeps its own slice of them, gradients and
metrics are averaged with `lax.pmean` and batch-norm statistics are averaged inside the modules; the result is then
the same, to float rounding, whatever the number of devices.

Schedule of the reference code (`main.py`): the generator iteration g runs `n_critic` critic steps (5), raised to
100 when g < 25 or g % 500 == 0; each critic step clamps the critic's weights to [-c, c] first, then takes one
RMSProp step on a fresh real batch and fresh noise; then one generator step.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from jgan import data, losses
from jgan.state import GANState
from jgan.transforms import clip_to_box

Metrics = dict[str, jax.Array]

# Metrics a critic step returns; iterations report their mean over the iteration's critic steps.
CRITIC_METRICS = ("d_loss", "wasserstein", "d_nonfinite")

# Independent key streams, each indexed by its own counter.
_CRITIC_NOISE, _DATA, _GENERATOR_NOISE = 0, 1, 2


def stream_key(rng: jax.Array, stream: int, counter: jax.Array) -> jax.Array:
  return jax.random.fold_in(jax.random.fold_in(rng, stream), counter)


def critic_iterations(step, *, n_critic: int = 5, warmup_steps: int = 25, warmup_n_critic: int = 100,
                      every: int = 500):
  """Critic steps for generator iteration `step`: `warmup_n_critic` when step < warmup_steps or step % every == 0.

  Works on Python ints and on traced integers alike.
  """
  if isinstance(step, int):
    return warmup_n_critic if step < warmup_steps or step % every == 0 else n_critic
  return jnp.where((step < warmup_steps) | (step % every == 0), warmup_n_critic, n_critic)


def _local(x: jax.Array, axis_name: str | None) -> jax.Array:
  """This device's slice of a global batch (all of it without data parallelism)."""
  if axis_name is None:
    return x
  size = x.shape[0] // jax.lax.axis_size(axis_name)
  return jax.lax.dynamic_slice_in_dim(x, jax.lax.axis_index(axis_name) * size, size)


def _pmean(tree: Any, axis_name: str | None) -> Any:
  return tree if axis_name is None else jax.lax.pmean(tree, axis_name)


def _nonfinite(*trees) -> jax.Array:
  """1.0 if any leaf of `trees` holds a NaN or an infinity, else 0.0 (a float, so it can be averaged)."""
  finite = jnp.stack([jnp.all(jnp.isfinite(leaf)) for leaf in jax.tree.leaves(trees)]).all()
  return 1.0 - finite.astype(jnp.float32)


def _noise(rng: jax.Array, batch_size: int, latent_dim: int, axis_name: str | None) -> jax.Array:
  return _local(jax.random.normal(rng, (batch_size, latent_dim)), axis_name)


def critic_step(state: GANState, images: jax.Array, *, batch_size: int, latent_dim: int, clip_value: float,
                axis_name: str | None = None) -> tuple[GANState, Metrics]:
  """One critic update: clamp the weights, then descend on mean f(G(z)) - mean f(x) (Algorithm 1, lines 2-7)."""
  critic = state.discriminator
  params = clip_to_box(critic.params, clip_value)  # the reference clamps before each critic step
  index = data.batch_indices(stream_key(state.rng, _DATA, 0), state.critic_steps, images.shape[0], batch_size)
  real = data.to_unit_range(images[_local(index, axis_name)])
  z = _noise(stream_key(state.rng, _CRITIC_NOISE, state.critic_steps), batch_size, latent_dim, axis_name)
  fake, generator = state.generator(z, train=True)  # the reference runs G in train mode here too
  fake = jax.lax.stop_gradient(fake)

  def loss_fn(params):
    # Two forward passes, as in the reference: batch statistics are those of the real and of the fake batch.
    real_out, updated = critic(real, params=params, train=True)
    fake_out, updated = updated(fake, params=params, train=True)
    loss = jnp.mean(losses.wasserstein_discriminator_loss(real_out, fake_out))
    return loss, updated.batch_stats

  (loss, batch_stats), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
  grads = _pmean(grads, axis_name)
  critic = critic.replace(params=params, batch_stats=batch_stats).apply_gradients(grads)
  loss = _pmean(loss, axis_name)
  state = state.replace(generator=generator, discriminator=critic, critic_steps=state.critic_steps + 1)
  return state, {"d_loss": loss, "wasserstein": -loss, "d_nonfinite": _nonfinite(loss, critic.params)}


def generator_step(state: GANState, *, batch_size: int, latent_dim: int,
                   axis_name: str | None = None) -> tuple[GANState, Metrics]:
  """One generator update: descend on -mean f(G(z)) (Algorithm 1, lines 9-10)."""
  z = _noise(stream_key(state.rng, _GENERATOR_NOISE, state.step), batch_size, latent_dim, axis_name)

  def loss_fn(params):
    fake, generator = state.generator(z, params=params, train=True)
    out, critic = state.discriminator(fake, train=True)  # the critic is not updated, its running stats are
    return jnp.mean(losses.wasserstein_generator_loss(out)), (generator.batch_stats, critic.batch_stats)

  (loss, (g_stats, d_stats)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.generator.params)
  generator = state.generator.replace(batch_stats=g_stats).apply_gradients(_pmean(grads, axis_name))
  state = state.replace(generator=generator, discriminator=state.discriminator.replace(batch_stats=d_stats),
                        step=state.step + 1)
  loss = _pmean(loss, axis_name)
  return state, {"g_loss": loss, "g_nonfinite": _nonfinite(loss, generator.params)}


def _critic_steps_unrolled(state, images, count: int, step_kwargs) -> tuple[GANState, Metrics]:
  total = {key: jnp.zeros(()) for key in CRITIC_METRICS}
  for _ in range(count):
    state, metrics = critic_step(state, images, **step_kwargs)
    total = jax.tree.map(jnp.add, total, metrics)
  return state, total


def generator_iteration(state: GANState, images: jax.Array, *, n_critic: int, batch_size: int, latent_dim: int,
                        clip_value: float, axis_name: str | None = None, unroll: int = 5) -> tuple[GANState, Metrics]:
  """`n_critic` critic steps then one generator step. Metrics: critic values averaged over the iteration.

  Critic steps are unrolled in blocks of `unroll`; when `n_critic > unroll` the blocks run in a `fori_loop`, so a
  100-step iteration compiles one block, not 100 steps. (On XLA:CPU convolutions inside a loop are much slower than
  unrolled ones: the training loop runs such iterations block by block from the host there; see `jgan.train`.)
  """
  step_kwargs = dict(batch_size=batch_size, latent_dim=latent_dim, clip_value=clip_value, axis_name=axis_name)
  blocks, rest = divmod(n_critic, unroll)
  state, total = _critic_steps_unrolled(state, images, rest, step_kwargs)
  if blocks:
    def body(_, carry):
      state, total = carry
      state, block_total = _critic_steps_unrolled(state, images, unroll, step_kwargs)
      return state, jax.tree.map(jnp.add, total, block_total)
    state, total = jax.lax.fori_loop(0, blocks, body, (state, total)) if blocks > 1 else body(0, (state, total))
  state, g_metrics = generator_step(state, batch_size=batch_size, latent_dim=latent_dim, axis_name=axis_name)
  return state, {**{k: v / n_critic for k, v in total.items()}, **g_metrics}


def critic_block(state: GANState, images: jax.Array, *, count: int, batch_size: int, latent_dim: int,
                 clip_value: float, axis_name: str | None = None) -> tuple[GANState, Metrics]:
  """`count` unrolled critic steps (summed metrics): the building block of host-driven long iterations."""
  step_kwargs = dict(batch_size=batch_size, latent_dim=latent_dim, clip_value=clip_value, axis_name=axis_name)
  return _critic_steps_unrolled(state, images, count, step_kwargs)


def train_iterations(state: GANState, images: jax.Array, *, num_iterations: int, schedule: dict, batch_size: int,
                     latent_dim: int, clip_value: float, axis_name: str | None = None) -> tuple[GANState, Metrics]:
  """`num_iterations` generator iterations in one call, following the critic schedule on the device.

  Returns per-iteration metrics stacked along a leading axis, plus `n_critic`. Everything runs in XLA loops: the
  right form for dense nets and for accelerators.
  """
  step_kwargs = dict(batch_size=batch_size, latent_dim=latent_dim, clip_value=clip_value, axis_name=axis_name)
  schedule_fn = functools.partial(critic_iterations, **schedule)

  def iteration(state, _):
    n_critic = schedule_fn(state.step)
    def body(_, carry):
      state, total = carry
      state, metrics = critic_step(state, images, **step_kwargs)
      return state, jax.tree.map(jnp.add, total, metrics)
    zero = {key: jnp.zeros(()) for key in CRITIC_METRICS}
    state, total = jax.lax.fori_loop(0, n_critic, body, (state, zero))
    state, g_metrics = generator_step(state, batch_size=batch_size, latent_dim=latent_dim, axis_name=axis_name)
    return state, {**{k: v / n_critic for k, v in total.items()}, **g_metrics, "n_critic": n_critic}

  return jax.lax.scan(iteration, state, None, length=num_iterations)
