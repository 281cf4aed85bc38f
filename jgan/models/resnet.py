"""The ResNet generator of CycleGAN (Zhu et al. 2017, arXiv:1703.10593, Appendix 7.2), after Johnson et al. 2016
(arXiv:1603.08155), and its residual block (He et al. 2016, arXiv:1512.03385).

c7s1-64, d128, d256, R256 x blocks, u128, u64, c7s1-3: a 7x7 convolution on the image padded by reflection, two
3x3 stride-2 convolutions (zero padding 1) down to a quarter of the size, `blocks` residual blocks at 4 ngf
channels, two 3x3 stride-2 transposed convolutions back up, each of these followed by instance norm and ReLU, and a
7x7 convolution on the reflection-padded map to a tanh image. A residual block adds to its input: reflection pad
1, 3x3 convolution, norm, ReLU, reflection pad 1, 3x3 convolution, norm (no ReLU after the sum).

Layer for layer as the ruler's `resnet_generator` (perf-reference/apps_torch.py; the reference code's
`ResnetGenerator` with `resnet_9blocks` / `resnet_6blocks`). Its convolutions have biases although instance norm
follows them (PyTorch's default, and the reference code's rule: a bias unless batch norm follows); with
affine-free instance norm those biases are subtracted again and never receive a gradient, but they are the ruler's
parameters and counted as such (11.38 M at 9 blocks).
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jgan.models import layers
from jgan.models.dcgan import conv_init
from jgan.models.norms import make_norm

# The reference code's `padding_type` of the residual blocks, as `jnp.pad` modes: PyTorch's ReflectionPad2d
# mirrors without repeating the edge (NumPy's 'reflect'), ReplicationPad2d repeats it ('edge').
PADDINGS = {"reflect": "reflect", "replicate": "edge", "zero": "constant"}

# PyTorch's ConvTranspose2d(3, stride 2, padding 1, output_padding 1) as padding of the dilated input: 3 - 1 - 1 = 1
# on each side, plus the output padding on the far side only, (1, 2): exactly twice the input size, and aligned as
# PyTorch's (output o = 2 i - 1 + t for input i and tap t of PyTorch's kernel, which is ours flipped in space).
UP_PADDING = ((1, 2), (1, 2))


def pad(x: jax.Array, width: int, mode: str) -> jax.Array:
  """Pads the spatial axes of x (N, H, W, C) by `width` on each side: 'reflect', 'replicate' or 'zero'."""
  if mode not in PADDINGS:
    raise ValueError(f"padding {mode!r} is not one of {tuple(PADDINGS)}")
  return jnp.pad(x, ((0, 0), (width, width), (width, width), (0, 0)), mode=PADDINGS[mode])


def _conv(features: int, kernel: int, use_bias: bool, dtype: Any, name: str, stride: int = 1,
          padding: int = 0) -> layers.Conv:
  return layers.Conv(features, (kernel, kernel), (stride, stride), padding=((padding, padding),) * 2,
                     use_bias=use_bias, kernel_init=conv_init, dtype=dtype, name=name)


class ResnetBlock(nn.Module):
  """x (N, H, W, features) -> x + norm(conv3(pad(relu(norm(conv3(pad(x))))))), the same shape.

  `__call__(x, *, train)`: batch norm (if chosen) uses the batch's statistics when `train`.
  """

  features: int
  norm: str = "instance"  # 'instance' (the reference), 'batch' or 'none'; see `jgan.models.norms`
  padding: str = "reflect"  # of both convolutions: 'reflect' (the reference), 'replicate' or 'zero'
  axis_name: str | None = None  # batch-norm statistics are averaged over this mapped axis
  dtype: Any = None  # of the convolutions (None: float32)

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    if x.shape[-1] != self.features:
      raise ValueError(f"a residual block of {self.features} features got {x.shape[-1]} channels")
    use_bias = self.norm != "batch"  # the reference code's rule (see the module docstring)
    h = _conv(self.features, 3, use_bias, self.dtype, "conv_0")(pad(x, 1, self.padding))
    h = nn.relu(make_norm(self.norm, train, self.axis_name, name="norm_0")(h))
    h = _conv(self.features, 3, use_bias, self.dtype, "conv_1")(pad(h, 1, self.padding))
    return x + make_norm(self.norm, train, self.axis_name, name="norm_1")(h)


class ResnetGenerator(nn.Module):
  """images (N, H, W, C) -> images (N, H, W, out_channels) in [-1, 1]; H and W divisible by 4.

  `__call__(x, *, train)`: batch norm (if chosen) uses the batch's statistics when `train`; instance norm has no
  running statistics and behaves the same either way.
  """

  out_channels: int = 3
  features: int = 64  # the reference's ngf
  blocks: int = 9  # 9 at 256x256, 6 at 128x128 (the paper)
  norm: str = "instance"  # 'instance' (the reference), 'batch' or 'none'; see `jgan.models.norms`
  padding: str = "reflect"  # of the residual blocks (the 7x7 layers always reflect, as in the reference code)
  axis_name: str | None = None  # batch-norm statistics are averaged over this mapped axis
  dtype: Any = None  # of the convolutions (None: float32); the output is float32

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    if x.shape[1] % 4 or x.shape[2] % 4:
      raise ValueError(f"the ResNet generator needs sides divisible by 4, got {x.shape[1:3]}")
    use_bias = self.norm != "batch"
    norm_relu = lambda name, h: nn.relu(make_norm(self.norm, train, self.axis_name, name=name)(h))
    ngf = self.features
    h = norm_relu("norm_in", _conv(ngf, 7, use_bias, self.dtype, "conv_in")(pad(x, 3, "reflect")))  # c7s1-64
    for i, width in enumerate((2 * ngf, 4 * ngf)):  # d128, d256
      h = norm_relu(f"down_norm_{i}", _conv(width, 3, use_bias, self.dtype, f"down_{i}", stride=2, padding=1)(h))
    for i in range(self.blocks):  # R256 x blocks
      h = ResnetBlock(4 * ngf, self.norm, self.padding, self.axis_name, self.dtype, name=f"block_{i}")(h, train=train)
    for i, width in enumerate((2 * ngf, ngf)):  # u128, u64
      up = layers.ConvTranspose(width, (3, 3), (2, 2), padding=UP_PADDING, use_bias=use_bias,
                                kernel_init=conv_init, dtype=self.dtype, name=f"up_{i}")
      h = norm_relu(f"up_norm_{i}", up(h))
    h = _conv(self.out_channels, 7, True, self.dtype, "conv_out")(pad(h, 3, "reflect"))  # c7s1-3
    return jnp.tanh(h).astype(jnp.float32)
