"""Multi-scale structural similarity (Wang, Simoncelli and Bovik 2003), as the ProGAN code computes it for the
diversity of generated images (Karras et al. 2018, Sec. 5, after Odena et al. 2017: the mean MS-SSIM of random
pairs of generated images; lower = more varied).

A port of the official `metrics/ms_ssim.py` (itself from TensorFlow's reference): at each of 5 scales, SSIM's
contrast-structure term cs is averaged over the 'valid' region of an 11x11 Gaussian window (sigma 1.5; on images
smaller than the window, the window shrinks to the image and sigma with it), then both images are box-filtered 2x2
and subsampled; MS-SSIM = prod_{j<5} cs_j^w_j * ssim_5^w_5 with Wang et al.'s weights (0.0448, 0.2856, 0.3001,
0.2363, 0.1333). One deviation: negative cs or ssim values (anti-correlated images) are clipped at 0 before the
fractional powers, as TensorFlow's `ssim_multiscale` does, where the official numpy code would return NaN.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage, signal

WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def gaussian_window(size: int, sigma: float) -> np.ndarray:
  """The normalised 2-D Gaussian of MATLAB's fspecial('gaussian', size, sigma) (centred between pixels when even)."""
  radius, offset = size // 2, 0.0
  start, stop = -radius, radius + 1
  if size % 2 == 0:
    offset, stop = 0.5, stop - 1
  x, y = np.mgrid[offset + start:stop, offset + start:stop]
  g = np.exp(-((x ** 2 + y ** 2) / (2.0 * sigma ** 2)))
  return g / g.sum()


def ssim_and_cs(img1: np.ndarray, img2: np.ndarray, *, max_val: float = 255.0, filter_size: int = 11,
                filter_sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03) -> tuple[np.ndarray, np.ndarray]:
  """Per image pair (N,): mean SSIM and mean contrast-structure term over the valid window positions."""
  img1, img2 = np.asarray(img1, np.float64), np.asarray(img2, np.float64)
  _, height, width, _ = img1.shape
  size = min(filter_size, height, width)
  sigma = size * filter_sigma / filter_size if filter_size else 0
  if filter_size:
    window = gaussian_window(size, sigma)[None, :, :, None]
    blur = lambda x: signal.fftconvolve(x, window, mode="valid")
  else:
    blur = lambda x: x
  mu1, mu2 = blur(img1), blur(img2)
  sigma11 = blur(img1 * img1) - mu1 * mu1
  sigma22 = blur(img2 * img2) - mu2 * mu2
  sigma12 = blur(img1 * img2) - mu1 * mu2
  c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
  v1, v2 = 2.0 * sigma12 + c2, sigma11 + sigma22 + c2
  ssim = np.mean(((2.0 * mu1 * mu2 + c1) * v1) / ((mu1 * mu1 + mu2 * mu2 + c1) * v2), axis=(1, 2, 3))
  cs = np.mean(v1 / v2, axis=(1, 2, 3))
  return ssim, cs


def ms_ssim(img1: np.ndarray, img2: np.ndarray, *, max_val: float = 255.0, weights=WEIGHTS, **kwargs) -> np.ndarray:
  """MS-SSIM (N,) of image pairs (N, H, W[, C]) with pixel range `max_val` (255 for uint8)."""
  img1, img2 = np.asarray(img1, np.float64), np.asarray(img2, np.float64)
  if img1.ndim == 3:
    img1, img2 = img1[..., None], img2[..., None]
  if img1.shape != img2.shape or img1.ndim != 4:
    raise ValueError(f"ms_ssim needs two (N, H, W[, C]) batches of one shape, got {img1.shape} and {img2.shape}")
  weights = np.asarray(weights, np.float64)
  box = np.full((1, 2, 2, 1), 0.25)
  ssims, css = [], []
  for level in range(len(weights)):
    ssim, cs = ssim_and_cs(img1, img2, max_val=max_val, **kwargs)
    ssims.append(ssim)
    css.append(cs)
    if level + 1 < len(weights):
      img1, img2 = (ndimage.convolve(x, box, mode="reflect")[:, ::2, ::2] for x in (img1, img2))
  css, ssims = np.maximum(np.array(css), 0.0), np.maximum(np.array(ssims), 0.0)
  return np.prod(css[:-1] ** weights[:-1, None], axis=0) * ssims[-1] ** weights[-1]


def mean_pairwise_ms_ssim(images: np.ndarray, *, pairs: int = 1000, seed: int = 0, max_val: float = 255.0) -> float:
  """Mean MS-SSIM over `pairs` random pairs of distinct images of a set: its diversity (lower = more varied)."""
  images = np.asarray(images)
  if len(images) < 2:
    raise ValueError(f"need at least 2 images for pairs, got {len(images)}")
  rng = np.random.default_rng(seed)
  first = rng.integers(0, len(images), pairs)
  second = (first + rng.integers(1, len(images), pairs)) % len(images)  # never the same image
  return float(np.mean(ms_ssim(images[first], images[second], max_val=max_val)))
