"""Image data read from folders of PNG/JPEG files: one set (a class per sub-folder, optionally), pix2pix's pairs and
CycleGAN's two domains.

Layouts:
  * `read_image_folder(path)`: `path/*.png` (or .jpg, .jpeg), or `path/<class>/*.png`, one level of class folders,
    labelled 0, 1, ... in sorted class-name order;
  * `read_paired_folder(path, split)`: pix2pix's `path/<split>/` of side-by-side images (left half A, right half B,
    as its `aligned_dataset`), or `path/A/<split>/` and `path/B/<split>/` matched by file name less its extension;
  * `read_unpaired_folder(path, split)`: CycleGAN's `path/trainA/`, `trainB/`, `testA/`, `testB/` (`valA/`, `valB/`).
Split folders: 'train' -> `train/`, 'validation' -> `val/` or `validation/` (CycleGAN: `valA/`, `valB/`), 'test' ->
`test/`.

Files are taken in sorted name order, so a folder always gives the same arrays; hidden files (`.name`) are ignored.
Images are decoded with Pillow, turned upright by their EXIF orientation, and converted to grey (1 channel) or RGB
(3): alpha is dropped unless `channels=4` asks for RGBA, 16-bit grey is scaled to 8 bits, and where grey and colour
files are mixed the grey ones become RGB. With `image_size`, the centred square of side min(H, W) of each image is
resized to `image_size` x `image_size` with Pillow's BICUBIC filter (antialiased when shrinking), as pix2pix's and
CycleGAN's loaders resize: the shorter side resized, then a centre crop.

Every problem is a ValueError naming the folder or file and what is allowed, raised while reading, before any
compilation. The `check_*` functions only list folders (they decode nothing), so configs can validate cheaply.
"""

from __future__ import annotations

import concurrent.futures
import os
import pathlib
import sys
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # at run time imported where used: jgan.data imports this module lazily
  from jgan.data import ImageDataset
  from jgan.data.paired import PairedDataset, UnpairedDataset

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
ACCEPTED = "PNG or JPEG files (.png, .jpg, .jpeg, any case)"
SPLIT_FOLDERS = {"train": ("train",), "validation": ("val", "validation"), "test": ("test",)}
UNPAIRED_PREFIXES = {"train": "train", "validation": "val", "test": "test"}
CHANNELS = (1, 3, 4)
_MODES = {1: "L", 3: "RGB", 4: "RGBA"}
_GREY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F")
_SHOWN = 5  # file names quoted in an error, at most


class _Unreadable(Exception):
  """A file Pillow cannot decode (not an image, truncated...): skippable with skip_bad_images."""


# Listing (cheap: no file is opened).


def _visible(path: pathlib.Path) -> bool:
  # '.DS_Store', macOS's '._name.png' resource forks, editors' swap files: never data.
  return not path.name.startswith(".") and path.name != "__MACOSX"


def list_images(folder: str | os.PathLike) -> list[pathlib.Path]:
  """The image files directly in `folder` (by extension, any case), sorted by name."""
  return sorted((p for p in pathlib.Path(folder).iterdir()
                 if _visible(p) and p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()), key=lambda p: p.name)


def _subfolders(folder: pathlib.Path) -> list[pathlib.Path]:
  return sorted((p for p in folder.iterdir() if _visible(p) and p.is_dir()), key=lambda p: p.name)


def _require_folder(path: str | os.PathLike, what: str, allowed: str = "") -> pathlib.Path:
  folder = pathlib.Path(path)
  if not folder.is_dir():
    problem = "not a folder" if folder.exists() else "no such folder"
    raise ValueError(f"{what} {str(folder)!r}: {problem}" + (f" ({allowed})" if allowed else ""))
  return folder


def _require_images(folder: pathlib.Path) -> list[pathlib.Path]:
  files = list_images(folder)
  if not files:
    raise ValueError(f"{folder}: no image files (accepted: {ACCEPTED})")
  return files


