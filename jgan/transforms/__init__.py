"""Optax gradient transformations and optimizer chains used by jgan."""

from jgan.transforms._clipping import clip_params, clip_to_box
from jgan.transforms._optimizers import adam, rmsprop_torch

__all__ = ["adam", "clip_params", "clip_to_box", "rmsprop_torch"]
