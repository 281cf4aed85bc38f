"""Super-resolution data: high-resolution images and the low-resolution inputs made from them.

Ledig et al. 2017 (Sec. 3.2) train on random 96x96 crops of ImageNet photos and make each low-resolution input by
downsampling its crop with a bicubic kernel by the factor r; they test on whole images (Set5, Set14, BSD100). Here:
  * `photos` (`jgan.data.photos`): training crops of the training photographs, fixed by the data set's crop seed;
    validation and test are the whole held-out photographs (split by photograph: no test pixel is ever in a
    training crop), each trimmed to a multiple of the scale (the literature's "modcrop").
  * `digits`: the embedded digits at 28x28 (or zero-padded to 32x32), on their fixed splits (`jgan.data.splits`),
    with labels, so a classifier can say whether the low-resolution digit's class survives.
  * `digits_uci_layout`: the same digits laid out as the UCI 8x8 digits' 32x32 bitmaps were (the digit filling the
    frame): MNIST's central 20x20 box (where its digits are size-normalised) resized to 32x32; with
    `downscale="box"` its inputs are made as UCI's 8x8 were, so a model trained on it can upscale the real UCI
    digits (`uci_inputs`), whose upscalings are scored by the digit classifier after `to_mnist_layout`.
  * a folder with `train/`, `val/` (or `validation/`) and `test/` of images of any size: training crops cut as for
    the photos, whole images for validation and test.
Inputs are made once when the split is loaded, by Pillow's bicubic filter (`downscale="bicubic"`; MATLAB's
`imresize`, which the SR papers used, weights slightly differently) or by block means (`"box"`: how the UCI 8x8
digits were made from 32x32 bitmaps, Alpaydin and Kaynak 1998).
"""

from __future__ import annotations

import dataclasses
import pathlib

import numpy as np

from jgan.data.paired import SPLITS

BUILT_IN = ("photos", "digits", "digits_uci_layout")
MNIST_BOX = (4, 24)  # MNIST digits are size-normalised into the central 20x20 box of their 28x28 (LeCun et al. 1998)
CROP_SEED = 0  # the training crops of photos and folders: a property of the data set, not of the run


@dataclasses.dataclass(frozen=True)
class SuperResolutionSet:
  """Groups of same-sized uint8 images: `high[i]` (n_i, H_i, W_i, C) and its inputs `low[i]` (n_i, H_i / r, W_i /
  r, C); `labels[i]` (n_i,) where the set has classes; `names` one per image."""

  name: str
  high: list[np.ndarray]
  low: list[np.ndarray]
  labels: list[np.ndarray] | None
  names: list[str]

  @property
  def count(self) -> int:
    return sum(len(h) for h in self.high)

  def stacked(self) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) as single arrays: only for sets of one size (training crops, digits)."""
    if len(self.high) != 1:
      raise ValueError(f"{self.name}: {len(self.high)} image sizes; cannot stack")
    return self.low[0], self.high[0]


def check_dataset(name: str) -> None:
  """ValueError unless `name` is a built-in set or a folder with train/, val/ and test/ of images (lists only)."""
  if name in BUILT_IN:
    return
  if not pathlib.Path(name).is_dir():
    raise ValueError(f"dataset {name!r}: not one of {BUILT_IN} and no such folder (a folder needs train/, val/ "
                     f"(or validation/) and test/ of images)")
  from jgan.data import folders
  folders.check_split_folders(name)


def downscale(images: np.ndarray, scale: int, method: str = "bicubic") -> np.ndarray:
  """uint8 (N, H, W, C) -> uint8 (N, H / scale, W / scale, C): bicubic (Pillow) or block means ('box')."""
  n, height, width, channels = images.shape
  if height % scale or width % scale:
    raise ValueError(f"image sides {height}x{width} are not multiples of scale {scale}")
  if method == "box":
    blocks = images.reshape(n, height // scale, scale, width // scale, scale, channels).astype(np.float64)
    return np.round(blocks.mean(axis=(2, 4))).astype(np.uint8)
  if method != "bicubic":
    raise ValueError(f"downscale must be 'bicubic' or 'box', got {method!r}")
  from jgan.eval import image_quality
  return image_quality.bicubic_downscale(images, scale)


def modcrop(image: np.ndarray, scale: int) -> np.ndarray:
  """`image` (H, W, C) trimmed at its bottom and right to sides that are multiples of `scale`."""
  return image[:image.shape[0] - image.shape[0] % scale, :image.shape[1] - image.shape[1] % scale]


def _whole_images(dataset: str, split: str, skip_bad_images: bool) -> list[tuple[str, np.ndarray]]:
  if dataset == "photos":
    from jgan.data import photos
    return photos.load_photos(split)
  from jgan.data import folders
  return folders.read_split_images(dataset, split, skip_bad_images=skip_bad_images)


def _digits(split: str, image_size: int) -> tuple[np.ndarray, np.ndarray]:
  if image_size not in (28, 32):
    raise ValueError(f"the digits are 28x28 (or padded to 32x32): image_size must be 28 or 32, got {image_size}")
  from jgan import data
  from jgan.data import splits
  digits = data.load("digits", image_size=None if image_size == 28 else 32, resize="pad")
  index = splits.split_indices("digits", split)
  return digits.images[index], digits.labels[index]


def _resize(images: np.ndarray, side: int) -> np.ndarray:
  """uint8 (N, H, W, 1) -> (N, side, side, 1) with Pillow's bicubic filter (antialiased when shrinking)."""
  from PIL import Image
  return np.stack([np.asarray(Image.fromarray(im[..., 0]).resize((side, side), Image.Resampling.BICUBIC))
                   for im in images])[..., None]


