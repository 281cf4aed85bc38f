"""jgan.theory on hand-computed values, and 1-D discriminators and critics trained against their analytic optima."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jgan import theory
from jgan.eval import wasserstein_1d

GRID = jnp.linspace(-10.0, 20.0, 3001)  # wide enough that every density below is ~0 at the ends
DX = 30.0 / 3000  # exact; GRID[1] - GRID[0] in float32 is off by 1e-4 relative
LOG4 = math.log(4.0)
P_DATA = (4.0, 1.25)  # the real N(4, 1.25^2) of the 1-D tests


def _density(mean: float, std: float) -> jax.Array:
  return theory.gaussian_density(GRID, mean, std)


def test_optimal_discriminator_is_p_data_over_the_sum():
  d = theory.optimal_discriminator(jnp.array([1.0, 3.0, 0.0, 0.0]), jnp.array([1.0, 1.0, 2.0, 0.0]))
  np.testing.assert_allclose(d, [0.5, 0.75, 0.0, 0.5])  # the last point has no mass: any D is optimal there


def test_divergences_of_identical_and_disjoint_densities():
  x = jnp.arange(0.0, 2.0, 0.01)
  p, q = jnp.where(x < 1.0, 1.0, 0.0), jnp.where(x >= 1.0, 1.0, 0.0)  # U(0, 1) and U(1, 2)
  np.testing.assert_allclose(theory.jensen_shannon(p, p, 0.01), 0.0, atol=1e-6)
  np.testing.assert_allclose(theory.kl_divergence(p, p, 0.01), 0.0, atol=1e-6)
  np.testing.assert_allclose(theory.jensen_shannon(p, q, 0.01), math.log(2.0), rtol=1e-5)
  assert theory.kl_divergence(p, q, 0.01) == math.inf


def test_kl_of_gaussians_matches_the_closed_form():
  (m1, s1), (m2, s2) = (0.0, 1.0), (1.5, 2.0)
  expected = math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5
  np.testing.assert_allclose(theory.kl_divergence(_density(m1, s1), _density(m2, s2), DX), expected, rtol=1e-4)


def test_value_at_p_g_equal_p_data_is_minus_log_4():
  p = _density(*P_DATA)
  np.testing.assert_allclose(theory.virtual_training_criterion(p, p, DX), -LOG4, rtol=1e-5)


@pytest.mark.parametrize("mean", [0.0, 2.0, 3.5, 4.0, 7.0])
def test_virtual_training_criterion_is_minus_log_4_plus_twice_jsd(mean: float):
  p_data, p_g = _density(*P_DATA), _density(mean, P_DATA[1])
  c = theory.virtual_training_criterion(p_data, p_g, DX)
  np.testing.assert_allclose(c, -LOG4 + 2.0 * theory.jensen_shannon(p_data, p_g, DX), rtol=1e-5, atol=1e-6)
  assert c >= -LOG4 - 1e-5  # Thm. 1: the global minimum, reached only at p_g = p_data
  # D* is the maximizer (Prop. 1): moving its logit either way lowers V.
  logit = jnp.log(theory.optimal_discriminator(p_data, p_g)) - jnp.log1p(-theory.optimal_discriminator(p_data, p_g))
  for shift in (-0.3, 0.3):
    assert theory.value_function(jax.nn.sigmoid(logit + shift), p_data, p_g, DX) < c


def test_earth_movers_distance_of_the_piles_is_5():
  p, q = np.array([3, 2, 1, 4]), np.array([1, 2, 4, 3])  # positions 1..4, 10 units of earth each
  assert theory.earth_movers_distance_histograms(p, q) == 5
  # The same as W1 of the 10-point sample sets (one point per unit of earth): wasserstein_1d averages over the
  # points, so it is W1 of the normalized distributions, 0.5, and the cost of moving all 10 units is 10 x 0.5.
  w1 = wasserstein_1d(jnp.asarray(theory.histogram_to_samples(p)), jnp.asarray(theory.histogram_to_samples(q)))
  np.testing.assert_allclose(w1, 0.5, rtol=1e-6)
  np.testing.assert_allclose(p.sum() * w1, 5.0, rtol=1e-6)


@pytest.mark.parametrize("theta", [0.0, 0.5, -1.0, 1e-3])
def test_parallel_lines_divergences_are_the_limits_of_thickened_lines(theta: float):
  """The closed forms against the distances of the two distributions computed by quadrature, lines thickened to
  N(theta, width^2) x U(0, 1) with width -> 0 (Arjovsky et al. 2017, Example 1)."""
  closed = theory.parallel_lines_divergences(theta)
  scale = abs(theta) or 1.0
  thick = [theory.thick_parallel_lines_divergences(theta, scale * width) for width in (1e-2, 1e-3)]
  for d in thick:
    np.testing.assert_allclose(d["w"], closed["w"], rtol=1e-9, atol=1e-12)  # W1 = |theta| at every width
    np.testing.assert_allclose([d["js"], d["tv"]], [closed["js"], closed["tv"]], rtol=1e-9, atol=1e-12)
  if theta == 0:
    assert closed["kl"] == 0 and thick[0]["kl"] == thick[1]["kl"] == 0
  else:  # KL = theta^2 / (2 width^2): x100 for each tenth of the width, so +inf in the limit
    np.testing.assert_allclose([d["kl"] for d in thick], [0.5e4, 0.5e6], rtol=1e-9)
    assert closed["kl"] == math.inf


def test_only_w_sees_lines_close_together():
  """At a fixed thin width, W1 goes to 0 with theta; JS and TV stay at their disjoint values until the lines
  overlap within their width (the point of Example 1: only W gives a gradient for a near miss)."""
  near, far = (theory.thick_parallel_lines_divergences(theta, 1e-4) for theta in (0.01, 1.0))
  assert near["w"] < 0.011 * far["w"]
  np.testing.assert_allclose([near["js"], near["tv"]], [far["js"], far["tv"]], rtol=1e-9)


@pytest.mark.parametrize("theta", [0.0, 0.5, -1.0])
def test_parallel_lines_wasserstein_of_samples_is_abs_theta(theta: float):
  key_a, key_b = jax.random.split(jax.random.key(0))
  # With the same heights the optimal plan moves every point straight sideways: exactly |theta|.
  a, b = theory.sample_parallel_line(key_a, 0.0, 2048), theory.sample_parallel_line(key_a, theta, 2048)
  np.testing.assert_allclose(theory.vertical_lines_wasserstein(a, b), abs(theta), atol=1e-6)
  # Independent heights only add the 1-D W1 between two samples of U(0, 1), O(1 / sqrt(n)).
  b = theory.sample_parallel_line(key_b, theta, 2048)
  np.testing.assert_allclose(theory.vertical_lines_wasserstein(a, b), abs(theta), atol=0.02)


def test_vertical_lines_wasserstein_is_the_exact_transport_cost():
  from jgan.eval import distances
  a = theory.sample_parallel_line(jax.random.key(1), 0.0, 300)
  b = theory.sample_parallel_line(jax.random.key(2), 0.3, 300)
  np.testing.assert_allclose(theory.vertical_lines_wasserstein(a, b), distances.wasserstein_2d(a, b), rtol=1e-5)


def test_simultaneous_xy_game_spirals_out_by_sqrt_1_plus_lr2_per_step():
  lr, steps = 0.1, 200
  norms = np.linalg.norm(np.asarray(theory.xy_game(1.0, 0.5, lr=lr, steps=steps, alternating=False)), axis=1)
  np.testing.assert_allclose(norms[1:] / norms[:-1], math.sqrt(1 + lr**2), rtol=1e-6)
  np.testing.assert_allclose(norms[-1] / norms[0], (1 + lr**2) ** (steps / 2), rtol=1e-4)


def test_alternating_xy_game_stays_bounded():
  trajectory = theory.xy_game(1.0, 0.5, lr=0.1, steps=5000, alternating=True)
  assert trajectory.shape == (5001, 2)
  norms = np.linalg.norm(np.asarray(trajectory), axis=1) / np.linalg.norm([1.0, 0.5])
  assert 0.9 < norms.min() and norms.max() < 1.1  # an ellipse close to the circle, for ever (76 turns here)


def test_trained_discriminator_matches_the_optimal_one():
  d = theory.train_discriminator_1d(jax.random.key(0), theory.gaussian_sampler(*P_DATA),
                                    theory.gaussian_sampler(2.0, 1.0))
  p_data, p_g = _density(*P_DATA), _density(2.0, 1.0)
  region = (p_data + p_g) > 0.01  # where samples land; D is unconstrained where neither has mass
  error = jnp.abs(d(GRID) - theory.optimal_discriminator(p_data, p_g))
  assert float(jnp.max(error[region])) < 0.05


def test_trained_discriminator_at_p_g_equal_p_data_reaches_minus_log_4():
  sample = theory.gaussian_sampler(*P_DATA)
  d = theory.train_discriminator_1d(jax.random.key(1), sample, sample)
  p = _density(*P_DATA)
  value = theory.value_function(d(GRID), p, p, DX)
  assert -LOG4 - 0.02 < value <= -LOG4 + 1e-5  # no D beats D* = 1/2


def _steepest_slope_between_modes(f: theory.ScalarField) -> float:
  return float(jnp.max(jnp.abs(theory.value_and_slope(f, jnp.linspace(-1.0, 9.0, 501))[1])))


def test_figure_2_discriminator_saturates_where_the_critic_stays_linear():
  # Two well-separated narrow modes, as in Arjovsky et al. 2017, Figure 2 (the paper does not give its Gaussians).
  real, fake = theory.gaussian_sampler(0.0, 0.5), theory.gaussian_sampler(8.0, 0.5)
  on_fake = jnp.linspace(7.0, 9.0, 101)  # the fake mode, +-2 std
  d_gan = theory.train_discriminator_1d(jax.random.key(2), real, fake, learning_rate=1e-2)
  d, d_slope = theory.value_and_slope(d_gan, on_fake)
  assert float(jnp.max(d)) < 1e-3 and float(jnp.max(jnp.abs(d_slope))) < 1e-3  # D ~ 0, no gradient for G
  # Vanishing relative to its own scale too: D climbs from 0 to 1 with slopes ~1 between the modes.
  assert float(jnp.max(jnp.abs(d_slope))) < 1e-3 * _steepest_slope_between_modes(d_gan)
  f = theory.train_critic_1d(jax.random.key(3), real, fake)
  _, f_slope = theory.value_and_slope(f, on_fake)
  # Clipping fixes the critic's scale: each saturated unit contributes c^2 = 1e-4 to its slope (32 at most), so
  # compare with that and with its own steepest slope between the modes.
  assert float(jnp.min(jnp.abs(f_slope))) >= 0.5 * 0.01**2
  assert float(jnp.min(jnp.abs(f_slope))) > 0.1 * _steepest_slope_between_modes(f)
  assert float(jnp.std(f_slope) / jnp.abs(jnp.mean(f_slope))) < 0.05  # linear: the same push on every fake point
  assert float(jnp.mean(f(on_fake))) < float(jnp.mean(f(jnp.linspace(-1.0, 1.0, 101))))  # f scores real higher
