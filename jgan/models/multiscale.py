"""Image pyramids for multi-scale nets: average-pooled copies of an image at sides s / 2^k, and 2x upsampling.

Used by the multi-scale generator and discriminator of Mathieu et al. 2016 (`jgan.video.nets`), where scale k sees
the input downsampled by 2^(N-k) ("d_k") and the coarser prediction upsampled by 2 ("u_k", Sec. 2.1); any
coarse-to-fine family (LAPGAN-style refinement, multi-scale discriminators) can share them.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def downsample(x: jax.Array, factor: int) -> jax.Array:
  """(B, H, W, C) -> (B, H / factor, W / factor, C) by factor x factor block means (H, W multiples of factor)."""
  if factor == 1:
    return x
  b, h, w, c = x.shape
  if h % factor or w % factor:
    raise ValueError(f"{h}x{w} images cannot be downsampled by {factor}: sides must be multiples of it")
  return x.reshape(b, h // factor, factor, w // factor, factor, c).mean(axis=(2, 4))


def pyramid(x: jax.Array, scales: int) -> list[jax.Array]:
  """[x downsampled by 2^(scales-1), ..., by 2, x]: coarsest first."""
  return [downsample(x, 2**(scales - 1 - k)) for k in range(scales)]


def upsample(x: jax.Array, factor: int = 2, method: str = "nearest") -> jax.Array:
  """(B, h, w, C) -> (B, h factor, w factor, C): `nearest` repeats each pixel (Torch's SpatialUpSamplingNearest),
  `bilinear` interpolates (half-pixel centres, as PyTorch's align_corners=False)."""
  if method == "nearest":
    return jnp.repeat(jnp.repeat(x, factor, axis=1), factor, axis=2)
  b, h, w, c = x.shape
  return jax.image.resize(x, (b, h * factor, w * factor, c), method=method)
