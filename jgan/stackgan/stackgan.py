"""StackGAN (Zhang et al. 2017, arXiv:1612.03242): nets by stage, the matching-aware losses and the training step.

Stage I (Eq. 3 and 4) alternates
  L_D0 = -log D0(I0, phi_t) - w log(1 - D0(I0, phi_t')) - (1 - w) log(1 - D0(G0(z, c0), phi_t))
  L_G0 = -log D0(G0(z, c0), phi_t) + lambda D_KL(N(mu0(phi_t), Sigma0(phi_t)) || N(0, I))
for real 16x16 images I0 with their caption's embedding phi_t, a mismatched caption's embedding phi_t' (a caption
of another image: the previous one in the global batch), and c0 from conditioning augmentation. The generator takes the
non-saturating form the paper's code uses (-log D, not log(1 - D)); the discriminator's real + (mismatched + fake)
/ 2 is the code's (`mismatch_weight` w = 0.5). Stage II (Eq. 5 and 6) is the same game at 32x32 with
G(s0, c) in place of G0(z, c0): s0 = G0(z, c0) from the fixed, trained Stage-I generator (in inference mode), and
c from Stage II's own conditioning augmentation of the same phi_t.

One iteration: the caption (one of each image's `captions_per_image`, drawn at random) is embedded by the fixed
text encoder; G's forward pass is made once and differentiated with `jax.vjp`; D's step on real/matched,
real/mismatched and detached fake/matched; then G's step through the updated D. All nets in training mode.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from jgan import losses, parallel
from jgan.data import batch_indices, to_unit_range
from jgan.stackgan import captions, nets
from jgan.stackgan.config import StackGANConfig
from jgan.stackgan.text_encoder import TextEncoder
from jgan.state import MultiNetState, Phase
from jgan.updates import generator_output_update, phase_update, stream_key

_DATA, _NOISE = range(2)
FIXED = ("text_encoder", "stage1_generator")  # nets in the state that no phase trains


class CaptionedSource(struct.PyTreeNode):
  """Training images (N, 32, 32, C) uint8 and their captions' word ids (N, K, L) int32, on the device: batch p is
  an endless stream of shuffled epochs (`jgan.data.batch_indices`), as `jgan.data.source.Source`."""

  images: jax.Array
  ids: jax.Array

  def batch(self, rng: jax.Array, position: jax.Array, batch_size: int,
            axis_name: str | None = None) -> dict[str, jax.Array]:
    """This device's rows of global batch `position`: {'x': float32 in [-1, 1], 'ids': (b, K, L) its captions,
    'mismatched_ids': (b, K, L) the captions of the previous image of the global batch (the last row takes the
    first's), so each row's mismatched text describes another image, whatever the device count."""
    index = batch_indices(rng, position, self.images.shape[0], batch_size)
    local = parallel.local_slice(index, axis_name)
    return {"x": to_unit_range(self.images[local]), "ids": self.ids[local],
            "mismatched_ids": self.ids[parallel.local_slice(jnp.roll(index, 1), axis_name)]}


def text_encoder_module(config: StackGANConfig) -> TextEncoder:
  return TextEncoder(len(captions.vocabulary()), config.word_dim, config.embedding_dim)


def stage_one_generator(config: StackGANConfig, channels: int, axis_name: str | None = None) -> nets.StageOneGenerator:
  return nets.StageOneGenerator(config.generator_features, config.condition_dim, channels,
                                config.conditioning_augmentation, axis_name)


def build_nets(config: StackGANConfig, channels: int, stage1_config: StackGANConfig | None = None,
               axis_name: str | None = None) -> dict[str, tuple[object, tuple]]:
  """{name: (module, example input)}: the text encoder, the stage's generator and discriminator and, in Stage II,
  the Stage-I generator built from its own run's `stage1_config`."""
  e = config.embedding_dim
  out = {"text_encoder": (text_encoder_module(config), np.zeros((1, config.max_words), np.int32))}
  condition_eps = np.zeros((1, config.condition_dim), np.float32)
  embedding = np.zeros((1, e), np.float32)
  if config.stage == 1:
    out["generator"] = (stage_one_generator(config, channels, axis_name),
                        (embedding, np.zeros((1, config.noise_dim), np.float32), condition_eps))
  else:
    if stage1_config is None:
      raise ValueError("a Stage-II state needs its Stage-I run's config")
    s1 = stage1_config
    out["stage1_generator"] = (stage_one_generator(s1, channels),
                               (embedding, np.zeros((1, s1.noise_dim), np.float32),
                                np.zeros((1, s1.condition_dim), np.float32)))
    out["generator"] = (nets.StageTwoGenerator(config.generator_features, config.condition_dim,
                                               config.residual_blocks, channels, config.conditioning_augmentation,
                                               axis_name),
                        (np.zeros((1, 16, 16, channels), np.float32), embedding, condition_eps))
  size = config.image_size
  out["discriminator"] = (nets.TextDiscriminator(config.discriminator_features, config.stage + 1,
                                                 config.projection_dim, axis_name),
                          (np.zeros((1, size, size, channels), np.float32), embedding))
  return out


def make_phases(config: StackGANConfig) -> tuple[Phase, ...]:
  """The generator's phase and the discriminator's, both Adam at the same (halving) rate (Sec. 4)."""
  return (Phase("generator", ("generator",), config.adam()), Phase("discriminator", ("discriminator",), config.adam()))


def matching_aware_discriminator_loss(real_logits: jax.Array, mismatched_logits: jax.Array, fake_logits: jax.Array,
                                      mismatch_weight: float = 0.5) -> jax.Array:
  """Per-example -log D(x, t) - w log(1 - D(x, t')) - (1 - w) log(1 - D(G, t)) from logits: real images with their
  text are real (target 1); real images with mismatched text and generated images with their text are fake (0)."""
  return (-jax.nn.log_sigmoid(real_logits) - mismatch_weight * jax.nn.log_sigmoid(-mismatched_logits)
          - (1.0 - mismatch_weight) * jax.nn.log_sigmoid(-fake_logits))


def downsample(images: jax.Array, factor: int = 2) -> jax.Array:
  """Block means: (N, H, W, C) -> (N, H / factor, W / factor, C), the Stage-I targets from the 32x32 digits."""
  n, h, w, c = images.shape
  return images.reshape(n, h // factor, factor, w // factor, factor, c).mean(axis=(2, 4))


def embed(state: MultiNetState, ids: jax.Array) -> jax.Array:
  """phi_t of captions' word ids (N, L) by the state's fixed text encoder."""
  return jax.lax.stop_gradient(state.nets["text_encoder"](ids, train=False)[0])


def condition_noise(key: jax.Array, config: StackGANConfig, n: int, stage1_config: StackGANConfig | None = None,
                    axis_name: str | None = None):
  """(z, eps, eps1): the noise, conditioning augmentation's eps, and in Stage II the Stage-I generator's eps; drawn
  for the global batch of `n` rows per device and sliced, so a run's numbers do not depend on the device count."""
  k_z, k_eps, k_eps1 = jax.random.split(key, 3)
  s1 = stage1_config or config
  total = n * (jax.lax.axis_size(axis_name) if axis_name else 1)
  draw = lambda k, dim: parallel.local_slice(jax.random.normal(k, (total, dim)), axis_name)
  return draw(k_z, s1.noise_dim), draw(k_eps, config.condition_dim), draw(k_eps1, s1.condition_dim)


def generator_inputs(state: MultiNetState, config: StackGANConfig, embedding: jax.Array, key: jax.Array,
                     stage1_config: StackGANConfig | None = None,
                     axis_name: str | None = None) -> tuple[tuple, jax.Array | None]:
  """(the stage generator's inputs, the Stage-I images it refines or None) for `embedding` and noise from `key`."""
  z, eps, eps1 = condition_noise(key, config, embedding.shape[0], stage1_config, axis_name)
  if config.stage == 1:
    return (embedding, z, eps), None
  low = jax.lax.stop_gradient(state.nets["stage1_generator"]((embedding, z, eps1), train=False)[0][0])
  return (low, embedding, eps), low


def train_step(state: MultiNetState, source: CaptionedSource, *, config: StackGANConfig,
               stage1_config: StackGANConfig | None = None,
               axis_name: str | None = None) -> tuple[MultiNetState, dict[str, jax.Array]]:
  """One StackGAN iteration of the configured stage (see the module docstring)."""
  batch = source.batch(stream_key(state.rng, _DATA, 0), state.step, config.batch_size, axis_name)
  k_pick, k_noise = jax.random.split(stream_key(state.rng, _NOISE, state.step))
  n, per_image = batch["ids"].shape[:2]
  # Which of its captions each row shows, for its own text and as another image's mismatched text (global draws).
  pick = parallel.local_slice(jax.random.randint(k_pick, (config.batch_size, 2), 0, per_image), axis_name)
  embedding = embed(state, batch["ids"][jnp.arange(n), pick[:, 0]])
  mismatched = embed(state, batch["mismatched_ids"][jnp.arange(n), pick[:, 1]])
  inputs, _ = generator_inputs(state, config, embedding, k_noise, stage1_config, axis_name)
  real = downsample(batch["x"]) if config.stage == 1 else batch["x"]
  generator = state.nets["generator"]

  def generate(params):
    out, updated = generator(inputs, params=params, train=True)
    return out, updated.batch_stats

  out, generator_vjp, g_stats = jax.vjp(generate, generator.params, has_aux=True)
  fake = out[0]

  def d_loss_fn(params):
    d = state.nets["discriminator"]
    p = params["discriminator"]
    real_logits, d = d((real, embedding), params=p, train=True)
    mismatched_logits, d = d((real, mismatched), params=p, train=True)
    fake_logits, d = d((jax.lax.stop_gradient(fake), embedding), params=p, train=True)
    loss = jnp.mean(matching_aware_discriminator_loss(real_logits, mismatched_logits, fake_logits,
                                                      config.mismatch_weight))
    return loss, {"metrics": {"d_loss": loss, "d_real": jnp.mean(jax.nn.sigmoid(real_logits)),
                              "d_mismatched": jnp.mean(jax.nn.sigmoid(mismatched_logits)),
                              "d_fake": jnp.mean(jax.nn.sigmoid(fake_logits))},
                  "batch_stats": {"discriminator": d.batch_stats}}

  state, d_out = phase_update(state, "discriminator", d_loss_fn, axis_name=axis_name, prefix="d")

  def g_loss_fn(out):
    fake, mu, log_var = out
    logits, d = state.nets["discriminator"]((fake, embedding), train=True)
    terms = {"g_gan": jnp.mean(losses.non_saturating_generator_loss(logits)),
             "kl": jnp.mean(nets.kl_divergence(mu, log_var))}
    loss = terms["g_gan"] + config.kl_weight * terms["kl"]
    return loss, (terms, {"discriminator": d.batch_stats})

  state, g_metrics = generator_output_update(state, "generator", "generator", g_loss_fn, out, generator_vjp, g_stats,
                                             axis_name=axis_name, prefix="g")
  return state.replace(step=state.step + 1), parallel.pmean({**d_out["metrics"], **g_metrics}, axis_name)


def sample(state: MultiNetState, ids: jax.Array, key: jax.Array, *, config: StackGANConfig,
           stage1_config: StackGANConfig | None = None) -> tuple[jax.Array, jax.Array | None]:
  """(images at the stage's size, the Stage-I images they refine or None) for captions' word ids (N, L): nets in
  inference mode (running batch statistics), z and the conditions drawn from `key` (as at test time in the paper)."""
  embedding = embed(state, ids)
  inputs, low = generator_inputs(state, config, embedding, key, stage1_config)
  return state.nets["generator"](inputs, train=False)[0][0], low
