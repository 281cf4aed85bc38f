"""The shipped classifiers of the image domains (jgan.eval.domain_classifiers): they load, they classify their domain's
held-out images well, they refuse images of another kind, and the digit classifier is unchanged by the generalization
of DigitCNN to C channels."""

from __future__ import annotations

import json

import jax.numpy as jnp
import numpy as np
import pytest

from jgan import data
from jgan.eval import classifier, domain_classifiers, load_digit_scorer

BAR = {"mnist_m": 0.85, "uci_digits": 0.9}  # on the first 200 test images; the records say ~0.9+ and ~0.99 on all


@pytest.fixture(scope="module")
def scorers() -> dict[str, domain_classifiers.DomainScorer]:
  return {domain: domain_classifiers.load_domain_scorer(domain) for domain in domain_classifiers.DOMAINS}


@pytest.fixture(scope="module")
def test_sets() -> dict[str, tuple[np.ndarray, np.ndarray]]:
  return {domain: domain_classifiers.domain_split(domain, "test") for domain in domain_classifiers.DOMAINS}


@pytest.mark.parametrize("domain", ["mnist_m", "uci_digits"])
def test_shipped_classifier_scores_its_test_split(domain: str, scorers, test_sets):
  scorer, (images, labels) = scorers[domain], test_sets[domain]
  assert images.shape[1:] == (32, 32, domain_classifiers.CHANNELS[domain])
  probs = scorer.probs(images[:200])
  assert probs.shape == (200, 10) and scorer.features(images[:7]).shape == (7, classifier.FEATURES)
  np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-9)
  assert scorer.accuracy(images[:200], labels[:200]) >= BAR[domain]
  # uint8 pixels and floats in [-1, 1] are the same images.
  floats = data.to_unit_range(jnp.asarray(images[:200]))
  np.testing.assert_allclose(scorer.probs(floats), probs, rtol=1e-5, atol=1e-6)
  record = json.loads(domain_classifiers.record_path(domain).read_text())
  assert record["domain"] == domain and record["split"]["test"] == len(labels)
  assert scorer.accuracy(images, labels) == pytest.approx(record["test_accuracy"], abs=1e-3)
  assert record["validation_accuracy"] == max(record["validation_accuracy_per_epoch"])
  assert domain_classifiers.weights_path(domain).stat().st_size < 1_200_000  # DigitCNN's size: nothing bigger shipped


def test_digit_classifier_unchanged_by_the_channel_generalization(scorers):
  digits = data.load("digits")
  _, heldout = classifier.heldout_split(len(digits))
  images, labels = digits.images[heldout], digits.labels[heldout]
  # 0.986 = 1,972 of the 2,000 held-out digits: the record, and what the classifier scored before DigitCNN had
  # a `channels` field.
  assert scorers["digits"].accuracy(images, labels) == pytest.approx(0.986, abs=0.002)
  assert json.loads(classifier.RECORD.read_text())["heldout_accuracy"] == pytest.approx(0.986, abs=0.002)
  np.testing.assert_array_equal(scorers["digits"].probs(images[:50]), load_digit_scorer().probs(images[:50]))


def test_grey_scorers_read_rgb_as_the_mean_of_its_channels(scorers, test_sets):
  for domain in ("digits", "uci_digits"):
    images = test_sets[domain][0][:20]
    grey = scorers[domain].probs(images)
    np.testing.assert_allclose(scorers[domain].probs(np.repeat(images, 3, axis=-1)), grey, rtol=1e-5, atol=1e-6)
    floats = data.to_unit_range(jnp.asarray(np.repeat(images, 3, axis=-1)))
    np.testing.assert_allclose(scorers[domain].probs(floats), grey, rtol=1e-5, atol=1e-6)
  digits = test_sets["digits"][0][:20]
  np.testing.assert_array_equal(scorers["digits"].probs(digits[..., 0]), scorers["digits"].probs(digits))  # (N, H, W)


@pytest.mark.parametrize("domain, shape, message", [
    ("mnist_m", (4, 32, 32, 1), "grey images are not broadcast to colour"),
    ("mnist_m", (4, 32, 32), "grey images are not broadcast to colour"),
    ("mnist_m", (4, 32, 32, 4), "takes 3-channel images"),
    ("mnist_m", (4, 28, 28, 3), r"must be \(N, 32, 32, 3\)"),
    ("uci_digits", (4, 32, 32, 2), "takes 1-channel images"),
    ("uci_digits", (4, 8, 8, 1), r"must be \(N, 32, 32, 1\)"),
    ("digits", (4, 32, 32, 4), "takes 1-channel images"),
    ("digits", (4, 32, 32, 3, 1), r"must be \(N, 28\|32"),
])
def test_images_of_another_kind_are_refused(domain: str, shape: tuple[int, ...], message: str, scorers):
  with pytest.raises(ValueError, match=message):
    scorers[domain].probs(np.zeros(shape, np.uint8))


def test_unknown_domain_and_wrong_dtype_are_refused(scorers):
  with pytest.raises(ValueError, match="no classifier for domain 'svhn'"):
    domain_classifiers.load_domain_scorer("svhn")
  with pytest.raises(ValueError, match="uint8 or float"):
    scorers["digits"].probs(np.zeros((4, 32, 32, 3), np.int32))
