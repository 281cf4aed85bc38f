"""Times one Adv+GDL training iteration of jgan's video predictor (Mathieu et al. 2016) beside a PyTorch ruler of
the same nets, losses and optimizers.

    python -m jgan.bench_video [--width 0.125] [--batch 8] [--iters 20] [--torch-python /work/.venv-torch/bin/python]

jgan's iteration is exactly the one training runs: `jgan.video.steps.train_step` compiled by
`jgan.parallel.compile_step` on a one-device mesh, cropping its clips from a `ClipSource` of synthetic uint8 frames
on the device. The ruler, experiments/video/bench/video_torch.py, builds the same layer sizes (Table 1 times
--width) in PyTorch and runs in its own process after jgan's timed block, with as many threads. Printed: jgan's
median seconds per iteration and compile seconds, the ruler's median, and the ratio jgan / PyTorch (below 1: jgan is
faster). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

RULER = pathlib.Path(__file__).resolve().parents[1] / "experiments" / "video" / "bench" / "video_torch.py"


def time_jgan(width: float, batch: int, iters: int, warmup: int) -> dict:
  import jax
  import numpy as np
  from jgan import parallel
  from jgan.data.video import ClipSource
  from jgan.video import experiment, steps
  from jgan.video.config import VideoPredictionConfig
  config = VideoPredictionConfig(recipe="adversarial_gdl", width=width, batch_size=batch)
  mesh = parallel.make_mesh(jax.devices()[:1])
  frames = np.random.default_rng(0).integers(0, 256, (64, 5, 32, 32, 1), dtype=np.uint8)
  source = parallel.replicate(ClipSource.from_arrays(frames), mesh)
  state = parallel.replicate(experiment.create_state(config, 1), mesh)
  step = parallel.compile_step(functools.partial(steps.train_step, config=config, axis_name=parallel.AXIS), mesh)
  t0 = time.perf_counter()
  state, metrics = step(state, source)
  jax.block_until_ready(metrics)
  compile_s = time.perf_counter() - t0
  for _ in range(warmup):
    state, metrics = step(state, source)
  jax.block_until_ready(metrics)
  times = []
  for _ in range(iters):
    t0 = time.perf_counter()
    state, metrics = step(state, source)
    jax.block_until_ready(metrics)
    times.append(time.perf_counter() - t0)
  return {"seconds_per_iteration": statistics.median(times), "min": min(times), "max": max(times),
          "compile_seconds": compile_s, "jax": jax.__version__}


def main(argv: list[str] | None = None) -> int:
  parser = argparse.ArgumentParser(prog="python -m jgan.bench_video", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--width", type=float, default=0.125, help="factor on the paper's layer widths")
  parser.add_argument("--batch", type=int, default=8)
  parser.add_argument("--iters", type=int, default=20)
  parser.add_argument("--warmup", type=int, default=3)
  parser.add_argument("--torch-python", default="/work/.venv-torch/bin/python",
                      help="a Python with PyTorch for the ruler ('' skips it)")
  args = parser.parse_args(argv)
  result = {"width": args.width, "batch": args.batch, "jgan": time_jgan(args.width, args.batch, args.iters,
                                                                        args.warmup)}
  print(f"jgan: {result['jgan']['seconds_per_iteration'] * 1e3:.1f} ms/iteration "
        f"(compile {result['jgan']['compile_seconds']:.1f} s)")
  if args.torch_python:
    threads = len(os.sched_getaffinity(0))
    out = subprocess.run([args.torch_python, str(RULER), "--width", str(args.width), "--batch", str(args.batch),
                          "--iters", str(args.iters), "--warmup", str(args.warmup), "--threads", str(threads)],
                         check=True, capture_output=True, text=True).stdout
    result["torch"] = json.loads(out.strip().splitlines()[-1])
    result["ratio_jgan_over_torch"] = (result["jgan"]["seconds_per_iteration"]
                                       / result["torch"]["seconds_per_iteration"])
    print(f"torch: {result['torch']['seconds_per_iteration'] * 1e3:.1f} ms/iteration; "
          f"jgan / torch {result['ratio_jgan_over_torch']:.2f}")
  print(json.dumps(result))
  return 0


if __name__ == "__main__":
  sys.exit(main())
