"""Sliced Wasserstein distance per Laplacian-pyramid level (Karras et al. 2018, arXiv:1710.10196, Sec. 5 and
Appendix D), as the official `metrics/sliced_wasserstein.py` computes it.

Each image's Laplacian pyramid is built with the 5x5 binomial filter [1, 4, 6, 4, 1] / 16 (mirror borders): the
finest level is the image minus its blurred, down- and up-sampled copy, and so on down to `min_resolution`, whose
level is the low-pass image itself (Burt and Adelson 1983). From every level, `per_image` 7x7 neighbourhoods are
drawn at uniform random positions (one per draw, the same position in every channel); each set of descriptors is
normalised per channel by its own mean and standard deviation over all its descriptors; the distance between the
real and the generated set at a level is the sliced Wasserstein-1 distance over random unit directions: 4 repeats
of 128 directions, sorted projections, mean absolute difference (`sliced_wasserstein`, the official function, in
numpy: `jgan.eval.distances.sliced_wasserstein` computes the same estimate in JAX, but XLA:CPU sorts the 64,000 x 512
projections of 1,000 images about ten times slower). The paper reports SWD x 10^3 per level and their average.
Small SWD at a level means the patches of that scale are distributed alike; the coarse levels see structure, the
fine ones texture and edges.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

_BINOMIAL = np.float32([1, 4, 6, 4, 1])
GAUSSIAN = np.outer(_BINOMIAL, _BINOMIAL) / 256.0  # the 5x5 filter of the official code


def _filter(images: np.ndarray, kernel: np.ndarray) -> np.ndarray:
  return ndimage.convolve(images, kernel[None, :, :, None], mode="mirror")


def pyr_down(images: np.ndarray) -> np.ndarray:
  """(N, H, W, C) float -> (N, H/2, W/2, C): binomial blur, then every other pixel."""
  return _filter(images, GAUSSIAN)[:, ::2, ::2]


def pyr_up(images: np.ndarray) -> np.ndarray:
  """(N, H, W, C) -> (N, 2H, 2W, C): zeros between the pixels, then the blur times 4 (keeps the mean)."""
  n, h, w, c = images.shape
  up = np.zeros((n, 2 * h, 2 * w, c), images.dtype)
  up[:, ::2, ::2] = images
  return _filter(up, GAUSSIAN * 4.0)


def laplacian_pyramid(images: np.ndarray, levels: int) -> list[np.ndarray]:
  """[finest detail, ..., low-pass at H / 2^(levels - 1)]; summing each level upsampled gives back the images."""
  pyramid = [np.asarray(images, np.float32)]
  for _ in range(1, levels):
    pyramid.append(pyr_down(pyramid[-1]))
    pyramid[-2] = pyramid[-2] - pyr_up(pyramid[-1])
  return pyramid


def reconstruct(pyramid: list[np.ndarray]) -> np.ndarray:
  """The images a `laplacian_pyramid` was built from."""
  images = pyramid[-1]
  for level in reversed(pyramid[:-1]):
    images = pyr_up(images) + level
  return images


def pyramid_resolutions(size: int, min_resolution: int = 16) -> list[int]:
  """The levels' sides: size, size / 2, ... down to min_resolution (the official code stops at 16)."""
  sides = []
  while size >= min_resolution:
    sides.append(size)
    size //= 2
  return sides


def descriptors(level: np.ndarray, per_image: int, rng: np.random.Generator, nhood_size: int = 7) -> np.ndarray:
  """(N * per_image, nhood_size^2 C) neighbourhoods of one pyramid level at uniform random positions."""
  n, h, w, c = level.shape
  if h < nhood_size or w < nhood_size:
    raise ValueError(f"a {h}x{w} level is smaller than the {nhood_size}x{nhood_size} neighbourhood")
  half = nhood_size // 2
  ys = rng.integers(half, h - half, size=(n, per_image))
  xs = rng.integers(half, w - half, size=(n, per_image))
  offsets = np.arange(-half, half + 1)
  rows = (ys[..., None, None] + offsets[:, None])  # (n, k, nh, 1)
  cols = (xs[..., None, None] + offsets[None, :])  # (n, k, 1, nh)
  patches = level[np.arange(n)[:, None, None, None], rows, cols]  # (n, k, nh, nh, c)
  return patches.reshape(n * per_image, -1)


def normalize(desc: np.ndarray, channels: int) -> np.ndarray:
  """Each channel's entries minus their mean over the set, divided by their standard deviation (official)."""
  d = desc.reshape(len(desc), -1, channels).astype(np.float32)
  d = d - d.mean(axis=(0, 1), keepdims=True)
  d = d / np.maximum(d.std(axis=(0, 1), keepdims=True), 1e-12)
  return d.reshape(len(desc), -1)


def sliced_wasserstein(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, *, dir_repeats: int = 4,
                       dirs_per_repeat: int = 128) -> float:
  """Sliced Wasserstein-1 distance between two equally sized descriptor sets (N, D): per repeat, project both on
  `dirs_per_repeat` random unit directions, sort each projection and average |sorted a - sorted b|; the mean over
  repeats (the official `sliced_wasserstein`)."""
  if a.shape != b.shape:
    raise ValueError(f"sliced_wasserstein needs descriptor sets of equal shape, got {a.shape} and {b.shape}")
  results = []
  for _ in range(dir_repeats):
    dirs = rng.standard_normal((a.shape[1], dirs_per_repeat)).astype(np.float32)
    dirs /= np.sqrt(np.sum(np.square(dirs), axis=0, keepdims=True))
    results.append(np.mean(np.abs(np.sort(a @ dirs, axis=0) - np.sort(b @ dirs, axis=0))))
  return float(np.mean(results))


def sliced_wasserstein_levels(real: np.ndarray, fake: np.ndarray, *, seed: int = 0, per_image: int = 128,
                              nhood_size: int = 7, min_resolution: int = 16, dir_repeats: int = 4,
                              dirs_per_repeat: int = 128) -> dict:
  """{"swd_<side>": SWD x 10^3 at each level, "swd_avg": their mean} between equally many (N, H, W, C) images
  (uint8 or float; only relative values matter, each set being normalised)."""
  real, fake = np.asarray(real, np.float32), np.asarray(fake, np.float32)
  if real.ndim == 3:
    real, fake = real[..., None], fake[..., None]
  if real.shape != fake.shape:
    raise ValueError(f"SWD needs image sets of equal shape, got {real.shape} and {fake.shape}")
  sides = pyramid_resolutions(real.shape[1], min_resolution)
  if not sides:
    raise ValueError(f"{real.shape[1]}x{real.shape[2]} images are smaller than min_resolution {min_resolution}")
  rng = np.random.default_rng(seed)
  result = {}
  pyramids = [laplacian_pyramid(x, len(sides)) for x in (real, fake)]
  for i, side in enumerate(sides):
    a, b = (normalize(descriptors(p[i], per_image, rng, nhood_size), real.shape[-1]) for p in pyramids)
    result[f"swd_{side}"] = 1e3 * sliced_wasserstein(a, b, rng, dir_repeats=dir_repeats,
                                                     dirs_per_repeat=dirs_per_repeat)
  result["swd_avg"] = float(np.mean([result[f"swd_{s}"] for s in sides]))
  return result
