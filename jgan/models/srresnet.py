"""SRResNet and the SRGAN discriminator (Ledig et al. 2017, "Photo-Realistic Single Image Super-Resolution Using a
Generative Adversarial Network", arXiv:1609.04802, Figure 4), with sub-pixel upsampling (Shi et al. 2016,
arXiv:1609.05158).

Generator: a 9x9 convolution to 64 channels and PReLU; B residual blocks (3x3 convolution, batch norm, PReLU, 3x3
convolution, batch norm, plus the block's input); a 3x3 convolution and batch norm; the head's output added back
(the long skip); log2(scale) stages of a 3x3 convolution to 256 channels, a x2 pixel shuffle and PReLU; a 9x9
convolution to the image. No output activation. Discriminator: a 3x3 convolution of 64 and LeakyReLU(0.2), seven
3x3 convolutions with batch norm and LeakyReLU(0.2) at (channels, stride) (64, 2), (128, 1), (128, 2), (256, 1),
(256, 2), (512, 1), (512, 2), a dense layer of 1024, LeakyReLU(0.2) and a dense layer to one logit.

Layer for layer as the ruler's `SRResNet` and `sr_discriminator` (perf-reference/apps_torch.py): every convolution
has a bias (PyTorch's default, also where batch norm follows), every PReLU is its own layer with one shared slope
(`nn.PReLU()`), and the convolutions pad 1 (9x9: 4) on every side, stride 2 included. Parameters: 1,549,462 for the
4x generator with 16 blocks (1,401,749 at 2x, 1,697,175 at 8x), 23,565,505 for the discriminator at 96x96 (the
dense layer's input is 512 (H/16)(W/16)), as the ruler counts them (tests/test_superres_models.py).
One difference of layout: the discriminator flattens its NHWC map in (h, w, c) order, PyTorch's NCHW in (c, h, w):
weights carried across would need the first dense layer's rows permuted.

Initialization as the rest of the project (`jgan.models.dcgan.conv_init`): convolution and dense kernels from
N(0, 0.02), biases zero, batch-norm scales from N(1, 0.02), PReLU slopes 0.25 (PyTorch's init); not PyTorch's
default Kaiming-uniform, which the ruler keeps (it only times the nets).
"""

from __future__ import annotations

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jgan.models import layers
from jgan.models.dcgan import conv_init
from jgan.models.norms import make_norm

SCALES = (2, 4, 8)
# (channels, stride) of the discriminator's convolutions after the first (Figure 4, "k3n64s2" ... "k3n512s2").
DISCRIMINATOR_LAYERS = ((64, 2), (128, 1), (128, 2), (256, 1), (256, 2), (512, 1), (512, 2))


def pixel_shuffle(x: jax.Array, factor: int) -> jax.Array:
  """(N, H, W, C r^2) -> (N, H r, W r, C), r = factor: the periodic shuffling of Shi et al. 2016 (Eq. 4).

  The channel order is PyTorch's `nn.PixelShuffle`: input channel c r^2 + i r + j goes to output channel c at
  (h r + i, w r + j), so kernels carried across from PyTorch give the same images.
  """
  n, h, w, c = x.shape
  if c % (factor * factor):
    raise ValueError(f"pixel_shuffle by {factor} needs channels divisible by {factor * factor}, got {c}")
  out = c // (factor * factor)
  x = x.reshape(n, h, w, out, factor, factor)  # (..., c, i, j)
  x = x.transpose(0, 1, 4, 2, 5, 3)  # (n, h, i, w, j, c)
  return x.reshape(n, h * factor, w * factor, out)


