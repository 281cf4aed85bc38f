"""Predict the next frames of a clip with a trained video prediction model (`jgan.experiments.video_prediction`).

    python -m jgan.predict_frames --checkpoint DIR --input CLIP --frames N --out FILE.gif|FILE.png [--start S]

CLIP is a video file, a folder of frame images (name order) or a .npz with 'frames'; its frames are brought to the
model's channels (colour averaged for a grey model, grey repeated for a colour one), downscaled by the run's factor
and centrally cropped to multiples of 8. Frames S .. S+K-1 (K the model's input frames) are the input; the N frames
after them are predicted recursively, each from the K frames before it. A .gif shows the inputs then the predictions
(Pillow); a .png is a strip: inputs | predictions on the first row and, where the clip has them, the true frames
under the predictions.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

from jgan import cli


def model_frames(frames: np.ndarray, channels: int, downscale: int) -> np.ndarray:
  """uint8 (T, H, W, C) -> (T, h, w, channels) as the model sees them (see the module docstring)."""
  from jgan.data.video import box_downscale
  from jgan.video.evaluate import crop_to_multiple
  if frames.shape[-1] != channels:
    frames = (np.repeat(frames, channels, axis=-1) if frames.shape[-1] == 1
              else np.round(frames.mean(axis=-1, keepdims=True)).astype(np.uint8))
  return crop_to_multiple(box_downscale(frames, downscale))


def strip(inputs: np.ndarray, predicted: np.ndarray, true: np.ndarray | None) -> np.ndarray:
  """One uint8 image: inputs | predicted on top, and the true frames under the predicted ones when given."""
  from jgan import images as image_io
  blank = np.zeros_like(inputs[:1])
  rows = [np.concatenate([inputs, blank, predicted])]
  if true is not None and len(true):
    pad = np.zeros_like(predicted[len(true):])
    rows.append(np.concatenate([np.zeros_like(inputs), blank, true, pad]))
  tiles = np.concatenate(rows)
  return image_io.grid(tiles, columns=len(rows[0]))


def write_gif(path: pathlib.Path, frames: np.ndarray, duration_ms: int = 200) -> None:
  from PIL import Image
  images = [Image.fromarray(f[..., 0] if f.shape[-1] == 1 else f) for f in frames]
  images[0].save(path, save_all=True, append_images=images[1:], duration=duration_ms, loop=0)


def predict_clip(run_dir: str, frames: np.ndarray, num_frames: int, start: int = 0) -> tuple[np.ndarray, ...]:
  """(inputs, predicted, true) uint8 frames of the model of `run_dir` on a clip's raw frames."""
  from jgan.video import evaluate, experiment
  state, config, meta = experiment.load(run_dir)
  frames = model_frames(frames, int(meta["channels"]), config.downscale)
  k = config.input_frames
  if len(frames) < start + k:
    raise ValueError(f"the clip has {len(frames)} frames: too few for {k} input frames from frame {start}")
  inputs = frames[start:start + k]
  predicted = evaluate.predict_windows(state, inputs[None], num_frames, 1)[0]
  return inputs, predicted, frames[start + k:start + k + num_frames]


def main(argv: list[str] | None = None) -> int:
  parser = argparse.ArgumentParser(prog="python -m jgan.predict_frames", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--checkpoint", required=True, help="run directory of a video prediction run")
  parser.add_argument("--input", required=True, help="video file, folder of frames, or .npz with 'frames'")
  parser.add_argument("--frames", type=int, default=10, help="frames to predict (recursively)")
  parser.add_argument("--start", type=int, default=0, help="index of the clip's first input frame")
  parser.add_argument("--out", required=True, help="output .gif (inputs then predictions) or .png strip")
  cli.add_compilation_cache_flags(parser)
  args = parser.parse_args(argv)
  try:
    out = pathlib.Path(args.out)
    if out.suffix.lower() not in (".gif", ".png"):
      raise ValueError(f"--out must end in .gif or .png, got {args.out!r}")
    if args.frames < 1 or args.start < 0:
      raise ValueError(f"--frames must be >= 1 and --start >= 0, got {args.frames} and {args.start}")
    from jgan.data import video
    path = pathlib.Path(args.input)
    if not path.exists():
      raise ValueError(f"--input {args.input!r}: no such file or directory")
    cli.enable_compilation_cache(args)
    inputs, predicted, true = predict_clip(args.checkpoint, video.read_frames(path), args.frames, args.start)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".gif":
      write_gif(out, np.concatenate([inputs, predicted]))
    else:
      from jgan import images as image_io
      image_io.save_png(out, strip(inputs, predicted, true))
  except ValueError as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  print(f"predicted {args.frames} frame(s) after {len(inputs)} input frames into {out}")
  return 0


if __name__ == "__main__":
  sys.exit(main())
