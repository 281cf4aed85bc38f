"""Optax gradient transformations and optimizer chains used by jgan."""

from jgan.transforms._clipping import clip_params, clip_to_box, max_column_norm
from jgan.transforms._historical_averaging import HistoricalAveragingState, historical_averaging
from jgan.transforms._optimizers import adam, constant_then_linear_decay, rmsprop_torch

__all__ = ["HistoricalAveragingState", "adam", "clip_params", "constant_then_linear_decay", "clip_to_box",
           "historical_averaging", "max_column_norm", "rmsprop_torch"]
