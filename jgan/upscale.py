"""Upscale image files with a trained SRResNet or SRGAN model.

    python -m jgan.upscale --checkpoint DIR IMAGE_OR_FOLDER... --out DIR [--tile 128] [--bicubic]

Each image is upscaled by the model's factor at its own size (the generator is fully convolutional); an image with
a side above `--tile` input pixels is upscaled in overlapping tiles of `--tile` x `--tile` (each output pixel from a
tile where it lies at least `--tile-overlap` pixels from a cut edge), so that any image fits the device. Grey inputs
are repeated to 3 channels for a colour model and colour inputs averaged for a grey one. Outputs are PNG files
named as the inputs, in --out; `--bicubic` also writes bicubic upscalings (NAME_bicubic.png) to compare.
"""

from __future__ import annotations

import argparse
import pathlib
import sys


from jgan import cli


def main(argv: list[str] | None = None) -> int:
  parser = argparse.ArgumentParser(prog="python -m jgan.upscale", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("inputs", nargs="+", help="image files or folders of PNG/JPEG files")
  parser.add_argument("--checkpoint", required=True, help="run directory of an SRResNet or SRGAN run")
  parser.add_argument("--out", required=True, help="folder for the upscaled PNG files")
  parser.add_argument("--tile", type=int, default=128, help="largest input side upscaled in one piece")
  parser.add_argument("--tile-overlap", type=int, default=16, help="input pixels of context around each tile")
  parser.add_argument("--bicubic", action="store_true", help="also write bicubic upscalings, NAME_bicubic.png")
  cli.add_compilation_cache_flags(parser)
  args = parser.parse_args(argv)
  try:
    if args.tile < 1 or not 0 <= 2 * args.tile_overlap < args.tile:
      raise ValueError(f"--tile must be >= 1 and --tile-overlap in [0, tile / 2), got {args.tile} and "
                       f"{args.tile_overlap}")
    from jgan.translate import input_files, read_image
    files = [file for path in args.inputs for file in input_files(pathlib.Path(path))]
    cli.enable_compilation_cache(args)
    from jgan import images as image_io
    from jgan.eval import image_quality
    from jgan.superres import evaluate, experiment
    state, config, meta = experiment.load(args.checkpoint)
    channels = int(meta["channels"])
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    upscale = lambda low: evaluate.upscale_batches(state, low, 1)
    for path in files:
      image = read_image(path, channels)
      result = evaluate.upscale_image(upscale, image, config.scale, tile=args.tile, overlap=args.tile_overlap)
      image_io.save_png(out / f"{path.stem}.png", result)
      if args.bicubic:
        image_io.save_png(out / f"{path.stem}_bicubic.png", image_quality.bicubic_upscale(image[None], config.scale)[0])
  except ValueError as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  print(f"upscaled {len(files)} image(s) {config.scale}x into {out}")
  return 0


if __name__ == "__main__":
  sys.exit(main())
