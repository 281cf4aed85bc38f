"""Clips for video prediction: moving digits, a real camera clip, a video file or a folder of frames.

A data set is a stack of sequences, uint8 (S, T, H, W, C): `moving_digits` gives S clips of `clip_frames` frames
made for each split from that split's digits (`jgan.data.moving_digits`); a video (`vtest`, a file, or a folder
of frame images in name order) is one sequence whose frames are split by time: the first 70% train, the next 15%
validation, the last 15% test, so test frames come from a time span never trained on. Frames are box-filtered by
`downscale` first (block means), then `ClipSource` cuts random space-time crops on the device: a uniform sequence,
start frame and square position per example.

`vtest` is the pedestrian clip `vtest.avi` of OpenCV's samples (Debian's `opencv-doc`), written to the user's data
directory by `python -m jgan.data.build_video` (its provenance and licence are in that file). Video files are
decoded with PyAV (FFmpeg's libraries), images read with Pillow.
"""

from __future__ import annotations

import functools
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from jgan import parallel
from jgan.data import to_unit_range

VTEST_FILE = "vtest_frames.npz"
VIDEO_SUFFIXES = (".avi", ".mp4", ".mkv", ".mov", ".webm", ".mpg", ".mpeg", ".gif")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
TIME_SPLITS = {"train": (0.0, 0.7), "validation": (0.7, 0.85), "test": (0.85, 1.0)}
SPLIT_SEEDS = {"train": 0, "validation": 1, "test": 2}  # moving_digits: one clip stream per split


def vtest_path() -> pathlib.Path:
  from jgan.data.text import user_data_dir
  return user_data_dir() / VTEST_FILE


def check_dataset(dataset: str) -> None:
  """ValueError unless `dataset` is moving_digits, a built vtest, a video file or a folder of frames."""
  if dataset == "moving_digits":
    return
  if dataset == "vtest":
    if not vtest_path().is_file():
      raise ValueError(f"dataset vtest is not built ({vtest_path()} is missing): run python -m jgan.data.build_video "
                       f"(see its --help)")
    return
  path = pathlib.Path(dataset)
  if path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES + (".npz",):
    return
  if path.is_dir() and frame_files(path):
    return
  raise ValueError(f"dataset {dataset!r} is neither moving_digits, vtest, a video file ({', '.join(VIDEO_SUFFIXES)}) "
                   f"nor a folder of frame images ({', '.join(IMAGE_SUFFIXES)})")


def frame_files(folder: pathlib.Path) -> list[pathlib.Path]:
  return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def read_frames(path: str | pathlib.Path) -> np.ndarray:
  """uint8 (T, H, W, C) frames of a video file (PyAV), a folder of images (Pillow, name order) or a .npz with
  'frames'. Grey images and grey videos keep 1 channel; colour ones have 3."""
  path = pathlib.Path(path)
  if path.is_dir():
    from PIL import Image
    frames = [np.asarray(Image.open(p)) for p in frame_files(path)]
    frames = [f[..., :3] if f.ndim == 3 else f[..., None] for f in frames]
    if len({f.shape for f in frames}) != 1:
      raise ValueError(f"the frames of {path} differ in size: {sorted({f.shape for f in frames})}")
    return np.stack(frames)
  if path.suffix == ".npz":
    with np.load(path) as archive:
      return archive["frames"]
  import av
  with av.open(str(path)) as container:
    frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
  if not frames:
    raise ValueError(f"{path}: no video frames decoded")
  return np.stack(frames)


def box_downscale(frames: np.ndarray, factor: int) -> np.ndarray:
  """uint8 (..., H, W, C) -> (..., H // factor, W // factor, C): means of factor x factor blocks (rounded); the
  last rows and columns that do not fill a block are dropped."""
  if factor == 1:
    return frames
  *lead, height, width, channels = frames.shape
  h, w = height // factor, width // factor
  blocks = frames[..., :h * factor, :w * factor, :].reshape(*lead, h, factor, w, factor, channels)
  return np.round(blocks.mean(axis=(-4, -2))).astype(np.uint8)


@functools.lru_cache(maxsize=4)
def _video(dataset: str, downscale: int) -> np.ndarray:
  path = vtest_path() if dataset == "vtest" else pathlib.Path(dataset)
  return box_downscale(read_frames(path), downscale)


def time_span(num_frames: int, split: str) -> slice:
  """The frames of `split` in a video of `num_frames`: train the first 70%, validation the next 15%, test the rest."""
  low, high = TIME_SPLITS[split]
  return slice(int(round(low * num_frames)), int(round(high * num_frames)))


def load_split(dataset: str, split: str, *, downscale: int, num_clips: int = 0, clip_frames: int = 20,
               seed: int = 0) -> np.ndarray:
  """uint8 (S, T, H, W, C) sequences of `split`: `num_clips` moving-digit clips, or a video's time span.

  Moving digits' training clips follow the run's `seed`; the validation and test clips do not, so that runs of
  different seeds are scored on the same held-out clips (a spread over seeds is then the models', not the data's)."""
  if split not in TIME_SPLITS:
    raise ValueError(f"split must be one of {tuple(TIME_SPLITS)}, got {split!r}")
  if dataset == "moving_digits":
    from jgan.data.moving_digits import moving_digits
    stream = 1000 * seed if split == "train" else 0
    clips = moving_digits(num_clips, clip_frames, seed=stream + SPLIT_SEEDS[split], split=split)
    return box_downscale(clips, downscale)
  frames = _video(dataset, downscale)
  return frames[time_span(len(frames), split)][None]


def windows(sequences: np.ndarray, length: int, count: int, stride: int | None = None) -> np.ndarray:
  """Up to `count` windows of `length` consecutive frames, uint8 (N, length, H, W, C): the first `length` frames of
  each sequence when there are several (clips), else non-overlapping windows (stride `length`) along the one."""
  if sequences.shape[1] < length:
    raise ValueError(f"sequences of {sequences.shape[1]} frames are shorter than a window of {length}")
  if len(sequences) > 1:
    return sequences[:count, :length]
  stride = stride or length
  starts = range(0, sequences.shape[1] - length + 1, stride)
  return np.stack([sequences[0, s:s + length] for s in starts][:count])


class ClipSource(struct.PyTreeNode):
  """Sequences (S, T, H, W, C) uint8 on the device; `batch` cuts random space-time crops from them."""

  frames: jax.Array

  @classmethod
  def from_arrays(cls, frames: np.ndarray) -> "ClipSource":
    return cls(frames=jnp.asarray(frames))

  def batch(self, rng: jax.Array, batch_size: int, length: int, size: int,
            axis_name: str | None = None) -> jax.Array:
    """This device's rows of a global batch of `batch_size` crops of `length` frames and `size` x `size` pixels,
    float32 in [-1, 1] (B, length, size, size, C); the batch depends only on `rng`."""
    num, frames, height, width, channels = self.frames.shape
    if frames < length or height < size or width < size:
      raise ValueError(f"sequences of {frames} frames of {height}x{width} cannot give crops of {length} frames of "
                       f"{size}x{size}")
    keys = jax.random.split(rng, 4)
    where = [jax.random.randint(k, (batch_size,), 0, n + 1)
             for k, n in zip(keys, (num - 1, frames - length, height - size, width - size))]
    where = [parallel.local_slice(w, axis_name) for w in where]

    def crop(s, t, y, x):
      return jax.lax.dynamic_slice(self.frames, (s, t, y, x, 0), (1, length, size, size, channels))[0]

    return to_unit_range(jax.vmap(crop)(*where))
