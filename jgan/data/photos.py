"""`photos`: natural colour photographs shipped inside the scikit-image and scikit-learn wheels, split by photograph.

Only photographs that those wheels carry load here (scikit-image fetches the rest, e.g. `eagle`, `lily`, with `pooch`
from the network: excluded). Chosen: every natural colour photograph of either wheel, less near-duplicates and
non-scenes (`cat` is `chelsea`; the right stereo view of `motorcycle` repeats the left; `hubble_deep_field`,
`retina` and `immunohistochemistry` are mostly black or microscopy; `colorwheel` and `logo` are drawings; the
grey photographs would give grey crops). Licences as each package documents them (scikit-image: the docstrings of
`skimage.data`; scikit-learn: `sklearn/datasets/images/README.txt`):

  name             split        size      source and licence
  astronaut        train        512x512   skimage; NASA, Eileen Collins; public domain
  chelsea          train        300x451   skimage; Stefan van der Walt; CC0
  rocket           train        427x640   skimage; SpaceX (DSCOVR launch); public domain
  motorcycle_left  train        500x741   skimage (`stereo_motorcycle`); Middlebury 2014 stereo set (Scharstein et
                                          al., GCPR 2014); licence not stated by scikit-image
  china            train        427x640   sklearn; danielbuechele (Flickr); CC BY 2.0
  coffee           validation   400x600   skimage; Rachel Michetti; CC0
  flower           test         427x640   sklearn; vultilion (Flickr); CC BY 2.0 (sklearn's README credits
                                          danielbuechele here too, but links vultilion's photostream)

The split is by photograph, so no pixel of a validation or test photo appears in a training crop. `load_photos(split)`
gives the whole photos; `load_crops(split, count)` (what `jgan.data.load('photos', split=...)` returns) a seeded,
fixed set of square crops of that split's photos.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from jgan.data.paired import SPLITS

CROP_SIZE = 64
CROPS_PER_SPLIT = {"train": 10000, "validation": 1000, "test": 1000}  # load()'s default counts
CROP_SEED = 0


@dataclasses.dataclass(frozen=True)
class Photo:
  """One photograph: its name, split, expected shape, source and licence."""

  name: str
  split: str
  shape: tuple[int, int, int]  # checked when loaded: another wheel version with another photo fails loudly
  source: str
  licence: str


PHOTOS = (
    Photo("astronaut", "train", (512, 512, 3), "skimage.data.astronaut (NASA)", "public domain"),
    Photo("chelsea", "train", (300, 451, 3), "skimage.data.chelsea (Stefan van der Walt)", "CC0"),
    Photo("rocket", "train", (427, 640, 3), "skimage.data.rocket (SpaceX)", "public domain"),
    Photo("motorcycle_left", "train", (500, 741, 3), "skimage.data.stereo_motorcycle, left view (Middlebury 2014)",
          "not stated by scikit-image"),
    Photo("china", "train", (427, 640, 3), "sklearn.datasets.load_sample_images (danielbuechele, Flickr)",
          "CC BY 2.0"),
    Photo("coffee", "validation", (400, 600, 3), "skimage.data.coffee (Rachel Michetti)", "CC0"),
    Photo("flower", "test", (427, 640, 3), "sklearn.datasets.load_sample_images (vultilion, Flickr)", "CC BY 2.0"),
)


def _check_split(split: str) -> None:
  if split not in SPLITS:
    raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def photo_names(split: str) -> tuple[str, ...]:
  """The names of `split`'s photographs, in `PHOTOS`' order."""
  _check_split(split)
  return tuple(photo.name for photo in PHOTOS if photo.split == split)


@functools.cache
def _read(name: str) -> np.ndarray:
  import skimage.data
  if name == "motorcycle_left":
    image = skimage.data.stereo_motorcycle()[0]
  elif name in ("china", "flower"):
    from sklearn.datasets import load_sample_images
    bunch = load_sample_images()
    image = bunch.images[[f.rsplit("/", 1)[-1] for f in bunch.filenames].index(f"{name}.jpg")]
  else:
    image = getattr(skimage.data, name)()
  image = np.asarray(image)
  expected = next(photo.shape for photo in PHOTOS if photo.name == name)
  if image.shape != expected or image.dtype != np.uint8:
    raise ValueError(f"photo {name!r}: expected uint8 {expected}, the installed package gives {image.dtype} "
                     f"{image.shape}")
  image.flags.writeable = False  # cached: shared by every caller
  return image


def load_photos(split: str) -> list[tuple[str, np.ndarray]]:
  """(name, uint8 (H, W, 3) image) for each whole photograph of `split`."""
  return [(name, _read(name)) for name in photo_names(split)]


def random_crops(photos: list[np.ndarray], count: int, size: int, rng: np.random.Generator) -> np.ndarray:
  """`count` uint8 (size, size, 3) crops: each from a photo drawn uniformly, at a uniform position inside it.

  Crop i takes its photo and position from draws 3i..3i+2 of `rng`, so asking for more crops only appends to the
  fewer.
  """
  uniform = rng.random((count, 3))
  which = (uniform[:, 0] * len(photos)).astype(np.int64)
  crops = np.empty((count, size, size, 3), np.uint8)
  for i, (k, u, v) in enumerate(zip(which, uniform[:, 1], uniform[:, 2])):
    height, width = photos[k].shape[:2]
    top, left = int(u * (height - size + 1)), int(v * (width - size + 1))
    crops[i] = photos[k][top:top + size, left:left + size]
  return crops


def load_crops(split: str = "train", count: int | None = None, *, size: int = CROP_SIZE,
               seed: int = CROP_SEED) -> np.ndarray:
  """A fixed set of `count` (default `CROPS_PER_SPLIT[split]`) uint8 (size, size, 3) crops of `split`'s photos."""
  _check_split(split)
  count = CROPS_PER_SPLIT[split] if count is None else count
  rng = np.random.default_rng([seed, SPLITS.index(split)])  # each split its own stream
  return random_crops([image for _, image in load_photos(split)], count, size, rng)
