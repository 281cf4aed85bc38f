"""Evaluation metrics computed from samples."""

from jgan.eval.coverage import mode_coverage
from jgan.eval.digits import DigitScorer, classifier_accuracy, digit_scores, load_digit_scorer
from jgan.eval.distances import sliced_wasserstein, wasserstein_1d, wasserstein_2d
from jgan.eval.parzen import parzen_evaluate, parzen_log_likelihood, select_bandwidth
from jgan.eval.scores import (class_coverage, class_kl, frechet_distance, frechet_distance_from_features,
                              gaussian_statistics, inception_score)

__all__ = ["DigitScorer", "class_coverage", "class_kl", "classifier_accuracy", "digit_scores", "frechet_distance",
           "frechet_distance_from_features", "gaussian_statistics", "inception_score", "load_digit_scorer",
           "mode_coverage", "parzen_evaluate", "parzen_log_likelihood", "select_bandwidth", "sliced_wasserstein",
           "wasserstein_1d", "wasserstein_2d"]