def pixel_unshuffle(x: jax.Array, factor: int) -> jax.Array:
  """(N, H r, W r, C) -> (N, H, W, C r^2): the inverse of `pixel_shuffle` (PyTorch's `nn.PixelUnshuffle`)."""
  n, h, w, c = x.shape
  if h % factor or w % factor:
    raise ValueError(f"pixel_unshuffle by {factor} needs sides divisible by {factor}, got {(h, w)}")
  x = x.reshape(n, h // factor, factor, w // factor, factor, c)  # (n, h, i, w, j, c)
  x = x.transpose(0, 1, 3, 5, 2, 4)  # (n, h, w, c, i, j)
  return x.reshape(n, h // factor, w // factor, c * factor * factor)


class PReLU(nn.Module):
  """Parametric ReLU (He et al. 2015, arXiv:1502.01852, Eq. 1): x for x > 0, a x otherwise, a learned.

  `num_parameters` 1 (PyTorch's `nn.PReLU()` default, as the ruler: one slope shared by all channels) or the number
  of channels (one slope each); the slopes start at `negative_slope_init` (PyTorch's 0.25). Parameter
  'negative_slope', as Flax's own `nn.PReLU` names them.
  """

  num_parameters: int = 1
  negative_slope_init: float = 0.25

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    if self.num_parameters not in (1, x.shape[-1]):
      raise ValueError(f"PReLU of {self.num_parameters} slopes got {x.shape[-1]} channels (1 or {x.shape[-1]})")
    init = nn.initializers.constant(self.negative_slope_init)
    slope = self.param("negative_slope", init, (self.num_parameters,), jnp.float32)
    return jnp.where(x >= 0, x, slope.astype(x.dtype) * x)


def _conv(features: int, kernel: int, dtype: Any, name: str, stride: int = 1) -> layers.Conv:
  # PyTorch's padding (k - 1) / 2 on every side, also at stride 2, where 'SAME' would pad (0, 1) instead of (1, 1).
  pad = (kernel - 1) // 2
  return layers.Conv(features, (kernel, kernel), (stride, stride), padding=((pad, pad),) * 2, use_bias=True,
                     kernel_init=conv_init, dtype=dtype, name=name)


class SRBlock(nn.Module):
  """x (N, H, W, features) -> x + bn(conv3(prelu(bn(conv3(x))))) (Figure 4's residual block, the ruler's SRBlock)."""

  features: int = 64
  axis_name: str | None = None  # batch-norm statistics are averaged over this mapped axis
  dtype: Any = None  # of the convolutions (None: float32)

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    h = _conv(self.features, 3, self.dtype, "conv_0")(x)
    h = PReLU(name="prelu")(make_norm("batch", train, self.axis_name, name="norm_0")(h))
    h = _conv(self.features, 3, self.dtype, "conv_1")(h)
    return x + make_norm("batch", train, self.axis_name, name="norm_1")(h)


class SRResNet(nn.Module):
  """low-resolution images (N, H, W, C) -> (N, scale H, scale W, out_channels), float32; any H and W.

  Trained on images in [-1, 1] (the paper scales the high-resolution targets so), but nothing bounds the output.
  `__call__(x, *, train)`: batch norm uses the batch's statistics when `train`, its running averages otherwise.
  """

  scale: int = 4  # 2, 4 or 8: log2(scale) x2 sub-pixel stages
  blocks: int = 16  # B residual blocks (16 in the paper)
  features: int = 64
  out_channels: int = 3
  axis_name: str | None = None  # batch-norm statistics are averaged over this mapped axis
  dtype: Any = None  # of the convolutions (None: float32); the output is float32

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    if self.scale not in SCALES:
      raise ValueError(f"SRResNet scale must be one of {SCALES}, got {self.scale!r}")
    head = PReLU(name="head_prelu")(_conv(self.features, 9, self.dtype, "head")(x))
    h = head
    for i in range(self.blocks):
      h = SRBlock(self.features, self.axis_name, self.dtype, name=f"block_{i}")(h, train=train)
    h = make_norm("batch", train, self.axis_name, name="body_norm")(_conv(self.features, 3, self.dtype, "body_conv")(h))
    h = h + head  # the long skip
    for i in range(int(math.log2(self.scale))):
      h = pixel_shuffle(_conv(4 * self.features, 3, self.dtype, f"up_{i}")(h), 2)
      h = PReLU(name=f"up_prelu_{i}")(h)
    return _conv(self.out_channels, 9, self.dtype, "tail")(h).astype(jnp.float32)


class SRDiscriminator(nn.Module):
  """images (N, H, W, C) -> logits (N,), float32 (H, W: 96 in the paper; the dense layer's size follows them).

  `__call__(x, *, train)`: batch norm uses the batch's statistics when `train`.
  """

  features: int = 64  # width of the first two convolutions; the others are 2, 4 and 8 times it (the paper's 64)
  axis_name: str | None = None  # batch-norm statistics are averaged over this mapped axis
  dtype: Any = None  # of the convolutions and dense layers (None: float32); the output is float32

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    x = nn.leaky_relu(_conv(self.features, 3, self.dtype, "conv_0")(x), 0.2)
    for i, (width, stride) in enumerate(DISCRIMINATOR_LAYERS, start=1):
      x = _conv(self.features * width // 64, 3, self.dtype, f"conv_{i}", stride)(x)
      x = nn.leaky_relu(make_norm("batch", train, self.axis_name, name=f"norm_{i}")(x), 0.2)
    x = x.reshape(x.shape[0], -1)
    x = nn.leaky_relu(nn.Dense(16 * self.features, kernel_init=conv_init, dtype=self.dtype, name="dense_0")(x), 0.2)
    x = nn.Dense(1, kernel_init=conv_init, dtype=self.dtype, name="dense_1")(x)
    return x[:, 0].astype(jnp.float32)  # losses are computed in float32
