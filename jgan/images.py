"""Image grids and plots written as PNG files."""

from __future__ import annotations

import math
import pathlib

import numpy as np


def grid(images: np.ndarray, *, columns: int | None = None, padding: int = 2) -> np.ndarray:
  """uint8 (N, H, W, C) images -> one uint8 (rows*H', columns*W', C) mosaic with `padding` pixels between tiles."""
  n, h, w, c = images.shape
  columns = columns or math.ceil(math.sqrt(n))
  rows = math.ceil(n / columns)
  out = np.zeros((rows * (h + padding) + padding, columns * (w + padding) + padding, c), np.uint8)
  for i, image in enumerate(images):
    r, col = divmod(i, columns)
    top, left = padding + r * (h + padding), padding + col * (w + padding)
    out[top:top + h, left:left + w] = image
  return out


def save_png(path: str | pathlib.Path, image: np.ndarray) -> None:
  """Writes a uint8 (H, W, C) image with C in 1, 3, 4."""
  import matplotlib.image
  image = image[..., 0] if image.shape[-1] == 1 else image
  matplotlib.image.imsave(str(path), image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=255)


def save_grid(path: str | pathlib.Path, images: np.ndarray, **kwargs) -> None:
  save_png(path, grid(images, **kwargs))


def plot_curve(path: str | pathlib.Path, steps, values, *, ylabel: str, title: str) -> None:
  # A standalone Figure, not pyplot: a library must not change the caller's backend (a notebook's inline one).
  from matplotlib.figure import Figure
  fig = Figure(figsize=(6, 3.5), dpi=100)
  ax = fig.add_subplot()
  ax.plot(steps, values, lw=1)
  ax.set_xlabel("generator iterations")
  ax.set_ylabel(ylabel)
  ax.set_title(title)
  ax.grid(alpha=0.3)
  fig.tight_layout()
  fig.savefig(str(path))
