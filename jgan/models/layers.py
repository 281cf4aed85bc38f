"""Convolution layers with the parameters and outputs of Flax's, and fast gradients on XLA:CPU.

`ConvTranspose` (drop-in for `nn.ConvTranspose`): JAX's kernel gradient of a strided `lax.conv_transpose` reaches
XLA:CPU as a window-dilated convolution with a reversed window and a non-standard layout, which runs far off the
fast path: for the DCGAN generator's 4x4 stride-2 layers it costs 10-40x the forward pass. A transposed convolution
is the input gradient (the adjoint) of a regular strided convolution, so its two gradients are that regular
convolution and the regular convolution's kernel gradient, both fast:

    y = conv_transpose(x, W) = C_K^T x       where C_K u = conv(u, K, stride s), K = W flipped, in/out swapped
    dL/dx = C_K (dL/dy) = conv(dL/dy, K)      (the regular convolution itself)
    dL/dK = d<conv(dL/dy, K), x>/dK           (the regular convolution's kernel gradient, with x as cotangent)

`Conv` (drop-in for `nn.Conv`): the forward and kernel gradient are JAX's; the input gradient of a strided
convolution is an input-dilated ("lhs-dilated") convolution, like a transposed convolution's forward.

XLA:CPU runs input-dilated convolutions on a slow path that multiplies the inserted zeros. `lhs_dilated_conv`
computes them, on CPU and where measured faster, as a sub-pixel convolution: one stride-1 convolution per output
phase, the same multiply-adds without the zeros; elsewhere (other platforms, small layers) as XLA's own. Outputs
then equal Flax's to float rounding rather than bitwise. Both layers are `custom_vjp`s: reverse mode, reverse over
reverse included (WGAN-GP), but not forward mode (`jax.jvp`, `jax.jacfwd`).
"""

from __future__ import annotations

import functools
from typing import Any, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

Padding = str | int | Sequence[int | tuple[int, int]]


def _dimension_numbers(ndim: int, swapped: bool = False) -> lax.ConvDimensionNumbers:
  """Channels-last layouts for `ndim` spatial dims: inputs (N, *spatial, C), kernels (*spatial, in, out).

  `swapped` reads the kernel's last two axes the other way round, (*spatial, out, in): a kernel used in the adjoint
  direction keeps its stored layout instead of being copied transposed, which XLA:CPU does slowly.
  """
  spatial = tuple(range(1, ndim + 1))
  io = (ndim, ndim + 1) if swapped else (ndim + 1, ndim)
  return lax.ConvDimensionNumbers(lhs_spec=(0, ndim + 1) + spatial, rhs_spec=io + tuple(range(ndim)),
                                  out_spec=(0, ndim + 1) + spatial)


