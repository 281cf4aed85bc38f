"""pix2pix (Isola et al. 2017, arXiv:1611.07004): nets, phases and the training step, as pure functions.

Objective (their Eq. 4): G* = arg min_G max_D L_cGAN(G, D) + lambda L_L1(G), with
  L_cGAN = E log D(x, y) + E log(1 - D(x, G(x, z)))   (Eq. 1; the noise z is the U-Net's dropout)
  L_L1   = E ||y - G(x, z)||_1                          (Eq. 3)
The discriminator is a PatchGAN: it classifies every patch of (x, y) as real or fake, and the losses average over
patches. The unconditional variant of Table 1 (`conditional=False`) shows D only y or G(x) (Eq. 2).

One iteration, in the reference code's order: G(x) once; the discriminator's step on (x, y) and (x, G(x))
(its loss halved, "to slow down the rate at which D learns relative to G", Sec. 3.3); then the generator's step,
-log D(x, G(x)) (the non-saturating form the paper uses, Sec. 3.3) plus lambda L1, through the updated D. The
generator's forward pass is computed once and differentiated with `jax.vjp`, as the reference backpropagates
through the same `fake_B` tensor. Both nets run in training mode (batch statistics) in every pass.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jgan import losses, parallel
from jgan.data import augment
from jgan.data.source import PairedSource
from jgan.models.patchgan import PatchDiscriminator
from jgan.models.unet import UNetGenerator
from jgan.state import MultiNetState, Net, Phase
from jgan.translation.config import Pix2PixConfig
from jgan.updates import generator_output_update, phase_update, stream_key

_DATA, _JITTER, _DROPOUT = range(3)
DIRECTIONS = {"AtoB": "generator"}  # the translation a trained model does: {direction: generator net}


def build_nets(config: Pix2PixConfig, channels_a: int, channels_b: int,
               axis_name: str | None = None) -> dict[str, tuple[object, np.ndarray]]:
  """{name: (module, example input)}: the U-Net A -> B and, when the GAN loss is on, the PatchGAN."""
  size = config.image_size
  # The depth is fixed by the training size (down to 1x1 there), so the trained net takes any image whose sides
  # are multiples of 2^levels, as a fully convolutional net.
  generator = UNetGenerator(channels_b, config.generator_features, config.dropout, config.norm,
                            levels=unet_levels(config), axis_name=axis_name)
  nets = {"generator": (generator, np.zeros((1, size, size, channels_a), np.float32))}
  if config.gan_weight:
    seen = channels_a + channels_b if config.conditional else channels_b
    nets["discriminator"] = (PatchDiscriminator(config.discriminator_features, config.discriminator_layers,
                                                config.norm, axis_name=axis_name),
                             np.zeros((1, size, size, seen), np.float32))
  return nets


def unet_levels(config: Pix2PixConfig) -> int:
  """The U-Net's stride-2 levels: log2 of the training image side (256 -> 8, the reference's unet_256)."""
  return config.image_size.bit_length() - 1


def make_phases(config: Pix2PixConfig) -> tuple[Phase, ...]:
  """The generator's phase, and the discriminator's when the GAN loss is on; both Adam at the same rate."""
  phases = [Phase("generator", ("generator",), config.adam())]
  if config.gan_weight:
    phases.append(Phase("discriminator", ("discriminator",), config.adam()))
  return tuple(phases)


def discriminator_input(config: Pix2PixConfig, a: jax.Array, b: jax.Array) -> jax.Array:
  """What D judges: the pair (x, y) stacked on channels, or y alone when unconditional."""
  return jnp.concatenate([a, b], axis=-1) if config.conditional else b


def jittered_batch(state: MultiNetState, source: PairedSource, config: Pix2PixConfig,
                   axis_name: str | None) -> tuple[jax.Array, jax.Array]:
  """This device's rows of the iteration's pairs, both members jittered alike (one crop and flip per pair)."""
  batch = source.batch(stream_key(state.rng, _DATA, 0), state.step, config.batch_size, axis_name)
  pair = jnp.concatenate([batch["a"], batch["b"]], axis=-1)
  pair = augment.random_jitter(stream_key(state.rng, _JITTER, state.step), pair, batch_size=config.batch_size,
                               load_size=config.load_size, crop_size=config.image_size, flip=config.flip,
                               axis_name=axis_name)
  channels_a = batch["a"].shape[-1]
  return pair[..., :channels_a], pair[..., channels_a:]


def _dropout_key(state: MultiNetState, axis_name: str | None) -> jax.Array:
  """The generator's dropout key: one stream per device (each device's rows are different examples)."""
  rng = stream_key(state.rng, _DROPOUT, state.step)
  return jax.random.fold_in(rng, jax.lax.axis_index(axis_name)) if axis_name else rng


def train_step(state: MultiNetState, source: PairedSource, *, config: Pix2PixConfig,
               axis_name: str | None = None) -> tuple[MultiNetState, dict[str, jax.Array]]:
  """One pix2pix iteration: the discriminator's step, then the generator's (see the module docstring)."""
  a, b = jittered_batch(state, source, config, axis_name)
  generator = state.nets["generator"]
  dropout_rng = _dropout_key(state, axis_name)

  def generate(params):
    fake, updated = generator(a, params=params, train=True, rng=dropout_rng)
    return fake, updated.batch_stats

  fake, generator_vjp, g_stats = jax.vjp(generate, generator.params, has_aux=True)
  metrics = {}
  if config.gan_weight:
    real_pair, fake_pair = discriminator_input(config, a, b), discriminator_input(config, a, fake)

    def d_loss_fn(params):
      d = state.nets["discriminator"]
      fake_logits, d = d(jax.lax.stop_gradient(fake_pair), params=params["discriminator"], train=True)
      real_logits, d = d(real_pair, params=params["discriminator"], train=True)
      loss = 0.5 * jnp.mean(losses.minimax_discriminator_loss(real_logits, fake_logits))
      return loss, {"metrics": {"d_loss": loss, "d_real": jnp.mean(jax.nn.sigmoid(real_logits)),
                                "d_fake": jnp.mean(jax.nn.sigmoid(fake_logits))},
                    "batch_stats": {"discriminator": d.batch_stats}}

    state, out = phase_update(state, "discriminator", d_loss_fn, axis_name=axis_name, prefix="d")
    metrics.update(out["metrics"])

  def g_loss_fn(fake):
    l1 = jnp.mean(jnp.abs(fake - b))
    terms = {"l1": l1}
    loss = config.l1_weight * l1
    d_stats = None
    if config.gan_weight:
      logits, d = state.nets["discriminator"](discriminator_input(config, a, fake), train=True)
      d_stats = d.batch_stats
      terms["g_gan"] = jnp.mean(losses.non_saturating_generator_loss(logits))
      loss = loss + config.gan_weight * terms["g_gan"]
    return loss, (terms, {} if d_stats is None else {"discriminator": d_stats})

  state, g_metrics = generator_output_update(state, "generator", "generator", g_loss_fn, fake, generator_vjp, g_stats,
                                             axis_name=axis_name, prefix="g")
  metrics.update(g_metrics)
  return state.replace(step=state.step + 1), parallel.pmean(metrics, axis_name)


def translate(state: MultiNetState, images: jax.Array, rng: jax.Array, direction: str = "AtoB") -> jax.Array:
  """G(x) for a batch of inputs in [-1, 1], as the paper runs it at test time: dropout on and batch norm with the
  batch's own statistics (Sec. 3.3). The batch is one "test batch": callers pass batches of the training size."""
  if direction not in DIRECTIONS:
    raise ValueError(f"pix2pix translates {sorted(DIRECTIONS)}, not {direction!r}")
  return state.nets["generator"](images, train=True, rng=rng)[0]
