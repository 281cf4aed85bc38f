"""The multi-scale generator and discriminator of Mathieu, Couprie and LeCun 2016 (arXiv:1511.05440, Sec. 2-3 and
Table 1), as Flax modules.

Generator (Sec. 2.1): four scales of sides s/8, s/4, s/2, s. Scale k sees the input frames X_k (the K past frames
average-pooled to its side, stacked on channels) and, from the second scale on, the coarser prediction upsampled,
u_k(Y^_{k-1}); it predicts a correction: Y^_k = u_k(Y^_{k-1}) + G'_k(X_k, u_k(Y^_{k-1})) (the first scale
predicts Y^_1 = G'_1(X_1)), u_k nearest-neighbour upsampling as in the authors' released code
(coupriec/VideoPredictionICLR2016, get_model.lua, `getPyrModel`). `output="linear"` (the default) is the paper's
equation: the sum as it is (predictions are clipped to [-1, 1] only when turned into frames). `output="tanh"` puts
each sum through a tanh, as the release does; on frames with a uniform extreme background (moving digits: ~90% of
pixels at exactly -1) that tanh collapses every l_1 / GDL run: the targets -1 lie at the tanh's asymptote, the
sign-valued gradients of l_1 and of GDL (alpha 1) keep pushing towards it (a saturated, flat frame has zero
GDL), Adam's normalised steps ignore how small tanh' has become, and once saturated no term gets a gradient
(experiments/video/README.md, "The tanh collapse"). Each
G'_k is a stack of padded ('same') convolutions with ReLU between them, ending in a convolution to the frame's
channels; its layer sizes are the paper's Table 1. All four predictions are returned (coarse first): the losses
score every scale against the target pooled to that scale (the released code's `getPyrCriterion`).

Discriminator (Sec. 3): one net D_k per scale, on the input frames and the real or predicted next frame at that
scale stacked on channels (D_k(X_k, Y_k)); unpadded convolutions with ReLU, then fully connected layers with ReLU,
then one logit. Layer sizes: Table 1.

`paper32` is the paper's model for 32x32 patches (Table 1, the one its tables evaluate); `paper64` applies the
same scale nets to 64x64 inputs (scales 8..64), whose discriminators' first fully connected layer then sees larger
maps. `width` multiplies every hidden layer's width (1: the paper's).
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from jgan.models import multiscale

SCALES = 4
OUTPUTS = ("linear", "tanh")


class Architecture(NamedTuple):
  """Layer sizes per scale, coarsest first: generator widths and kernels (one more kernel than widths: the output
  convolution), discriminator convolution widths and kernels, fully connected widths."""

  g_features: tuple[tuple[int, ...], ...]
  g_kernels: tuple[tuple[int, ...], ...]
  d_features: tuple[tuple[int, ...], ...]
  d_kernels: tuple[tuple[int, ...], ...]
  d_dense: tuple[tuple[int, ...], ...]
  image_size: int

  def scaled(self, width: float) -> "Architecture":
    scale = lambda sizes: tuple(tuple(max(1, round(n * width)) for n in s) for s in sizes)
    return self._replace(g_features=scale(self.g_features), d_features=scale(self.d_features),
                         d_dense=scale(self.d_dense))


# Mathieu et al. 2016, Table 1 (4 input frames, 1 output frame, 32x32 patches).
PAPER32 = Architecture(
    g_features=((128, 256, 128), (128, 256, 128), (128, 256, 512, 256, 128), (128, 256, 512, 256, 128)),
    g_kernels=((3, 3, 3, 3), (5, 3, 3, 5), (5, 3, 3, 3, 3, 5), (7, 5, 5, 5, 5, 7)),
    d_features=((64,), (64, 128, 128), (128, 256, 256), (128, 256, 512, 128)),
    d_kernels=((3,), (3, 3, 3), (5, 5, 5), (7, 7, 5, 5)),
    d_dense=((512, 256), (1024, 512), (1024, 512), (1024, 512)),
    image_size=32)
ARCHITECTURES = {"paper32": PAPER32, "paper64": PAPER32._replace(image_size=64)}


def architecture(name: str, width: float = 1.0) -> Architecture:
  if name not in ARCHITECTURES:
    raise ValueError(f"architecture must be one of {tuple(ARCHITECTURES)}, got {name!r}")
  return ARCHITECTURES[name].scaled(width)


class ScaleGenerator(nn.Module):
  """G'_k: 'same' convolutions of `features` with ReLU between, then one to `out_channels` (linear)."""

  features: Sequence[int]
  kernels: Sequence[int]
  out_channels: int

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    for width, kernel in zip(self.features, self.kernels):
      x = nn.relu(nn.Conv(width, (kernel, kernel), padding="SAME")(x))
    return nn.Conv(self.out_channels, (self.kernels[-1],) * 2, padding="SAME")(x)


