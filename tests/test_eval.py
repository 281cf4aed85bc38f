"""Evaluation metrics against known answers: transport distances, mode coverage, Frechet and Inception scores, the
shipped digit classifier, Parzen windows."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg

from jgan import data
from jgan import eval as jgan_eval
from jgan.data import toys
from jgan.eval import classifier, parzen, scores

# --- Wasserstein distances. ---


def test_wasserstein_1d_identical_and_shifted():
  x = jax.random.normal(jax.random.PRNGKey(0), (3, 500))
  np.testing.assert_allclose(jgan_eval.wasserstein_1d(x, x), [0.0, 0.0, 0.0])
  np.testing.assert_allclose(jgan_eval.wasserstein_1d(x, x + 0.7), [0.7] * 3, rtol=1e-5)
  np.testing.assert_allclose(jgan_eval.wasserstein_1d(jnp.array([0.0, 1.0]), jnp.array([3.0, 0.0])), 1.0)


def test_wasserstein_2d_identical_and_translated():
  x = np.random.default_rng(0).normal(size=(300, 2))
  # ot.dist takes square roots of |x|^2 - 2 x.y + |y|^2: zero distances come out as ~1e-8.
  assert jgan_eval.wasserstein_2d(x, x) == pytest.approx(0.0, abs=1e-7)
  shift = np.array([0.3, -0.4])  # a translation is transported by itself: W1 = ||v|| = 0.5
  assert jgan_eval.wasserstein_2d(x, x + shift) == pytest.approx(0.5, abs=1e-7)
  assert jgan_eval.wasserstein_2d(x, x[::-1]) == pytest.approx(0.0, abs=1e-7)  # order does not matter


def test_wasserstein_2d_matches_1d_on_a_line():
  rng = np.random.default_rng(1)
  x, y = rng.normal(size=400), rng.exponential(size=400)
  line = lambda t: np.stack([t, np.zeros_like(t)], axis=1)
  expected = float(jgan_eval.wasserstein_1d(jnp.asarray(x), jnp.asarray(y)))
  assert jgan_eval.wasserstein_2d(line(x), line(y)) == pytest.approx(expected, rel=1e-5)


def test_wasserstein_2d_by_hand_with_unequal_sizes():
  # Two points of mass 1/2 to one point: (|(0,0)-(0,1)| + |(1,0)-(0,1)|) / 2.
  assert jgan_eval.wasserstein_2d(np.array([[0.0, 0.0], [1.0, 0.0]]), np.array([[0.0, 1.0]])) == pytest.approx(
      (1 + np.sqrt(2)) / 2, abs=1e-7)
  # Three points of mass 1/3 to two of mass 1/2 on a line: move 1/3 from 0 to 0, 1/6 from 1 to 0, 1/6 from 1 to 2,
  # 1/3 from 2 to 2: cost 1/6 + 1/6.
  assert jgan_eval.wasserstein_2d(np.array([[0.0], [1.0], [2.0]]), np.array([[0.0], [2.0]])) == pytest.approx(
      1 / 3, abs=1e-7)
  with pytest.raises(ValueError, match="equal dimension, got 2 and 3"):
    jgan_eval.wasserstein_2d(np.zeros((4, 2)), np.zeros((4, 3)))


# --- Mode coverage (VEEGAN / PacGAN). ---


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_mode_coverage_of_the_modes_themselves(name: str):
  modes = toys.modes(name)
  result = jgan_eval.mode_coverage(np.repeat(modes, 3, axis=0), modes, toys.mode_std(name))
  assert result == {"modes": len(modes), "high_quality": 1.0, "kl": pytest.approx(0.0, abs=1e-12)}


def test_mode_coverage_of_real_samples():
  samples = np.asarray(toys.sample("grid25", jax.random.PRNGKey(0), 5000))
  result = jgan_eval.mode_coverage(samples, toys.modes("grid25"), toys.mode_std("grid25"))
  assert result["modes"] == 25 and result["high_quality"] > 0.98 and result["kl"] < 0.01


def test_mode_coverage_of_a_collapsed_generator():
  modes = toys.modes("ring8")
  collapsed = modes[3] + 0.01 * np.random.default_rng(0).normal(size=(100, 2))
  result = jgan_eval.mode_coverage(collapsed, modes, 0.01)
  assert result["modes"] == 1 and result["high_quality"] > 0.9 and result["kl"] == pytest.approx(np.log(8))


def test_mode_coverage_counts_and_kl_by_hand():
  modes, std = toys.modes("ring8"), 0.01
  # 2 samples on mode 0, 1 on mode 1, 1 far from every mode (the origin, at distance 1 from all).
  samples = np.array([modes[0], modes[0] + [0.02, 0.0], modes[1], [0.0, 0.0]])
  result = jgan_eval.mode_coverage(samples, modes, std)
  histogram = np.array([2 / 3, 1 / 3])
  assert result["modes"] == 2 and result["high_quality"] == 0.75
  assert result["kl"] == pytest.approx(np.sum(histogram * np.log(histogram * 8)))
  assert jgan_eval.mode_coverage(samples, modes, std, num_std=1.0)["high_quality"] == 0.5  # 0.02 > 1 std


def test_mode_coverage_with_no_high_quality_sample_has_no_kl():
  result = jgan_eval.mode_coverage(np.full((10, 2), 10.0), toys.modes("grid25"), 0.05)
  assert result == {"modes": 0, "high_quality": 0.0, "kl": None}  # undefined, not log M


def test_mean_and_spread_leaves_undefined_scores_out_and_says_so():
  from jgan.eval.summary import mean_and_spread
  assert mean_and_spread([1.0, None, 3.0], ".1f") == "2.0 ± 1.4 (undefined in 1 of 3)"
  assert mean_and_spread([None, None]) == "undefined" and mean_and_spread([]) == "(not run)"
  assert mean_and_spread([None, 0.5, None], ".1f") == "0.5 (defined in 1 of 3)"


# --- Frechet distance, Inception score, class usage. ---


def _random_spd(rng: np.random.Generator, dim: int) -> np.ndarray:
  a = rng.normal(size=(dim, dim))
  return a @ a.T + 0.1 * np.eye(dim)


def test_frechet_distance_matches_scipy_sqrtm():
  rng = np.random.default_rng(0)
  for dim in (1, 3, 16):
    mu1, mu2, s1, s2 = rng.normal(size=dim), rng.normal(size=dim), _random_spd(rng, dim), _random_spd(rng, dim)
    direct = np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * scipy.linalg.sqrtm(s1 @ s2).real)
    assert scores.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(direct, rel=1e-8)


def test_frechet_distance_identical_and_diagonal():
  rng = np.random.default_rng(1)
  mu, sigma = rng.normal(size=8), _random_spd(rng, 8)
  assert scores.frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-8)
  a, b = rng.uniform(0.1, 2.0, 5), rng.uniform(0.1, 2.0, 5)
  # Diagonal Gaussians: ||mu1 - mu2||^2 + sum (sqrt(a) - sqrt(b))^2.
  expected = np.sum((mu[:5] - 1.0) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
  assert scores.frechet_distance(mu[:5], np.diag(a), np.ones(5), np.diag(b)) == pytest.approx(expected, rel=1e-10)


def test_frechet_distance_of_singular_covariances():
  """Fewer points than dimensions: rank-deficient covariances still give a finite, non-negative distance."""
  rng = np.random.default_rng(2)
  a, b = rng.normal(size=(5, 20)), rng.normal(size=(5, 20)) + 1.0
  distance = scores.frechet_distance_from_features(a, b)
  assert np.isfinite(distance) and distance > 15.0  # the means alone are ~20 apart (squared)
  assert scores.frechet_distance_from_features(a, a) == pytest.approx(0.0, abs=1e-6)


def test_gaussian_statistics():
  features = np.random.default_rng(3).normal(size=(50, 4))
  mu, sigma = scores.gaussian_statistics(features)
  assert mu.shape == (4,) and sigma.shape == (4, 4)
  np.testing.assert_allclose(sigma, np.cov(features.T), rtol=1e-12)
  np.testing.assert_allclose(mu, features.mean(axis=0), rtol=1e-12)


def test_inception_score_extremes():
  one_hot = np.eye(10)[np.arange(1000) % 10]
  assert scores.inception_score(one_hot) == pytest.approx(10.0)
  assert scores.inception_score(np.eye(10)[np.full(100, 4)]) == pytest.approx(1.0)
  assert scores.inception_score(np.full((100, 10), 0.1)) == pytest.approx(1.0)  # unsure predictions
  # Half the samples certain of class 0, half of class 1: p(y) = (1/2, 1/2), each KL = log 2.
  assert scores.inception_score(np.eye(10)[np.arange(100) % 2]) == pytest.approx(2.0)


def test_class_coverage_and_kl():
  labels = np.repeat(np.arange(10), [50, 30, 19, 1, 0, 0, 0, 0, 0, 0])
  probs = np.eye(10)[labels]
  assert scores.class_coverage(probs) == 4
  assert scores.class_coverage(probs, min_fraction=0.02) == 3
  histogram = np.array([0.5, 0.3, 0.19, 0.01])
  assert scores.class_kl(probs) == pytest.approx(np.sum(histogram * np.log(10 * histogram)))
  assert scores.class_kl(np.eye(10)[np.arange(200) % 10]) == pytest.approx(0.0, abs=1e-12)
  assert scores.class_kl(np.eye(10)[np.zeros(7, int)]) == pytest.approx(np.log(10))


# --- The shipped digit classifier. ---


@pytest.fixture(scope="module")
def digits() -> data.ImageDataset:
  return data.load("digits")


@pytest.fixture(scope="module")
def scorer() -> jgan_eval.DigitScorer:
  return jgan_eval.load_digit_scorer()


@pytest.fixture(scope="module")
def digit_features(scorer, digits) -> tuple[np.ndarray, np.ndarray]:
  return scorer.forward(digits.images)


def test_preprocess_uint8_and_float_agree(digits):
  images = digits.images[:16]
  from_uint8 = classifier.preprocess(images)
  assert from_uint8.shape == (16, 32, 32, 1) and from_uint8.dtype == jnp.float32
  np.testing.assert_array_equal(from_uint8, classifier.preprocess(data.to_unit_range(jnp.asarray(images))))
  np.testing.assert_array_equal(from_uint8, classifier.preprocess(images[..., 0]))
  padded = data.load("digits", image_size=32).images[:16]
  np.testing.assert_array_equal(from_uint8, data.to_unit_range(jnp.asarray(padded)))
  np.testing.assert_array_equal(from_uint8, classifier.preprocess(padded))
  assert float(from_uint8[:, :2].max()) == -1.0  # the padding is background


@pytest.mark.parametrize("shape, dtype, message", [
    ((4, 16, 16, 1), np.uint8, r"must be \(N, 28\|32"),
    ((4, 28, 28, 3), np.uint8, r"must be \(N, 28\|32"),
    ((4, 28, 28), np.int32, "uint8 or float"),
])
def test_preprocess_refuses_other_images(shape, dtype, message: str):
  with pytest.raises(ValueError, match=message):
    classifier.preprocess(np.zeros(shape, dtype))


def test_training_distortions():
  from jgan.eval import train_classifier
  image = jnp.asarray(np.random.default_rng(0).uniform(-1, 1, (32, 32, 1)), jnp.float32)
  warp_jit = jax.jit(train_classifier._warp)  # one compilation for the three calls, not op-by-op dispatch
  warp = lambda angle, scale, shift: warp_jit(image, jnp.float32(angle), jnp.float32(scale),
                                              jnp.asarray(shift, jnp.float32))
  np.testing.assert_allclose(warp(0.0, 1.0, [0.0, 0.0]), image, atol=1e-5)
  # A shift of one row down: row i reads row i - 1, the first row is background.
  shifted = warp(0.0, 1.0, [1.0, 0.0])
  np.testing.assert_allclose(shifted[1:], image[:-1], atol=1e-5)
  np.testing.assert_allclose(shifted[0], -1.0)
  # A quarter turn moves the pixels on a circle: it is np.rot90 (which way depends on the sign convention).
  turned = np.asarray(warp(np.pi / 2, 1.0, [0.0, 0.0]))
  assert min(np.abs(turned - np.rot90(image, k)).max() for k in (1, 3)) < 1e-4
  batch = train_classifier.augment(jax.random.PRNGKey(0), jnp.stack([image] * 5))
  assert batch.shape == (5, 32, 32, 1) and float(jnp.abs(batch - image).mean()) > 0.05


def test_classifier_heldout_accuracy_matches_its_record(scorer, digits, digit_features):
  _, heldout = classifier.heldout_split(len(digits))
  train, _ = classifier.heldout_split(len(digits))
  assert len(heldout) == 2000 and len(train) == 8000 and not set(train) & set(heldout)
  predicted = np.argmax(digit_features[1], axis=1)
  accuracy = float(np.mean(predicted[heldout] == digits.labels[heldout]))
  record = json.loads(classifier.RECORD.read_text())
  assert accuracy >= 0.98
  assert accuracy == pytest.approx(record["heldout_accuracy"], abs=1e-3)
  assert record["split"] == {"seed": classifier.SPLIT_SEED, "train": 8000, "heldout": 2000,
                             "how": "jgan.eval.classifier.heldout_split"}
  assert jgan_eval.classifier_accuracy(digits.images[heldout[:500]], digits.labels[heldout[:500]],
                                       scorer=scorer) == pytest.approx(np.mean(predicted[heldout[:500]] ==
                                                                               digits.labels[heldout[:500]]))


def test_features_and_probs_shapes(scorer, digits, digit_features):
  features, probs = digit_features
  assert features.shape == (10000, 128) and probs.shape == (10000, 10)
  np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-9)
  assert features.min() >= 0.0  # ReLU features
  # Batches are independent of their company: 7 images alone score as within the 10,000.
  np.testing.assert_allclose(scorer.features(digits.images[:7]), features[:7], rtol=1e-5, atol=1e-5)


def test_real_digits_score_as_real(scorer, digits, digit_features):
  features, probs = digit_features
  assert scores.class_coverage(probs) == 10 and scores.class_kl(probs) < 0.01
  assert scores.inception_score(probs) > 9.5
  halves = scores.frechet_distance_from_features(features[0::2], features[1::2])  # the classes are interleaved
  floor = scorer.fd_floor(digits.images[::4])  # two random halves of 1,250 digits: larger, FD is biased upwards
  assert 0.0 < halves < 5.0 and halves < floor < 15.0
  real_stats = scores.gaussian_statistics(features)
  noise = scorer.digit_scores(np.random.default_rng(0).integers(0, 256, (500, 28, 28), np.uint8),
                              real_statistics=real_stats)
  repeated = scorer.digit_scores(np.repeat(digits.images[:1], 500, axis=0), real_statistics=real_stats)
  assert noise["fd"] > 100 * halves and repeated["fd"] > 100 * halves
  assert repeated["class_coverage"] == 1 and repeated["class_kl"] == pytest.approx(np.log(10))
  assert repeated["inception_score"] == pytest.approx(1.0, abs=1e-6)


def test_digit_scores_of_real_halves_accepts_floats(scorer, digits):
  # The embedded digits are grouped by class: strided subsets hold every class. 1,000 vs 2,000 real digits.
  generated = data.to_unit_range(jnp.asarray(digits.images[0::10]))  # what a generator outputs: [-1, 1] floats
  result = jgan_eval.digit_scores(generated, digits.images[1::5], scorer=scorer)
  assert set(result) == {"fd", "inception_score", "class_coverage", "class_kl"}
  assert result["fd"] < 15.0 and result["class_coverage"] == 10 and result["inception_score"] > 9.0
  assert result["class_kl"] < 0.02
  with pytest.raises(ValueError, match="exactly one of"):
    scorer.digit_scores(generated)


# --- Parzen windows. ---


def _parzen_numpy(samples: np.ndarray, test: np.ndarray, sigma: float) -> np.ndarray:
  """Goodfellow et al. 2014's estimator written out in float64."""
  a = (test[:, None, :] - samples[None, :, :]) / sigma
  exponent = -0.5 * np.sum(a ** 2, axis=2)
  peak = exponent.max(axis=1, keepdims=True)
  log_sum = peak[:, 0] + np.log(np.exp(exponent - peak).sum(axis=1))
  return log_sum - np.log(len(samples)) - samples.shape[1] * np.log(sigma * np.sqrt(2 * np.pi))


