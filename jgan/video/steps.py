"""Next-frame prediction (Mathieu, Couprie and LeCun 2016, arXiv:1511.05440): nets, phases, the training step and
recursive prediction, as pure functions.

One iteration (the paper's Algorithm 1 with one discriminator and one generator update): a batch of random
space-time crops of K + 1 frames, the generator's four predictions of frame K + 1 from frames 1..K, computed once
(`jax.vjp`); with an adversarial term, the discriminator's step on (X, Y) against the detached (X, G(X)) at every
scale (Eq. 3); then the generator's step on its weighted l_p + GDL + adversarial loss (Eq. 4-7) through the updated
discriminator. Without the adversarial term there is no discriminator.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jgan import parallel
from jgan.data.video import ClipSource
from jgan.state import MultiNetState, Phase
from jgan.updates import generator_output_update, phase_update, stream_key
from jgan.video import losses as video_losses
from jgan.video import nets
from jgan.video.config import VideoPredictionConfig

_DATA = 0


def build_nets(config: VideoPredictionConfig, channels: int) -> dict[str, tuple[object, object]]:
  """{name: (module, example input)}: the generator and, with an adversarial term, the discriminator."""
  arch = nets.architecture(config.architecture, config.width)
  size, k = arch.image_size, config.input_frames
  generator = nets.MultiScaleGenerator(arch, channels, config.output_activation)
  built = {"generator": (generator, np.zeros((1, size, size, k * channels), np.float32))}
  if config.losses().adversarial_weight:
    example = tuple(np.zeros((1, size >> (nets.SCALES - 1 - n), size >> (nets.SCALES - 1 - n), (k + 1) * channels),
                             np.float32) for n in range(nets.SCALES))
    built["discriminator"] = (nets.MultiScaleDiscriminator(arch), example)
  return built


def make_phases(config: VideoPredictionConfig) -> tuple[Phase, ...]:
  phases = [Phase("generator", ("generator",), config.adam())]
  if config.losses().adversarial_weight:
    phases.append(Phase("discriminator", ("discriminator",), config.adam()))
  return tuple(phases)


def split_clip(clip: jax.Array, input_frames: int) -> tuple[jax.Array, jax.Array]:
  """(B, K + 1, H, W, C) -> (inputs stacked on channels (B, H, W, K C), next frame (B, H, W, C))."""
  return nets.stack_frames(clip[:, :input_frames]), clip[:, input_frames]


def train_step(state: MultiNetState, source: ClipSource, *, config: VideoPredictionConfig,
               axis_name: str | None = None) -> tuple[MultiNetState, dict[str, jax.Array]]:
  """One iteration (see the module docstring)."""
  terms = config.losses()
  clip = source.batch(stream_key(state.rng, _DATA, state.step), config.batch_size, config.input_frames + 1,
                      config.image_size, axis_name)
  inputs, target = split_clip(clip, config.input_frames)
  real = nets.discriminator_inputs(inputs, video_losses.target_pyramid(target, nets.SCALES))
  generator = state.nets["generator"]

  def generate(params):
    predictions, updated = generator(inputs, params=params, train=True)
    return predictions, updated.batch_stats

  predictions, generator_vjp, g_stats = jax.vjp(generate, generator.params, has_aux=True)
  metrics = {}
  if terms.adversarial_weight:
    fake = nets.discriminator_inputs(inputs, jax.lax.stop_gradient(predictions))

    def d_loss_fn(params):
      d = state.nets["discriminator"]
      real_logits, _ = d(real, params=params["discriminator"], train=True)
      fake_logits, _ = d(fake, params=params["discriminator"], train=True)
      loss = video_losses.discriminator_loss(real_logits, fake_logits)
      return loss, {"metrics": {"d_loss": loss, "d_real": jnp.mean(jax.nn.sigmoid(real_logits)),
                                "d_fake": jnp.mean(jax.nn.sigmoid(fake_logits))}}

    state, out = phase_update(state, "discriminator", d_loss_fn, axis_name=axis_name, prefix="d")
    metrics.update(out["metrics"])

  def g_loss_fn(predictions):
    parts = video_losses.reconstruction_terms(predictions, target, p=terms.p, alpha=terms.alpha)
    loss = terms.lp_weight * parts["lp"] + terms.gdl_weight * parts["gdl"]
    if terms.adversarial_weight:
      logits, _ = state.nets["discriminator"](nets.discriminator_inputs(inputs, predictions), train=False)
      parts["g_adversarial"] = video_losses.generator_adversarial_loss(logits)
      loss = loss + terms.adversarial_weight * parts["g_adversarial"]
    parts["mse"] = jnp.mean(jnp.square(predictions[-1] - target))
    return loss, (parts, {})

  state, g_metrics = generator_output_update(state, "generator", "generator", g_loss_fn, predictions, generator_vjp,
                                             g_stats, axis_name=axis_name, prefix="g")
  metrics.update(g_metrics)
  return state.replace(step=state.step + 1), parallel.pmean(metrics, axis_name)


@jax.jit
def predict_next(state: MultiNetState, frames: jax.Array) -> jax.Array:
  """The finest prediction of the next frame from (B, K, H, W, C) frames in [-1, 1], clipped to [-1, 1]."""
  return jnp.clip(state.nets["generator"](nets.stack_frames(frames), train=False)[0][-1], -1.0, 1.0)


def predict_recursive(state: MultiNetState, frames: jax.Array, steps: int) -> jax.Array:
  """`steps` frames (B, steps, H, W, C) after the K given ones, each predicted from the K frames before it, the
  predicted ones included (the paper's recursive prediction of longer horizons)."""
  window, outputs = jnp.asarray(frames), []
  for _ in range(steps):
    nxt = predict_next(state, window)
    outputs.append(nxt)
    window = jnp.concatenate([window[:, 1:], nxt[:, None]], axis=1)
  return jnp.stack(outputs, axis=1)
