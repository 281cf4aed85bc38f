"""Image grids and plots written as PNG files."""

from __future__ import annotations

import math
import pathlib
import textwrap

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


def plot_curve(path: str | pathlib.Path, steps, values, *, ylabel: str, title: str,
               xlabel: str = "generator iterations") -> None:
  # A standalone Figure, not pyplot: a library must not change the caller's backend (a notebook's inline one).
  from matplotlib.figure import Figure
  fig = Figure(figsize=(6, 3.5), dpi=100)
  ax = fig.add_subplot()
  ax.plot(steps, values, lw=1)
  ax.set_xlabel(xlabel)
  ax.set_ylabel(ylabel)
  ax.set_title(title)
  ax.grid(alpha=0.3)
  fig.tight_layout()
  fig.savefig(str(path))


def plot_points(path: str | pathlib.Path, samples: np.ndarray, *, title: str,
                reference: np.ndarray | None = None) -> np.ndarray:
  """Draws 2-D samples as a scatter plot (1-D ones as a histogram) to `path`; returns the picture as uint8 RGB."""
  from matplotlib.backends.backend_agg import FigureCanvasAgg
  from matplotlib.figure import Figure
  fig = Figure(figsize=(4.5, 4.5) if samples.shape[-1] >= 2 else (6, 3.5), dpi=100)
  canvas = FigureCanvasAgg(fig)
  ax = fig.add_subplot()
  if samples.shape[-1] >= 2:
    if reference is not None:
      ax.scatter(reference[:, 0], reference[:, 1], s=2, c="tab:gray", alpha=0.4, label="data")
    ax.scatter(samples[:, 0], samples[:, 1], s=4, c="tab:blue", label="generated")
    ax.set_aspect("equal", adjustable="datalim")
  else:
    if reference is not None:
      ax.hist(reference[:, 0], bins=50, density=True, color="tab:gray", alpha=0.5, label="data")
    ax.hist(samples[:, 0], bins=50, density=True, color="tab:blue", alpha=0.7, label="generated")
  if reference is not None:
    ax.legend(loc="upper right", fontsize=8)
  ax.set_title(title, fontsize=9)
  fig.tight_layout()
  fig.savefig(str(path))
  canvas.draw()
  return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def plot_codes(path: str | pathlib.Path, codes: np.ndarray, labels: np.ndarray | None, *, title: str,
               prior: np.ndarray | None = None) -> np.ndarray:
  """Draws 2-D codes coloured by their label (one colour per class, the AAE paper's Fig. 2), over grey prior
  samples, to `path`; returns the picture as uint8 RGB."""
  from matplotlib.backends.backend_agg import FigureCanvasAgg
  from matplotlib.figure import Figure
  fig = Figure(figsize=(5, 4.5), dpi=100)
  canvas = FigureCanvasAgg(fig)
  ax = fig.add_subplot()
  if prior is not None:
    ax.scatter(prior[:, 0], prior[:, 1], s=2, c="lightgray", label="p(z)")
  if labels is None:
    ax.scatter(codes[:, 0], codes[:, 1], s=3, c="tab:blue", label="q(z)")
  else:
    colors = ax.scatter(codes[:, 0], codes[:, 1], s=3, c=labels, cmap="tab10", vmin=-0.5, vmax=9.5)
    fig.colorbar(colors, ax=ax, ticks=range(10), label="label")
  ax.set_aspect("equal", adjustable="datalim")
  ax.set_title("\n".join(textwrap.wrap(title, 60)), fontsize=9)  # a long run title would be clipped at the edges
  fig.tight_layout()
  fig.savefig(str(path))
  canvas.draw()
  return np.asarray(canvas.buffer_rgba())[..., :3].copy()
