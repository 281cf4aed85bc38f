"""Evaluation metrics computed from samples."""

from jgan.eval.distances import sliced_wasserstein, wasserstein_1d

__all__ = ["sliced_wasserstein", "wasserstein_1d"]
