"""Scores from a classifier's view of the samples: Frechet distance of features, Inception score, class usage.

All computed in float64 numpy on the host; the network that makes the features and probabilities is the caller's
(for digits, `jgan.eval.digits.DigitScorer`).
"""

from __future__ import annotations

import numpy as np


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
  """Symmetric square root of a symmetric positive semi-definite matrix, by eigendecomposition."""
  eigenvalues, eigenvectors = np.linalg.eigh(matrix)
  # Round-off makes the zero eigenvalues of singular covariances slightly negative.
  return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
  """Frechet (Wasserstein-2 squared) distance between N(mu1, sigma1) and N(mu2, sigma2): the FID formula.

  Heusel et al. 2017: ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)). S1 S2 is not symmetric, but it is similar
  to the PSD matrix S1^(1/2) S2 S1^(1/2), so Tr (S1 S2)^(1/2) = sum sqrt(eig(S1^(1/2) S2 S1^(1/2))): two symmetric
  eigendecompositions in float64 instead of scipy's general `sqrtm`, whose complex round-off needs patching.
  """
  mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
  sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
  root1 = _sqrt_psd(sigma1)
  product = root1 @ sigma2 @ root1
  eigenvalues = np.linalg.eigvalsh((product + product.T) / 2)  # symmetrized against round-off
  trace_sqrt = np.sum(np.sqrt(np.clip(eigenvalues, 0.0, None)))
  distance = np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt
  return float(max(distance, 0.0))  # never below 0, which only round-off could reach


def gaussian_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """Mean and covariance (unbiased, as in the FID code) of (N, D) features, in float64."""
  features = np.asarray(features, np.float64).reshape(len(features), -1)
  return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance_from_features(a: np.ndarray, b: np.ndarray) -> float:
  """Frechet distance between Gaussians fitted to two feature sets (N, D) and (M, D)."""
  return frechet_distance(*gaussian_statistics(a), *gaussian_statistics(b))


def _kl_to(p: np.ndarray, q: np.ndarray) -> np.ndarray:
  """KL(p || q) along the last axis, with 0 log 0 = 0."""
  p = np.asarray(p, np.float64)
  ratio = np.where(p > 0, p / np.where(p > 0, q, 1.0), 1.0)
  return np.sum(p * np.log(ratio), axis=-1)


def inception_score(probs: np.ndarray) -> float:
  """Inception score exp(E_x KL(p(y|x) || p(y))) of Salimans et al. 2016, p(y) being the mean of the (N, K) rows.

  Between 1 (every sample gets the same prediction) and K (confident, and every class equally often). Computed on
  the whole set at once, not averaged over 10 splits as in the paper's code.
  """
  probs = np.asarray(probs, np.float64)
  marginal = probs.mean(axis=0, keepdims=True)
  return float(np.exp(np.mean(_kl_to(probs, marginal))))


def class_histogram(probs: np.ndarray) -> np.ndarray:
  """Fraction of the (N, K) rows whose argmax is each class, shape (K,)."""
  probs = np.asarray(probs)
  return np.bincount(np.argmax(probs, axis=1), minlength=probs.shape[1]) / len(probs)


def class_coverage(probs: np.ndarray, *, min_fraction: float = 0.01) -> int:
  """Number of classes predicted (argmax) for at least `min_fraction` of the samples: a mode count for images."""
  return int(np.sum(class_histogram(probs) >= min_fraction))


def class_kl(probs: np.ndarray) -> float:
  """KL(histogram of predicted classes || uniform): 0 for balanced classes, log K for a single one."""
  histogram = class_histogram(probs)
  return float(_kl_to(histogram, np.full_like(histogram, 1.0 / len(histogram))))
