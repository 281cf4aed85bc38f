"""CycleGAN (Zhu et al. 2017, arXiv:1703.10593): nets, phases and the training step, as pure functions.

Two generators G: A -> B and F: B -> A (nets 'g_ab', 'g_ba') and two discriminators D_B and D_A ('d_b', 'd_a').
Full objective (their Eq. 3, with the least-squares GAN loss of Sec. 4 and the identity loss of Sec. 5.2):
  L = L_GAN(G, D_B) + L_GAN(F, D_A) + lambda (||F(G(a)) - a||_1 + ||G(F(b)) - b||_1)
      + 0.5 lambda (||G(b) - b||_1 + ||F(a) - a||_1)
One iteration, in the reference code's order: the generators' step (both together, one Adam over both, the
discriminators fixed), then the discriminators' step (both together) on real images and on fakes from the image
pools (`jgan.models.image_pool`: half of the fakes come from the 50 most recent stored, Shrivastava et al. 2017),
reusing the fakes the generators' step made. Instance norm everywhere: no batch statistics to carry.

Under data parallelism the pools are global: every device gathers the whole batch of fakes, queries the pool with
the same draws and keeps its own rows of the answer, so the pools and the discriminators' inputs are the same
whatever the number of devices.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jgan import losses, parallel
from jgan.data import augment
from jgan.data.source import UnpairedSource
from jgan.models import image_pool
from jgan.models.patchgan import PatchDiscriminator
from jgan.models.resnet import ResnetGenerator
from jgan.state import MultiNetState, Phase
from jgan.translation.config import CycleGANConfig
from jgan.updates import phase_update, stream_key

_DATA, _JITTER_A, _JITTER_B, _POOL_A, _POOL_B = range(5)
DIRECTIONS = {"AtoB": "g_ab", "BtoA": "g_ba"}  # {direction: generator net}


def build_nets(config: CycleGANConfig, channels_a: int, channels_b: int,
               axis_name: str | None = None) -> dict[str, tuple[object, np.ndarray]]:
  """{name: (module, example input)}: G (A -> B), F (B -> A) and, when the GAN loss is on, D_B and D_A."""
  size = config.image_size
  example = lambda channels: np.zeros((1, size, size, channels), np.float32)
  generator = lambda out: ResnetGenerator(out, config.generator_features, config.generator_blocks, config.norm,
                                          axis_name=axis_name)
  nets = {"g_ab": (generator(channels_b), example(channels_a)), "g_ba": (generator(channels_a), example(channels_b))}
  if config.gan_weight:
    discriminator = PatchDiscriminator(config.discriminator_features, config.discriminator_layers, config.norm,
                                       axis_name=axis_name)
    nets["d_b"] = (discriminator, example(channels_b))
    nets["d_a"] = (discriminator, example(channels_a))
  return nets


def make_phases(config: CycleGANConfig) -> tuple[Phase, ...]:
  """The generators' phase and the discriminators' (one Adam each over both nets, as the reference)."""
  phases = [Phase("generators", ("g_ab", "g_ba"), config.adam())]
  if config.gan_weight:
    phases.append(Phase("discriminators", ("d_b", "d_a"), config.adam()))
  return tuple(phases)


def make_buffers(config: CycleGANConfig, channels_a: int, channels_b: int) -> dict[str, image_pool.ImagePool]:
  """The two image pools: past fakes of A (for D_A) and of B (for D_B)."""
  if not config.gan_weight:
    return {}
  shape = lambda channels: (config.image_size, config.image_size, channels)
  return {"pool_a": image_pool.ImagePool.create(config.pool_size, shape(channels_a)),
          "pool_b": image_pool.ImagePool.create(config.pool_size, shape(channels_b))}


def _jittered(state: MultiNetState, source: UnpairedSource, config: CycleGANConfig,
              axis_name: str | None) -> tuple[jax.Array, jax.Array]:
  batch = source.batch(stream_key(state.rng, _DATA, 0), state.step, config.batch_size, axis_name)
  jitter = lambda stream, x: augment.random_jitter(
      stream_key(state.rng, stream, state.step), x, batch_size=config.batch_size, load_size=config.load_size,
      crop_size=config.image_size, flip=config.flip, axis_name=axis_name)
  return jitter(_JITTER_A, batch["a"]), jitter(_JITTER_B, batch["b"])


def _query_pool(pool: image_pool.ImagePool, fakes: jax.Array, rng: jax.Array,
                axis_name: str | None) -> tuple[jax.Array, image_pool.ImagePool]:
  """The pool's answer for this device's rows, from one query with the global batch (see the module docstring)."""
  if axis_name:
    fakes = jax.lax.all_gather(fakes, axis_name, tiled=True)
  answer, pool = image_pool.query(pool, fakes, rng)
  return parallel.local_slice(answer, axis_name), pool


def train_step(state: MultiNetState, source: UnpairedSource, *, config: CycleGANConfig,
               axis_name: str | None = None) -> tuple[MultiNetState, dict[str, jax.Array]]:
  """One CycleGAN iteration: the generators' step, then the discriminators' (see the module docstring)."""
  a, b = _jittered(state, source, config, axis_name)
  forward = config.cycle in ("both", "forward")
  backward = config.cycle in ("both", "backward")
  identity = config.identity_weight * config.cycle_weight

  def g_loss_fn(params):
    g_ab = lambda x: state.nets["g_ab"](x, params=params["g_ab"], train=True)[0]
    g_ba = lambda x: state.nets["g_ba"](x, params=params["g_ba"], train=True)[0]
    fake_b, fake_a = g_ab(a), g_ba(b)
    terms, loss = {}, 0.0
    if config.gan_weight:
      terms["g_gan_ab"] = jnp.mean(losses.least_squares_generator_loss(state.nets["d_b"](fake_b, train=True)[0]))
      terms["g_gan_ba"] = jnp.mean(losses.least_squares_generator_loss(state.nets["d_a"](fake_a, train=True)[0]))
      loss = loss + config.gan_weight * (terms["g_gan_ab"] + terms["g_gan_ba"])
    if forward:
      terms["cycle_a"] = jnp.mean(jnp.abs(g_ba(fake_b) - a))
      loss = loss + config.cycle_weight * terms["cycle_a"]
    if backward:
      terms["cycle_b"] = jnp.mean(jnp.abs(g_ab(fake_a) - b))
      loss = loss + config.cycle_weight * terms["cycle_b"]
    if identity:
      terms["identity_a"] = jnp.mean(jnp.abs(g_ba(a) - a))
      terms["identity_b"] = jnp.mean(jnp.abs(g_ab(b) - b))
      loss = loss + identity * (terms["identity_a"] + terms["identity_b"])
    return loss, {"metrics": {"g_loss": loss, **terms}, "fakes": (fake_a, fake_b)}

  state, out = phase_update(state, "generators", g_loss_fn, axis_name=axis_name, prefix="g")
  metrics = out["metrics"]
  if config.gan_weight:
    fake_a, fake_b = jax.lax.stop_gradient(out["fakes"])
    pooled_a, pool_a = _query_pool(state.buffers["pool_a"], fake_a, stream_key(state.rng, _POOL_A, state.step),
                                   axis_name)
    pooled_b, pool_b = _query_pool(state.buffers["pool_b"], fake_b, stream_key(state.rng, _POOL_B, state.step),
                                   axis_name)

    def d_loss_fn(params):
      d_b = lambda x: state.nets["d_b"](x, params=params["d_b"], train=True)[0]
      d_a = lambda x: state.nets["d_a"](x, params=params["d_a"], train=True)[0]
      loss_b = jnp.mean(losses.least_squares_discriminator_loss(d_b(b), d_b(pooled_b)))
      loss_a = jnp.mean(losses.least_squares_discriminator_loss(d_a(a), d_a(pooled_a)))
      return loss_a + loss_b, {"metrics": {"d_loss": loss_a + loss_b, "d_a_loss": loss_a, "d_b_loss": loss_b}}

    state, d_out = phase_update(state, "discriminators", d_loss_fn, axis_name=axis_name, prefix="d")
    state = state.replace(buffers={"pool_a": pool_a, "pool_b": pool_b})
    metrics = {**metrics, **d_out["metrics"]}
  return state.replace(step=state.step + 1), parallel.pmean(metrics, axis_name)


def translate(state: MultiNetState, images: jax.Array, rng: jax.Array, direction: str = "AtoB") -> jax.Array:
  """G(a) ('AtoB') or F(b) ('BtoA') for a batch in [-1, 1] (instance norm: each image on its own)."""
  del rng  # CycleGAN's generators are deterministic
  if direction not in DIRECTIONS:
    raise ValueError(f"CycleGAN translates {sorted(DIRECTIONS)}, not {direction!r}")
  return state.nets[DIRECTIONS[direction]](images, train=True)[0]
