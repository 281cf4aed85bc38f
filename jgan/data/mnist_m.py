"""`mnist_m`: the embedded digits blended with colour photographs, by the recipe of MNIST-M.

Ganin and Lempitsky, "Unsupervised Domain Adaptation by Backpropagation" (arXiv:1409.7495, Sec. 5): each MNIST digit
is combined with a patch cut at random from a colour photograph (BSDS500 there) as the per-pixel, per-channel absolute
difference, out = |patch - digit|, so strokes invert the photo's colours. Here:
  * the digits are the 10,000 embedded ones, zero-padded 28 -> 32 (as the digit classifier sees them), one coloured
    image per digit: `load_mnist_m()[i]` is digit i with its label;
  * the patches are 32x32 crops of `jgan.data.photos` (BSDS500 is not in any package registry), and each split's
    digits (`jgan.data.splits`) take their patches only from the same split's photos, so no photo content is shared
    between training and test images;
  * the digit's grey levels enter the difference as they are (the paper's formula); the script that most MNIST-M
    copies come from (pumpikano/tf-dann) first binarizes the digit (x > 0), which hardens the strokes' edges.
Seeded and deterministic; it takes about 0.2 s to build (10,000 crops and a subtraction), so it is built on every
call rather than cached.
"""

from __future__ import annotations

import numpy as np

from jgan.data.paired import SPLITS

SIDE = 32
SEED = 0


def blend(digits: np.ndarray, patches: np.ndarray) -> np.ndarray:
  """|patch - digit| per pixel and channel: uint8 (N, H, W, 1) digits and (N, H, W, 3) patches -> (N, H, W, 3)."""
  return np.abs(patches.astype(np.int16) - digits.astype(np.int16)).astype(np.uint8)


def load_mnist_m(seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
  """(images (10000, 32, 32, 3) uint8, labels (10000,) int32), index i the colouring of embedded digit i."""
  from jgan import data
  from jgan.data import photos, splits
  digits = data.load("digits", image_size=SIDE, resize="pad")
  images = np.empty(digits.images.shape[:3] + (3,), np.uint8)
  for number, split in enumerate(SPLITS):
    index = splits.split_indices("digits", split)
    rng = np.random.default_rng([seed, number])  # one stream per split: a split's images do not depend on another's
    patches = photos.random_crops([image for _, image in photos.load_photos(split)], len(index), SIDE, rng)
    images[index] = blend(digits.images[index], patches)
  return images, digits.labels
