"""SRResNet and SRGAN (Ledig et al. 2017, arXiv:1609.04802): nets, phases and the training step, as pure functions.

The generator G maps a low-resolution image I_LR (in [0, 1]) to I_SR (targets I_HR in [-1, 1]). Its perceptual loss
(Eq. 3) is a content loss plus 1e-3 times the adversarial loss:
  l_MSE   = mean (I_HR - G(I_LR))^2                               (Eq. 4; SRResNet-MSE uses it alone)
  l_VGG   = mean (phi(I_HR) - phi(G(I_LR)))^2                      (Eq. 5; phi: a frozen feature net's map)
  l_Gen   = sum_n -log D(G(I_LR))                                  (Eq. 6; the non-saturating form)
and D maximises log D(I_HR) + log(1 - D(G(I_LR))) (Eq. 2).

One iteration, in the order of the PyTorch ruler (perf-reference/apps_torch.py): G(I_LR) once; D's step on I_HR and
the detached I_SR; then G's step through the updated D, whose forward pass in training mode also updates D's batch
statistics. G's forward pass is computed once and differentiated with `jax.vjp`, as the ruler backpropagates through
the same `sr` tensor. With `adversarial_weight` 0 there is no D and G's step is SRResNet's.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jgan import losses, parallel
from jgan.data.source import PairedSource
from jgan.models.srresnet import SRDiscriminator, SRResNet
from jgan.state import MultiNetState, Phase
from jgan.superres.config import SuperResolutionConfig
from jgan.superres.features import FeatureExtractor, content_loss
from jgan.updates import generator_output_update, phase_update, stream_key

_DATA = 0


def build_nets(config: SuperResolutionConfig, channels: int,
               axis_name: str | None = None) -> dict[str, tuple[object, np.ndarray]]:
  """{name: (module, example input)}: SRResNet and, when the adversarial loss is on, the SRGAN discriminator."""
  low = config.image_size // config.scale
  nets = {"generator": (SRResNet(scale=config.scale, blocks=config.generator_blocks,
                                 features=config.generator_features, out_channels=channels, axis_name=axis_name),
                        np.zeros((1, low, low, channels), np.float32))}
  if config.adversarial_weight:
    nets["discriminator"] = (SRDiscriminator(features=config.discriminator_features, axis_name=axis_name),
                             np.zeros((1, config.image_size, config.image_size, channels), np.float32))
  return nets


def make_phases(config: SuperResolutionConfig) -> tuple[Phase, ...]:
  """The generator's phase, and the discriminator's when the adversarial loss is on; both Adam at the same rate."""
  phases = [Phase("generator", ("generator",), config.adam())]
  if config.adversarial_weight:
    phases.append(Phase("discriminator", ("discriminator",), config.adam()))
  return tuple(phases)


def generator_input(low: jax.Array) -> jax.Array:
  """Low-resolution images from [-1, 1] (how sources deliver them) to [0, 1], the paper's input range (Sec. 3.2)."""
  return (low + 1.0) * 0.5


def _as_rgb(images: jax.Array) -> jax.Array:
  """Grey images repeated to 3 channels for an RGB feature net (VGG); others unchanged."""
  return jnp.repeat(images, 3, axis=-1) if images.shape[-1] == 1 else images


def content(extractor: FeatureExtractor | None, outputs: jax.Array, targets: jax.Array) -> jax.Array:
  """The content loss: pixel MSE (Eq. 4) without an extractor, else the feature MSE (Eq. 5)."""
  if extractor is None:
    return jnp.mean(jnp.square(outputs - targets))
  if extractor.name.startswith("vgg"):
    outputs, targets = _as_rgb(outputs), _as_rgb(targets)
  return content_loss(extractor, outputs, targets)


def train_step(state: MultiNetState, source: PairedSource, extractor: FeatureExtractor | None, *,
               config: SuperResolutionConfig,
               axis_name: str | None = None) -> tuple[MultiNetState, dict[str, jax.Array]]:
  """One SRResNet or SRGAN iteration (see the module docstring); `source` holds (low, high) pairs."""
  batch = source.batch(stream_key(state.rng, _DATA, 0), state.step, config.batch_size, axis_name)
  low, high = generator_input(batch["a"]), batch["b"]
  generator = state.nets["generator"]

  def generate(params):
    sr, updated = generator(low, params=params, train=True)
    return sr, updated.batch_stats

  sr, generator_vjp, g_stats = jax.vjp(generate, generator.params, has_aux=True)
  metrics = {}
  if config.adversarial_weight:

    def d_loss_fn(params):
      d = state.nets["discriminator"]
      real_logits, d = d(high, params=params["discriminator"], train=True)
      fake_logits, d = d(jax.lax.stop_gradient(sr), params=params["discriminator"], train=True)
      loss = jnp.mean(losses.minimax_discriminator_loss(real_logits, fake_logits))
      return loss, {"metrics": {"d_loss": loss, "d_real": jnp.mean(jax.nn.sigmoid(real_logits)),
                                "d_fake": jnp.mean(jax.nn.sigmoid(fake_logits))},
                    "batch_stats": {"discriminator": d.batch_stats}}

    state, out = phase_update(state, "discriminator", d_loss_fn, axis_name=axis_name, prefix="d")
    metrics.update(out["metrics"])

  def g_loss_fn(sr):
    terms = {"mse": jnp.mean(jnp.square(sr - high))}
    terms["content"] = terms["mse"] if extractor is None else content(extractor, sr, high)
    loss, d_stats = terms["content"], None
    if config.adversarial_weight:
      logits, d = state.nets["discriminator"](sr, train=True)
      d_stats = d.batch_stats
      terms["g_adversarial"] = jnp.mean(losses.non_saturating_generator_loss(logits))
      loss = loss + config.adversarial_weight * terms["g_adversarial"]
    return loss, (terms, {} if d_stats is None else {"discriminator": d_stats})

  state, g_metrics = generator_output_update(state, "generator", "generator", g_loss_fn, sr, generator_vjp, g_stats,
                                             axis_name=axis_name, prefix="g")
  metrics.update(g_metrics)
  return state.replace(step=state.step + 1), parallel.pmean(metrics, axis_name)


def upscale(state: MultiNetState, low: jax.Array) -> jax.Array:
  """G(low) at test time (batch norm with its running statistics) for low-resolution images in [0, 1]; the output
  is unclipped, in about [-1, 1]."""
  return state.nets["generator"](low, train=False)[0]
