"""Full-reference image quality: L1, PSNR and SSIM of outputs against their targets.

Used wherever a generator's output has a ground truth: pix2pix's translations, super-resolution, video
prediction. Images are compared as uint8 pixels (outputs in [-1, 1] are rounded as they would be saved), so the
figures are those of the image files a user would get. SSIM is scikit-image's `structural_similarity` (Wang et al.
2004, Gaussian-free 7x7 window, its defaults), a well-kept implementation rather than a copy.
"""

from __future__ import annotations

import numpy as np


def _as_uint8(images: np.ndarray) -> np.ndarray:
  if images.dtype == np.uint8:
    return images
  return np.clip(np.round((np.asarray(images, np.float64) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def _check(outputs: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  outputs, targets = _as_uint8(np.asarray(outputs)), _as_uint8(np.asarray(targets))
  if outputs.shape != targets.shape or outputs.ndim != 4:
    raise ValueError(f"outputs and targets must both be (N, H, W, C), got {outputs.shape} and {targets.shape}")
  return outputs, targets


def l1(outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
  """Per-image mean absolute pixel error, in [0, 1] units of the pixel range."""
  outputs, targets = _check(outputs, targets)
  return np.mean(np.abs(outputs.astype(np.float64) - targets), axis=(1, 2, 3)) / 255.0


def psnr(outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
  """Per-image peak signal-to-noise ratio in dB: 10 log10(255^2 / MSE); inf for identical images."""
  outputs, targets = _check(outputs, targets)
  mse = np.mean(np.square(outputs.astype(np.float64) - targets), axis=(1, 2, 3))
  with np.errstate(divide="ignore"):
    return 10.0 * np.log10(255.0**2 / mse)


def ssim(outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
  """Per-image structural similarity (scikit-image, data range 255, channels averaged)."""
  from skimage.metrics import structural_similarity
  outputs, targets = _check(outputs, targets)
  return np.array([structural_similarity(o, t, data_range=255, channel_axis=-1) for o, t in zip(outputs, targets)])


def full_reference(outputs: np.ndarray, targets: np.ndarray) -> dict[str, float]:
  """{'l1', 'psnr', 'ssim'}: the means over the images (PSNR averaged in dB per image, as the papers report)."""
  return {"l1": float(np.mean(l1(outputs, targets))), "psnr": float(np.mean(psnr(outputs, targets))),
          "ssim": float(np.mean(ssim(outputs, targets)))}
