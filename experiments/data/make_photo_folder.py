"""Writes a folder of 10,000 64x64 RGB PNG images, the training crops of `photos` (`jgan.data.photos.load_crops`):
an image folder to stream (`--dataset DIR --input stream`) that is made offline and the same on every machine.

    .venv/bin/python experiments/data/make_photo_folder.py DIR [--count 10000]

Files are DIR/00000.png ... in the crops' order; an existing non-empty DIR is refused.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import pathlib

import numpy as np
import PIL.Image

from jgan.data import photos


def write_folder(folder: pathlib.Path, count: int = 10_000) -> int:
  """Writes `count` 64x64 crops of the training photographs as PNG files into `folder`; returns how many."""
  if folder.exists() and any(folder.iterdir()):
    raise SystemExit(f"{folder} exists and is not empty")
  folder.mkdir(parents=True, exist_ok=True)
  crops = photos.load_crops("train", count, size=64)

  def save(i: int) -> None:
    PIL.Image.fromarray(np.ascontiguousarray(crops[i])).save(folder / f"{i:05d}.png")

  with concurrent.futures.ThreadPoolExecutor() as pool:  # zlib releases the GIL
    list(pool.map(save, range(len(crops))))
  return len(crops)


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("folder", type=pathlib.Path)
  parser.add_argument("--count", type=int, default=10_000)
  args = parser.parse_args()
  print(f"wrote {write_folder(args.folder, args.count)} images to {args.folder}")


if __name__ == "__main__":
  main()
