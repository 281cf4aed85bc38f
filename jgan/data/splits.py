"""Fixed train / validation / test splits of jgan's labelled offline data sets.

  * `digits` (10,000) and `mnist_m` (the same 10,000 digits, coloured; same indices, same labels):
    'train' = the 8,000 training indices of `jgan.eval.classifier.heldout_split(10000)`, exactly those the shipped
    digit classifier was trained on; the 2,000 held-out indices are split by a seeded permutation
    (`np.random.default_rng(DIGITS_SPLIT_SEED)`) into 'validation' (1,000) and 'test' (1,000).
  * `uci_digits` (1,797): stratified by class, seeded (`UCI_SPLIT_SEED`): 'train' 1,197, 'validation' 300,
    'test' 300, each class in the three in proportion to its size (within one example).
  * `photos` is split by whole photograph, never by crop (`jgan.data.photos.PHOTOS`); `load_split('photos', s)`
    gives crops of split s's photos only.
The three splits of a set are disjoint and together hold every example. Indices are sorted, into `load(name)`'s order.
"""

from __future__ import annotations

import functools

import numpy as np

from jgan.data import ImageDataset
from jgan.data.paired import SPLITS

DIGITS_SPLIT_SEED = 1  # orders the classifier's 2,000 held-out digits into validation | test
UCI_SPLIT_SEED = 0
UCI_SPLIT_SIZES = {"validation": 300, "test": 300}  # train: the other 1,197
LABELLED = ("digits", "mnist_m", "uci_digits")


def _check(name: str, split: str) -> None:
  if split not in SPLITS:
    raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
  if name not in LABELLED + ("photos",):
    raise ValueError(f"no fixed split for data set {name!r}: splits exist for {list(LABELLED) + ['photos']}")


def split_indices(name: str, split: str) -> np.ndarray:
  """Sorted int64 indices into `jgan.data.load(name)` of the examples in `split` of a labelled set."""
  _check(name, split)
  if name == "photos":
    raise ValueError("'photos' is split by photograph, not by index: see jgan.data.photos.PHOTOS (load_photos(split))")
  table = _digit_splits() if name in ("digits", "mnist_m") else _uci_splits()
  return table[split].copy()


@functools.cache
def _digit_splits() -> dict[str, np.ndarray]:
  from jgan.eval.classifier import heldout_split  # the classifier's own split, so its training digits stay 'train'
  train, heldout = heldout_split(10000)
  validation, test = validation_and_test(len(heldout))
  return {"train": train.astype(np.int64), "validation": np.sort(heldout[validation]).astype(np.int64),
          "test": np.sort(heldout[test]).astype(np.int64)}


def validation_and_test(count: int) -> tuple[np.ndarray, np.ndarray]:
  """Sorted positions 0..count-1 of held-out examples, halved into validation | test by the seeded order the digits'
  split uses (`DIGITS_SPLIT_SEED`); for any set held out the same way."""
  order = np.random.default_rng(DIGITS_SPLIT_SEED).permutation(count)
  return np.sort(order[:count // 2]), np.sort(order[count // 2:])


@functools.cache
def _uci_splits() -> dict[str, np.ndarray]:
  from jgan.data import uci_digits
  _, labels = uci_digits.load_uci_digits()
  return stratified_split(labels, UCI_SPLIT_SIZES, seed=UCI_SPLIT_SEED)


def stratified_split(labels: np.ndarray, sizes: dict[str, int], *, seed: int) -> dict[str, np.ndarray]:
  """A seeded split of range(len(labels)) into `sizes` (in order) and 'train' (the rest), each class spread over the
  splits in proportion to its size.

  Each class's members are shuffled and given evenly spaced ranks in (0, 1); taking examples in rank order (ties
  in a random order) hands every class to every split at the same rate, whatever the sizes.
  """
  rng = np.random.default_rng(seed)
  rank = np.empty(len(labels))
  for label in np.unique(labels):
    members = rng.permutation(np.flatnonzero(labels == label))
    rank[members] = (np.arange(len(members)) + 0.5) / len(members)
  order = np.lexsort((rng.permutation(len(labels)), rank))
  result, start = {}, 0
  for split, size in sizes.items():
    result[split] = np.sort(order[start:start + size]).astype(np.int64)
    start += size
  if start > len(labels):
    raise ValueError(f"split sizes {sizes} exceed the {len(labels)} examples")
  result["train"] = np.sort(order[start:]).astype(np.int64)
  return result


def load_split(name: str, split: str) -> ImageDataset:
  """`split` of data set `name` as a `jgan.data.ImageDataset` (see the module docstring for the splits)."""
  _check(name, split)
  from jgan import data
  if name == "photos":
    return data.load("photos", split=split)
  full = data.load(name)
  index = split_indices(name, split)
  return ImageDataset(name=f"{name}:{split}", images=full.images[index], labels=full.labels[index])
