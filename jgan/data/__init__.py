"""Image data sets as uint8 arrays, and reproducible batches drawn on the device from a PRNG key and a position.

`load(name)` accepts:
  * `digits` — the 10,000 real MNIST digits embedded in the package (`digits.npz`; see `build_digits.py`);
  * `uci_digits`, `mnist_m` (whole, whatever `split`) and `photos` (crops of `split`'s photographs) — built offline
    from scikit-learn and scikit-image data (`jgan.data.offline`; fixed splits of labelled sets: `jgan.data.splits`);
  * a path to an `.npz` file holding `images` (N, H, W) or (N, H, W, C) uint8 and optionally `labels` (N,);
  * any TensorFlow Datasets name (read through `tfds.data_source`, without TensorFlow), as far as TFDS can reach or
    has prepared it.
The toy distributions of `jgan.data.toys` (`normal1d`, `ring8`, `grid25`, `swissroll`) are not loaded: they are
drawn fresh from a key each batch (`jgan.data.source.Source`).
The whole set is kept on the device as uint8 and batches are gathered inside the compiled step (`batch_indices`),
so the host never feeds the training loop; a set too large for that is streamed instead (`jgan.data.stream`: the
same batches, read by index from `jgan.data.examples` on the host while the devices compute).
"""

from __future__ import annotations

import dataclasses
import pathlib

import jax
import jax.numpy as jnp
import numpy as np

EMBEDDED = {"digits": pathlib.Path(__file__).with_name("digits.npz")}
RESIZE_MODES = ("pad", "bilinear")


@dataclasses.dataclass(frozen=True)
class ImageDataset:
  """A data set held in memory: `images` (N, H, W, C) uint8, `labels` (N,) int32 or None; `classes` the class names
  where known (label i is classes[i]: an image folder's sub-folders), `skipped` the unreadable files left out."""

  name: str
  images: np.ndarray
  labels: np.ndarray | None
  classes: tuple[str, ...] | None = None
  skipped: int = 0

  @property
  def shape(self) -> tuple[int, int, int]:
    return self.images.shape[1:]

  def __len__(self) -> int:
    return len(self.images)


def is_toy(name: str) -> bool:
  """Whether `name` is one of the toy distributions of `jgan.data.toys`."""
  from jgan.data import toys
  return name in toys.TOYS


def check_name(name: str, data_dir: str | None = None) -> None:
  """Raises ValueError unless `name` is a toy, an embedded set, an existing `.npz` file, a folder of images (listed,
  not decoded), a registered TFDS name or a TFDS data set prepared under `data_dir` (TFDS's default directory when
  None or '')."""
  data_dir = data_dir or None  # configs spell "TFDS's default" as ''
  if name in EMBEDDED or is_toy(name):
    return
  from jgan.data import offline
  offline.check_not_clips(name)
  if name in offline.IMAGE_SETS:
    return
  if name.endswith(".npz"):
    if not pathlib.Path(name).is_file():
      raise ValueError(f"dataset {name!r}: no such .npz file")
    return
  if _is_image_folder(name, data_dir):
    from jgan.data import folders
    folders.check_image_folder(name)
    return
  if data_dir and "://" not in data_dir and not pathlib.Path(data_dir).is_dir():
    raise ValueError(f"data_dir {data_dir!r}: no such directory (TFDS data sets are read from there)")
  import tensorflow_datasets as tfds  # imported lazily: it is slow to import and only needed for TFDS names
  try:
    tfds.builder_cls(_builder_name(name))
  except Exception as error:  # DatasetNotFoundError, or a malformed name
    if _prepared_without_builder(name, data_dir):
      return
    from jgan.data import toys
    known = sorted(EMBEDDED) + list(offline.IMAGE_SETS) + list(toys.TOYS)
    raise ValueError(f"unknown dataset {name!r}: expected one of {known}, a path to an .npz file, a folder of "
                     "PNG/JPEG images, or a TensorFlow Datasets name (e.g. mnist, cifar10) or one prepared under "
                     "data_dir") from error


def _builder_name(name: str) -> str:
  """The builder's name in a TFDS name 'name[/config][:version]'."""
  return name.split(":")[0].split("/")[0]


def is_image_folder(name: str, data_dir: str | None = None) -> bool:
  """Whether `load(name)` reads a folder of images: a folder, and no name `load` takes first (a toy, an embedded or
  offline set, an .npz file). `load` brings such images to `image_size` as it reads them, since the files may differ
  in size, where it reads any other set as stored and then resizes it with `resize`."""
  from jgan.data import offline
  if name in EMBEDDED or is_toy(name) or name in offline.IMAGE_SETS or name.endswith(".npz"):
    return False
  return _is_image_folder(name, data_dir or None)  # configs spell "TFDS's default" as ''


