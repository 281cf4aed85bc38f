"""The DCGAN generator and critic of the WGAN reference code (Arjovsky et al. 2017, `models/dcgan.py`).

Radford et al. 2015 (arXiv:1511.06434) layouts, as the WGAN authors wrote them (`DCGAN_G`, `DCGAN_D`, no extra
layers): the generator maps z through a 4x4 projection and 4x4 stride-2 transposed convolutions, each followed by
batch norm and ReLU, to a tanh image; the critic mirrors it with 4x4 stride-2 convolutions, batch norm (not on the
first layer) and LeakyReLU(0.2), and ends in a linear unit (no sigmoid). No layer has a bias. Convolution kernels
are drawn from N(0, 0.02) and batch-norm scales from N(1, 0.02), as the reference's `weights_init`.

Layers whose input is 1x1 (the generator's first, a 4x4 transposed convolution of z) or whose output is 1x1 (the
critic's last, a 4x4 valid convolution of a 4x4 map) are written as the dense layers they are equal to.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable

import flax.linen as nn
import jax
import jax.numpy as jnp

from jgan.models import layers
from jgan.models.layers_improved import MinibatchDiscrimination, VirtualBatchNorm, spectral
# Batch norm with PyTorch's settings (and its scale init) lives with the other normalizations.
from jgan.models.norms import BATCH_NORM_EPSILON, scale_init
from jgan.models.norms import batch_norm as _batch_norm


def conv_init(key: jax.Array, shape, dtype=jnp.float32) -> jax.Array:
  """Weights ~ N(0, 0.02), as the reference's `weights_init`: the very numbers of `nn.initializers.normal(0.02)`.

  Drawn by that initializer as one flat vector, then reshaped: JAX's threefry numbers the elements in row-major order,
  so the bits are the same (tests/test_models.py checks it), but XLA:CPU compiles a flat draw in about 0.2 s against
  0.5-1 s for a 4-D one, once per kernel shape in a fresh process. The initializer itself draws, not
  `jax.random.normal(...) * 0.02`: jax 0.12 scales its draw in another order (sqrt(2) * 0.02 before the inverse error
  function's values), which changes the last bit of about a quarter of the numbers.
  """
  return nn.initializers.normal(0.02)(key, (math.prod(shape),), dtype).reshape(shape)


def check_image_size(image_size: int) -> None:
  if image_size < 8 or image_size & (image_size - 1):
    raise ValueError(f"DCGAN nets need an image size that is a power of two >= 8, got {image_size}")


def _critic_norm(kind: str, train: bool, axis_name: str | None) -> Callable[[jax.Array], jax.Array]:
  """The critic's normalization: 'batch' (the reference), 'layer' (per example over (H, W, C) with a scale and
  offset per channel: the WGAN-GP critic, Gulrajani et al. 2017, whose gradient penalty needs examples that do not
  interact), or 'none'."""
  if kind == "layer":
    return nn.LayerNorm(epsilon=BATCH_NORM_EPSILON, reduction_axes=(1, 2, 3), feature_axes=-1, scale_init=scale_init)
  if kind == "none":
    return lambda x: x
  return _batch_norm(train, axis_name)


def _generator_widths(image_size: int, features: int) -> list[int]:
  """Channel widths of the generator's feature maps at 4x4, 8x8, ..., image_size/2 (reference `cngf` loop)."""
  widths, width, size = [], features // 2, 4
  while size != image_size:
    width, size = width * 2, size * 2
  size = 4
  while size < image_size:
    widths.append(width)
    width, size = width // 2, size * 2
  return widths


