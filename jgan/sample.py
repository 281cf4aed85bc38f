"""Draws images from a trained generator's checkpoint.

    python -m jgan.sample --checkpoint RUN_DIR --num 1000 --out samples.npz [--seed 0] [--grid grid.png]

Writes `images` as uint8 with the shape of the training data (digits trained padded to 32x32 come back 28x28).
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import jax
import numpy as np

from jgan import checkpoint, data, train
from jgan import images as image_io
from jgan.configs.wgan import WGANConfig


def load_generator(run_dir: str | pathlib.Path):
  """Returns `(state, config, meta)` restored from the latest checkpoint of `run_dir`."""
  run_dir = checkpoint.find_run_dir(run_dir)
  _, meta, _ = checkpoint.restore(run_dir)
  config = WGANConfig(**meta["config"])
  _, meta, state = checkpoint.restore(run_dir, train.create_state(config, meta["channels"]))
  return state, config, meta


def sample(state, config: WGANConfig, meta: dict, num: int, seed: int, batch_size: int = 500) -> np.ndarray:
  """`num` uint8 images in the training data's shape, from z ~ N(0, I) drawn with `seed`."""
  z = jax.random.normal(jax.random.PRNGKey(seed), (num, config.latent_dim))
  generate = jax.jit(train.generate)
  out = np.concatenate([data.to_uint8(generate(state, z[i:i + batch_size])) for i in range(0, num, batch_size)])
  return _to_source_shape(out, meta["source_shape"], config.resize)


def _to_source_shape(images: np.ndarray, shape: list[int], resize: str) -> np.ndarray:
  height, width = shape[:2]
  if images.shape[1:3] == (height, width):
    return images
  if resize == "pad":  # undo the centred padding
    top, left = (images.shape[1] - height) // 2, (images.shape[2] - width) // 2
    return images[:, top:top + height, left:left + width]
  return data.resize_bilinear(images, height, width)


def main(argv: list[str] | None = None) -> int:
  parser = argparse.ArgumentParser(prog="python -m jgan.sample", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--checkpoint", required=True, help="run directory (or its checkpoints/ folder)")
  parser.add_argument("--num", type=int, default=64, help="number of images (default: %(default)s)")
  parser.add_argument("--out", required=True, help="output .npz file (array 'images', uint8)")
  parser.add_argument("--seed", type=int, default=0, help="seed of the latent draws (default: %(default)s)")
  parser.add_argument("--grid", default=None, help="also write a PNG grid of the images here")
  args = parser.parse_args(argv)
  if args.num < 1:
    print(f"error: --num must be >= 1, got {args.num}", file=sys.stderr)
    return 2
  if not args.out.endswith(".npz"):
    print(f"error: --out must name an .npz file, got {args.out!r}", file=sys.stderr)
    return 2
  try:
    state, config, meta = load_generator(args.checkpoint)
  except ValueError as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  images = sample(state, config, meta, args.num, args.seed)
  np.savez_compressed(args.out, images=images)
  if args.grid:
    image_io.save_grid(args.grid, images[:256])
  print(f"wrote {args.out}: images {images.shape} {images.dtype}")
  return 0


if __name__ == "__main__":
  sys.exit(main())
