"""Toy distributions: shapes, determinism, and the known geometry of each (modes, spreads, moments)."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jgan.data import toys

N = 4000


@pytest.fixture(scope="module")
def draws() -> dict[str, np.ndarray]:
  return {name: np.asarray(toys.sample(name, jax.random.PRNGKey(0), N)) for name in toys.TOYS}


@pytest.mark.parametrize("name, dim", [("normal1d", 1), ("ring8", 2), ("grid25", 2), ("swissroll", 2)])
def test_shape_dtype_and_dim(name: str, dim: int):
  points = toys.sample(name, jax.random.PRNGKey(0), 17)
  chex.assert_shape(points, (17, dim))
  assert points.dtype == jnp.float32 and toys.dim(name) == dim
  assert np.all(np.isfinite(np.asarray(points)))


@pytest.mark.parametrize("name", toys.TOYS)
def test_same_key_same_points_other_key_other_points(name: str, draws):
  again = np.asarray(toys.sample(name, jax.random.PRNGKey(0), N))
  other = np.asarray(toys.sample(name, jax.random.PRNGKey(1), N))
  np.testing.assert_array_equal(again, draws[name])
  assert np.mean(other != draws[name]) > 0.99


def test_sample_under_jit_with_static_name():
  sample = jax.jit(toys.sample, static_argnames=("name", "n"))
  key = jax.random.PRNGKey(3)
  np.testing.assert_allclose(sample("ring8", key, 64), toys.sample("ring8", key, 64), atol=1e-6)


def test_ring8_has_eight_modes_on_the_unit_circle():
  modes = toys.modes("ring8")
  assert modes.shape == (8, 2) and len(np.unique(np.round(modes, 6), axis=0)) == 8
  np.testing.assert_allclose(np.linalg.norm(modes, axis=1), 1.0, atol=1e-12)
  angles = np.mod(np.arctan2(modes[:, 1], modes[:, 0]), 2 * np.pi)
  np.testing.assert_allclose(angles, 2 * np.pi * np.arange(8) / 8, atol=1e-12)


def test_grid25_modes():
  modes = toys.modes("grid25")
  assert modes.shape == (25, 2) and len(np.unique(modes, axis=0)) == 25
  np.testing.assert_array_equal(np.unique(modes), [-4.0, -2.0, 0.0, 2.0, 4.0])


@pytest.mark.parametrize("name, std", [("ring8", 0.01), ("grid25", 0.05)])
def test_mixture_components_spread_and_usage(name: str, std: float, draws):
  points, modes = draws[name], toys.modes(name)
  assert toys.mode_std(name) == std
  distances = np.linalg.norm(points[:, None] - modes[None], axis=-1)
  nearest = np.argmin(distances, axis=1)
  assert distances.min(axis=1).max() < 6 * std  # every point belongs clearly to one mode
  counts = np.bincount(nearest, minlength=len(modes))
  assert counts.min() > 0.5 * N / len(modes) and counts.max() < 1.5 * N / len(modes)  # uniform component choice
  residuals = points - modes[nearest]
  np.testing.assert_allclose(residuals.std(axis=0), std, rtol=0.05)
  np.testing.assert_allclose(residuals.mean(axis=0), 0.0, atol=0.1 * std)


def test_normal1d_moments():
  points = np.asarray(toys.sample("normal1d", jax.random.PRNGKey(0), 20_000))[:, 0]
  assert toys.NORMAL1D_MEAN == 4.0 and toys.NORMAL1D_STD == 1.25
  np.testing.assert_allclose(points.mean(), 4.0, atol=0.03)
  np.testing.assert_allclose(points.std(), 1.25, rtol=0.02)


def test_swissroll_geometry(draws):
  points = draws["swissroll"]
  # Without noise the roll's radius is t / 7.5 for t in [1.5 pi, 4.5 pi]; the noise (0.25 / 7.5) blurs the ends.
  radius = np.linalg.norm(points, axis=1)
  assert 1.5 * np.pi / 7.5 - 0.15 < radius.min() and radius.max() < 4.5 * np.pi / 7.5 + 0.15
  assert np.abs(points).max() < 2.0 and points.std(axis=0).min() > 0.5


def test_latent_distribution():
  assert toys.latent_distribution("normal1d") == "unit_uniform"  # z ~ U(0, 1), in jgan.games' naming
  assert [toys.latent_distribution(name) for name in ("ring8", "grid25", "swissroll")] == ["normal"] * 3


def test_unknown_names_refused():
  with pytest.raises(ValueError, match=r"unknown toy distribution 'ring9'.*normal1d.*swissroll"):
    toys.sample("ring9", jax.random.PRNGKey(0), 4)
  with pytest.raises(ValueError, match="unknown toy distribution 'x'"):
    toys.dim("x")
  for function in (toys.modes, toys.mode_std):
    with pytest.raises(ValueError, match=r"'swissroll' has no modes.*ring8.*grid25"):
      function("swissroll")


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_real_samples_score_as_the_metric_expects(name: str, draws):
  """The data's spread and the metric's threshold agree: within 3 std (Euclidean, 2-D isotropic) of its mode lies a
  fraction 1 - exp(-9/2) = 98.9% of real samples (a chi distribution with 2 degrees of freedom), every mode is hit.
  A toy drawn with another std than `mode_std` (the PacGAN code's 0.01 and 0.05) would miss this by far."""
  from jgan.eval import mode_coverage
  result = mode_coverage(draws[name], toys.modes(name), toys.mode_std(name))
  expected = 1 - np.exp(-4.5)
  assert abs(result["high_quality"] - expected) < 4 * np.sqrt(expected * (1 - expected) / N)
  assert result["modes"] == len(toys.modes(name))
  twice = mode_coverage(draws[name], toys.modes(name), toys.mode_std(name) / 2)  # the metric with half the std
  assert twice["high_quality"] < 0.8
