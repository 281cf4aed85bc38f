"""Image sets read by example index, never held whole: what the streamed input (`jgan.data.stream`) reads from.

Each reader is a random-access source (`len(examples)`, `examples.read(indices)`) that gives exactly the pixels
the device-resident path holds for those indices (`jgan.train.load_source`), at the training size:
  * `ArrayExamples`: arrays already in memory (the embedded and offline sets, `.npz` files; tests);
  * `FolderExamples`: a folder of PNG/JPEG files (`jgan.data.folders`), each file decoded when it is read;
  * `TFDSExamples`: a TFDS split prepared as array_record, read through `tfds.data_source` (decoded as read);
  * `Subset`: some examples of another reader (the training part of a held-out split).
`open_examples(...)` picks the reader for a data set name as `jgan.data.load` would read it.
"""

from __future__ import annotations

import concurrent.futures
import os
import pathlib
import sys

import numpy as np

from jgan import data
from jgan.data import folders


class Examples:
  """A random-access image set: `len()`, `shape` (one example at the training size), `stored_shape` (as stored: what
  samples are brought back to), `labels_known`, `all_labels` (where known without decoding) and `read`."""

  name: str
  shape: tuple[int, int, int]
  stored_shape: tuple[int, int, int]
  labels_known: bool
  all_labels: np.ndarray | None = None
  skipped: int = 0  # unreadable files left out (skip_bad_images)

  def __len__(self) -> int:
    raise NotImplementedError

  def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """uint8 (n, H, W, C) images and int32 (n,) labels (None when the set has none) of examples `indices`."""
    raise NotImplementedError

  @property
  def nbytes(self) -> int:
    """The bytes of the whole set as uint8 at the training size: what the device-resident path would hold."""
    return len(self) * int(np.prod(self.shape))

  def __getitem__(self, indices) -> np.ndarray:
    """The images of `indices` (what the evaluator's reference sample reads)."""
    return self.read(np.asarray(indices))[0]


class ArrayExamples(Examples):
  """`images` (N, H, W, C) uint8 and `labels` (N,) int32 or None, in memory."""

  def __init__(self, images: np.ndarray, labels: np.ndarray | None = None, name: str = "arrays"):
    self.name, self.images, self.labels = name, images, labels
    self.shape, self.labels_known = tuple(images.shape[1:]), labels is not None
    self.stored_shape, self.all_labels = self.shape, labels

  def __len__(self) -> int:
    return len(self.images)

  def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    return self.images[indices], None if self.labels is None else self.labels[indices]


class Subset(Examples):
  """The examples `keep` (indices into `parent`) of `parent`, renumbered 0 .. len(keep) - 1."""

  def __init__(self, parent: Examples, keep: np.ndarray):
    self.parent, self.keep = parent, np.asarray(keep)
    self.name, self.shape, self.labels_known = parent.name, parent.shape, parent.labels_known
    self.stored_shape, self.skipped = parent.stored_shape, parent.skipped
    self.all_labels = None if parent.all_labels is None else parent.all_labels[self.keep]

  def __len__(self) -> int:
    return len(self.keep)

  def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    return self.parent.read(self.keep[indices])


def _resized(images: np.ndarray, image_size: int | None, resize: str) -> np.ndarray:
  # `jgan.data.resize_images` on a batch gives each image the very bytes it gives it in the whole set (pad is a
  # copy; the bilinear resize is per image: tests/test_stream.py checks it).
  return images if image_size is None else data.resize_images(images, image_size, resize)


class FolderExamples(Examples):
  """A folder of images (`jgan.data.folders`' layout: files, or one level of class sub-folders as labels), each
  file decoded when read and brought to `image_size` as `folders.read_image_folder` brings it (its centred square
  resized, BICUBIC); grey files become RGB where the folder has colour ones, as there.

  Opening lists the files and reads each one's header (format and mode: a few hundred bytes), so a file that is no
  image is named before training. With `skip_bad_images` every file is decoded once instead (its pixels dropped at
  once), and the unreadable ones are left out and counted, as `read_image_folder` leaves them out: the set, and so
  the order of batches, is then the device path's. A file whose header reads but whose pixels do not (truncated)
  stops the run when a batch first needs it, with an error naming it.
  """

  def __init__(self, path: str | os.PathLike, image_size: int, *, skip_bad_images: bool = False):
    folder = pathlib.Path(path)
    if not folder.is_dir():
      raise ValueError(f"image folder {str(folder)!r}: {'not a folder' if folder.exists() else 'no such folder'}")
    files, labels, self.classes = folders._image_folder_files(folder)
    self.name, self.folder, self.image_size = str(path), folder, image_size
    check = _decoded_channels if skip_bad_images else _header_channels
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
      found = list(pool.map(check, files))
    bad = [(path, error) for path, error in zip(files, found) if isinstance(error, str)]
    if bad and not skip_bad_images:
      raise ValueError(f"{bad[0][1]} (pass skip_bad_images=True to skip such files)")
    if bad:
      print(f"warning: skipped {len(bad)} unreadable image file(s) under {folder}: "
            f"{folders._shown([path.name for path, _ in bad])} (first: {bad[0][1]})", file=sys.stderr)
    if len(bad) == len(files):
      raise ValueError(f"{folder}: none of its {len(files)} image files is readable (first: {bad[0][1]})")
    kept = [not isinstance(c, str) for c in found]
    self.files = [f for f, k in zip(files, kept) if k]
    self.labels = None if labels is None else np.asarray([lb for lb, k in zip(labels, kept) if k], np.int32)
    self.skipped, self.labels_known = len(bad), labels is not None
    # `read_image_folder` makes every image RGB when any is colour (alpha dropped): its channels are known here.
    self.channels = 3 if any(c == 3 for c in found if not isinstance(c, str)) else 1
    self.shape = self.stored_shape = (image_size, image_size, self.channels)
    self.all_labels = self.labels

  def __len__(self) -> int:
    return len(self.files)

  def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    pixels = []
    for i in np.asarray(indices):
      path = self.files[i]
      try:
        (image,) = folders._read_single(path, None, self.image_size)
      except folders._Unreadable as error:
        raise ValueError(f"{error}; found while streaming {self.folder} (its header read, its pixels did not): "
                         "remove or repair the file, or pass skip_bad_images=True, which decodes every file before "
                         "training and leaves such files out") from error.__cause__
      if image.shape[-1] != self.channels:
        if image.shape[-1] != 1:
          raise ValueError(f"{path}: a colour image where the headers read said the folder is grey")
        image = np.repeat(image, 3, axis=-1)
      pixels.append(image)
    return np.stack(pixels), None if self.labels is None else self.labels[indices]


