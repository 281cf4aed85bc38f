"""Translate image files with a trained pix2pix or CycleGAN model.

    python -m jgan.translate --checkpoint DIR --input FILE_OR_FOLDER --out DIR [--direction AtoB|BtoA] [--seed 0]

Each image is translated at its own size (the generators are fully convolutional): it is padded by reflection
to the next multiple the generator needs (2^levels for pix2pix's U-Net, 4 for CycleGAN's ResNet), translated,
and cropped back. Grey inputs are repeated to 3 channels for a colour model and colour inputs averaged for a grey
one. pix2pix runs as its paper tests (dropout on, batch norm with the image's own statistics: batch 1); `--seed`
draws its dropout. Outputs are PNG files named as the inputs, in --out.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import jax
import numpy as np

from jgan import cli

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def input_files(path: pathlib.Path) -> list[pathlib.Path]:
  if path.is_file():
    return [path]
  if path.is_dir():
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."))
    if not files:
      raise ValueError(f"{path}: no image files (accepted: {', '.join(IMAGE_SUFFIXES)})")
    return files
  raise ValueError(f"{path}: no such file or folder")


def read_image(path: pathlib.Path, channels: int) -> np.ndarray:
  from PIL import Image
  try:
    with Image.open(path) as image:
      image = np.asarray(image.convert("RGB" if channels == 3 else "L"))
  except Exception as error:  # Pillow raises many types for unreadable files
    raise ValueError(f"{path}: not a readable image ({type(error).__name__}: {error})") from error
  return image if image.ndim == 3 else image[..., None]


def translate_image(model, state, image: np.ndarray, *, direction: str, multiple: int, rng: jax.Array) -> np.ndarray:
  """One uint8 (H, W, C) image translated at its own size (reflection-padded to `multiple`, then cropped)."""
  from jgan import data
  height, width = image.shape[:2]
  pad = ((0, -height % multiple), (0, -width % multiple), (0, 0))
  padded = np.pad(image, pad, mode="reflect" if min(height, width) > 1 else "edge")
  out = model.translate(state, data.to_unit_range(padded[None]), rng, direction)
  return data.to_uint8(out)[0, :height, :width]


def main(argv: list[str] | None = None) -> int:
  parser = argparse.ArgumentParser(prog="python -m jgan.translate", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--checkpoint", required=True, help="run directory of a pix2pix or CycleGAN run")
  parser.add_argument("--input", required=True, help="an image file or a folder of PNG/JPEG files")
  parser.add_argument("--out", required=True, help="folder for the translated PNG files")
  parser.add_argument("--direction", default="AtoB", choices=("AtoB", "BtoA"),
                      help="AtoB (pix2pix, CycleGAN's G) or BtoA (CycleGAN's F)")
  parser.add_argument("--seed", type=int, default=0, help="pix2pix's dropout draws")
  cli.add_compilation_cache_flags(parser)
  args = parser.parse_args(argv)
  try:
    cli.enable_compilation_cache(args)
    files = input_files(pathlib.Path(args.input))
    from jgan import images as image_io
    from jgan.translation import experiment, pix2pix
    state, config, meta = experiment.load(args.checkpoint)
    model = experiment.model_of(config)
    if args.direction not in model.DIRECTIONS:
      raise ValueError(f"{args.checkpoint} holds a {type(config).__name__}, which translates "
                       f"{sorted(model.DIRECTIONS)}, not {args.direction}")
    channels = meta["channels"][0 if args.direction == "AtoB" else 1]
    multiple = 2 ** pix2pix.unet_levels(config) if model is pix2pix else 4
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = jax.random.PRNGKey(args.seed)
    for i, path in enumerate(files):
      image = read_image(path, channels)
      result = translate_image(model, state, image, direction=args.direction, multiple=multiple,
                               rng=jax.random.fold_in(rng, i))
      image_io.save_png(out / f"{path.stem}.png", result)
  except ValueError as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  print(f"translated {len(files)} image(s) {args.direction} into {out}")
  return 0


if __name__ == "__main__":
  sys.exit(main())
