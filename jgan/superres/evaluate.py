"""Scoring super-resolution as the literature does (Ledig et al. 2017, Sec. 3.1), and upscaling whole images.

PSNR and SSIM on the Y channel of YCbCr after removing a border of `scale` pixels (`jgan.eval.image_quality`),
bicubic upscaling as the baseline, a no-reference sharpness measure (the GAN's outputs are meant to be sharper at a
lower PSNR), and for digits the digit classifier's accuracy on the upscaled images (does the low-resolution digit's
class survive?). Images are scored as the uint8 files a user would get.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from jgan import data
from jgan.eval import image_quality
from jgan.state import MultiNetState
from jgan.superres import srgan
from jgan.superres.data import SuperResolutionSet

TILE = 128  # low-resolution tile side for images larger than this (upscale_image); outputs are 4x that
TILE_OVERLAP = 16  # low-resolution pixels on each side of a tile that other tiles supply (seams fall inside)


@jax.jit
def _upscale(state: MultiNetState, low: jax.Array) -> jax.Array:
  """uint8 low-resolution images -> float outputs in about [-1, 1] (one compiled program per input shape)."""
  return srgan.upscale(state, low.astype(jnp.float32) / 255.0)


def upscale_batches(state: MultiNetState, low: np.ndarray, batch_size: int) -> np.ndarray:
  """G over uint8 (N, h, w, C) images in batches of `batch_size` (the last completed with copies, then dropped);
  returns uint8 (N, h r, w r, C)."""
  num = len(low)
  padded = np.concatenate([low, low[:(-num) % batch_size]]) if num % batch_size else low
  outputs = [np.asarray(_upscale(state, jnp.asarray(padded[i:i + batch_size])))
             for i in range(0, len(padded), batch_size)]
  return data.to_uint8(np.concatenate(outputs)[:num])


def _starts(length: int, tile: int, step: int) -> list[int]:
  starts = list(range(0, max(length - tile, 0) + 1, step))
  if starts[-1] + tile < length:
    starts.append(length - tile)  # the last tile ends at the border (tiles all have one shape: one compilation)
  return starts


def upscale_image(upscale_fn: Callable[[np.ndarray], np.ndarray], low: np.ndarray, scale: int, *, tile: int = TILE,
                  overlap: int = TILE_OVERLAP) -> np.ndarray:
  """`upscale_fn` (uint8 (1, h, w, C) -> uint8 (1, h r, w r, C)) on one uint8 (H, W, C) image, whole if both sides
  are at most `tile`, else in overlapping tiles of `tile` x `tile`: each output pixel comes from the tile in which
  it lies at least `overlap` input pixels from a cut edge, so the net sees context on every side of it."""
  height, width, _ = low.shape
  if height <= tile and width <= tile:
    return upscale_fn(low[None])[0]
  if not 0 <= 2 * overlap < tile:
    raise ValueError(f"tile overlap must be in [0, tile / 2), got {overlap} for tile {tile}")
  th, tw = min(tile, height), min(tile, width)
  out = None
  for top in _starts(height, th, th - 2 * overlap):
    for left in _starts(width, tw, tw - 2 * overlap):
      patch = upscale_fn(low[None, top:top + th, left:left + tw])[0]
      if out is None:
        out = np.zeros((height * scale, width * scale, patch.shape[-1]), patch.dtype)
      y0 = top + overlap if top else 0  # the rows and columns this tile owns, in input pixels
      y1 = top + th - overlap if top + th < height else height
      x0 = left + overlap if left else 0
      x1 = left + tw - overlap if left + tw < width else width
      out[y0 * scale:y1 * scale, x0 * scale:x1 * scale] = patch[(y0 - top) * scale:(y1 - top) * scale,
                                                                (x0 - left) * scale:(x1 - left) * scale]
  return out


def upscale_set(state: MultiNetState, dataset: SuperResolutionSet, batch_size: int) -> list[np.ndarray]:
  """The generator's outputs for every group of `dataset` (uint8, the shapes of `dataset.high`)."""
  return [upscale_batches(state, low, batch_size) for low in dataset.low]


def bicubic_set(dataset: SuperResolutionSet, scale: int) -> list[np.ndarray]:
  """The bicubic baseline's outputs for every group of `dataset`."""
  return [image_quality.bicubic_upscale(low, scale) for low in dataset.low]


def set_scores(outputs: list[np.ndarray], dataset: SuperResolutionSet, scale: int,
               classifier_domain: str | None = None) -> dict[str, float]:
  """{'psnr_y', 'ssim_y', 'sharpness', 'sharpness_target'} averaged over the set's images (each image counts once,
  whatever its size), plus 'accuracy' of `classifier_domain`'s classifier where the set has labels."""
  per_image: dict[str, list[float]] = {}
  for out, high in zip(outputs, dataset.high):
    for name, value in image_quality.super_resolution_scores(out, high, scale).items():
      per_image.setdefault(name, []).append((value, len(high)))
  scores = {name: float(sum(v * n for v, n in values) / sum(n for _, n in values))
            for name, values in per_image.items()}
  if classifier_domain and dataset.labels is not None:
    from jgan.translation.evaluate import classifier_accuracy
    scores["accuracy"] = classifier_accuracy(classifier_domain, np.concatenate(outputs),
                                             np.concatenate(dataset.labels))
  return scores