def _shown(names: list[str]) -> str:
  more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
  return f"{names[:_SHOWN]}{more}"


def _image_folder_files(folder: pathlib.Path) -> tuple[list[pathlib.Path], list[int] | None, tuple[str, ...] | None]:
  """(files, labels, class names) of an image folder: its own images, or those of its class sub-folders."""
  top = list_images(folder)
  classes = [sub for sub in _subfolders(folder) if list_images(sub)]
  if classes and top:
    raise ValueError(f"{folder}: holds both image files ({_shown([p.name for p in top])}) and class folders with "
                     f"images ({_shown([c.name for c in classes])}); put the images in one class folder each, or "
                     "remove the sub-folders")
  if not classes:
    if not top:
      raise ValueError(f"{folder}: no image files, neither in it nor in class sub-folders (accepted: {ACCEPTED})")
    return top, None, None
  files, labels = [], []
  for label, sub in enumerate(classes):
    members = list_images(sub)
    files += members
    labels += [label] * len(members)
  return files, labels, tuple(c.name for c in classes)


def check_image_folder(path: str | os.PathLike) -> None:
  """Raises ValueError unless `path` is a folder with image files, in it or in class sub-folders. Decodes nothing."""
  _image_folder_files(_require_folder(path, "image folder", f"a folder of {ACCEPTED}, or of class folders of them"))


# Decoding.


def _to_pixels(image, channels: int | None):
  """`image` (a PIL image) converted to grey, RGB or RGBA: `channels`, or grey/RGB as stored when None."""
  import PIL.Image
  if image.mode.startswith("I"):  # 16-bit grey PNG ('I;16' or 'I'): Pillow's own conversion clips at 255
    image = PIL.Image.fromarray(np.clip(np.round(np.asarray(image, np.float64) / 257), 0, 255).astype(np.uint8))
  if channels is None:
    channels = 1 if image.mode in _GREY_MODES else 3
  return image if image.mode == _MODES[channels] else image.convert(_MODES[channels])


def _fit(image, image_size: int | None) -> np.ndarray:
  """(H, W, C) uint8 pixels of `image`, its centred square resized to image_size x image_size when given."""
  import PIL.Image
  if image_size is not None and image.size != (image_size, image_size):
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) / 2, (height - side) / 2  # a fractional box is honoured: the crop stays centred
    image = image.resize((image_size, image_size), PIL.Image.Resampling.BICUBIC,
                         box=(left, top, left + side, top + side))
  pixels = np.asarray(image, np.uint8)
  return pixels[..., None] if pixels.ndim == 2 else pixels


def _decode(path: pathlib.Path, channels: int | None):
  import PIL.Image
  import PIL.ImageOps
  try:
    with PIL.Image.open(path) as image:
      image.load()  # decodes every byte here, inside the try: a truncated file is named, not met later
      return _to_pixels(PIL.ImageOps.exif_transpose(image), channels)
  except Exception as error:  # UnidentifiedImageError, OSError('image file is truncated'), SyntaxError...
    raise _Unreadable(f"{path}: not a readable image ({type(error).__name__}: {error})") from error


def _read_single(path: pathlib.Path, channels: int | None, image_size: int | None) -> list[np.ndarray]:
  return [_fit(_decode(path, channels), image_size)]