def _is_image_folder(name: str, data_dir: str | None) -> bool:
  """Whether `name` names a folder of images (`jgan.data.folders`): an existing directory written as a path
  (`./faces`, `faces/`, `/data/faces`), or a bare name of a directory here that is no TFDS data set (`mnist` stays
  TFDS's mnist even beside a folder `mnist/`: write `./mnist` for the folder)."""
  if not pathlib.Path(name).is_dir():
    return False
  if name != pathlib.Path(name).name:
    return True
  import tensorflow_datasets as tfds
  try:
    tfds.builder_cls(_builder_name(name))
    return False
  except Exception:  # DatasetNotFoundError: not a registered TFDS name
    return not _prepared_without_builder(name, data_dir)


def _prepared_without_builder(name: str, data_dir: str | None) -> bool:
  """Whether TFDS finds `name` prepared on disk although no builder class is registered (a user's own data set)."""
  import tensorflow_datasets as tfds
  try:
    return tfds.builder(name, data_dir=data_dir).is_prepared()
  except Exception:  # DatasetNotFoundError: nothing on disk either
    return False


def load(name: str = "digits", *, split: str = "train", image_size: int | None = None, resize: str = "pad",
         data_dir: str | None = None, skip_bad_images: bool = False) -> ImageDataset:
  """Loads `name` as uint8 (N, H, W, C) images, optionally brought to `image_size` x `image_size`.

  `data_dir` is where TFDS keeps prepared data sets (None or '': `$TFDS_DATA_DIR`, else `~/tensorflow_datasets`).
  `resize="pad"` centres the images on a zero background (28 -> 32 for digits, as is usual for DCGAN critics, which
  want a power-of-two side); `resize="bilinear"` rescales them (antialiased when shrinking).
  A folder of images is read by `folders.read_image_folder`, which brings each image to `image_size` itself (its
  centred square resized, as the files may differ in size and shape: `resize` and `split` do not apply), leaving out
  unreadable files where `skip_bad_images`.
  """
  check_name(name, data_dir)
  if resize not in RESIZE_MODES:
    raise ValueError(f"resize must be one of {RESIZE_MODES}, got {resize!r}")
  from jgan.data import offline
  if name in EMBEDDED:
    images, labels = _read_npz(EMBEDDED[name])
  elif name in offline.IMAGE_SETS:  # built from scikit-learn / scikit-image data; `split` chooses photos' split
    images, labels = offline.load_arrays(name, split)
  elif name.endswith(".npz"):
    images, labels = _read_npz(pathlib.Path(name))
  elif _is_image_folder(name, data_dir):  # after the names above: a folder `digits/` here does not hide them
    from jgan.data import folders
    return folders.read_image_folder(name, image_size=image_size, skip_bad_images=skip_bad_images)
  else:
    images, labels = _read_tfds(name, split, data_dir or None)
  if image_size is not None:
    images = resize_images(images, image_size, resize)
  return ImageDataset(name=name, images=images, labels=labels)


def _read_npz(path: pathlib.Path) -> tuple[np.ndarray, np.ndarray | None]:
  try:
    archive = np.load(path, allow_pickle=False)
  except Exception as error:  # a truncated zip, a pickle, a text file...
    raise ValueError(f"{path}: not a readable .npz file ({type(error).__name__}: {error})") from error
  if not isinstance(archive, np.lib.npyio.NpzFile):
    raise ValueError(f"{path}: not an .npz archive (found a single array)")
  with archive:
    if "images" not in archive.files:
      raise ValueError(f"{path}: no array named 'images' (found {sorted(archive.files)})")
    images = archive["images"]
    labels = archive["labels"] if "labels" in archive.files else None
  return _check_arrays(str(path), images, labels)


