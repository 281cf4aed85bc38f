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

import flax.linen as nn
import jax
import jax.numpy as jnp

from jgan.models import layers

# PyTorch's BatchNorm2d defaults: running-average momentum 0.1 (Flax counts the kept fraction: 0.9), eps 1e-5.
BATCH_NORM_MOMENTUM = 0.9
BATCH_NORM_EPSILON = 1e-5

conv_init = nn.initializers.normal(stddev=0.02)


def scale_init(key: jax.Array, shape, dtype=jnp.float32) -> jax.Array:
  """Batch-norm scale ~ N(1, 0.02), as the reference's `weights_init`."""
  return 1.0 + 0.02 * jax.random.normal(key, shape, dtype)


def check_image_size(image_size: int) -> None:
  if image_size < 8 or image_size & (image_size - 1):
    raise ValueError(f"DCGAN nets need an image size that is a power of two >= 8, got {image_size}")


def _batch_norm(train: bool, axis_name: str | None) -> nn.BatchNorm:
  return nn.BatchNorm(use_running_average=not train, momentum=BATCH_NORM_MOMENTUM, epsilon=BATCH_NORM_EPSILON,
                      scale_init=scale_init, axis_name=axis_name if train else None)


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

  @nn.compact
  def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
    norm = functools.partial(_batch_norm, train, self.axis_name)
    widths = _generator_widths(self.image_size, self.features)
    x = nn.Dense(4 * 4 * widths[0], use_bias=False, kernel_init=conv_init, name="project")(z)
    x = nn.relu(norm()(x.reshape(z.shape[0], 4, 4, widths[0])))
    # 4x4 stride-2 transposed convolutions doubling the size (PyTorch's padding 1 is padding 4 - 1 - 1 = 2 of the
    # dilated input here); `layers.ConvTranspose` is `nn.ConvTranspose` with a fast kernel gradient on XLA:CPU.
    up = functools.partial(layers.ConvTranspose, kernel_size=(4, 4), strides=(2, 2), padding=((2, 2), (2, 2)),
                           use_bias=False, kernel_init=conv_init)
    for width in widths[1:]:
      x = nn.relu(norm()(up(width)(x)))
    return jnp.tanh(up(self.channels)(x))


class Critic(nn.Module):
  """images (batch, size, size, channels) -> per-example critic values (batch,).

  With `extra_outputs` > 0 it returns `(values, extra)`: extra (batch, extra_outputs) is a linear head on the same
  final features (the class logits of AC-GAN, the code posterior of InfoGAN's Q, which shares the trunk).
  """

  features: int = 64  # the reference's ndf
  axis_name: str | None = None
  extra_outputs: int = 0

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    check_image_size(x.shape[1])
    norm = functools.partial(_batch_norm, train, self.axis_name)
    conv = functools.partial(nn.Conv, kernel_size=(4, 4), strides=(2, 2), padding=((1, 1), (1, 1)), use_bias=False,
                             kernel_init=conv_init)
    x = nn.leaky_relu(conv(self.features)(x), 0.2)
    width = self.features
    while x.shape[1] > 4:
      width *= 2
      x = nn.leaky_relu(norm()(conv(width)(x)), 0.2)
    features = x.reshape(x.shape[0], -1)
    out = nn.Dense(1, use_bias=False, kernel_init=conv_init, name="output")(features)[:, 0]
    if not self.extra_outputs:
      return out
    return out, nn.Dense(self.extra_outputs, kernel_init=conv_init, name="extra")(features)