def _read_side_by_side(path: pathlib.Path, channels: int | None, image_size: int | None) -> list[np.ndarray]:
  image = _decode(path, channels)
  width, height = image.size
  if width % 2:
    raise ValueError(f"{path}: {width} pixels wide, an odd width; a side-by-side pair is an image of even width, "
                     "A in its left half and B in its right half")
  return [_fit(image.crop((0, 0, width // 2, height)), image_size),
          _fit(image.crop((width // 2, 0, width, height)), image_size)]


def _read_files(files: list[pathlib.Path], read, *, channels: int | None, image_size: int | None,
                skip_bad_images: bool, where: pathlib.Path) -> tuple[list[list[np.ndarray]], list[bool]]:
  """`read(file)` of each file, in order, on a few threads (Pillow decodes without the GIL); kept[i] is False where
  files[i] was unreadable and skipped."""

  def attempt(path):
    try:
      return read(path, channels, image_size)
    except _Unreadable as error:
      if not skip_bad_images:
        raise ValueError(f"{error} (pass skip_bad_images=True to skip such files)") from error.__cause__
      return error

  with concurrent.futures.ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
    results = list(pool.map(attempt, files))
  bad = [(path, str(result)) for path, result in zip(files, results) if isinstance(result, _Unreadable)]
  if bad:
    print(f"warning: skipped {len(bad)} unreadable image file(s) under {where}: "
          f"{_shown([path.name for path, _ in bad])} (first: {bad[0][1]})", file=sys.stderr)
  if len(bad) == len(files):
    raise ValueError(f"{where}: none of its {len(files)} image files is readable (first: {bad[0][1]})")
  return [r for r in results if not isinstance(r, _Unreadable)], [not isinstance(r, _Unreadable) for r in results]


def _stack(pixels: list[np.ndarray], files: list[pathlib.Path], where: pathlib.Path,
           channels: int | None) -> np.ndarray:
  """The images as one (N, H, W, C) array: grey ones made RGB where colour ones are present, one size required."""
  if channels is None and len({p.shape[-1] for p in pixels}) > 1:
    pixels = [np.repeat(p, 3, axis=-1) if p.shape[-1] == 1 else p for p in pixels]
  sizes = {}
  for p, path in zip(pixels, files):
    sizes.setdefault(p.shape[:2], path)
  if len(sizes) > 1:
    (size_1, file_1), (size_2, file_2) = list(sizes.items())[:2]
    raise ValueError(f"{where}: images of {len(sizes)} different sizes (e.g. {size_1[0]}x{size_1[1]} {file_1.name}, "
                     f"{size_2[0]}x{size_2[1]} {file_2.name}); pass image_size to bring each to image_size x "
                     "image_size (shorter side resized, then centre-cropped)")
  return np.stack(pixels)


def _check_options(image_size: int | None, channels: int | None) -> None:
  if image_size is not None and (not isinstance(image_size, (int, np.integer)) or image_size < 1):
    raise ValueError(f"image_size must be a positive integer or None, got {image_size!r}")
  if channels is not None and channels not in CHANNELS:
    raise ValueError(f"channels must be one of {CHANNELS} or None, got {channels!r}")


def read_image_folder(path: str | os.PathLike, *, image_size: int | None = None, channels: int | None = None,
                      skip_bad_images: bool = False) -> ImageDataset:
  """The images of a folder (see the module docstring) as a `jgan.data.ImageDataset`, with class labels and names
  (`classes`) where it has class sub-folders, and the count of unreadable files skipped (`skipped`)."""
  from jgan.data import ImageDataset
  _check_options(image_size, channels)
  folder = _require_folder(path, "image folder", f"a folder of {ACCEPTED}, or of class folders of them")
  files, labels, classes = _image_folder_files(folder)
  pixels, kept = _read_files(files, _read_single, channels=channels, image_size=image_size,
                             skip_bad_images=skip_bad_images, where=folder)
  files = [f for f, k in zip(files, kept) if k]
  images = _stack([p for (p,) in pixels], files, folder, channels)
  if labels is not None:
    labels = np.asarray([label for label, k in zip(labels, kept) if k], np.int32)
  return ImageDataset(name=str(path), images=images, labels=labels, classes=classes, skipped=kept.count(False))


# pix2pix's pairs.


def _split_folder(parent: pathlib.Path, split: str) -> pathlib.Path | None:
  """`parent`'s folder of `split` (None when absent); both `val/` and `validation/` present is an error."""
  found = [parent / name for name in SPLIT_FOLDERS[split] if (parent / name).is_dir()]
  if len(found) > 1:
    raise ValueError(f"{parent}: both {found[0].name}/ and {found[1].name}/ found for split {split!r}; keep one")
  return found[0] if found else None


def _check_split(split: str) -> None:
  if split not in SPLIT_FOLDERS:
    raise ValueError(f"split must be one of {tuple(SPLIT_FOLDERS)}, got {split!r}")


_PAIRED_LAYOUTS = ("train/, val/ or validation/, test/ holding side-by-side A|B images (A left, B right), or "
                   "A/<split>/ and B/<split>/ holding A and B images matched by file name")


def _is_name_matched(folder: pathlib.Path) -> bool:
  return (folder / "A").is_dir() and (folder / "B").is_dir()


def _matched_files(folder: pathlib.Path, split: str, split_a: pathlib.Path,
                   split_b: pathlib.Path) -> list[tuple[pathlib.Path, pathlib.Path]]:
  """The (A file, B file) pairs of a name-matched split, sorted by name; unmatched or ambiguous names are errors."""
  sides = []
  for side in (split_a, split_b):
    by_stem = {}
    for path in _require_images(side):
      if path.stem in by_stem:
        raise ValueError(f"{side}: {by_stem[path.stem].name} and {path.name} share the name {path.stem!r}; pairs "
                         "are matched by file name less its extension, so each name must be unique per side")
      by_stem[path.stem] = path
    sides.append(by_stem)
  only_a = sorted(sides[0].keys() - sides[1].keys())
  only_b = sorted(sides[1].keys() - sides[0].keys())
  if only_a or only_b:
    raise ValueError(f"{folder}: the {split!r} files of A and B do not match by name (less extension): "
                     f"{len(only_a)} only in {split_a}: {_shown([sides[0][s].name for s in only_a])}; "
                     f"{len(only_b)} only in {split_b}: {_shown([sides[1][s].name for s in only_b])}")
  return [(sides[0][stem], sides[1][stem]) for stem in sorted(sides[0])]


def _paired_split_files(folder: pathlib.Path, split: str):
  """('side_by_side', files) or ('matched', [(a, b), ...]) of `split`, or None where the split has no folder."""
  if _is_name_matched(folder):
    split_a, split_b = _split_folder(folder / "A", split), _split_folder(folder / "B", split)
    if split_a is None and split_b is None:
      return None
    if split_a is None or split_b is None:
      have, lack = (split_a, "B") if split_b is None else (split_b, "A")
      raise ValueError(f"{have} has no counterpart under {folder / lack}/ "
                       f"({' or '.join(n + '/' for n in SPLIT_FOLDERS[split])}); A and B need the same splits")
    return "matched", _matched_files(folder, split, split_a, split_b)
  split_folder = _split_folder(folder, split)
  if split_folder is None:
    return None
  return "side_by_side", _require_images(split_folder)


def check_paired_folder(path: str | os.PathLike, split: str | None = None) -> None:
  """Raises ValueError unless `path` is a folder of pairs in one of pix2pix's layouts, every split folder present
  holds images (matched by name in the A/B layout), and `split`, when given, is present. Decodes nothing."""
  folder = _require_folder(path, "paired dataset folder", f"expected {_PAIRED_LAYOUTS}")
  if split is not None:
    _check_split(split)
  found = {s: _paired_split_files(folder, s) for s in SPLIT_FOLDERS}
  if not any(found.values()):
    raise ValueError(f"paired dataset folder {str(folder)!r}: no split folder found; expected {_PAIRED_LAYOUTS}")
  if split is not None and found[split] is None:
    raise ValueError(_missing_paired_split(folder, split, [s for s in SPLIT_FOLDERS if found[s]]))


def _missing_paired_split(folder: pathlib.Path, split: str, present: list[str]) -> str:
  names = " or ".join(n + "/" for n in SPLIT_FOLDERS[split])
  where = f"{folder / 'A'}/ and {folder / 'B'}/ have no" if _is_name_matched(folder) else f"{folder}: no"
  return f"{where} {names} folder for split {split!r} (splits present: {present})"


def read_paired_folder(path: str | os.PathLike, split: str = "train", *, image_size: int | None = None,
                       skip_bad_images: bool = False) -> PairedDataset:
  """The pairs of `split` of a pix2pix-style folder (see the module docstring) as a `PairedDataset`: A and B each
  one (N, H, W, C) uint8 array of one size (each brought to image_size x image_size when given), `names` the A
  files' names, `skipped` the count of unreadable pairs left out."""
  from jgan.data.paired import PairedDataset
  _check_split(split)
  _check_options(image_size, None)
  check_paired_folder(path, split)
  folder = pathlib.Path(path)
  layout, files = _paired_split_files(folder, split)
  if layout == "side_by_side":
    where = _split_folder(folder, split)
    halves, kept = _read_files(files, _read_side_by_side, channels=None, image_size=image_size,
                               skip_bad_images=skip_bad_images, where=where)
    files = [f for f, k in zip(files, kept) if k]
    a = _stack([h[0] for h in halves], files, where, None)
    b = _stack([h[1] for h in halves], files, where, None)
    names = tuple(f.name for f in files)
  else:
    where_a, where_b = files[0][0].parent, files[0][1].parent
    read_a, kept_a = _read_files([fa for fa, _ in files], _read_single, channels=None, image_size=image_size,
                                 skip_bad_images=skip_bad_images, where=where_a)
    read_b, kept_b = _read_files([fb for _, fb in files], _read_single, channels=None, image_size=image_size,
                                 skip_bad_images=skip_bad_images, where=where_b)
    # A pair whose either side is unreadable is dropped whole: pairs must stay aligned.
    it_a, it_b = iter(read_a), iter(read_b)
    pixels_a, pixels_b, kept = [], [], []
    for ka, kb in zip(kept_a, kept_b):
      pa, pb = next(it_a) if ka else None, next(it_b) if kb else None
      kept.append(ka and kb)
      if ka and kb:
        pixels_a.append(pa[0])
        pixels_b.append(pb[0])
    if not any(kept):
      raise ValueError(f"{folder}: no {split!r} pair has both of its images readable")
    pairs = [pair for pair, k in zip(files, kept) if k]
    a = _stack(pixels_a, [fa for fa, _ in pairs], where_a, None)
    b = _stack(pixels_b, [fb for _, fb in pairs], where_b, None)
    names = tuple(fa.name for fa, _ in pairs)
  _require_same_size(a, b, folder, split)
  return PairedDataset(name=str(path), a=a, b=b, names=names, skipped=kept.count(False))


def _require_same_size(a: np.ndarray, b: np.ndarray, folder: pathlib.Path, split: str) -> None:
  if a.shape[1:3] != b.shape[1:3]:
    raise ValueError(f"{folder}: the {split!r} images of A are {a.shape[1]}x{a.shape[2]} and those of B "
                     f"{b.shape[1]}x{b.shape[2]}; pass image_size to bring both to image_size x image_size")


# CycleGAN's two domains.


def _unpaired_folders(folder: pathlib.Path, split: str) -> tuple[pathlib.Path, pathlib.Path] | None:
  """`folder`'s (`<prefix>A/`, `<prefix>B/`) of `split`, None where neither exists; only one is an error."""
  prefix = UNPAIRED_PREFIXES[split]
  side_a, side_b = folder / f"{prefix}A", folder / f"{prefix}B"
  if not side_a.is_dir() and not side_b.is_dir():
    return None
  for side, other in ((side_a, side_b), (side_b, side_a)):
    if not side.is_dir():
      raise ValueError(f"{folder}: {other.name}/ has no counterpart {side.name}/; the two domains of a split are "
                       f"{side_a.name}/ and {side_b.name}/")
  return side_a, side_b


_UNPAIRED_LAYOUT = "trainA/ and trainB/, testA/ and testB/, optionally valA/ and valB/, each holding images"


def check_unpaired_folder(path: str | os.PathLike, split: str | None = None) -> None:
  """Raises ValueError unless `path` is a CycleGAN-style folder whose domain folders present come in A/B couples
  holding images, and `split`, when given, is present. Decodes nothing."""
  folder = _require_folder(path, "unpaired dataset folder", f"expected {_UNPAIRED_LAYOUT}")
  if split is not None:
    _check_split(split)
  found = {s: _unpaired_folders(folder, s) for s in UNPAIRED_PREFIXES}
  if not any(found.values()):
    raise ValueError(f"unpaired dataset folder {str(folder)!r}: no domain folders found; expected {_UNPAIRED_LAYOUT}")
  for sides in found.values():
    for side in sides or ():
      _require_images(side)
  if split is not None and found[split] is None:
    prefix = UNPAIRED_PREFIXES[split]
    raise ValueError(f"{folder}: no {prefix}A/ and {prefix}B/ for split {split!r} (CycleGAN's layout: "
                     f"{_UNPAIRED_LAYOUT}; splits present: {[s for s in found if found[s]]})")


def read_unpaired_folder(path: str | os.PathLike, split: str = "train", *, image_size: int | None = None,
                         skip_bad_images: bool = False) -> UnpairedDataset:
  """The two domains of `split` of a CycleGAN-style folder as an `UnpairedDataset`: each one (N, H, W, C) uint8
  array of one size (image_size x image_size when given), `skipped` the count of unreadable files left out."""
  from jgan.data.paired import UnpairedDataset
  _check_split(split)
  _check_options(image_size, None)
  check_unpaired_folder(path, split)
  folder = pathlib.Path(path)
  domains, skipped = [], 0
  for side in _unpaired_folders(folder, split):
    files = _require_images(side)
    pixels, kept = _read_files(files, _read_single, channels=None, image_size=image_size,
                               skip_bad_images=skip_bad_images, where=side)
    domains.append(_stack([p for (p,) in pixels], [f for f, k in zip(files, kept) if k], side, None))
    skipped += kept.count(False)
  _require_same_size(*domains, folder, split)
  return UnpairedDataset(name=str(path), a=domains[0], b=domains[1], skipped=skipped)


# Super-resolution's whole images.


def check_split_folders(path: str | os.PathLike) -> None:
  """`path` holds `train/`, `val/` or `validation/`, and `test/` folders of images (lists only; decodes nothing)."""
  folder = _require_folder(path, "image folder", "a folder with train/, val/ (or validation/) and test/ of "
                                                 f"{ACCEPTED}")
  for split in SPLIT_FOLDERS:
    found = _split_folder(folder, split)
    if found is None:
      raise ValueError(f"{folder}: no {' or '.join(n + '/' for n in SPLIT_FOLDERS[split])} folder for split "
                       f"{split!r}; a super-resolution folder has train/, val/ (or validation/) and test/ of "
                       f"{ACCEPTED}")
    _require_images(found)


def read_split_images(path: str | os.PathLike, split: str, *, channels: int | None = 3,
                      skip_bad_images: bool = False) -> list[tuple[str, np.ndarray]]:
  """(file name, uint8 (H, W, C) pixels) of every image of `path`'s `split` folder at its own size, in name order."""
  _check_split(split)
  check_split_folders(path)
  folder = _split_folder(pathlib.Path(path), split)
  files = _require_images(folder)
  read = lambda file, channels, image_size: [_fit(_decode(file, channels), image_size)]
  pixels, kept = _read_files(files, read, channels=channels, image_size=None, skip_bad_images=skip_bad_images,
                             where=folder)
  return [(file.name, p) for file, (p,) in zip([f for f, k in zip(files, kept) if k], pixels)]
