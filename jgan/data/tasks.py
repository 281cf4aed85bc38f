"""Image-to-image tasks built from the offline data sets: aligned pairs (pix2pix) and unpaired domains (CycleGAN).

Paired (`PAIRED[name](split)`, each on the fixed split of `digits`, `jgan.data.splits`, with the digits' labels):
  * `edges2digits`: A = the digit's edge map, B = the digit, both (N, 32, 32, 1). Edges are where the Sobel gradient
    magnitude of the padded digit (pixels in [0, 1], the kernel scaled so a unit step gives 1) exceeds
    `EDGE_THRESHOLD` = 0.5: a closed outline on both sides of every stroke, like the outlines of pix2pix's
    edges2shoes. Sobel rather than Canny because it is one vectorized convolution (milliseconds for 10,000 digits;
    skimage's Canny takes about 1 ms a digit) and has no hysteresis thresholds to tune.
  * `digits2mnist_m`: A = the grey digit padded to 32x32 (N, 32, 32, 1), B = its MNIST-M colouring (N, 32, 32, 3).
Unpaired (`unpaired(name_a, name_b, split)`), names among `UNPAIRED_NAMES`: each side at 32x32, `digits` zero-padded
28 -> 32, `uci_digits` resized 8 -> 32 bilinearly, `mnist_m` as built. When both sides derive from the same examples
(`digits` and `mnist_m` are the same 10,000 digits; or a name paired with itself), A takes the even positions of the
split's indices and B the odd ones, so no digit appears on both sides and no pair exists to be learnt from.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from jgan.data.paired import SPLITS, PairedDataset, UnpairedDataset

SIDE = 32
EDGE_THRESHOLD = 0.5
UNPAIRED_NAMES = ("digits", "mnist_m", "uci_digits")
_ORIGIN = {"digits": "digits", "mnist_m": "digits", "uci_digits": "uci_digits"}  # which examples a set is made of
_SOBEL = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32) / 4  # a unit step gives a response of 1


def _check_split(split: str) -> None:
  if split not in SPLITS:
    raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def sobel_edges(images: np.ndarray, threshold: float = EDGE_THRESHOLD) -> np.ndarray:
  """uint8 (N, H, W, 1) -> uint8 (N, H, W, 1) edge maps, 255 where the Sobel magnitude exceeds `threshold`."""
  from scipy import ndimage
  x = images[..., 0].astype(np.float32) / 255.0
  # (1, 3, 3) kernels: each image filtered alone (a 2-D Sobel on the stack would also smooth across images)
  gx = ndimage.correlate(x, _SOBEL[None], mode="constant")
  gy = ndimage.correlate(x, _SOBEL.T[None], mode="constant")
  return np.where(np.hypot(gx, gy) > threshold, 255, 0).astype(np.uint8)[..., None]


def _digits(split: str) -> tuple[np.ndarray, np.ndarray]:
  from jgan import data
  from jgan.data import splits
  digits = data.load("digits", image_size=SIDE, resize="pad")
  index = splits.split_indices("digits", split)
  return digits.images[index], digits.labels[index]


def edges2digits(split: str) -> PairedDataset:
  """A = edge maps, B = digits, (N, 32, 32, 1) uint8 each, with the digits' labels."""
  _check_split(split)
  digits, labels = _digits(split)
  return PairedDataset(name=f"edges2digits:{split}", a=sobel_edges(digits), b=digits, labels=labels)


def digits2mnist_m(split: str) -> PairedDataset:
  """A = grey digits (N, 32, 32, 1), B = the same digits as MNIST-M (N, 32, 32, 3), with their labels."""
  _check_split(split)
  from jgan.data import splits
  digits, labels = _digits(split)
  coloured = _images32("mnist_m")[0][splits.split_indices("mnist_m", split)]
  return PairedDataset(name=f"digits2mnist_m:{split}", a=digits, b=coloured, labels=labels)


PAIRED: dict[str, Callable[[str], PairedDataset]] = {"edges2digits": edges2digits, "digits2mnist_m": digits2mnist_m}


def check_unpaired(name_a: str, name_b: str) -> None:
  """Raises ValueError unless both names are in `UNPAIRED_NAMES`. Cheap: loads nothing."""
  for name in (name_a, name_b):
    if name not in UNPAIRED_NAMES:
      raise ValueError(f"unpaired domain {name!r}: expected one of {list(UNPAIRED_NAMES)}")


def _images32(name: str) -> tuple[np.ndarray, np.ndarray]:
  """All of `name`'s images at 32x32 (see the module docstring) and their labels."""
  from jgan import data
  dataset = data.load(name)
  mode = "bilinear" if name == "uci_digits" else "pad"
  return data.resize_images(dataset.images, SIDE, mode), dataset.labels


def unpaired(name_a: str, name_b: str, split: str) -> UnpairedDataset:
  """Domains A = `name_a`, B = `name_b` of `split` at 32x32, from disjoint examples when both share an origin."""
  _check_split(split)
  check_unpaired(name_a, name_b)
  from jgan.data import splits
  sides = []
  for position, name in enumerate((name_a, name_b)):
    images, labels = _images32(name)
    index = splits.split_indices(name, split)
    if _ORIGIN[name_a] == _ORIGIN[name_b]:
      index = index[position::2]  # A the even positions, B the odd: never the same example on both sides
    sides.append((images[index], labels[index]))
  (a, labels_a), (b, labels_b) = sides
  return UnpairedDataset(name=f"{name_a}+{name_b}:{split}", a=a, b=b, labels_a=labels_a, labels_b=labels_b)
