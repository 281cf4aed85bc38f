"""Scores of generated digits through jgan's digit classifier: the FID / Inception-score protocol, for digits.

The classifier of `jgan.eval.classifier` stands in for Inception: Frechet distance between its penultimate (128-d)
features of generated and real digits (Heusel et al. 2017), Inception score of its predictions (Salimans et al.
2016), and how many of the 10 classes the generator produces (a mode count) and how evenly (KL to uniform).
Scores from this classifier are comparable within jgan only, not with published FIDs on Inception features.
"""

from __future__ import annotations

import dataclasses
import pathlib

import flax
import jax
import numpy as np

from jgan.eval import classifier, scores


@dataclasses.dataclass(frozen=True)
class DigitScorer:
  """The trained digit classifier. Images: (N, 28|32, 28|32[, 1]), uint8 pixels or floats in [-1, 1]."""

  params: dict
  batch_size: int = 500

  def forward(self, images: np.ndarray | jax.Array) -> tuple[np.ndarray, np.ndarray]:
    """(features (N, 128), class probabilities (N, 10)), float64."""
    features, logits = classifier.forward(self.params, images, batch_size=self.batch_size)
    # Softmax in numpy: jax would compute it in float32, and the scores take logs of small probabilities.
    logits = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    return features.astype(np.float64), probs / probs.sum(axis=1, keepdims=True)

  def features(self, images: np.ndarray | jax.Array) -> np.ndarray:
    """Penultimate-layer features (N, 128): the space of the Frechet distance."""
    return self.forward(images)[0]

  def probs(self, images: np.ndarray | jax.Array) -> np.ndarray:
    """Class probabilities (N, 10)."""
    return self.forward(images)[1]

  def statistics(self, images: np.ndarray | jax.Array) -> tuple[np.ndarray, np.ndarray]:
    """(mean, covariance) of the features: compute once for a real set, pass to `digit_scores` many times."""
    return scores.gaussian_statistics(self.features(images))

  def digit_scores(self, generated: np.ndarray | jax.Array, real: np.ndarray | jax.Array | None = None, *,
                   real_statistics: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
    """{"fd", "inception_score", "class_coverage", "class_kl"} of `generated` against `real` (or its statistics).

    FD depends on the sample sizes (its estimate is biased upwards for small sets): compare generators at equal
    sizes, and against `fd_floor` of real sets of that size.
    """
    if (real is None) == (real_statistics is None):
      raise ValueError("digit_scores needs exactly one of real images or real_statistics")
    features, probs = self.forward(generated)
    mu, sigma = scores.gaussian_statistics(features)
    real_mu, real_sigma = self.statistics(real) if real_statistics is None else real_statistics
    return {"fd": scores.frechet_distance(mu, sigma, real_mu, real_sigma),
            "inception_score": scores.inception_score(probs),
            "class_coverage": scores.class_coverage(probs), "class_kl": scores.class_kl(probs)}

  def fd_floor(self, real: np.ndarray | jax.Array, *, seed: int = 0) -> float:
    """FD between two disjoint random halves of `real`: what a perfect generator of len(real) / 2 samples scores."""
    order = np.random.default_rng(seed).permutation(len(real))
    half = len(real) // 2
    features = self.features(np.asarray(real)[order[:2 * half]])
    return scores.frechet_distance_from_features(features[:half], features[half:])

  def accuracy(self, images: np.ndarray | jax.Array, labels: np.ndarray) -> float:
    """Fraction of `images` classified as their `labels`: how well a class-conditional generator obeys."""
    return float(np.mean(np.argmax(self.probs(images), axis=1) == np.asarray(labels)))

  classifier_accuracy = accuracy  # the name of the module-level function, for callers holding a scorer


def load_digit_scorer(path: str | pathlib.Path = classifier.WEIGHTS) -> DigitScorer:
  """The classifier with the weights shipped in the package (no training, no download)."""
  path = pathlib.Path(path)
  if not path.is_file():
    raise FileNotFoundError(f"{path}: no digit classifier weights; make them with "
                            "python -m jgan.eval.train_classifier")
  params = flax.serialization.from_bytes(classifier.init_params(jax.random.PRNGKey(0)), path.read_bytes())
  return DigitScorer(params=params)


def digit_scores(generated: np.ndarray | jax.Array, real: np.ndarray | jax.Array, *,
                 scorer: DigitScorer | None = None) -> dict:
  """`DigitScorer.digit_scores` with the shipped classifier (loaded unless `scorer` is given)."""
  return (scorer or load_digit_scorer()).digit_scores(generated, real)


def classifier_accuracy(images: np.ndarray | jax.Array, labels: np.ndarray, *,
                        scorer: DigitScorer | None = None) -> float:
  """`DigitScorer.accuracy` with the shipped classifier (loaded unless `scorer` is given)."""
  return (scorer or load_digit_scorer()).accuracy(images, labels)