class MultiScaleGenerator(nn.Module):
  """Input frames stacked on channels (B, H, W, K C) -> the four predictions (B, H / 2^(3-k), W / 2^(3-k), C),
  coarse first (H, W multiples of 8: any size, the nets are convolutional)."""

  arch: Architecture
  out_channels: int
  output: str = "linear"  # "linear" (the paper's Y^_k = u_k(Y^_{k-1}) + G'_k) or "tanh" (the released code's)

  @nn.compact
  def __call__(self, frames: jax.Array, train: bool = False) -> tuple[jax.Array, ...]:
    del train  # no batch norm or dropout: the same function in training and at test time
    if self.output not in OUTPUTS:
      raise ValueError(f"output must be one of {OUTPUTS}, got {self.output!r}")
    squash = jnp.tanh if self.output == "tanh" else (lambda x: x)
    inputs = multiscale.pyramid(frames, SCALES)
    predictions = []
    for k, (x, features, kernels) in enumerate(zip(inputs, self.arch.g_features, self.arch.g_kernels)):
      if k == 0:
        prediction = squash(ScaleGenerator(features, kernels, self.out_channels, name=f"scale{k}")(x))
      else:
        coarse = multiscale.upsample(predictions[-1], method="nearest")
        correction = ScaleGenerator(features, kernels, self.out_channels, name=f"scale{k}")(
            jnp.concatenate([x, coarse], axis=-1))
        prediction = squash(coarse + correction)
      predictions.append(prediction)
    return tuple(predictions)


class ScaleDiscriminator(nn.Module):
  """D_k: unpadded convolutions with ReLU, flatten, fully connected layers with ReLU, one logit per example."""

  features: Sequence[int]
  kernels: Sequence[int]
  dense: Sequence[int]

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    for width, kernel in zip(self.features, self.kernels):
      x = nn.relu(nn.Conv(width, (kernel, kernel), padding="VALID")(x))
    x = x.reshape(x.shape[0], -1)
    for width in self.dense:
      x = nn.relu(nn.Dense(width)(x))
    return nn.Dense(1)(x)[:, 0]


class MultiScaleDiscriminator(nn.Module):
  """Per scale k (coarse first), the input frames and a next frame at that scale stacked on channels,
  (B, h_k, w_k, (K + 1) C) (`discriminator_inputs`) -> logits (B, 4), one per scale."""

  arch: Architecture

  @nn.compact
  def __call__(self, sequences: Sequence[jax.Array], train: bool = False) -> jax.Array:
    del train
    return jnp.stack([ScaleDiscriminator(f, k, d, name=f"scale{n}")(x) for n, (x, f, k, d) in enumerate(
        zip(sequences, self.arch.d_features, self.arch.d_kernels, self.arch.d_dense))], axis=-1)


def discriminator_inputs(frames: jax.Array, next_frames: Sequence[jax.Array]) -> tuple[jax.Array, ...]:
  """D_k's inputs (X_k, Y_k): the stacked input frames (B, H, W, K C) pooled to each scale of `next_frames` (one
  frame per scale, coarse first: the target's pyramid, or the generator's predictions), with that frame appended."""
  pooled = multiscale.pyramid(frames, len(next_frames))
  return tuple(jnp.concatenate([x, y], axis=-1) for x, y in zip(pooled, next_frames))


def stack_frames(clip: jax.Array) -> jax.Array:
  """(B, T, H, W, C) -> (B, H, W, T C): frames stacked on channels, oldest first."""
  b, t, h, w, c = clip.shape
  return jnp.moveaxis(clip, 1, 3).reshape(b, h, w, t * c)
