"""The PatchGAN discriminator of pix2pix (Isola et al. 2017, arXiv:1611.07004, Sec. 3.2.2, Appendix 6.1.2) and
CycleGAN (Zhu et al. 2017, arXiv:1703.10593, Appendix 7.2).

A fully convolutional net that classifies each N x N patch of its input as real or fake: its output is a map of
logits, one per patch, each seeing exactly a `receptive_field(layers)`-sized window of the input. With `layers`
n >= 1 (the reference code's `NLayerDiscriminator`): a 4x4 stride-2 convolution of `features` channels and
LeakyReLU(0.2); n - 1 more 4x4 stride-2 convolutions doubling the width (capped at 8 `features`; the ruler caps
at 512 channels, the same at its 64 features), each followed by normalization and LeakyReLU; one 4x4 stride-1
convolution of the same kind; a 4x4 stride-1 convolution to 1 channel. All pad 1. n = 3 is the paper's 70x70
PatchGAN (C64-C128-C256-C512, the ruler's `patchgan` in perf-reference/apps_torch.py); n = 1 is its 16x16 and
n = 5 its 286x286 "ImageGAN" of Sec. 4.4 / Table 3. `layers=0` is the 1x1 "PixelGAN" (the reference code's
`PixelDiscriminator`): 1x1 convolutions to `features` channels, LeakyReLU, 2 `features`, normalization,
LeakyReLU, 1.

Biases as the ruler: the first and the output convolution have one, the convolutions followed by normalization
have none (batch norm's offset replaces it, and an affine-free instance norm subtracts it again: the reference code
gives them biases under instance norm, which never receive a gradient). With `norm='none'` they have one. The
PixelGAN's output convolution has none under batch norm, as in the reference code's `PixelDiscriminator`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from jgan.models import layers as conv_layers
from jgan.models.dcgan import conv_init
from jgan.models.norms import make_norm


class PatchLayer(NamedTuple):
  """One convolution of the stack; LeakyReLU(0.2) follows every one but the output layer."""

  kernel: int
  stride: int
  padding: int
  width: int  # output channels as a multiple of `features`; the output layer has 1 channel whatever this is
  norm: bool  # normalization after the convolution
  output: bool = False


def patch_layers(layers: int) -> list[PatchLayer]:
  """The convolution stack of a PatchGAN with `layers` stride-2 layers (0: the 1x1 PixelGAN), input first."""
  if layers < 0:
    raise ValueError(f"layers must be >= 0, got {layers}")
  if layers == 0:
    return [PatchLayer(1, 1, 0, 1, False), PatchLayer(1, 1, 0, 2, True), PatchLayer(1, 1, 0, 1, False, output=True)]
  stack = [PatchLayer(4, 2, 1, 1, False)]
  stack += [PatchLayer(4, 2, 1, min(2**n, 8), True) for n in range(1, layers)]
  stack += [PatchLayer(4, 1, 1, min(2**layers, 8), True), PatchLayer(4, 1, 1, 1, False, output=True)]
  return stack


def receptive_field(layers: int) -> int:
  """Side of the input window one output logit sees: 1, 16, 34, 70, 142, 286 for 0 .. 5 layers.

  From the output back: one output position sees r positions of a layer's output, hence (r - 1) * stride + kernel
  positions of its input.
  """
  r = 1
  for layer in reversed(patch_layers(layers)):
    r = (r - 1) * layer.stride + layer.kernel
  return r


class PatchDiscriminator(nn.Module):
  """images (N, H, W, C) -> patch logits (N, H', W', 1), float32 (30x30 for the 70x70 PatchGAN at 256x256).

  pix2pix feeds it the input and output images concatenated on channels (6 channels for RGB pairs), CycleGAN an
  image alone. `__call__(x, *, train)`: batch norm uses the batch's statistics when `train`.
  """

  features: int = 64  # the reference's ndf
  layers: int = 3  # stride-2 layers: 0 PixelGAN (1x1), 1 (16x16), 3 (70x70, the default), 5 (286x286, ImageGAN)
  norm: str = "batch"  # 'batch' (pix2pix), 'instance' (CycleGAN) or 'none'; see `jgan.models.norms`
  axis_name: str | None = None  # batch-norm statistics are averaged over this mapped axis
  dtype: Any = None  # of the convolutions (None: float32); the output is float32

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    for i, layer in enumerate(patch_layers(self.layers)):
      if layer.norm:
        use_bias = self.norm == "none"
      elif layer.output:
        use_bias = not (self.layers == 0 and self.norm == "batch")
      else:
        use_bias = True
      pad = ((layer.padding, layer.padding),) * 2
      x = conv_layers.Conv(1 if layer.output else self.features * layer.width, (layer.kernel,) * 2,
                           (layer.stride,) * 2, padding=pad, use_bias=use_bias, kernel_init=conv_init,
                           dtype=self.dtype, name=f"conv_{i}")(x)
      if layer.output:
        return x.astype(jnp.float32)  # losses are computed in float32
      if layer.norm:
        x = make_norm(self.norm, train, self.axis_name, name=f"norm_{i}")(x)
      x = nn.leaky_relu(x, 0.2)
