"""The U-Net generator of pix2pix (Isola et al. 2017, arXiv:1611.07004, Sec. 3.2.1 and Appendix 6.1.1).

An encoder-decoder with skip connections: `levels` 4x4 stride-2 convolutions halve the image down to a 1x1
bottleneck (widths ngf, 2ngf, 4ngf, 8ngf, 8ngf, ...), each preceded by LeakyReLU(0.2) except the first and
followed by batch norm except the first and the last; `levels` 4x4 stride-2 transposed convolutions, each preceded
by ReLU, double it back, and each decoder level but the outermost is concatenated (channels) with the encoder
activation of the same size, so fine detail can bypass the bottleneck. Batch norm follows every transposed
convolution but the outermost, dropout 0.5 the three innermost non-bottleneck ones of 8ngf width (pix2pix's only
noise: the paper applies it at test time too), and the output is tanh.

Layer for layer as the ruler's `unet(size)` (perf-reference/apps_torch.py; the reference code's `unet_256` at 256,
`UnetSkipConnectionBlock`). The reference code's LeakyReLU works in place (`nn.LeakyReLU(0.2, True)`), so it
concatenates LeakyReLU(x) where the ruler and this module concatenate x, the encoder activation; the two compute
the same function, since every concatenation goes through a ReLU next and ReLU(LeakyReLU(x)) = ReLU(x).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from jgan.models import layers
from jgan.models.dcgan import conv_init
from jgan.models.norms import make_norm


class UNetLevel(NamedTuple):
  """One level of the U-Net, depth 0 the outermost. It maps its input x (`outer` channels at depth > 0,
  the image at depth 0) to concatenate([x, y]) (to y at depth 0), y = up(inner(down(x))) with `outer` channels
  (the output channels at depth 0) and inner the deeper levels (the identity at the innermost)."""

  depth: int
  outer: int  # width of the level's input x and of its decoder output y (out_channels at depth 0)
  inner: int  # width of its down convolution's output
  down_act: bool  # LeakyReLU(0.2) before the down convolution (all but the outermost)
  down_norm: bool  # normalization after the down convolution (all but the outermost and the innermost)
  up_norm: bool  # normalization after the up convolution (all but the outermost)
  dropout: bool  # dropout after that normalization
  innermost: bool


def unet_levels(levels: int, out_channels: int, features: int = 64) -> list[UNetLevel]:
  """The levels of a U-Net with `levels` stride-2 levels, outermost first, as the ruler's `unet` builds them.

  Inner widths min(ngf 2^d, 8 ngf) at depth d; dropout at depths d >= levels - 4 (the three levels outside the
  innermost, at 256: depths 4, 5, 6) whose own width is 8 ngf, which excludes shallow levels of small nets.
  """
  if levels < 2:
    raise ValueError(f"a U-Net needs at least 2 levels (an outermost and an innermost), got {levels}")
  widths = [min(features * 2**i, features * 8) for i in range(levels)]
  plan = []
  for d in range(levels):
    outermost, innermost = d == 0, d == levels - 1
    outer = out_channels if outermost else widths[d - 1]
    dropout = not outermost and not innermost and d >= levels - 4 and outer == features * 8
    plan.append(UNetLevel(depth=d, outer=outer, inner=widths[d], down_act=not outermost,
                          down_norm=not outermost and not innermost, up_norm=not outermost, dropout=dropout,
                          innermost=innermost))
  return plan


def default_levels(height: int, width: int) -> int:
  """log2 of the smaller side: the ruler's `unet(size)`, down to a 1x1 bottleneck on a square power-of-two image."""
  return int(math.log2(min(height, width)))


def skip_shapes(input_shape: tuple[int, ...], features: int = 64, levels: int | None = None) -> list[tuple[int, ...]]:
  """Shapes of the encoder activations concatenated into the decoder, depth 1 (outermost skip) first.

  input_shape: (N, H, W, C). The skip at depth d is the encoder's output at H / 2^d, of width min(ngf 2^(d-1),
  8 ngf); `UNetGenerator` sows the tensors themselves into 'intermediates' under 'skips' (innermost first, the
  order in which the decoder concatenates them).
  """
  n, h, w, _ = input_shape
  levels = levels or default_levels(h, w)
  return [(n, h >> lv.depth, w >> lv.depth, lv.outer) for lv in unet_levels(levels, 1, features)[1:]]