def _regular_padding(kernel_size: Sequence[int], padding: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
  """Padding of the regular convolution whose input gradient is the transposed one with `padding`.

  JAX's input gradient of a convolution padded (lo, hi) is a transposed convolution padded (k-1-lo, k-1-hi) whenever
  the sizes divide evenly, which they do here by construction; negative values (cropping) are valid XLA padding.
  """
  return tuple((k - 1 - lo, k - 1 - hi) for k, (lo, hi) in zip(kernel_size, padding))


def _sub_pixel_plan(spatial: Sequence[int], kernel_size: Sequence[int], strides: Sequence[int],
                    padding: Sequence[tuple[int, int]]) -> list[list[tuple[int, tuple[int, int]]]] | None:
  """Per spatial dim and phase a, (t0, padding) of the sub-pixel form of an lhs-dilated convolution, or None.

  With input dilation s and padding (lo, hi), output position o = s m + a (phase a) only meets the kernel taps
  t = t0 + s u, t0 = (lo - a) mod s, at input x[m + u + c], c = (a + t0 - lo) / s: phase a is a stride-1
  convolution of x with the taps K[t0::s], padded (-c, ...) so that it gives the phase's m = 0 .. out/s - 1.
  None when a dim does not split into equal phases of equal tap counts (k or the output length not a multiple
  of s, or s = 1).
  """
  plan = []
  for length, k, s, (lo, hi) in zip(spatial, kernel_size, strides, padding):
    out = (length - 1) * s + 1 + lo + hi - k + 1
    if s < 2 or k % s or out <= 0 or out % s:
      return None
    phases = []
    for a in range(s):
      t0 = (lo - a) % s
      c = (a + t0 - lo) // s
      # Output length of a stride-1 convolution: length + pads - k/s + 1 = out/s.
      phases.append((t0, (-c, out // s - length + c + k // s - 1)))
    plan.append(phases)
  return plan


def _sub_pixel_conv(x: jax.Array, kernel: jax.Array, plan, precision: Any, flipped: bool) -> jax.Array:
  """The lhs-dilated convolution `plan` describes, as s*s stride-1 convolutions and an interleave (2-D only).

  A sub-pixel convolution (Shi et al. 2016, arXiv:1609.05158): each output phase convolves x with its own taps,
  the same multiply-adds as the dilated form without the inserted zeros, on XLA:CPU's fast convolution path.
  `flipped`: use the kernel reversed in space with in/out swapped (see `lhs_dilated_conv`).
  """
  rows_plan, cols_plan = plan
  sh, sw = len(rows_plan), len(cols_plan)
  kh, kw = kernel.shape[:2]
  # Phase taps t0, t0 + s, ... of the kernel, or of its spatial reverse: original taps k-1-t0, k-1-t0-s, ...
  taps = lambda ta, tb: kernel[kh - 1 - ta::-sh, kw - 1 - tb::-sw] if flipped else kernel[ta::sh, tb::sw]
  dn = _dimension_numbers(2, swapped=flipped)
  rows = []
  for a, (ta, pad_a) in enumerate(rows_plan):
    row = [lax.conv_general_dilated(x, taps(ta, tb), (1, 1), (pad_a, pad_b), dimension_numbers=dn,
                                    precision=precision)
           for tb, pad_b in cols_plan]
    rows.append(jnp.stack(row, axis=3))  # (n, m, m', b, c)
  y = jnp.stack(rows, axis=2)  # (n, m, a, m', b, c): y[n, s m + a, s m' + b, c]
  n, mh, _, mw, _, c = y.shape
  return y.reshape(n, mh * sh, mw * sw, c)


# Measured on XLA:CPU (batch 64, 4x4 kernels, stride 2, convolutions on Eigen; experiments/README.md), sub-pixel
# against XLA's dilated form: 21 vs 23 ms (4x4x512 -> 8x8x256), 21 vs 42 ms (8x8x256 -> 16x16x128), 27 vs 68 ms
# (16x16x128 -> 32x32x64), but 25 vs 5 ms for a 3-channel output (32x32x64 -> 64x64x3): few output channels make
# the phase convolutions' matrix products too thin. Below 4x4 too it wins where XLA's dilated form is slowest: 22 vs
# 260 ms for the U-Net's 2x2x1024 -> 4x4x256 (batch 16); a 1x1 input goes through `patch_conv` instead.
SUB_PIXEL_MIN_SIZE = 2
SUB_PIXEL_MIN_FEATURES = 16


def lhs_dilated_conv(x: jax.Array, kernel: jax.Array, strides: Sequence[int], padding: Sequence[tuple[int, int]],
                     precision: Any = None, method: str = "auto", flipped: bool = False) -> jax.Array:
  """`lax.conv_transpose(x, kernel, strides, padding)` (channels last, kernel (*window, in, out), not flipped).

  This convolution over an input dilated by `strides` is both a transposed convolution's forward and, with
  `flipped`, a strided convolution's input gradient: `flipped` convolves with the kernel reversed in space and
  read (*window, out, in), the regular convolution's kernel used backwards, without copying it.
  method: 'xla' (XLA's own dilated convolution), 'sub_pixel' (`_sub_pixel_conv`, where the shapes allow) or
  'auto': sub-pixel on CPU for 2-D inputs of at least `SUB_PIXEL_MIN_SIZE` with at least `SUB_PIXEL_MIN_FEATURES`
  output channels, XLA's own convolution elsewhere (other platforms run it natively).
  """
  if method not in ("auto", "sub_pixel", "xla"):
    raise ValueError(f"method {method!r} is not one of 'auto', 'sub_pixel', 'xla'")
  ndim = x.ndim - 2
  dn = _dimension_numbers(ndim, swapped=flipped)

  def xla(x, kernel):
    kernel = lax.rev(kernel, tuple(range(ndim))) if flipped else kernel
    return lax.conv_general_dilated(x, kernel, (1,) * ndim, padding, lhs_dilation=strides, dimension_numbers=dn,
                                    precision=precision)

  plan = _sub_pixel_plan(x.shape[1:-1], kernel.shape[:-2], strides, padding) if ndim == 2 else None
  if method == "xla" or plan is None:
    return xla(x, kernel)
  sub_pixel = lambda x, kernel: _sub_pixel_conv(x, kernel, plan, precision, flipped)
  if method == "sub_pixel":
    return sub_pixel(x, kernel)
  features = kernel.shape[-2] if flipped else kernel.shape[-1]
  if min(x.shape[1:-1]) < SUB_PIXEL_MIN_SIZE or features < SUB_PIXEL_MIN_FEATURES:
    return xla(x, kernel)
  return lax.platform_dependent(x, kernel, cpu=sub_pixel, default=xla)


# A convolution whose output has at most this many positions runs as one matrix product over explicit patches
# (`patch_conv`): XLA:CPU's convolution kernels take a slow path there. Measured on 2 cores, batch 16, 256 -> 512
# channels, 4x4 kernel: the input gradient of a stride-1 convolution from a 4x4 to a 3x3 map took 350-670 ms as a
# convolution and 29 ms as a product (the U-Net's and PatchGAN's innermost layers). 9 keeps the DCGAN nets' 4x4
# maps, which run well as convolutions, on their path.
PATCH_MAX_POSITIONS = 9


def patch_conv(x: jax.Array, kernel: jax.Array, strides: Sequence[int], padding: Sequence[tuple[int, int]],
               lhs_dilation: Sequence[int] | None = None, precision: Any = None) -> jax.Array:
  """`lax.conv_general_dilated(x, kernel, strides, padding, lhs_dilation)` (2-D, channels last, kernel
  (kh, kw, in, out)) as one matrix product over the kh*kw shifted windows of the padded (and dilated) input.

  Its gradients are JAX's of a pad, strided slices and a dot: matrix products and pads, fast on every backend.
  """
  kh, kw = kernel.shape[:2]
  dilation = tuple(lhs_dilation or (1, 1))
  config = [(0, 0, 0)] + [(lo, hi, d - 1) for (lo, hi), d in zip(padding, dilation)] + [(0, 0, 0)]
  x = lax.pad(x, jnp.zeros((), x.dtype), config)
  out_h = (x.shape[1] - kh) // strides[0] + 1
  out_w = (x.shape[2] - kw) // strides[1] + 1
  windows = [lax.slice(x, (0, i, j, 0), (x.shape[0], i + (out_h - 1) * strides[0] + 1,
                                         j + (out_w - 1) * strides[1] + 1, x.shape[3]), (1, *strides, 1))
             for i in range(kh) for j in range(kw)]
  patches = jnp.stack(windows, axis=3)  # (N, out_h, out_w, kh * kw, in)
  return jnp.einsum("nhwpc,pcd->nhwd", patches, kernel.reshape(kh * kw, *kernel.shape[2:]), precision=precision)


def _positions(spatial: Sequence[int], kernel_size: Sequence[int], strides: Sequence[int],
               padding: Sequence[tuple[int, int]], dilation: Sequence[int] = (1, 1)) -> int:
  """How many output positions a 2-D convolution of `spatial` has."""
  total = 1
  for n, k, s, (lo, hi), d in zip(spatial, kernel_size, strides, padding, dilation):
    total *= max(((n - 1) * d + 1 + lo + hi - k) // s + 1, 0)
  return total


# Kernel gradients by per-tap products (`_kernel_gradient_by_taps`) against XLA:CPU's own, measured on 2 cores (ms,
# the gradient alone): 3x3 stride 1, batch 16, 96x96x64 -> 64: 329 vs 1,592; 48x48x128 -> 128: 197 vs 324; 4x4
# stride 2, batch 64, 64x64x3 -> 64: 19 vs 120; 32x32x64 -> 128: 90 vs 160; 4x4 stride 1, batch 1, 32x32x256 -> 512:
# 38 vs 72. With few output channels the products are too thin: 9x9, 96x96x64 -> 3 (SRResNet's last layer):
# 2,306 vs 285; 3x3 -> 16: 206 vs 46. So the products serve gradients with at least this many output channels.
TAPS_MIN_FEATURES = 32


def _kernel_gradient_by_taps(x: jax.Array, g: jax.Array, window: Sequence[int], strides: Sequence[int],
                             padding: Sequence[tuple[int, int]], precision: Any) -> jax.Array:
  """dL/dW of y = conv(x, W, strides, padding) (2-D, channels last, W (kh, kw, in, out)) given g = dL/dy, one matrix
  product per kernel tap: dW[i, j] = X_ij^T G, where X_ij (positions, in) is the padded input's window at (i, j)
  under the strides and G (positions, out) is g, the positions being every (batch, row, column) of the output.

  XLA:CPU computes this gradient as a convolution whose window is the whole output map, off its fast path: up to 6x
  slower than these products where the output has `TAPS_MIN_FEATURES` channels or more (`jgan.bench_layers`).
  """
  kh, kw = window
  x = lax.pad(x, jnp.zeros((), x.dtype), [(0, 0, 0), *((lo, hi, 0) for lo, hi in padding), (0, 0, 0)])
  n, out_h, out_w, features = g.shape
  g = g.reshape(-1, features)
  taps = [lax.slice(x, (0, i, j, 0), (n, i + (out_h - 1) * strides[0] + 1, j + (out_w - 1) * strides[1] + 1,
                                      x.shape[3]), (1, *strides, 1)).reshape(-1, x.shape[3])
          for i in range(kh) for j in range(kw)]
  return jnp.stack([jnp.matmul(tap.T, g, precision=precision) for tap in taps]).reshape(kh, kw, x.shape[3], features)


def conv_kernel_gradient(x: jax.Array, g: jax.Array, kernel_shape: Sequence[int], strides: Sequence[int],
                         padding: Sequence[tuple[int, int]], precision: Any = None) -> jax.Array:
  """The kernel gradient of `lax.conv_general_dilated(x, W, strides, padding)` (channels last, W of `kernel_shape`
  (*window, in, out)) at cotangent g: per-tap matrix products on CPU for 2-D with at least `TAPS_MIN_FEATURES`
  output channels (`_kernel_gradient_by_taps`), JAX's own transpose elsewhere."""
  ndim = x.ndim - 2
  dn = _dimension_numbers(ndim)

  def xla(x, g):
    forward = lambda k: lax.conv_general_dilated(x, k, strides, padding, dimension_numbers=dn, precision=precision)
    (dk,) = jax.linear_transpose(forward, jax.ShapeDtypeStruct(tuple(kernel_shape), g.dtype))(g)
    return dk

  if ndim != 2 or g.shape[-1] < TAPS_MIN_FEATURES:
    return xla(x, g)
  taps = lambda x, g: _kernel_gradient_by_taps(x, g, kernel_shape[:2], strides, padding, precision)
  return lax.platform_dependent(x, g, cpu=taps, default=xla)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4))
def conv_transpose(x: jax.Array, kernel: jax.Array, strides: tuple[int, ...], padding: tuple[tuple[int, int], ...],
                   precision: Any = None) -> jax.Array:
  """`lax.conv_transpose(x, kernel, strides, padding)` (channels last, explicit padding) with a fast backward.

  x: (batch, *spatial, in); kernel: (*kernel_size, in, out), not flipped (`transpose_kernel=False`, Flax's default).
  """
  return lhs_dilated_conv(x, kernel, strides, padding, precision)


def _conv_transpose_fwd(x, kernel, strides, padding, precision):
  return conv_transpose(x, kernel, strides, padding, precision), (x, kernel)


def _conv_transpose_bwd(strides, padding, precision, residuals, g):
  x, kernel = residuals
  ndim = x.ndim - 2
  regular_padding = _regular_padding(kernel.shape[:-2], padding)

  def regular(k: jax.Array) -> jax.Array:
    # The regular convolution with kernel K = k reversed in space, in/out swapped (read so, not copied).
    return lax.conv_general_dilated(g, lax.rev(k, tuple(range(ndim))), strides, regular_padding,
                                    dimension_numbers=_dimension_numbers(ndim, swapped=True), precision=precision)

  # dL/dx is the regular convolution of g; dL/dk comes from that convolution's kernel gradient against cotangent x:
  # its kernel, read (*window, in of g = out, out = in), is k reversed in space, so dk is that gradient reversed and
  # with its last two axes swapped.
  dx = regular(kernel)
  dregular = conv_kernel_gradient(g, x.astype(dx.dtype), kernel.shape[:-2] + (kernel.shape[-1], kernel.shape[-2]),
                                  strides, regular_padding, precision)
  dk = jnp.swapaxes(lax.rev(dregular, tuple(range(ndim))), -1, -2)
  return dx.astype(x.dtype), dk.astype(kernel.dtype)


conv_transpose.defvjp(_conv_transpose_fwd, _conv_transpose_bwd)


def _padding_pairs(padding: Padding, ndim: int) -> tuple[tuple[int, int], ...] | None:
  """Flax's explicit padding (an int, or per-dim ints or (lo, hi) pairs) as (lo, hi) pairs; None for 'SAME' or
  'VALID', whose meaning depends on the layer. ValueError for any other string or a malformed sequence."""
  if isinstance(padding, str):
    if padding not in ("SAME", "VALID"):
      raise ValueError(f"padding {padding!r} is not supported: use 'SAME', 'VALID' or explicit (lo, hi) pairs")
    return None
  if isinstance(padding, int):
    return ((padding, padding),) * ndim
  pads = tuple((p, p) if isinstance(p, int) else tuple(p) for p in padding)
  if len(pads) != ndim or any(len(p) != 2 for p in pads):
    raise ValueError(f"padding {padding!r} does not give one (lo, hi) pair for each of the {ndim} spatial dims")
  return pads


def explicit_padding(padding: Padding, kernel_size: Sequence[int],
                     strides: Sequence[int]) -> tuple[tuple[int, int], ...]:
  """Per-dim (lo, hi) padding of the dilated input, as `nn.ConvTranspose` / `lax.conv_transpose` read `padding`.

  'SAME' and 'VALID' follow `lax.conv_transpose` (Keras `Conv2DTranspose` output sizes: in * s, and
  in * s + max(k - s, 0)); an int or a sequence of ints or (lo, hi) pairs pads explicitly, as in Flax.
  """
  pairs = _padding_pairs(padding, len(kernel_size))
  if pairs is not None:
    return pairs
  pads = []
  for k, s in zip(kernel_size, strides):
    if padding == "SAME":
      total, lo = k + s - 2, (k - 1 if s > k - 1 else int(np.ceil((k + s - 2) / 2)))
    else:
      total, lo = k + s - 2 + max(k - s, 0), k - 1
    pads.append((lo, total - lo))
  return tuple(pads)


class _ConvLayer(nn.Module):
  """What `ConvTranspose` and `Conv` share: Flax's fields, parameters ('kernel' (*kernel_size, in, features),
  'bias' (features,) if `use_bias`), dtype promotion and leading batch dims; subclasses give the padding rule and
  the convolution."""

  features: int
  kernel_size: int | Sequence[int]
  strides: int | Sequence[int] | None = None
  padding: Padding = "SAME"
  use_bias: bool = True
  dtype: Any = None
  param_dtype: Any = jnp.float32
  precision: Any = None
  kernel_init: nn.initializers.Initializer = nn.initializers.lecun_normal()
  bias_init: nn.initializers.Initializer = nn.initializers.zeros_init()

  def _explicit_padding(self, kernel_size: tuple[int, ...], strides: tuple[int, ...],
                        spatial: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    raise NotImplementedError

  def _convolve(self, x: jax.Array, kernel: jax.Array, strides: tuple[int, ...],
                padding: tuple[tuple[int, int], ...]) -> jax.Array:
    raise NotImplementedError

  @nn.compact
  def __call__(self, inputs: jax.Array) -> jax.Array:
    kernel_size = (self.kernel_size,) if isinstance(self.kernel_size, int) else tuple(self.kernel_size)
    ndim = len(kernel_size)
    strides = self.strides if self.strides is not None else 1
    strides = (strides,) * ndim if isinstance(strides, int) else tuple(strides)
    # As Flax: any leading batch dims (or none) are flattened into one for the convolution.
    batch_shape, item_shape = inputs.shape[:inputs.ndim - ndim - 1], inputs.shape[inputs.ndim - ndim - 1:]
    padding = self._explicit_padding(kernel_size, strides, item_shape[:-1])
    x = inputs.reshape((-1,) + item_shape)
    kernel = self.param("kernel", self.kernel_init, kernel_size + (item_shape[-1], self.features), self.param_dtype)
    bias = self.param("bias", self.bias_init, (self.features,), self.param_dtype) if self.use_bias else None
    x, kernel, bias = nn.dtypes.promote_dtype(x, kernel, bias, dtype=self.dtype)
    y = self._convolve(x, kernel, strides, padding)
    if bias is not None:
      y = y + bias
    return y.reshape(batch_shape + y.shape[1:])


class ConvTranspose(_ConvLayer):
  """Drop-in for `nn.ConvTranspose` (channels last) whose gradients are fast on XLA:CPU; see `conv_transpose`.

  Same parameters ('kernel' of shape (*kernel_size, in, features), 'bias' (features,) if `use_bias`) and outputs
  as `nn.ConvTranspose` with the same arguments. Not supported (construction fails): `kernel_dilation`, `mask`,
  `transpose_kernel`, 'CIRCULAR' padding.
  """

  def _explicit_padding(self, kernel_size, strides, spatial):
    return explicit_padding(self.padding, kernel_size, strides)

  def _convolve(self, x, kernel, strides, padding):
    if x.ndim == 4 and _positions(x.shape[1:3], kernel.shape[:2], (1, 1), padding, strides) <= PATCH_MAX_POSITIONS:
      return patch_conv(x, kernel, (1, 1), padding, lhs_dilation=strides, precision=self.precision)
    return conv_transpose(x, kernel, strides, padding, self.precision)


def _input_gradient_padding(in_spatial: Sequence[int], out_spatial: Sequence[int], kernel_size: Sequence[int],
                            strides: Sequence[int], padding: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
  """Padding of the lhs-dilated convolution that is a strided convolution's input gradient (as JAX pads it)."""
  return tuple((k - 1 - lo, n + k - 2 - (m - 1) * s - (k - 1 - lo))
               for n, m, k, s, (lo, _) in zip(in_spatial, out_spatial, kernel_size, strides, padding))


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4))
def conv(x: jax.Array, kernel: jax.Array, strides: tuple[int, ...], padding: tuple[tuple[int, int], ...],
         precision: Any = None) -> jax.Array:
  """`lax.conv_general_dilated(x, kernel, strides, padding)` (channels last) with a fast input gradient.

  x: (batch, *spatial, in); kernel: (*kernel_size, in, out). The input gradient of a strided convolution is an
  lhs-dilated convolution, which XLA:CPU runs off its fast path; here it is `lhs_dilated_conv` (sub-pixel on CPU
  where measured faster). The kernel gradient is JAX's own.
  """
  return lax.conv_general_dilated(x, kernel, strides, padding, dimension_numbers=_dimension_numbers(x.ndim - 2),
                                  precision=precision)


def _conv_fwd(x, kernel, strides, padding, precision):
  return conv(x, kernel, strides, padding, precision), (x, kernel)


def _conv_bwd(strides, padding, precision, residuals, g):
  x, kernel = residuals
  dk = conv_kernel_gradient(x, g, kernel.shape, strides, padding, precision)
  window = kernel.shape[:-2]
  dx_padding = _input_gradient_padding(x.shape[1:-1], g.shape[1:-1], window, strides, padding)
  dx = lhs_dilated_conv(g, kernel, strides, dx_padding, precision, flipped=True)
  return dx.astype(x.dtype), dk.astype(kernel.dtype)


conv.defvjp(_conv_fwd, _conv_bwd)


class Conv(_ConvLayer):
  """Drop-in for `nn.Conv` (channels last, no dilation or groups) whose input gradient is fast on XLA:CPU.

  Same parameters ('kernel' (*kernel_size, in, features), 'bias' (features,) if `use_bias`) and outputs as
  `nn.Conv` with the same arguments; see `conv`. Padding: 'SAME', 'VALID', an int, or per-dim ints or (lo, hi).
  """

  def _explicit_padding(self, kernel_size, strides, spatial):
    pairs = _padding_pairs(self.padding, len(kernel_size))
    return pairs if pairs is not None else tuple(lax.padtype_to_pads(spatial, kernel_size, strides, self.padding))

  def _convolve(self, x, kernel, strides, padding):
    if x.ndim == 4 and _positions(x.shape[1:3], kernel.shape[:2], strides, padding) <= PATCH_MAX_POSITIONS:
      return patch_conv(x, kernel, strides, padding, precision=self.precision)
    return conv(x, kernel, strides, padding, self.precision)
