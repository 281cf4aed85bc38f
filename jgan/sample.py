"""Draws samples from a trained generator's checkpoint (wgan, gan, dcgan, cgan, acgan, infogan, wgan_gp, sngan, the
adversarial autoencoders, progan) or from a model shipped with jgan.

    python -m jgan.sample --checkpoint RUN_DIR --num 1000 --out samples.npz [--seed 0] [--grid grid.png] [--label 3]

Writes `images` as uint8 with the shape of the training data (digits trained padded to 32x32 come back 28x28), or
`points` (float32) for the toy distributions; `labels` holds the classes of conditional generators' samples
(`--label` fixes it, otherwise classes cycle 0, 1, ..., K-1). A ProGAN run samples at the resolution and fade-in
weight of its latest checkpoint, upsampled to its final resolution while it is still growing.
"""

from __future__ import annotations

import argparse
import functools
import pathlib
import sys

import jax
import numpy as np

from jgan import checkpoint, cli, data, pretrained, train
from jgan import images as image_io
from jgan.configs.base import Config


def load_generator(run_dir: str | pathlib.Path):
  """Returns `(state, config, meta)` restored from the latest checkpoint of `run_dir`, a GAN-family or adversarial
  autoencoder run (its config: `Config` or `AAEConfig`), or of a shipped model's folder (`jgan.pretrained`)."""
  if pretrained.is_shipped(run_dir):
    return pretrained.load(run_dir)
  try:
    state, meta = checkpoint.load_run(run_dir, lambda meta: pretrained.create_state(meta)[0])
  except pretrained.NotScorable as error:
    raise pretrained.NotScorable(f"{run_dir}: {error}") from None
  return state, pretrained.create_state(meta, abstract=True)[1], meta


def _is_autoencoder(config) -> bool:
  return not isinstance(config, Config) and not _is_progan(config)


def _is_progan(config) -> bool:
  from jgan.progan.config import ProGANConfig
  return isinstance(config, ProGANConfig)


def _sample_progan(state, config, num: int, seed: int) -> np.ndarray:
  """uint8 images of a ProGAN generator at its checkpoint's stage and fade-in weight; z ~ N(0, I) drawn with `seed`."""
  from jgan.progan import evaluate
  from jgan.progan.schedule import Schedule
  schedule, step = Schedule(config), int(np.asarray(state.step))
  z = np.asarray(jax.random.normal(jax.random.PRNGKey(seed), (num, config.latent_dim)))
  return evaluate.sample(state, schedule.stage_at(step), schedule.alpha(step), z, config.image_size)


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


def sample_labels(config, num: int, seed: int, label: int | None = None) -> np.ndarray | None:
  """The classes of `sample(..., num, seed, label)`'s images where the generator takes one (cycling 0..K-1, or all
  `label`), else None."""
  if _is_progan(config):
    return None
  if _is_autoencoder(config):
    k = config.num_classes if config.mode == "supervised" else 0
    return None if not k else (np.arange(num) % k if label is None else np.full(num, label))
  latent = sample_latent(config, num, seed, label)
  return np.asarray(latent["label"]) if "label" in latent else None


def sample(state, config, meta: dict, num: int, seed: int, label: int | None = None) -> np.ndarray:
  """`num` samples: uint8 images in the training data's shape, or float32 points for the toys."""
  if _is_progan(config):
    if label is not None:
      raise ValueError("--label: a ProGAN generator is unconditional")
    return _sample_progan(state, config, num, seed)
  if _is_autoencoder(config):  # decoded from the prior p(z), classes in equal shares where the decoder takes one
    from jgan.autoencoders import evaluate
    if label is not None:
      raise ValueError("--label: an autoencoder's samples cycle through its classes; it takes no fixed label")
    return data.to_uint8(evaluate.generate(state, config, jax.random.PRNGKey(seed), num))
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
  source = parser.add_mutually_exclusive_group(required=True)
  source.add_argument("--checkpoint", help="run directory (or its checkpoints/ folder)")
  source.add_argument("--pretrained", metavar="NAME",
                      help="a model shipped with jgan (jgan.pretrained): " + ", ".join(pretrained.names()))
  parser.add_argument("--num", type=int, default=64, help="number of images (default: %(default)s)")
  parser.add_argument("--out", default=None, help="output .npz file (array 'images', uint8); --out or --grid or both")
  parser.add_argument("--seed", type=int, default=0, help="seed of the latent draws (default: %(default)s)")
  parser.add_argument("--grid", default=None, help="also write a PNG grid of the images (a plot of the points)")
  parser.add_argument("--label", type=int, default=None, help="conditional generators: the class of every sample")
  cli.add_compilation_cache_flags(parser)
  args = parser.parse_args(argv)
  if args.num < 1:
    print(f"error: --num must be >= 1, got {args.num}", file=sys.stderr)
    return 2
  if args.out is None and args.grid is None:
    print("error: nothing to write: give --out FILE.npz, --grid FILE.png, or both", file=sys.stderr)
    return 2
  if args.out is not None and not args.out.endswith(".npz"):
    print(f"error: --out must name an .npz file, got {args.out!r}", file=sys.stderr)
    return 2
  try:
    cli.enable_compilation_cache(args)
    state, config, meta = (load_generator(args.checkpoint) if args.checkpoint
                           else pretrained.load(pretrained.model_dir(args.pretrained)))
  except ValueError as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  conditional = isinstance(config, Config) and config.conditional
  if args.label is not None and not (conditional and 0 <= args.label < config.num_classes):
    allowed = f"0..{config.num_classes - 1}" if conditional else "none: this generator is unconditional"
    print(f"error: --label {args.label} is not a class of this generator (allowed: {allowed})", file=sys.stderr)
    return 2
  samples = sample(state, config, meta, args.num, args.seed, args.label)
  key = "points" if isinstance(config, Config) and data.is_toy(config.dataset) else "images"
  arrays = {key: samples}
  labels = sample_labels(config, args.num, args.seed, args.label)
  if labels is not None:
    arrays["labels"] = labels
  if args.out is not None:
    np.savez_compressed(args.out, **arrays)
    print(f"wrote {args.out}: {key} {samples.shape} {samples.dtype}")
  if args.grid and key == "points":
    image_io.plot_points(args.grid, samples, title=f"{args.num} samples")
  elif args.grid:
    image_io.save_grid(args.grid, samples[:256])
  if args.grid:
    print(f"wrote {args.grid}: {min(args.num, 256)} samples")
  return 0


if __name__ == "__main__":
  sys.exit(main())