def _check_arrays(source: str, images: np.ndarray, labels: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
  if images.dtype != np.uint8:
    raise ValueError(f"{source}: 'images' must be uint8, got {images.dtype}")
  if images.ndim == 3:
    images = images[..., None]
  if images.ndim != 4 or images.shape[-1] not in (1, 3, 4) or len(images) == 0:
    raise ValueError(f"{source}: 'images' must have shape (N, H, W) or (N, H, W, C) with C in 1, 3, 4 and N > 0, "
                     f"got {images.shape}")
  if labels is not None:
    if labels.shape != (len(images),):
      raise ValueError(f"{source}: 'labels' must have shape ({len(images)},) to match 'images', got {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
      raise ValueError(f"{source}: 'labels' must be integers, got {labels.dtype}")
    labels = labels.astype(np.int32)
  return images, labels


def tfds_source(name: str, split: str, data_dir: str | None):
  """TFDS's random-access data source of a split (`as_data_source`, no TensorFlow; examples decoded as they are
  read), preparing the set first if TFDS can: what `load` reads whole and `jgan.data.stream` reads by batch."""
  import tensorflow_datasets as tfds
  builder = tfds.builder(name, data_dir=data_dir)  # a prepared set's builder takes the format it was written in
  if not builder.is_prepared():
    builder = tfds.builder(name, data_dir=data_dir, file_format="array_record")
    try:  # downloads from the set's own sources (TFDS 4.9.10 has its GCS mirror disabled)
      # Offline, TFDS retries each download for minutes before giving up: a few seconds' look tells the same.
      unreachable = _download_unreachable(builder)
      if unreachable:
        raise ConnectionError(unreachable)
      builder.download_and_prepare(file_format="array_record")
    except Exception as error:
      # TFDS encodes the images of most sets (mnist, cifar10...) with TensorFlow, which jgan does not install.
      needs = (" (preparing it needs TensorFlow: `pip install tensorflow` there)"
               if "No module named 'tensorflow'" in str(error) else "")
      lines = [line for line in str(error).splitlines() if line.strip()] or [""]  # TFDS's are long: ends kept
      raise ValueError(
          f"TFDS dataset {name!r} is not prepared under {builder.data_dir_root} and could not be prepared here "
          f"({type(error).__name__}: {' ... '.join(dict.fromkeys((lines[0], lines[-1])))}). Prepare it where TFDS "
          f"can download it{needs}, with jgan's extra `prepare` installed (`pip install -e '.[prepare]'`: "
          f"TensorFlow, which the `tfds` command needs) and `tfds build {_builder_name(name)} "
          "--file_format=array_record --data_dir DIR`, then pass that DIR as data_dir (--data-dir) or "
          "$TFDS_DATA_DIR") from error
  readable = tfds.core.file_adapters.FileFormat.with_random_access()
  found = builder.info.available_file_formats()
  if not found & set(readable):
    raise ValueError(
        f"TFDS dataset {name!r} is prepared under {builder.data_dir} as "
        f"{sorted(f.value for f in found) or 'an unknown format'}, which cannot be read by index; jgan reads "
        f"{sorted(f.value for f in readable)}: prepare it again with `tfds build ... --file_format=array_record` "
        "into another data_dir")
  return builder.as_data_source(split=split)


def _read_tfds(name: str, split: str, data_dir: str | None) -> tuple[np.ndarray, np.ndarray | None]:
  """Reads a TFDS split by index (`as_data_source`, no TensorFlow), preparing the set first if TFDS can."""
  source = tfds_source(name, split, data_dir)
  examples = source.__getitems__(range(len(source)))
  if not examples or "image" not in examples[0]:
    raise ValueError(f"TFDS dataset {name!r} has no 'image' feature")
  shapes = {np.shape(e["image"]) for e in examples}
  if len(shapes) > 1:
    raise ValueError(f"TFDS dataset {name!r} split {split!r} has images of {len(shapes)} different shapes (e.g. "
                     f"{sorted(shapes)[:2]}); jgan trains on one shape: resize them first, into an .npz file")
  images = np.stack([np.asarray(e["image"]) for e in examples])
  labels = np.asarray([e["label"] for e in examples]) if "label" in examples[0] else None
  return _check_arrays(f"tfds:{name}", images, labels)


NETWORK_TIMEOUT_S = 2.0  # a host that is reachable at all accepts a TCP connection well within this


def _download_unreachable(builder) -> str | None:
  """Why TFDS cannot download `builder`'s files from here (no host of its URLs, or the HTTPS proxy, accepts a
  connection within NETWORK_TIMEOUT_S), or None: one does, the builder lists no URL (a set made locally, which may
  need no network), or files already lie in its download folder (TFDS may prepare from them offline)."""
  import urllib.parse
  import urllib.request
  # Only TFDS's own download_and_prepare downloads: a mock (tfds.testing.mock_data) or an override decides itself.
  if getattr(type(builder).download_and_prepare, "__module__", None) != "tensorflow_datasets.core.dataset_builder":
    return None
  try:
    urls = list(builder.url_infos or ())  # from the builder's registered checksums: the files it downloads
    downloads = pathlib.Path(builder.data_dir_root) / "downloads"
    # A failed try leaves empty '<file>.tmp.<id>/' folders there: only a finished download counts.
    if not urls or (downloads.is_dir() and any(p.is_file() and ".tmp." not in str(p.relative_to(downloads))
                                               for p in downloads.rglob("*"))):
      return None
  except Exception:  # a builder TFDS cannot describe so: leave the decision to TFDS itself
    return None
  proxy = urllib.request.getproxies().get("https")
  if proxy:  # requests, TFDS's downloader, goes through it: the proxy is what must answer
    parsed = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    addresses = [(parsed.hostname, parsed.port or 80)]
  else:
    parsed_urls = [urllib.parse.urlsplit(url) for url in urls]
    addresses = [(p.hostname, p.port or (443 if p.scheme == "https" else 80)) for p in parsed_urls]
  addresses = list(dict.fromkeys(a for a in addresses if a[0]))[:4]
  if not addresses or _reachable(addresses):
    return None
  shown = ", ".join(f"{host}:{port}" for host, port in addresses)
  return f"no network here: {shown} accepted no connection within {NETWORK_TIMEOUT_S:g} s"


def _reachable(addresses: list[tuple[str, int]], timeout: float = NETWORK_TIMEOUT_S) -> bool:
  """Whether any of `addresses` (host, port) accepts a TCP connection within `timeout` seconds, name lookup included
  (tried in threads, as a lookup ignores the socket's timeout)."""
  import socket
  import threading
  import time
  opened = threading.Event()

  def attempt(address):
    try:
      socket.create_connection(address, timeout=timeout).close()
      opened.set()
    except OSError:  # no route, refused, timed out, unknown host
      pass

  threads = [threading.Thread(target=attempt, args=(address,), daemon=True) for address in addresses]
  for thread in threads:
    thread.start()
  deadline = time.monotonic() + timeout
  while not opened.is_set() and any(t.is_alive() for t in threads) and time.monotonic() < deadline:
    opened.wait(0.02)
  return opened.is_set()


def resize_images(images: np.ndarray, size: int, mode: str = "pad") -> np.ndarray:
  """Brings uint8 (N, H, W, C) images to (N, size, size, C) by zero padding (centred) or bilinear resizing."""
  height, width = images.shape[1:3]
  if (height, width) == (size, size):
    return images
  if mode == "pad":
    if height > size or width > size:
      raise ValueError(f"cannot pad {height}x{width} images to {size}x{size}; use resize='bilinear'")
    top, left = (size - height) // 2, (size - width) // 2
    return np.pad(images, ((0, 0), (top, size - height - top), (left, size - width - left), (0, 0)))
  return resize_bilinear(images, size, size)


def resize_bilinear(images: np.ndarray, height: int, width: int) -> np.ndarray:
  """uint8 (N, H, W, C) images -> uint8 (N, height, width, C), bilinear (antialiased when shrinking)."""
  resized = jax.image.resize(jnp.asarray(images, jnp.float32), (len(images), height, width, images.shape[-1]),
                             "bilinear", antialias=True)
  return np.asarray(jnp.clip(jnp.round(resized), 0, 255)).astype(np.uint8)


def batch_indices(data_rng: jax.Array, position: jax.Array, num_examples: int, batch_size: int) -> jax.Array:
  """Indices of batch number `position` of an endless stream of shuffled epochs (each a fresh permutation).

  Batch p is slice p mod B of the permutation of epoch p div B, where B = num_examples // batch_size (a final partial
  batch is dropped), so the stream is a pure function of (data_rng, position): reproducible and resumable.
  """
  batches_per_epoch = num_examples // batch_size
  epoch, offset = jnp.divmod(position, batches_per_epoch)
  permutation = jax.random.permutation(jax.random.fold_in(data_rng, epoch), num_examples)
  return jax.lax.dynamic_slice_in_dim(permutation, offset * batch_size, batch_size)


def to_unit_range(images: jax.Array) -> jax.Array:
  """uint8 pixels -> float32 in [-1, 1]."""
  return images.astype(jnp.float32) / 127.5 - 1.0


def to_uint8(images: jax.Array | np.ndarray) -> np.ndarray:
  """Images in [-1, 1] -> uint8 pixels (values outside the range are clipped)."""
  return np.asarray(jnp.clip(jnp.round((jnp.asarray(images) + 1.0) * 127.5), 0, 255)).astype(np.uint8)
