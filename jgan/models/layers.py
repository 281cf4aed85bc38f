"""A transposed convolution with the outputs and parameters of `flax.linen.ConvTranspose` and a fast backward pass.

Why: JAX's kernel gradient of a strided `lax.conv_transpose` (what `nn.ConvTranspose` runs) reaches XLA:CPU as a
window-dilated convolution with a reversed window and a non-standard layout, which XLA:CPU runs far off its fast
convolution path: for the DCGAN generator's 4x4 stride-2 layers it costs 10-40x the forward pass. A transposed
convolution is the input gradient (the adjoint) of a regular strided convolution, so its two gradients are that
regular convolution and the regular convolution's kernel gradient, both of which XLA:CPU computes fast:

    y = conv_transpose(x, W) = C_K^T x       where C_K u = conv(u, K, stride s), K = W flipped, in/out swapped
    dL/dx = C_K (dL/dy) = conv(dL/dy, K)      (the regular convolution itself)
    dL/dK = d<conv(dL/dy, K), x>/dK           (the regular convolution's kernel gradient, with x as cotangent)

`conv_transpose` wires these up with `jax.custom_vjp`. Its forward is `lax.conv_transpose` itself, so outputs are
bitwise those of Flax (the forward written as the input gradient of the regular convolution lowers to the very
same XLA convolution, plus a kernel copy). Being a `custom_vjp`, it supports reverse mode, reverse-over-reverse
included, but not forward mode (`jax.jvp`, `jax.jacfwd`).
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


def _dimension_numbers(ndim: int) -> lax.ConvDimensionNumbers:
  """Channels-last layouts for `ndim` spatial dims: inputs (N, *spatial, C), kernels (*spatial, in, out)."""
  spatial = tuple(range(1, ndim + 1))
  return lax.ConvDimensionNumbers(lhs_spec=(0, ndim + 1) + spatial, rhs_spec=(ndim + 1, ndim) + tuple(range(ndim)),
                                  out_spec=(0, ndim + 1) + spatial)


def _flip_swap(kernel: jax.Array) -> jax.Array:
  """The regular convolution's kernel for a transposed one (spatial dims reversed, in/out swapped); an involution."""
  ndim = kernel.ndim - 2
  return jnp.swapaxes(lax.rev(kernel, tuple(range(ndim))), ndim, ndim + 1)


def _regular_padding(kernel_size: Sequence[int], padding: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
  """Padding of the regular convolution whose input gradient is the transposed one with `padding`.

  JAX's input gradient of a convolution padded (lo, hi) is a transposed convolution padded (k-1-lo, k-1-hi) whenever
  the sizes divide evenly, which they do here by construction; negative values (cropping) are valid XLA padding.
  """
  return tuple((k - 1 - lo, k - 1 - hi) for k, (lo, hi) in zip(kernel_size, padding))


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4))
def conv_transpose(x: jax.Array, kernel: jax.Array, strides: tuple[int, ...], padding: tuple[tuple[int, int], ...],
                   precision: Any = None) -> jax.Array:
  """`lax.conv_transpose(x, kernel, strides, padding)` (channels last, explicit padding) with a fast backward.

  x: (batch, *spatial, in); kernel: (*kernel_size, in, out), not flipped (`transpose_kernel=False`, Flax's default).
  """
  return lax.conv_transpose(x, kernel, strides, padding, dimension_numbers=_dimension_numbers(x.ndim - 2),
                            precision=precision)


def _conv_transpose_fwd(x, kernel, strides, padding, precision):
  return conv_transpose(x, kernel, strides, padding, precision), (x, kernel)


def _conv_transpose_bwd(strides, padding, precision, residuals, g):
  x, kernel = residuals
  dn = _dimension_numbers(x.ndim - 2)
  regular_padding = _regular_padding(kernel.shape[:-2], padding)

  def regular(k: jax.Array) -> jax.Array:
    return lax.conv_general_dilated(g, k, strides, regular_padding, dimension_numbers=dn, precision=precision)

  # dL/dx is the regular convolution of g; dL/dK its kernel gradient against cotangent x (both fast on XLA:CPU).
  dx, kernel_vjp = jax.vjp(regular, _flip_swap(kernel))
  (dk,) = kernel_vjp(x.astype(dx.dtype))
  return dx.astype(x.dtype), _flip_swap(dk).astype(kernel.dtype)


conv_transpose.defvjp(_conv_transpose_fwd, _conv_transpose_bwd)


def explicit_padding(padding: Padding, kernel_size: Sequence[int],
                     strides: Sequence[int]) -> tuple[tuple[int, int], ...]:
  """Per-dim (lo, hi) padding of the dilated input, as `nn.ConvTranspose` / `lax.conv_transpose` read `padding`.

  'SAME' and 'VALID' follow `lax.conv_transpose` (Keras `Conv2DTranspose` output sizes: in * s, and
  in * s + max(k - s, 0)); an int or a sequence of ints or (lo, hi) pairs pads explicitly, as in Flax.
  """
  ndim = len(kernel_size)
  if isinstance(padding, str):
    if padding not in ("SAME", "VALID"):
      raise ValueError(f"padding {padding!r} is not supported: use 'SAME', 'VALID' or explicit (lo, hi) pairs")
    pads = []
    for k, s in zip(kernel_size, strides):
      if padding == "SAME":
        total, lo = k + s - 2, (k - 1 if s > k - 1 else int(np.ceil((k + s - 2) / 2)))
      else:
        total, lo = k + s - 2 + max(k - s, 0), k - 1
      pads.append((lo, total - lo))
    return tuple(pads)
  if isinstance(padding, int):
    return ((padding, padding),) * ndim
  pads = tuple((p, p) if isinstance(p, int) else tuple(p) for p in padding)
  if len(pads) != ndim or any(len(p) != 2 for p in pads):
    raise ValueError(f"padding {padding!r} does not give one (lo, hi) pair for each of the {ndim} spatial dims")
  return pads


class ConvTranspose(nn.Module):
  """Drop-in for `nn.ConvTranspose` (channels last) whose gradients are fast on XLA:CPU; see `conv_transpose`.

  Same parameters ('kernel' of shape (*kernel_size, in, features), 'bias' (features,) if `use_bias`) and outputs
  as `nn.ConvTranspose` with the same arguments. Not supported (construction fails): `kernel_dilation`, `mask`,
  `transpose_kernel`, 'CIRCULAR' padding.
  """

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

  @nn.compact
  def __call__(self, inputs: jax.Array) -> jax.Array:
    kernel_size = (self.kernel_size,) if isinstance(self.kernel_size, int) else tuple(self.kernel_size)
    ndim = len(kernel_size)
    strides = self.strides if self.strides is not None else 1
    strides = (strides,) * ndim if isinstance(strides, int) else tuple(strides)
    padding = explicit_padding(self.padding, kernel_size, strides)
    # As Flax: any leading batch dims (or none) are flattened into one for the convolution.
    batch_shape, item_shape = inputs.shape[:inputs.ndim - ndim - 1], inputs.shape[inputs.ndim - ndim - 1:]
    x = inputs.reshape((-1,) + item_shape)
    kernel = self.param("kernel", self.kernel_init, kernel_size + (item_shape[-1], self.features), self.param_dtype)
    bias = self.param("bias", self.bias_init, (self.features,), self.param_dtype) if self.use_bias else None
    x, kernel, bias = nn.dtypes.promote_dtype(x, kernel, bias, dtype=self.dtype)
    y = conv_transpose(x, kernel, strides, padding, self.precision)
    if bias is not None:
      y = y + bias
    return y.reshape(batch_shape + y.shape[1:])
