"""Batched projection: 64 images in one vmapped call against 64 single-image projections, same settings.

    python experiments/editing/benchmark.py [--model dcgan] [--steps 100] [--out results/benchmark_dcgan_cpu.json]

Both paths are compiled first (a warm-up call each), then timed; prints the figures and writes the JSON.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import time

import jax
import numpy as np

from jgan.data import splits
from jgan.editing import features, generators, projection

HERE = pathlib.Path(__file__).resolve().parent


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--model", default="dcgan", help="folder under experiments/editing/models (or a run dir)")
  parser.add_argument("--num", type=int, default=64)
  parser.add_argument("--steps", type=int, default=100)
  parser.add_argument("--optimizer", default="adam", choices=projection.OPTIMIZERS)
  parser.add_argument("--out", default=None)
  args = parser.parse_args(argv)
  run_dir = HERE / "models" / args.model if (HERE / "models" / args.model).is_dir() else pathlib.Path(args.model)
  generator = generators.load(run_dir)
  extractor = features.load(features.choose("auto", generator.image_shape))
  dataset = splits.load_split("digits", "test")
  targets = projection.prepare_images(dataset.images[:args.num], generator)
  labels = dataset.labels[:args.num] if generator.conditional else None
  config = projection.ProjectionConfig(optimizer=args.optimizer, steps=args.steps, starts=1,
                                       learning_rate=1.0 if args.optimizer != "adam" else 0.05, feature_weight=0.01)

  # The same random start for image i on both paths: the results must agree, only the cost differs.
  initial = np.asarray(generator.sample_free(jax.random.PRNGKey(0), args.num)).reshape(args.num, 1, -1)

  def batched():
    return projection.project(generator, targets, labels, config=config, extractor=extractor, initial=initial)

  def singles():
    return [projection.project(generator, targets[i:i + 1], None if labels is None else labels[i:i + 1],
                               config=config, extractor=extractor, initial=initial[i:i + 1])
            for i in range(args.num)]

  timings = {}
  for name, run in (("batched", batched), ("singles", singles)):
    if name == "batched":
      run()
    else:
      projection.project(generator, targets[:1], None if labels is None else labels[:1], config=config,
                         extractor=extractor, initial=initial[:1])
    start = time.perf_counter()
    result = run()
    timings[name] = time.perf_counter() - start
    pixel = result.pixel.mean() if name == "batched" else np.mean([r.pixel[0] for r in result])
    timings[f"{name}_pixel_mse"] = float(pixel)
  record = {"model": args.model, "num_images": args.num, "steps": args.steps, "optimizer": args.optimizer,
            "starts": 1, "device": jax.devices()[0].device_kind, "backend": jax.default_backend(),
            "seconds_batched": timings["batched"], "seconds_singles": timings["singles"],
            "speedup": timings["singles"] / timings["batched"],
            "pixel_mse_batched": timings["batched_pixel_mse"], "pixel_mse_singles": timings["singles_pixel_mse"],
            "split": "test (first images; timing only)"}
  print(f"{args.num} images, {args.steps} {args.optimizer} steps on {record['device']}: one batched call "
        f"{timings['batched']:.2f} s, {args.num} single calls {timings['singles']:.2f} s: "
        f"{record['speedup']:.1f}x faster batched (pixel MSE {record['pixel_mse_batched']:.4f} vs "
        f"{record['pixel_mse_singles']:.4f})")
  default = HERE / "results" / f"benchmark_{args.model}_{jax.default_backend()}.json"
  out = pathlib.Path(args.out) if args.out else default
  out.parent.mkdir(parents=True, exist_ok=True)
  out.write_text(json.dumps(record, indent=2))
  print(f"wrote {out}")
  return 0


if __name__ == "__main__":
  raise SystemExit(main())
