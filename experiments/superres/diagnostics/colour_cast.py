"""Is the photo SRResNet's PSNR deficit a colour cast from batch norm's running statistics?

    python experiments/superres/diagnostics/colour_cast.py RUN_DIR [--split validation] [--out FILE.json]

Upscales the held-out photographs of `split` with the run's latest checkpoint twice: as the evaluation does (batch
norm with its running averages) and with each image's own batch statistics (training mode). For each it prints
PSNR-Y, the mean error per RGB channel (a colour cast is a non-zero mean), and PSNR-Y after removing that mean
(what PSNR-Y would be without the cast), beside bicubic's PSNR-Y. Reads the validation split by default: the test
split stays unread.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np

from jgan import data
from jgan.eval import image_quality
from jgan.superres import evaluate, experiment, srgan


def _measure(outputs: list[np.ndarray], high: list[np.ndarray], scale: int) -> dict:
  """PSNR-Y, mean RGB error (levels) and PSNR-Y with that mean removed, per image."""
  rows = []
  for out, target in zip(outputs, high):
    error = out.astype(np.float64) - target
    mean = error.reshape(-1, error.shape[-1]).mean(axis=0)
    shifted = np.clip(np.round(out.astype(np.float64) - mean), 0, 255).astype(np.uint8)
    rows.append({"psnr_y": float(image_quality.psnr_y(out, target, scale)[0]),
                 "mean_rgb_error": [round(float(m), 2) for m in mean],
                 "psnr_y_without_mean_error": float(image_quality.psnr_y(shifted, target, scale)[0])})
  return rows


def main(argv: list[str] | None = None) -> int:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("run_dir", type=pathlib.Path)
  parser.add_argument("--split", default="validation", choices=("train", "validation"))
  parser.add_argument("--out", type=pathlib.Path)
  args = parser.parse_args(argv)
  state, config, _ = experiment.load(args.run_dir)
  dataset = experiment.load_data(config, args.split)
  lows = [low[:1] for low in dataset.low][:4]
  highs = [high[:1] for high in dataset.high][:4]
  generator = state.nets["generator"]

  @jax.jit
  def with_batch_statistics(low):
    out, _ = generator(low.astype(jnp.float32) / 255.0, train=True)
    return out

  running = [evaluate.upscale_batches(state, low, 1) for low in lows]
  own = [data.to_uint8(np.asarray(with_batch_statistics(jnp.asarray(low)))) for low in lows]
  bicubic = [image_quality.bicubic_upscale(low, config.scale) for low in lows]
  result = {"run_dir": str(args.run_dir), "step": int(np.asarray(state.step)), "split": args.split,
            "running_averages": _measure(running, highs, config.scale),
            "batch_statistics": _measure(own, highs, config.scale),
            "bicubic": _measure(bicubic, highs, config.scale)}
  text = json.dumps(result, indent=2)
  print(text)
  if args.out:
    args.out.write_text(text + "\n")
  return 0


if __name__ == "__main__":
  sys.exit(main())