class UNetGenerator(nn.Module):
  """images (N, H, W, C) -> images (N, H, W, out_channels) in [-1, 1]; H and W divisible by 2^levels.

  `__call__(x, *, train, dropout=True)`: batch norm uses the batch's statistics when `train` (its running
  averages otherwise); dropout is active whenever `dropout` (pix2pix keeps it on at test time as the generator's
  noise), and then the 'dropout' rng is needed; `init` runs without dropout, so it needs only a 'params' rng.
  """

  out_channels: int = 3
  features: int = 64  # the reference's ngf
  dropout_rate: float = 0.5
  norm: str = "batch"  # 'batch' (the reference), 'instance' or 'none'; see `jgan.models.norms`
  levels: int | None = None  # None: log2(min(H, W)) of the input, as the ruler's `unet(size)`
  axis_name: str | None = None  # batch-norm statistics are averaged over this mapped axis
  dtype: Any = None  # of the convolutions (None: float32); the output is float32

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool, dropout: bool = True) -> jax.Array:
    levels = self.levels or default_levels(*x.shape[1:3])
    if x.shape[1] % 2**levels or x.shape[2] % 2**levels:
      raise ValueError(f"a {levels}-level U-Net needs sides divisible by {2**levels}, got {x.shape[1:3]}")
    plan = unet_levels(levels, self.out_channels, self.features)
    # The reference code's bias rule: no bias where batch norm follows, so with batch norm no convolution has one
    # (even those before no norm: the outermost and innermost down convolutions) but the output layer; with
    # instance norm (affine-free, as in CycleGAN) every one has. With no norm every one has too: our choice, where
    # the reference code's test (is the norm InstanceNorm2d?) would leave them none with nothing to replace them.
    use_bias = self.norm != "batch"
    norm = lambda name: make_norm(self.norm, train, self.axis_name, name=name)
    # PyTorch's Conv2d(4, 2, padding 1); ConvTranspose2d(4, 2, padding 1) is padding 4 - 1 - 1 = 2 of the dilated
    # input here. `layers.Conv` / `layers.ConvTranspose` are Flax's with fast gradients on XLA:CPU.
    down = lambda lv: layers.Conv(lv.inner, (4, 4), (2, 2), padding=((1, 1), (1, 1)), use_bias=use_bias,
                                  kernel_init=conv_init, dtype=self.dtype, name=f"down_{lv.depth}")
    up = lambda lv: layers.ConvTranspose(lv.outer, (4, 4), (2, 2), padding=((2, 2), (2, 2)),
                                         use_bias=use_bias or lv.depth == 0, kernel_init=conv_init, dtype=self.dtype,
                                         name=f"up_{lv.depth}")
    skips, h = [], x
    for lv in plan:
      skips.append(h)  # the level's input x, concatenated with its decoder output on the way back
      if lv.down_act:
        h = nn.leaky_relu(h, 0.2)
      h = down(lv)(h)
      if lv.down_norm:
        h = norm(f"down_norm_{lv.depth}")(h)
    for lv in reversed(plan):  # h: the innermost down output, then each level's concatenation
      h = up(lv)(nn.relu(h))
      if lv.depth == 0:
        return jnp.tanh(h).astype(jnp.float32)
      h = norm(f"up_norm_{lv.depth}")(h)
      if lv.dropout:
        # Off during `init` (no 'dropout' rng needed there; the parameters do not depend on it).
        h = nn.Dropout(self.dropout_rate, deterministic=not dropout or self.is_initializing())(h)
      self.sow("intermediates", "skips", skips[lv.depth])
      h = jnp.concatenate([skips[lv.depth], h], axis=-1)  # encoder channels first, as torch.cat([x, y], 1)
