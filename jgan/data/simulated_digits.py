"""`simulated_digits`: 10,000 digits rendered from the DejaVu fonts with random affine jitter, with known labels: the
simulator of jgan's SimGAN experiment (Shrivastava et al. 2017). Built by `jgan/data/build_simulated_digits.py`
(fonts, licence and recipe recorded there) into `simulated_digits.npz`, shipped in the package.

Images (N, 32, 32, 1) uint8, white digits on black, laid out as the embedded digits padded to 32x32. Fixed splits
by index: 'train' the first 8,000, 'validation' the next 1,000, 'test' the last 1,000.
"""

from __future__ import annotations

import functools
import pathlib

import numpy as np

PATH = pathlib.Path(__file__).with_name("simulated_digits.npz")
SPLITS = {"train": slice(0, 8000), "validation": slice(8000, 9000), "test": slice(9000, 10000)}


@functools.cache
def _read() -> tuple[np.ndarray, np.ndarray]:
  if not PATH.is_file():
    raise FileNotFoundError(f"{PATH} is missing; build it with python -m jgan.data.build_simulated_digits")
  with np.load(PATH) as stored:
    images, labels = stored["images"], stored["labels"].astype(np.int32)
  images.flags.writeable = labels.flags.writeable = False
  return images, labels


def load_simulated_digits(split: str | None = None) -> tuple[np.ndarray, np.ndarray]:
  """(images (N, 32, 32, 1) uint8, labels (N,) int32): all 10,000, or one split of them."""
  images, labels = _read()
  if split is None:
    return images.copy(), labels.copy()
  if split not in SPLITS:
    raise ValueError(f"split must be one of {tuple(SPLITS)}, got {split!r}")
  return images[SPLITS[split]].copy(), labels[SPLITS[split]].copy()
