"""Two-domain image data: aligned pairs (pix2pix) and unpaired domains (CycleGAN), held as uint8 arrays.

`load_paired(spec, split)` and `load_unpaired(spec, split)` accept:
  * a folder (`jgan.data.folders`): pix2pix's layout (`<split>/` of A|B side-by-side images, or `A/<split>/` and
    `B/<split>/` matched by file name) and CycleGAN's (`trainA/`, `trainB/`, `testA/`, `testB/`);
  * a task built from the offline sets (`jgan.data.tasks`): pairs such as `edges2digits`, and unpaired domains
    named by two data sets joined with '+', e.g. `digits+mnist_m` (the two sides drawn from disjoint examples, so
    no pair exists).
`split` is 'train', 'validation' or 'test'. Images come back at their stored size, or at `image_size` x
`image_size` when given. A folder's images are brought to that size as `jgan.data.folders` reads them: the centred
square of side min(H, W) of each image (of each half of a side-by-side pair) resized with Pillow's BICUBIC filter
(antialiased when shrinking), as pix2pix and CycleGAN do, so the files may differ in size and shape. A task's images
(32 x 32) are resized whole by `jgan.data.resize_images(..., "bilinear")`: bilinear, antialiased when shrinking,
left as they are when `image_size` is 32. The translation families jitter and crop them inside the compiled step.
"""

from __future__ import annotations

import dataclasses
import pathlib

import numpy as np

SPLITS = ("train", "validation", "test")


@dataclasses.dataclass(frozen=True)
class PairedDataset:
  """Aligned pairs: `a[i]` translates to `b[i]`. uint8 (N, H, W, C) each; `labels` (N,) int32 where a class is
  known (used only to score outputs with a classifier), `names` the file names where read from files."""

  name: str
  a: np.ndarray
  b: np.ndarray
  labels: np.ndarray | None = None
  names: tuple[str, ...] | None = None
  skipped: int = 0  # unreadable files left out (skip_bad_images)

  def __len__(self) -> int:
    return len(self.a)


@dataclasses.dataclass(frozen=True)
class UnpairedDataset:
  """Two domains with no correspondence: `a` (N_a, H, W, C_a) and `b` (N_b, H, W, C_b) uint8, with labels where
  known (scoring only: a translation that keeps the class is scored by a classifier of the target domain)."""

  name: str
  a: np.ndarray
  b: np.ndarray
  labels_a: np.ndarray | None = None
  labels_b: np.ndarray | None = None
  skipped: int = 0  # unreadable files left out (skip_bad_images)


def _check_split(split: str) -> None:
  if split not in SPLITS:
    raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def check_paired(spec: str) -> None:
  """Raises ValueError unless `spec` is a paired task name or a folder of pairs. Cheap: decodes no image."""
  from jgan.data import folders, tasks
  if spec in tasks.PAIRED:
    return
  if pathlib.Path(spec).is_dir():
    folders.check_paired_folder(spec)
    return
  raise ValueError(f"paired dataset {spec!r}: expected one of {sorted(tasks.PAIRED)} or a folder of pairs "
                   "(<split>/ of side-by-side A|B images, or A/<split>/ and B/<split>/ matched by file name)")


def check_unpaired(spec: str) -> None:
  """Raises ValueError unless `spec` is 'NAME_A+NAME_B' of known data sets or a CycleGAN-style folder."""
  from jgan.data import folders, tasks
  if "+" in spec and not pathlib.Path(spec).exists():
    tasks.check_unpaired(*spec.split("+", 1))
    return
  if pathlib.Path(spec).is_dir():
    folders.check_unpaired_folder(spec)
    return
  raise ValueError(f"unpaired dataset {spec!r}: expected two data set names joined by '+' (e.g. 'digits+mnist_m') "
                   "or a folder with trainA/ and trainB/ (and testA/, testB/)")


def load_paired(spec: str, split: str = "train", *, image_size: int | None = None,
                skip_bad_images: bool = False) -> PairedDataset:
  """The pairs of `spec` (see the module docstring) for `split`."""
  _check_split(split)
  check_paired(spec)
  from jgan.data import folders, tasks
  if spec in tasks.PAIRED:
    dataset = tasks.PAIRED[spec](split)
  else:
    dataset = folders.read_paired_folder(spec, split, image_size=image_size, skip_bad_images=skip_bad_images)
  return resize_paired(dataset, image_size) if image_size else dataset


def load_unpaired(spec: str, split: str = "train", *, image_size: int | None = None,
                  skip_bad_images: bool = False) -> UnpairedDataset:
  """The two domains of `spec` (see the module docstring) for `split`."""
  _check_split(split)
  check_unpaired(spec)
  from jgan.data import folders, tasks
  if "+" in spec and not pathlib.Path(spec).exists():
    dataset = tasks.unpaired(*spec.split("+", 1), split)
  else:
    dataset = folders.read_unpaired_folder(spec, split, image_size=image_size, skip_bad_images=skip_bad_images)
  if not image_size:
    return dataset
  from jgan.data import resize_images
  return dataclasses.replace(dataset, a=resize_images(dataset.a, image_size, "bilinear"),
                             b=resize_images(dataset.b, image_size, "bilinear"))


def resize_paired(dataset: PairedDataset, image_size: int) -> PairedDataset:
  from jgan.data import resize_images
  return dataclasses.replace(dataset, a=resize_images(dataset.a, image_size, "bilinear"),
                             b=resize_images(dataset.b, image_size, "bilinear"))
