"""Draws samples from a trained generator's checkpoint (any experiment: wgan, gan, dcgan, cgan, acgan, infogan).

    python -m jgan.sample --checkpoint RUN_DIR --num 1000 --out samples.npz [--seed 0] [--grid grid.png] [--label 3]

Writes `images` as uint8 with the shape of the training data (digits trained padded to 32x32 come back 28x28), or
`points` (float32) for the toy distributions; `labels` holds the classes of conditional generators' samples
(`--label` fixes it, otherwise classes cycle 0, 1, ..., K-1).
"""

from __future__ import annotations

import argparse
import functools
import pathlib
import sys

import jax
import numpy as np

from jgan import checkpoint, cli, data, train
from jgan import images as image_io
from jgan.configs.base import Config


def load_generator(run_dir: str | pathlib.Path):
  """Returns `(state, config, meta)` restored from the latest checkpoint of `run_dir`."""
  def make_state(meta: dict):
    shape = meta.get("shape", meta.get("image_shape"))  # runs written before the toys named it image_shape
    return train.create_state(Config(**meta["config"]), tuple(shape))
  state, meta = checkpoint.load_run(run_dir, make_state)
  return state, Config(**meta["config"]), meta


def sample_latent(config: Config, num: int, seed: int, label: int | None = None) -> dict[str, jax.Array]:
  """`num` latent codes drawn with `seed`; classes of conditional games cycle 0..K-1, or are all `label`."""
  latent = train.make_game(config).sample_latent(jax.random.PRNGKey(seed), num)
  if "label" in latent:
    classes = np.arange(num) % config.num_classes if label is None else np.full(num, label)
    latent["label"] = jax.numpy.asarray(classes, jax.numpy.int32)
  return latent


def generate_raw(state, config: Config, latent: dict[str, jax.Array], batch_size: int = 500) -> np.ndarray:
  """Generator outputs for `latent` (in the model's range), computed in batches."""
  generate = jax.jit(functools.partial(train.generate, game=train.make_game(config)))
  num = len(latent["z"])
  return np.concatenate([np.asarray(generate(state, latent=jax.tree.map(lambda v: v[i:i + batch_size], latent)))
                         for i in range(0, num, batch_size)])


def sample(state, config: Config, meta: dict, num: int, seed: int, label: int | None = None) -> np.ndarray:
  """`num` samples: uint8 images in the training data's shape, or float32 points for the toys."""
  raw = generate_raw(state, config, sample_latent(config, num, seed, label))
  if data.is_toy(config.dataset):
    return raw.astype(np.float32)
  return _to_source_shape(data.to_uint8(raw), meta["source_shape"], config.resize)


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
  parser.add_argument("--grid", default=None, help="also write a PNG grid of the images (a plot of the points)")
  parser.add_argument("--label", type=int, default=None, help="conditional generators: the class of every sample")
  cli.add_compilation_cache_flags(parser)
  args = parser.parse_args(argv)
  if args.num < 1:
    print(f"error: --num must be >= 1, got {args.num}", file=sys.stderr)
    return 2
  if not args.out.endswith(".npz"):
    print(f"error: --out must name an .npz file, got {args.out!r}", file=sys.stderr)
    return 2
  try:
    cli.enable_compilation_cache(args)
    state, config, meta = load_generator(args.checkpoint)
  except ValueError as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  if args.label is not None and not (config.conditional and 0 <= args.label < config.num_classes):
    allowed = f"0..{config.num_classes - 1}" if config.conditional else "none: this generator is unconditional"
    print(f"error: --label {args.label} is not a class of this generator (allowed: {allowed})", file=sys.stderr)
    return 2
  samples = sample(state, config, meta, args.num, args.seed, args.label)
  key = "points" if data.is_toy(config.dataset) else "images"
  arrays = {key: samples}
  if config.conditional:
    arrays["labels"] = np.asarray(sample_latent(config, args.num, args.seed, args.label)["label"])
  np.savez_compressed(args.out, **arrays)
  if args.grid and key == "points":
    image_io.plot_points(args.grid, samples, title=f"{args.num} samples")
  elif args.grid:
    image_io.save_grid(args.grid, samples[:256])
  print(f"wrote {args.out}: {key} {samples.shape} {samples.dtype}")
  return 0


if __name__ == "__main__":
  sys.exit(main())
