"""The paper's metrics on known inputs: SWD per Laplacian level (jgan.eval.swd) and MS-SSIM (jgan.eval.ms_ssim)."""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest

from jgan.eval import distances, ms_ssim, swd


def _smooth_images(n: int, seed: int, size: int = 32) -> np.ndarray:
  rng = np.random.default_rng(seed)
  coarse = rng.uniform(0, 255, (n, size // 8, size // 8, 1)).astype(np.float32)
  return np.repeat(np.repeat(coarse, 8, 1), 8, 2)


def test_laplacian_pyramid_reconstructs_and_constant_images_have_no_detail():
  images = np.random.default_rng(0).uniform(0, 255, (3, 32, 32, 2)).astype(np.float32)
  pyramid = swd.laplacian_pyramid(images, 3)
  assert [p.shape[1] for p in pyramid] == [32, 16, 8]
  np.testing.assert_allclose(swd.reconstruct(pyramid), images, atol=1e-3)
  flat = swd.laplacian_pyramid(np.full((2, 32, 32, 1), 100.0, np.float32), 3)
  np.testing.assert_allclose(flat[0], 0.0, atol=1e-4)
  np.testing.assert_allclose(flat[1], 0.0, atol=1e-4)
  np.testing.assert_allclose(flat[2], 100.0, atol=1e-4)
  assert swd.pyramid_resolutions(128) == [128, 64, 32, 16] and swd.pyramid_resolutions(32, 8) == [32, 16, 8]


def test_swd_agrees_with_the_jax_estimate():
  rng = np.random.default_rng(4)
  a, b = rng.normal(size=(500, 6)).astype(np.float32), rng.standard_t(3, size=(500, 6)).astype(np.float32)
  ours = swd.sliced_wasserstein(a, b, np.random.default_rng(0), dir_repeats=8, dirs_per_repeat=128)
  theirs = float(distances.sliced_wasserstein(a, b, jax.random.PRNGKey(0), num_projections=1024))
  assert ours == pytest.approx(theirs, rel=0.05)


def test_swd_of_a_set_with_itself_is_only_the_sampling_noise():
  # Each set's neighbourhoods are drawn at their own random positions (as the official code), so a set against
  # itself scores the sampling noise, far below a set of another distribution; the same positions give exactly 0.
  images = np.random.default_rng(1).integers(0, 256, (64, 32, 32, 3)).astype(np.uint8)
  other = _smooth_images(64, 2).repeat(3, axis=-1).astype(np.uint8)
  same = swd.sliced_wasserstein_levels(images, images, per_image=32)
  different = swd.sliced_wasserstein_levels(images, other, per_image=32)
  assert set(same) == {"swd_32", "swd_16", "swd_avg"}
  assert all(same[k] < 0.5 * different[k] for k in same)
  level = swd.laplacian_pyramid(images.astype(np.float32), 2)[0]
  a, b = (swd.normalize(swd.descriptors(level, 8, np.random.default_rng(0)), 3) for _ in range(2))
  assert swd.sliced_wasserstein(a, b, np.random.default_rng(0)) == 0.0


def test_swd_of_one_dimensional_descriptors_hand_value():
  # Normalised, A = (-1, -1, 1, 1) and B = (-sqrt2, 0, 0, sqrt2); sorted differences (sqrt2 - 1, 1, 1, sqrt2 - 1):
  # W1 = sqrt(2) / 2 on every direction of the line.
  a = swd.normalize(np.array([[0.0], [0.0], [2.0], [2.0]]), 1)
  b = swd.normalize(np.array([[-1.0], [0.0], [0.0], [1.0]]), 1)
  np.testing.assert_allclose(a[:, 0], [-1, -1, 1, 1], atol=1e-6)
  np.testing.assert_allclose(b[:, 0], [-math.sqrt(2), 0, 0, math.sqrt(2)], atol=1e-6)
  value = swd.sliced_wasserstein(a, b, np.random.default_rng(0), dir_repeats=2, dirs_per_repeat=8)
  assert value == pytest.approx(math.sqrt(2) / 2, rel=1e-5)


def test_swd_sees_fine_noise_at_the_fine_level_most():
  real = _smooth_images(100, 0)
  noisy = np.clip(_smooth_images(100, 1) + np.random.default_rng(2).normal(0, 40, real.shape), 0, 255)
  clean = swd.sliced_wasserstein_levels(real, _smooth_images(100, 1), per_image=8)
  dirty = swd.sliced_wasserstein_levels(real, noisy, per_image=8)
  assert dirty["swd_32"] > 1.5 * clean["swd_32"]  # the noise is at the finest scale: the 16x16 level barely moves
  assert dirty["swd_32"] - clean["swd_32"] > 5 * abs(dirty["swd_16"] - clean["swd_16"])


def test_ms_ssim_identical_images_and_constant_images_hand_value():
  images = np.random.default_rng(0).integers(0, 256, (4, 32, 32, 1)).astype(np.uint8)
  np.testing.assert_allclose(ms_ssim.ms_ssim(images, images), 1.0, rtol=1e-9)
  a, b = 100.0, 150.0
  c1 = (0.01 * 255) ** 2
  luminance = (2 * a * b + c1) / (a * a + b * b + c1)  # every contrast-structure term is 1 on flat images
  value = ms_ssim.ms_ssim(np.full((1, 32, 32, 1), a), np.full((1, 32, 32, 1), b))
  np.testing.assert_allclose(value, luminance ** ms_ssim.WEIGHTS[-1], rtol=1e-9)


def test_single_scale_is_scikit_image_ssim():
  from skimage.metrics import structural_similarity
  rng = np.random.default_rng(3)
  x = rng.uniform(0, 255, (2, 32, 32, 1))
  y = np.clip(x + rng.normal(0, 30, x.shape), 0, 255)
  ours = ms_ssim.ms_ssim(x, y, weights=(1.0,))
  theirs = [structural_similarity(x[i, ..., 0], y[i, ..., 0], data_range=255, gaussian_weights=True, sigma=1.5,
                                  use_sample_covariance=False) for i in range(2)]
  np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_pairwise_ms_ssim_ranks_diversity():
  same = np.repeat(_smooth_images(1, 0).astype(np.uint8), 20, axis=0)
  varied = _smooth_images(20, 1).astype(np.uint8)
  assert ms_ssim.mean_pairwise_ms_ssim(same, pairs=50) == pytest.approx(1.0)
  assert ms_ssim.mean_pairwise_ms_ssim(varied, pairs=50) < 0.5
