"""Draws digits from a caption with a trained StackGAN stage (`python -m jgan.experiments.stackgan`).

    python -m jgan.generate --checkpoint RUN_DIR --text "a thin 3" --num 16 [--grid grid.png] [--out out.npz]

A Stage-I run draws 16x16 images, a Stage-II run 32x32 ones (with the Stage-I images it refined: `--grid` shows
them side by side). The caption is read by the run's own text encoder: words it never saw are named on stderr and
left out (the vocabulary is the captions' templates and synonyms: `jgan.stackgan.captions.vocabulary`). Prints
what the digit classifier makes of the images and their measured stroke thickness, slant and width.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

import numpy as np


def generate(run_dir: str | pathlib.Path, text: str, num: int, seed: int = 0) -> dict:
  """{'images' (num, S, S, 1) uint8, 'stage1' (num, 16, 16, 1) uint8 or None, 'unknown' words, 'stage'} for `text`.
  ValueError if the caption has no word the encoder knows."""
  import jax

  from jgan import data
  from jgan.stackgan import captions, experiment
  state, config, stage1_config, _ = experiment.load(run_dir)
  ids, unknown = captions.encode([text], config.max_words)
  if not ids.any():
    raise ValueError(f"no word of {text!r} is in the captions' vocabulary ({' '.join(captions.vocabulary())})")
  images, low = experiment.Generator(config, stage1_config)(state, np.repeat(ids, num, axis=0),
                                                            jax.random.PRNGKey(seed))
  return {"images": data.to_uint8(images), "stage1": None if low is None else data.to_uint8(low),
          "unknown": unknown, "stage": config.stage}


def describe(images: np.ndarray) -> dict:
  """The digit classifier's classes and the measured attributes (means) of uint8 images (at 32x32 for the
  classifier: 16x16 ones are upscaled as the scores do)."""
  from jgan.eval.digits import load_digit_scorer
  from jgan.stackgan import captions, experiment
  scaled = experiment.to_scoring_size(images.astype(np.float32) / 127.5 - 1.0)
  classes = np.bincount(np.argmax(load_digit_scorer().probs(scaled), axis=1), minlength=10)
  measured = captions.measure(scaled)
  return {"classified_as": {str(c): int(n) for c, n in enumerate(classes) if n},
          **{f"mean_{k}": round(float(np.mean(v)), 3) for k, v in measured.items()}}


def main(argv: list[str] | None = None) -> int:
  parser = argparse.ArgumentParser(prog="python -m jgan.generate", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--checkpoint", required=True, help="a StackGAN run directory (Stage I or II)")
  parser.add_argument("--text", required=True, help='the caption, e.g. "a thick, slanted 7"')
  parser.add_argument("--num", type=int, default=16, help="images to draw (default: %(default)s)")
  parser.add_argument("--seed", type=int, default=0, help="the noise's seed (default: %(default)s)")
  parser.add_argument("--grid", default=None, help="write the images as one PNG grid here")
  parser.add_argument("--out", default=None, help="write the images (uint8) and the caption to this .npz")
  args = parser.parse_args(argv)
  if args.num < 1:
    print(f"error: --num must be >= 1, got {args.num}", file=sys.stderr)
    return 2
  try:
    result = generate(args.checkpoint, args.text, args.num, args.seed)
  except ValueError as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  if result["unknown"]:
    print(f"warning: words not in the captions' vocabulary, left out: {' '.join(result['unknown'])}", file=sys.stderr)
  images = result["images"]
  if args.grid:
    from jgan import images as image_io
    shown = images
    if result["stage1"] is not None:  # Stage-I image | Stage-II image, per sample
      low = np.repeat(np.repeat(result["stage1"], 2, axis=1), 2, axis=2)
      shown = np.concatenate([low, images], axis=2)
    image_io.save_grid(args.grid, shown, columns=min(8, len(shown)))
  if args.out:
    np.savez_compressed(args.out, images=images, text=np.asarray(args.text),
                        **({} if result["stage1"] is None else {"stage1": result["stage1"]}))
  print(json.dumps({"text": args.text, "num": args.num, "stage": result["stage"], "size": images.shape[1],
                    **describe(images), "grid": args.grid, "out": args.out}))
  return 0


if __name__ == "__main__":
  sys.exit(main())
