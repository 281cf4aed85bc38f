"""The offline data sets that `jgan.data.load` builds from packages a registry serves (see each module for provenance).

  * `uci_digits` (`jgan.data.uci_digits`): 1,797 real 8x8 digits from scikit-learn;
  * `photos` (`jgan.data.photos`): 64x64 crops of natural photographs from scikit-image and scikit-learn, of one split;
  * `mnist_m` (`jgan.data.mnist_m`): the 10,000 embedded digits blended with photo crops, 32x32x3.
`moving_digits` (`jgan.data.moving_digits`) is a set of clips, not images: `load` refuses it with a pointer there.
"""

from __future__ import annotations

import numpy as np

IMAGE_SETS = ("uci_digits", "photos", "mnist_m")
CLIP_SETS = {"moving_digits": "jgan.data.moving_digits.moving_digits(num_clips, num_frames, seed=..., split=...)"}


def check_not_clips(name: str) -> None:
  """Raises ValueError when `name` is a set of clips, which no image loader takes."""
  if name in CLIP_SETS:
    raise ValueError(f"{name!r} is a set of video clips (N, T, H, W, C), not of images: get it with "
                     f"{CLIP_SETS[name]}")


def load_arrays(name: str, split: str = "train") -> tuple[np.ndarray, np.ndarray | None]:
  """(uint8 (N, H, W, C) images, int32 labels or None) of offline set `name`; `split` matters only for `photos`
  (the others come whole: `jgan.data.splits.load_split` gives their fixed splits)."""
  if name == "uci_digits":
    from jgan.data.uci_digits import load_uci_digits
    return load_uci_digits()
  if name == "photos":
    from jgan.data.photos import load_crops
    return load_crops(split), None
  if name == "mnist_m":
    from jgan.data.mnist_m import load_mnist_m
    return load_mnist_m()
  raise ValueError(f"unknown offline data set {name!r}: expected one of {list(IMAGE_SETS)}")