def test_parzen_matches_numpy():
  rng = np.random.default_rng(0)
  samples, test = rng.uniform(size=(37, 3, 4)), rng.uniform(size=(11, 3, 4))  # images flattened to 12 values
  for sigma in (0.1, 0.3, 1.0):
    expected = _parzen_numpy(samples.reshape(37, -1), test.reshape(11, -1), sigma)
    got = parzen.parzen_log_likelihood(samples, test, sigma, batch_size=4)  # 3 chunks, the last one padded
    assert got.shape == (11,)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)


def test_bandwidth_selection_finds_the_obvious_sigma():
  # One sample at the origin, validation points at distance 1.2 in 4-D: the likelihood -D^2 / (2 s^2) - d log s
  # peaks at s = D / sqrt(d) = 0.6, and the grid's nearest value (0.599) is also its best.
  validation = np.array([[1.2, 0, 0, 0], [0, -1.2, 0, 0], [0, 0, 0.72, 0.96]])
  sigma = parzen.select_bandwidth(np.zeros((1, 4)), validation)
  assert sigma == pytest.approx(parzen.SIGMAS[7]) and sigma == pytest.approx(0.5995, abs=1e-4)
  # Validation on the samples themselves: the narrowest kernel wins.
  assert parzen.select_bandwidth(validation, validation) == pytest.approx(0.1)


def test_parzen_evaluate_on_a_gaussian():
  rng = np.random.default_rng(0)
  samples, validation, test = rng.normal(size=(2000, 1)), rng.normal(size=(500, 1)), rng.normal(size=(2000, 1))
  result = parzen.parzen_evaluate(samples, validation, test)
  assert set(result) == {"sigma", "mean", "std_error"}
  assert 0.15 < result["sigma"] < 0.6  # Silverman's rule says 1.06 * 2000^(-1/5) = 0.23
  np.testing.assert_allclose(result["mean"], -0.5 * np.log(2 * np.pi * np.e), atol=0.06)  # -entropy of N(0, 1)
  assert 0.01 < result["std_error"] < 0.03  # std of log p(x) is 1 / sqrt(2) for N(0, 1), over sqrt(2000)


# --- Summaries over seeds. ---


def test_mean_and_spread_over_seeds():
  from jgan.eval.summary import mean_and_spread
  # mean 2, sample variance ((1 + 0 + 1) / 2) = 1.
  assert mean_and_spread([1.0, 2.0, 3.0]) == "2.000 ± 1.000"
  assert mean_and_spread([0.5], ".1f") == "0.5 (1 seed)"
  assert mean_and_spread([]) == "(not run)"
