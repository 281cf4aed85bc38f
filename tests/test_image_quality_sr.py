"""The super-resolution protocol of `jgan.eval.image_quality`: Y, border crop, PSNR/SSIM on Y, sharpness, bicubic."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage
from skimage.metrics import structural_similarity

from jgan.eval import image_quality as iq


def _images(seed: int = 0, shape=(2, 24, 24, 3)) -> np.ndarray:
  return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _smooth_images(seed: int = 0, shape=(2, 32, 32, 3)) -> np.ndarray:
  """Random images with structure at several scales (noise smoothed), so that blur and bicubic resizing matter."""
  noise = np.random.default_rng(seed).normal(size=shape)
  smooth = ndimage.gaussian_filter(noise, sigma=(0, 1.5, 1.5, 0))
  return np.clip(128 + 400 * smooth, 0, 255).astype(np.uint8)


def test_rgb_to_y_hand_values():
  pixels = np.array([[[[255, 255, 255], [0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]]]], np.uint8)
  expected = [235.0, 16.0, 16 + 65.481, 16 + 128.553, 16 + 24.966]
  np.testing.assert_allclose(iq.rgb_to_y(pixels)[0, 0], expected, atol=1e-9)
  # Floats in [-1, 1] are the same pixels: -1 is black, 1 white.
  floats = pixels.astype(np.float32) / 127.5 - 1.0
  np.testing.assert_allclose(iq.rgb_to_y(floats)[0, 0], expected, atol=1e-9)
  assert iq.rgb_to_y(pixels).dtype == np.float64


def test_rgb_to_y_grey_is_the_grey_level_and_other_channels_fail():
  grey = np.array([[[[0], [7], [255]]]], np.uint8)
  np.testing.assert_array_equal(iq.rgb_to_y(grey), [[[0.0, 7.0, 255.0]]])
  with pytest.raises(ValueError, match="RGB"):
    iq.rgb_to_y(np.zeros((1, 4, 4, 2), np.uint8))


def test_crop_border():
  images = _images(shape=(2, 10, 12, 3))
  np.testing.assert_array_equal(iq.crop_border(images, 0), images)
  np.testing.assert_array_equal(iq.crop_border(images, 2), images[:, 2:8, 2:10])
  assert iq.crop_border(images[..., 0], 4).shape == (2, 2, 4)  # (N, H, W) too
  with pytest.raises(ValueError, match="leaves nothing"):
    iq.crop_border(images, 5)
  with pytest.raises(ValueError, match=">= 0"):
    iq.crop_border(images, -1)


def test_psnr_y_hand_values_and_border():
  target = np.full((2, 16, 16, 1), 100, np.uint8)
  output = target + np.uint8(2)
  output[:, :4] = 255  # junk in the 4-pixel border strip: cropped away
  output[:, :, -4:] = 0
  np.testing.assert_allclose(iq.psnr_y(output, target, 4), 10 * np.log10(255**2 / 4), rtol=1e-12)
  assert np.all(iq.psnr_y(output, target, 0) < 10 * np.log10(255**2 / 4))
  # RGB: white against black is 235 - 16 = 219 levels apart on Y.
  white, black = np.full((1, 12, 12, 3), 255, np.uint8), np.zeros((1, 12, 12, 3), np.uint8)
  np.testing.assert_allclose(iq.psnr_y(black, white, 4), 10 * np.log10(255**2 / 219**2), rtol=1e-12)
  assert iq.psnr_y(white, white, 2)[0] == np.inf


def test_ssim_y_is_scikit_image_on_the_cropped_y():
  outputs, targets = _smooth_images(1), _smooth_images(2)
  y_out = iq.rgb_to_y(outputs)[:, 3:-3, 3:-3]
  y_tgt = iq.rgb_to_y(targets)[:, 3:-3, 3:-3]
  wang = [structural_similarity(o, t, data_range=255, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
          for o, t in zip(y_out, y_tgt)]
  np.testing.assert_allclose(iq.ssim_y(outputs, targets, 3), wang, rtol=1e-12)
  uniform = [structural_similarity(o, t, data_range=255) for o, t in zip(y_out, y_tgt)]
  np.testing.assert_allclose(iq.ssim_y(outputs, targets, 3, gaussian_weights=False, use_sample_covariance=True),
                             uniform, rtol=1e-12)
  assert not np.allclose(wang, uniform)  # the default is Wang et al.'s Gaussian window, not scikit-image's
  np.testing.assert_allclose(iq.ssim_y(targets, targets, 3), 1.0)


def test_gradient_sharpness():
  images = _images(3, (2, 32, 32, 3))
  blurred = ndimage.gaussian_filter(images, sigma=(0, 1, 1, 0))
  assert np.all(iq.gradient_sharpness(blurred) < iq.gradient_sharpness(images))
  np.testing.assert_array_equal(iq.gradient_sharpness(np.full((2, 8, 8, 3), 77, np.uint8)), [0.0, 0.0])
  # A ramp of 3 grey levels a pixel has sharpness 3 away from the borders (Sobel's gain of 8 divided out).
  ramp = np.broadcast_to((3 * np.arange(16, dtype=np.uint8))[None, None, :, None], (1, 16, 16, 1))
  np.testing.assert_allclose(iq.gradient_sharpness(ramp, border=1), [3.0])
  # Images are measured one at a time: a constant image beside a sharp one stays 0.
  mixed = np.concatenate([images[:1], np.zeros_like(images[:1])])
  assert iq.gradient_sharpness(mixed)[1] == 0.0


def test_sharpness_difference_hand_value():
  target = np.zeros((1, 4, 4, 1), np.uint8)
  target[..., 2:, :] = 100  # rows of [0, 0, 100, 100]: an edge between columns 1 and 2
  output = np.zeros_like(target)
  output[..., 1:, :] = 100  # the edge one pixel to the left
  # On the 3x3 positions with both neighbours (i, j >= 1): the target's gradient sums per row are (0, 100, 0),
  # the output's (100, 0, 0); |difference| averages 200/3.
  np.testing.assert_allclose(iq.sharpness_difference(output, target), [10 * np.log10(255**2 / (200 / 3))],
                             rtol=1e-12)
  assert iq.sharpness_difference(target, target)[0] == np.inf
  images = _images(4)
  assert iq.sharpness_difference(images, images)[0] == np.inf


def test_release_sharpness_difference_hand_value():
  target = np.zeros((1, 4, 4, 1), np.uint8)
  target[:, :, 2:] = 255  # -1 left of column 2, +1 from it on: a vertical edge
  output = np.zeros_like(target)  # all -1
  # The interior is rows 1-2, columns 1-2. Along j the target's |x[i, j] - x[i, j-1]| is 0 at column 1 and 2 at
  # column 2, the output's 0 everywhere; along i both are 0. Sum 2 + 2 = 4 over the two rows;
  # e = 128^2 * 4 / (1 * 4 * 4) = 4096.
  np.testing.assert_allclose(iq.release_sharpness_difference(output, target), [10 * np.log10(255**2 / 4096)],
                             rtol=1e-12)
  # Identical frames meet the code's floor, 1e-4; the measure is symmetric.
  np.testing.assert_allclose(iq.release_sharpness_difference(target, target), [10 * np.log10(255**2 / 1e-4)])
  images = _images(7, (3, 12, 10, 3))
  others = _images(8, (3, 12, 10, 3))
  np.testing.assert_allclose(iq.release_sharpness_difference(images, others),
                             iq.release_sharpness_difference(others, images))
  # The directions are compared separately. A bright pixel left of (1, 1) in the target, above it in the output:
  # at (1, 1) the target's differences are (along j, along i) = (2, 0), the output's (0, 2), so e = 128^2 * 4 / 16
  # again, where the paper's equation, which compares their sums (2 = 2), sees identical frames.
  left, above = np.zeros((1, 4, 4, 1), np.uint8), np.zeros((1, 4, 4, 1), np.uint8)
  left[0, 1, 0], above[0, 0, 1] = 255, 255
  np.testing.assert_allclose(iq.release_sharpness_difference(above, left), [10 * np.log10(255**2 / 4096)])
  assert iq.sharpness_difference(above, left)[0] == np.inf


def test_super_resolution_scores_bicubic_baseline():
  targets = _smooth_images(5, (3, 32, 32, 3))
  outputs = iq.bicubic_upscale(iq.bicubic_downscale(targets, 4), 4)
  scores = iq.super_resolution_scores(outputs, targets, 4)
  assert set(scores) == {"psnr_y", "ssim_y", "sharpness", "sharpness_target"}
  np.testing.assert_allclose(scores["psnr_y"], np.mean(iq.psnr_y(outputs, targets, 4)))
  np.testing.assert_allclose(scores["ssim_y"], np.mean(iq.ssim_y(outputs, targets, 4)))
  np.testing.assert_allclose(scores["sharpness_target"], np.mean(iq.gradient_sharpness(targets, 4)))
  assert scores["sharpness"] < scores["sharpness_target"]  # bicubic upscaling blurs
  assert 0 < scores["ssim_y"] < 1 and np.isfinite(scores["psnr_y"])


def test_bicubic_is_pillow_per_image_and_keeps_layout():
  rgb = _images(6, (2, 16, 12, 3))
  small = iq.bicubic_downscale(rgb, 4)
  assert small.shape == (2, 4, 3, 3) and small.dtype == np.uint8
  for image, got in zip(rgb, small):
    np.testing.assert_array_equal(got, np.asarray(Image.fromarray(image).resize((3, 4), Image.Resampling.BICUBIC)))
  big = iq.bicubic_upscale(small, 2)
  assert big.shape == (2, 8, 6, 3)
  np.testing.assert_array_equal(big[1], np.asarray(Image.fromarray(small[1]).resize((6, 8), Image.Resampling.BICUBIC)))
  grey = rgb[..., :1]
  assert iq.bicubic_downscale(grey, 2).shape == (2, 8, 6, 1)
  assert iq.bicubic_upscale(grey[..., 0], 2).shape == (2, 32, 24)
  np.testing.assert_array_equal(iq.bicubic_downscale(grey, 2)[..., 0], iq.bicubic_downscale(rgb, 2)[..., 0])
  constant = np.full((1, 8, 8, 3), 90, np.uint8)
  np.testing.assert_array_equal(iq.bicubic_upscale(iq.bicubic_downscale(constant, 2), 2), constant)


def test_bicubic_rejects_bad_input():
  with pytest.raises(ValueError, match="multiples"):
    iq.bicubic_downscale(np.zeros((1, 10, 8, 3), np.uint8), 4)
  with pytest.raises(ValueError, match="uint8"):
    iq.bicubic_upscale(np.zeros((1, 8, 8, 3), np.float32), 2)
  with pytest.raises(ValueError, match="positive integer"):
    iq.bicubic_upscale(np.zeros((1, 8, 8, 3), np.uint8), 0)