class Generator(nn.Module):
  """z (batch, latent) -> images (batch, image_size, image_size, channels) in [-1, 1]."""

  image_size: int = 64
  channels: int = 3
  features: int = 64  # the reference's ngf
  axis_name: str | None = None  # batch-norm statistics are averaged over this mapped axis
  # 'batch', or 'virtual': virtual batch norm (Salimans et al. 2016, Sec. 3.4) against a reference batch of codes,
  # the input the module is initialized with, kept in 'batch_stats' (so checkpointed) and run before each batch.
  norm: str = "batch"
  # Dtype of the dense layer and convolutions (None: float32). Batch norm computes in float32 (its parameters'
  # dtype), so with bfloat16 only the convolutions and matrix products run in it; the images come out float32.
  dtype: Any = None

  @nn.compact
  def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
    norm = functools.partial(_batch_norm, train, self.axis_name)
    reference_size = 0
    if self.norm == "virtual":
      reference = self.variable("batch_stats", "vbn_reference", lambda: z).value
      reference_size = reference.shape[0]
      z = jnp.concatenate([reference.astype(z.dtype), z])
      norm = lambda: VirtualBatchNorm(reference_size, epsilon=BATCH_NORM_EPSILON, scale_init=scale_init)
    widths = _generator_widths(self.image_size, self.features)
    x = nn.Dense(4 * 4 * widths[0], use_bias=False, kernel_init=conv_init, dtype=self.dtype, name="project")(z)
    x = nn.relu(norm()(x.reshape(z.shape[0], 4, 4, widths[0])))
    # 4x4 stride-2 transposed convolutions doubling the size (PyTorch's padding 1 is padding 4 - 1 - 1 = 2 of the
    # dilated input here); `layers.ConvTranspose` is `nn.ConvTranspose` with a fast kernel gradient on XLA:CPU.
    up = functools.partial(layers.ConvTranspose, kernel_size=(4, 4), strides=(2, 2), padding=((2, 2), (2, 2)),
                           use_bias=False, kernel_init=conv_init, dtype=self.dtype)
    for width in widths[1:]:
      x = nn.relu(norm()(up(width)(x)))
    return jnp.tanh(up(self.channels)(x))[reference_size:].astype(jnp.float32)


class Critic(nn.Module):
  """images (batch, size, size, channels) -> per-example critic values (batch,).

  With `extra_outputs` > 0 it returns `(values, extra)`: extra (batch, extra_outputs) is a linear head on the same
  final features (the class logits of AC-GAN, the code posterior of InfoGAN's Q, which shares the trunk).
  Each block's activations are sown into 'intermediates' under 'features' (feature matching reads them). Options
  of Salimans et al. 2016 and after: `norm` ('batch', 'layer', 'none'), spectral normalization of every layer
  (`spectral_norm` power iterations per call, 0: off) and a minibatch-discrimination layer before the output
  (`minibatch_kernels` B > 0, of dimension `minibatch_kernel_dim` C); see `jgan.models.layers_improved`.
  """

  features: int = 64  # the reference's ndf
  axis_name: str | None = None
  extra_outputs: int = 0
  norm: str = "batch"
  spectral_norm: int = 0
  minibatch_kernels: int = 0
  minibatch_kernel_dim: int = 5
  dtype: Any = None  # of the convolutions and output layers (None: float32); the outputs are float32

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    check_image_size(x.shape[1])
    conv = functools.partial(layers.Conv, kernel_size=(4, 4), strides=(2, 2), padding=((1, 1), (1, 1)), use_bias=False,
                             kernel_init=conv_init, dtype=self.dtype)
    sn = functools.partial(spectral, power_iterations=self.spectral_norm, train=train)
    x = nn.leaky_relu(sn(conv(self.features))(x), 0.2)
    self.sow("intermediates", "features", x)
    width = self.features
    while x.shape[1] > 4:
      width *= 2
      x = nn.leaky_relu(_critic_norm(self.norm, train, self.axis_name)(sn(conv(width))(x)), 0.2)
      self.sow("intermediates", "features", x)
    features = x.reshape(x.shape[0], -1)
    if self.minibatch_kernels:
      features = MinibatchDiscrimination(self.minibatch_kernels, self.minibatch_kernel_dim, name="minibatch")(features)
    out = sn(nn.Dense(1, use_bias=False, kernel_init=conv_init, dtype=self.dtype, name="output"))(features)
    out = out[:, 0].astype(jnp.float32)  # losses are computed in float32
    if not self.extra_outputs:
      return out
    extra = sn(nn.Dense(self.extra_outputs, kernel_init=conv_init, dtype=self.dtype, name="extra"))(features)
    return out, extra.astype(jnp.float32)