def _header_channels(path: pathlib.Path) -> int | str:
  """1 or 3, the channels `folders` decodes `path` to (from its header: no pixel is decoded), or why it cannot."""
  import PIL.Image
  try:
    with PIL.Image.open(path) as image:
      return 1 if image.mode in folders._GREY_MODES else 3
  except Exception as error:  # UnidentifiedImageError, OSError: as `folders._decode` words it
    return f"{path}: not a readable image ({type(error).__name__}: {error})"


def _decoded_channels(path: pathlib.Path) -> int | str:
  """1 or 3, the channels of `path` decoded whole (the pixels dropped at once), or why it cannot be decoded."""
  try:
    return len(folders._decode(path, None).getbands())
  except folders._Unreadable as error:
    return str(error)


class TFDSExamples(Examples):
  """A TFDS split read through its random-access data source (array_record; each example decoded as it is read),
  resized per batch exactly as the device path resizes the whole set."""

  def __init__(self, name: str, split: str, data_dir: str | None, image_size: int | None, resize: str):
    self.source = data.tfds_source(name, split, data_dir)
    first = self.source[0] if len(self.source) else {}
    if "image" not in first:
      raise ValueError(f"TFDS dataset {name!r} has no 'image' feature")
    self.name, self.image_size, self.resize = name, image_size, resize
    self.stored_shape = _with_channels(np.shape(first["image"]))
    self.labels_known = "label" in first
    height, width, channels = self.stored_shape
    self.shape = (height, width, channels) if image_size is None else (image_size, image_size, channels)

  def __len__(self) -> int:
    return len(self.source)

  def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    examples = self.source.__getitems__([int(i) for i in indices])
    images = [np.asarray(e["image"]) for e in examples]
    for i, image in zip(indices, images):
      if _with_channels(image.shape) != self.stored_shape:
        raise ValueError(f"TFDS dataset {self.name!r}: example {int(i)} is {image.shape}, example 0 "
                         f"{self.stored_shape}; jgan trains on one shape: resize them first, into an .npz file")
    images, labels = data._check_arrays(f"tfds:{self.name}", np.stack(images),
                                        np.asarray([e["label"] for e in examples]) if self.labels_known else None)
    return _resized(images, self.image_size, self.resize), labels


def _with_channels(shape: tuple[int, ...]) -> tuple[int, int, int]:
  return tuple(shape) if len(shape) == 3 else (*shape, 1)


def _in_memory(name: str) -> bool:
  """Whether `jgan.data.load` reads `name` as arrays in memory anyway (embedded, offline, `.npz`; toys are drawn)."""
  from jgan.data import offline
  return name in data.EMBEDDED or data.is_toy(name) or name in offline.IMAGE_SETS or name.endswith(".npz")


def set_bytes(name: str, *, split: str = "train", data_dir: str | None = None, image_size: int) -> int | None:
  """The bytes of a folder or TFDS set as uint8 at the training size, found without decoding an image (a folder
  counted at 3 channels, a bound: its files' modes are not read), or None for a set that `load` holds in memory
  anyway (sized once loaded)."""
  if _in_memory(name):
    return None
  data.check_name(name, data_dir)
  if data._is_image_folder(name, data_dir or None):  # `_in_memory` names are ruled out above
    files, _, _ = folders._image_folder_files(pathlib.Path(name))
    return len(files) * image_size * image_size * 3
  return TFDSExamples(name, split, data_dir or None, image_size, "pad").nbytes


def open_examples(name: str, *, split: str = "train", data_dir: str | None = None, image_size: int,
                  resize: str = "pad", skip_bad_images: bool = False) -> Examples | None:
  """The reader of a folder of images or a TFDS name, opened without reading the set; None for names whose sets
  are arrays in memory anyway (embedded, offline, `.npz`, toys), which `ArrayExamples` wraps once loaded."""
  if _in_memory(name):
    return None
  data.check_name(name, data_dir)
  if data._is_image_folder(name, data_dir or None):  # `_in_memory` names are ruled out above
    return FolderExamples(name, image_size, skip_bad_images=skip_bad_images)
  return TFDSExamples(name, split, data_dir or None, image_size, resize)
