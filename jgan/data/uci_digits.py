"""`uci_digits`: the 1,797 real 8x8 handwritten digits of the UCI "Optical Recognition of Handwritten Digits" set.

Source: scikit-learn's bundled copy (`sklearn.datasets.load_digits`, the test set of the UCI data set by E. Alpaydin
and C. Kaynak, Bogazici University, 1998; https://archive.ics.uci.edu/dataset/80, DOI 10.24432/C50P49, CC BY 4.0 on
that page), shipped in the scikit-learn wheel (BSD-3-Clause), so it loads offline. Each pixel counts the "on" pixels
of a 4x4 block of a 32x32 NIST bitmap, 0..16; `round(v * 255 / 16)` maps that onto uint8 0..255. The images stay
8x8 (N, 8, 8, 1): a second digit domain for translation (`jgan.data.tasks` brings them to 32x32). Its fixed split:
`jgan.data.splits`.
"""

from __future__ import annotations

import functools

import numpy as np

NUM_EXAMPLES, SIDE, MAX_COUNT = 1797, 8, 16


@functools.cache
def _read() -> tuple[np.ndarray, np.ndarray]:
  from sklearn.datasets import load_digits  # imported here: sklearn takes about a second to import
  bunch = load_digits()
  counts = np.asarray(bunch.images)
  if counts.shape != (NUM_EXAMPLES, SIDE, SIDE) or counts.min() < 0 or counts.max() > MAX_COUNT:
    raise ValueError(f"sklearn's load_digits changed: images {counts.shape}, values {counts.min()}..{counts.max()}")
  images = np.round(counts * (255.0 / MAX_COUNT)).astype(np.uint8)[..., None]
  labels = np.asarray(bunch.target, np.int32)
  images.flags.writeable = labels.flags.writeable = False  # cached: shared by every caller
  return images, labels


def load_uci_digits() -> tuple[np.ndarray, np.ndarray]:
  """(images (1797, 8, 8, 1) uint8, labels (1797,) int32) in scikit-learn's order."""
  images, labels = _read()
  return images.copy(), labels.copy()