def uci_layout(digits28: np.ndarray) -> np.ndarray:
  """MNIST-laid-out digits (N, 28, 28, 1) -> (N, 32, 32, 1) laid out as UCI's bitmaps: the central box enlarged."""
  lo, hi = MNIST_BOX
  return _resize(digits28[:, lo:hi, lo:hi], 32)


def to_mnist_layout(images32: np.ndarray) -> np.ndarray:
  """UCI-laid-out digits (N, 32, 32, 1) -> (N, 28, 28, 1) as MNIST lays them out (what the digit classifier knows):
  shrunk into the central 20x20 box on a black frame."""
  lo, hi = MNIST_BOX
  out = np.zeros((len(images32), 28, 28, 1), np.uint8)
  out[:, lo:hi, lo:hi] = _resize(images32, hi - lo)
  return out


def uci_inputs(split: str) -> tuple[np.ndarray, np.ndarray]:
  """(the real UCI 8x8 digits of `split`, uint8 (N, 8, 8, 1); their labels): low-resolution inputs with no
  high-resolution truth."""
  from jgan import data
  from jgan.data import splits
  digits = data.load("uci_digits")
  index = splits.split_indices("uci_digits", split)
  return digits.images[index], digits.labels[index]


def load_split(dataset: str, split: str, *, image_size: int, scale: int, downscale_method: str = "bicubic",
               train_crops: int = 10000, skip_bad_images: bool = False) -> SuperResolutionSet:
  """`split` of `dataset` (see the module docstring): training crops of side `image_size` for 'train', whole images
  for 'validation' and 'test' (digits: every split at `image_size`), with their low-resolution inputs."""
  if split not in SPLITS:
    raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
  check_dataset(dataset)
  if dataset == "digits_uci_layout":
    if image_size != 32:
      raise ValueError(f"digits_uci_layout is 32x32 (UCI's bitmaps): image_size must be 32, got {image_size}")
    high, labels = _digits(split, 28)
    high = uci_layout(high)
    names = [f"digits_uci_layout:{split}:{i}" for i in range(len(high))]
    return SuperResolutionSet(f"digits_uci_layout:{split}", [high], [downscale(high, scale, downscale_method)],
                              [labels], names)
  if dataset == "digits":
    high, labels = _digits(split, image_size)
    names = [f"digits:{split}:{i}" for i in range(len(high))]
    return SuperResolutionSet(f"digits:{split}", [high], [downscale(high, scale, downscale_method)], [labels], names)
  images = _whole_images(dataset, split, skip_bad_images)
  if split == "train":
    from jgan.data import photos
    pixels = [image for _, image in images]
    small = [(name, image.shape) for name, image in images if min(image.shape[:2]) < image_size]
    if small:
      raise ValueError(f"{dataset}: training image {small[0][0]} is {small[0][1][0]}x{small[0][1][1]}, smaller than "
                       f"the crop side image_size {image_size}")
    rng = np.random.default_rng([CROP_SEED, image_size])
    high = photos.random_crops(pixels, train_crops, image_size, rng)
    return SuperResolutionSet(f"{dataset}:train", [high], [downscale(high, scale, downscale_method)], None,
                              [f"crop {i}" for i in range(len(high))])
  highs = [modcrop(image, scale)[None] for _, image in images]
  return SuperResolutionSet(f"{dataset}:{split}", highs, [downscale(h, scale, downscale_method) for h in highs],
                            None, [name for name, _ in images])


def head(dataset: SuperResolutionSet, num: int) -> SuperResolutionSet:
  """At most `num` images spread evenly over the set (the digits are ordered by class): the same at every call."""
  if len(dataset.high) > 1:  # whole images, one per group: the first `num`
    keep = min(num, len(dataset.high))
    return dataclasses.replace(dataset, high=dataset.high[:keep], low=dataset.low[:keep],
                               labels=None if dataset.labels is None else dataset.labels[:keep],
                               names=dataset.names[:keep])
  index = np.linspace(0, len(dataset.high[0]) - 1, min(num, len(dataset.high[0]))).round().astype(int)
  return dataclasses.replace(dataset, high=[dataset.high[0][index]], low=[dataset.low[0][index]],
                             labels=None if dataset.labels is None else [dataset.labels[0][index]],
                             names=[dataset.names[i] for i in index])
