"""Full-reference image quality: L1, PSNR and SSIM of outputs against their targets; the super-resolution protocol.

Used wherever a generator's output has a ground truth: pix2pix's translations, super-resolution, video
prediction. Images are compared as uint8 pixels (outputs in [-1, 1] are rounded as they would be saved), so the
figures are those of the image files a user would get. SSIM is scikit-image's `structural_similarity` (Wang et al.
2004, Gaussian-free 7x7 window, its defaults), a well-kept implementation rather than a copy.

Super-resolution (`super_resolution_scores`): the protocol of the SR literature, e.g. Ledig et al. 2017 (SRGAN),
Sec. 3.1: PSNR and SSIM "calculated on the y-channel of center-cropped, removal of a 4-pixel wide strip from each
border images" (the strip is the scale factor wide). Y is ITU-R BT.601 luma as MATLAB's `rgb2ycbcr` gives it
(`rgb_to_y`), PSNR's peak is 255 and SSIM is Wang et al.'s Gaussian-window form, which the papers' MATLAB code uses.
Beside them: a no-reference sharpness (`gradient_sharpness`, mean Sobel gradient magnitude) and Mathieu et al.
2016's full-reference sharpness difference (`sharpness_difference`, the paper's equation; and
`release_sharpness_difference`, the authors' released code, on the scale of their table). `bicubic_downscale` /
`bicubic_upscale` make the low-resolution inputs and the bicubic baseline with Pillow.
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


# ITU-R BT.601 luma of R, G, B in [0, 1] as MATLAB's rgb2ycbcr: Y = 16 + 65.481 R + 128.553 G + 24.966 B, in
# [16, 235] (studio swing). The SR papers' MATLAB code computes their PSNR and SSIM on it.
Y_WEIGHTS = (65.481, 128.553, 24.966)
Y_OFFSET = 16.0


def rgb_to_y(images: np.ndarray) -> np.ndarray:
  """Luma Y (..., H, W), float64 in [16, 235], of RGB images (..., H, W, 3): ITU-R BT.601 as MATLAB's rgb2ycbcr.

  Images are uint8 or floats in [-1, 1]; floats are first rounded to uint8 as they would be saved (the module's
  rule). Y is not rounded: MATLAB's rgb2ycbcr rounds it to uint8 for uint8 input, BasicSR-style Python code keeps
  it float, as here; the two differ by at most half a level. Grey images (..., H, W, 1) have no chroma: their Y is
  the grey level itself, in [0, 255] (not mapped into [16, 235]).
  """
  images = _as_uint8(np.asarray(images))
  channels = images.shape[-1] if images.ndim >= 3 else None
  if channels == 1:
    return images[..., 0].astype(np.float64)
  if channels != 3:
    raise ValueError(f"rgb_to_y takes (..., H, W, 3) RGB or (..., H, W, 1) grey images, got shape {images.shape}")
  rgb = images.astype(np.float64) / 255.0
  return Y_OFFSET + rgb @ np.array(Y_WEIGHTS)


def crop_border(images: np.ndarray, border: int) -> np.ndarray:
  """(N, H, W[, C]) images without `border` pixels on each side of H and W (the SR protocol's "shave")."""
  images = np.asarray(images)
  if images.ndim not in (3, 4):
    raise ValueError(f"images must be (N, H, W) or (N, H, W, C), got shape {images.shape}")
  if border < 0:
    raise ValueError(f"border must be >= 0, got {border}")
  height, width = images.shape[1:3]
  if 2 * border >= min(height, width):
    raise ValueError(f"cropping {border} pixels from each border of {height}x{width} images leaves nothing")
  return images[:, border:height - border, border:width - border] if border else images


def _y_pair(outputs: np.ndarray, targets: np.ndarray, border: int) -> tuple[np.ndarray, np.ndarray]:
  outputs, targets = _check(outputs, targets)
  return crop_border(rgb_to_y(outputs), border), crop_border(rgb_to_y(targets), border)


def psnr_y(outputs: np.ndarray, targets: np.ndarray, border: int) -> np.ndarray:
  """Per-image PSNR in dB on Y (`rgb_to_y`) after `crop_border(border)`: 10 log10(255^2 / MSE), the SR papers'
  MATLAB convention (peak 255 although Y spans [16, 235]); inf for identical images."""
  outputs, targets = _y_pair(outputs, targets, border)
  mse = np.mean(np.square(outputs - targets), axis=(1, 2))
  with np.errstate(divide="ignore"):
    return 10.0 * np.log10(255.0**2 / mse)


def ssim_y(outputs: np.ndarray, targets: np.ndarray, border: int, *, gaussian_weights: bool = True,
           sigma: float = 1.5, use_sample_covariance: bool = False) -> np.ndarray:
  """Per-image SSIM on Y (`rgb_to_y`) after `crop_border(border)`, scikit-image's structural_similarity with
  data_range=255.

  The defaults are Wang et al. 2004's own SSIM (Sec. III-C: an 11x11 circular-symmetric Gaussian window,
  sigma 1.5, normalised; population covariances), which is what the SR literature's MATLAB `ssim_index` computes,
  not scikit-image's defaults (a uniform 7x7 window, sample covariances: `gaussian_weights=False,
  use_sample_covariance=True`). scikit-image truncates the Gaussian at 3.5 sigma: radius 5, an 11x11 window, so the
  cropped images must be at least 11 pixels on a side.
  """
  from skimage.metrics import structural_similarity
  outputs, targets = _y_pair(outputs, targets, border)
  return np.array([structural_similarity(o, t, data_range=255, gaussian_weights=gaussian_weights, sigma=sigma,
                                         use_sample_covariance=use_sample_covariance)
                   for o, t in zip(outputs, targets)])


def gradient_sharpness(images: np.ndarray, border: int = 0) -> np.ndarray:
  """Per-image no-reference sharpness: the mean gradient magnitude of Y, in Y levels per pixel; higher is sharper.

  The Tenengrad family of focus measures (Krotkov 1987, "Focusing", IJCV 1(3)): blur spreads edges, so their
  gradients shrink. Gradients are scipy.ndimage's Sobel responses (reflected borders) divided by 8, the Sobel
  kernel's gain on a ramp, so that a ramp of slope s has sharpness s; the magnitude is sqrt(gx^2 + gy^2), averaged
  over the pixels left after `crop_border(border)` (the gradients are taken on the whole image first, so the kept
  pixels next to the strip see their true neighbours). A constant image has 0. Images as `rgb_to_y` takes them.
  """
  from scipy import ndimage
  images = np.asarray(images)
  if images.ndim != 4:
    raise ValueError(f"images must be (N, H, W, C), got shape {images.shape}")
  y = rgb_to_y(images)
  # One image at a time: on the whole (N, H, W) stack, ndimage.sobel would also smooth across the batch axis.
  gradient_i = np.stack([ndimage.sobel(image, axis=0) for image in y]) / 8.0
  gradient_j = np.stack([ndimage.sobel(image, axis=1) for image in y]) / 8.0
  return np.mean(crop_border(np.hypot(gradient_i, gradient_j), border), axis=(1, 2))


def _gradient_sum(images: np.ndarray) -> np.ndarray:
  """|Y[i,j] - Y[i-1,j]| + |Y[i,j] - Y[i,j-1]| at every pixel with both neighbours (i, j >= 1)."""
  return (np.abs(images[:, 1:, 1:] - images[:, :-1, 1:]) + np.abs(images[:, 1:, 1:] - images[:, 1:, :-1]))


def sharpness_difference(outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
  """Per-image sharpness difference in dB (Mathieu, Couprie and LeCun 2016, "Deep multi-scale video prediction
  beyond mean square error", Sec. 4, the equation after Table 1); higher is better, inf for identical images:

      10 log10(max_I^2 / ((1/N) sum_ij |(grad_i Y + grad_j Y) - (grad_i Yhat + grad_j Yhat)|)),
      grad_i Y = |Y[i,j] - Y[i-1,j]|,  grad_j Y = |Y[i,j] - Y[i,j-1]|,

  Y the target, Yhat the output: a PSNR of the images' gradient sums. Computed on the uint8 pixels of every channel
  (as the paper's frames), max_I = 255, over the N = (H-1)(W-1)C positions where both differences exist. The
  authors' released test code computes another quantity on another scale (`release_sharpness_difference`, which
  the paper's Table 2 values come from); the widely used re-implementation (dyelax/Adversarial_Video_Generation,
  Code/utils.py, `sharp_diff_error`) differs too: frames in [-1, 1] with max_I = 1, and forward differences
  padded with zeros ('SAME') at the last row and column, which count the image's edge as a gradient.
  """
  outputs, targets = _check(outputs, targets)
  difference = np.abs(_gradient_sum(targets.astype(np.float64)) - _gradient_sum(outputs.astype(np.float64)))
  with np.errstate(divide="ignore"):
    return 10.0 * np.log10(255.0**2 / np.mean(difference, axis=(1, 2, 3)))


def release_sharpness_difference(outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
  """Per-image sharpness difference as the authors' released test code computes it (Mathieu and Couprie,
  github.com/coupriec/VideoPredictionICLR2016, image_error_measures.lua, `computel1difference`); higher is better.

  With x the frames in [-1, 1] (uint8 / 127.5 - 1), D_j x = |x[i, j] - x[i, j-1]| and D_i x = |x[i, j] - x[i-1, j]|
  summed over the interior pixels 1 <= i <= H-2, 1 <= j <= W-2 and every channel:

      e = 128^2 / (C H W) * sum (|D_j Yhat - D_j Y| + |D_i Yhat - D_i Y|),   10 log10(255^2 / max(e, 1e-4)).

  It differs from the paper's equation (`sharpness_difference`): the two directions are compared separately, not
  as a sum, and e is an l_1 error in [-1, 1] units scaled by 128^2, which puts the values about 21 dB lower
  (10 log10 128) than a 0-255 l_1 error would. The paper's Table 2 (sharpness 24-25) is on this scale, so this is
  the measure to set beside it. The division by C H W (not by the interior's size) and the floor are the code's.
  """
  outputs, targets = _check(outputs, targets)
  size = np.prod(outputs.shape[1:])

  def differences(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = images.astype(np.float64) / 127.5 - 1.0
    along_j = np.abs(np.diff(x, axis=2))[:, 1:-1, :-1]  # at (i, j) for i in 1..H-2, j in 1..W-2
    along_i = np.abs(np.diff(x, axis=1))[:, :-1, 1:-1]
    return along_j, along_i

  (out_j, out_i), (true_j, true_i) = differences(outputs), differences(targets)
  total = np.sum(np.abs(out_j - true_j) + np.abs(out_i - true_i), axis=(1, 2, 3))
  error = np.maximum(128.0**2 * total / size, 1e-4)
  return 10.0 * np.log10(255.0**2 / error)


def super_resolution_scores(outputs: np.ndarray, targets: np.ndarray, scale: int) -> dict[str, float]:
  """{'psnr_y', 'ssim_y', 'sharpness', 'sharpness_target'}: means over the images, each measured after removing a
  `scale`-pixel strip from every border (Ledig et al. 2017, Sec. 3.1). 'sharpness' is `gradient_sharpness` of the
  outputs, 'sharpness_target' that of the targets: a blurry output falls below its target."""
  outputs, targets = _check(outputs, targets)
  return {"psnr_y": float(np.mean(psnr_y(outputs, targets, scale))),
          "ssim_y": float(np.mean(ssim_y(outputs, targets, scale))),
          "sharpness": float(np.mean(gradient_sharpness(outputs, scale))),
          "sharpness_target": float(np.mean(gradient_sharpness(targets, scale)))}


def _resize_uint8(images: np.ndarray, height: int, width: int) -> np.ndarray:
  """Pillow BICUBIC resize of each image's each channel (8-bit 'L' bands: Pillow resizes an RGB image band by band
  the same way); (N, H, W) and (N, H, W, C) keep their layout."""
  from PIL import Image
  grey = images.ndim == 3
  stack = images[..., None] if grey else images
  resized = np.empty((len(stack), height, width, stack.shape[-1]), np.uint8)
  for n, image in enumerate(stack):
    for c in range(stack.shape[-1]):
      band = Image.fromarray(np.ascontiguousarray(image[..., c]))  # 2-D uint8: mode "L"
      resized[n, ..., c] = np.asarray(band.resize((width, height), Image.Resampling.BICUBIC))
  return resized[..., 0] if grey else resized


def _check_resize(images: np.ndarray, scale: int) -> np.ndarray:
  images = np.asarray(images)
  if images.dtype != np.uint8 or images.ndim not in (3, 4):
    raise ValueError(f"images must be uint8 (N, H, W) or (N, H, W, C), got {images.dtype} {images.shape}")
  if not isinstance(scale, (int, np.integer)) or scale < 1:
    raise ValueError(f"scale must be a positive integer, got {scale!r}")
  return images


def bicubic_downscale(images: np.ndarray, scale: int) -> np.ndarray:
  """uint8 (N, H, W[, C]) -> uint8 (N, H/scale, W/scale[, C]) by Pillow's BICUBIC resize: the SR low-resolution input.

  H and W must be multiples of `scale`. The SR literature downscales with MATLAB's imresize (bicubic, antialiased);
  Pillow's BICUBIC is the same cubic kernel (a = -0.5), widened by the scale when shrinking as MATLAB's is, but it
  rounds its weights to fixed point and renormalises them at the borders where MATLAB mirrors the image: pixels,
  and so PSNRs, differ slightly from MATLAB-made sets (a deviation; scores are comparable within this project).
  """
  images = _check_resize(images, scale)
  height, width = images.shape[1:3]
  if height % scale or width % scale:
    raise ValueError(f"{height}x{width} images cannot be downscaled by {scale}: sides must be multiples of it")
  return _resize_uint8(images, height // scale, width // scale)


def bicubic_upscale(images: np.ndarray, scale: int) -> np.ndarray:
  """uint8 (N, h, w[, C]) -> uint8 (N, h*scale, w*scale[, C]) by Pillow's BICUBIC resize: the bicubic baseline of
  the SR papers (made with MATLAB's imresize there; see `bicubic_downscale` for the deviation)."""
  images = _check_resize(images, scale)
  return _resize_uint8(images, images.shape[1] * scale, images.shape[2] * scale)
