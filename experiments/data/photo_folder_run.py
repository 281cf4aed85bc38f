"""A short WGAN DCGAN run at 64x64 on a folder of images (`make_photo_folder.py`), recording its seconds per
iteration and its peak memory: the device's (`memory_stats()['peak_bytes_in_use']`) where the backend reports it,
else (CPU) the process's peak resident set size, which then holds everything the "device" holds.

    .venv/bin/python experiments/data/photo_folder_run.py DIR --input stream --out RUN [--steps 20]

The WGAN recipe's nets (DCGAN, 64 filters) and batch (64), except that every iteration has 5 critic steps (the
recipe's first 25 have 100: 20 such iterations take about half an hour on a 2-core CPU). Seconds per iteration are
the median of the per-iteration wall-clock times in metrics.jsonl after the first (which compiles). Prints one JSON
object.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import resource
import statistics
import time

import jax

from jgan import host_memory, train
from jgan.configs.wgan import get_config


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("folder")
  parser.add_argument("--input", choices=("stream", "device", "auto"), default="stream")
  parser.add_argument("--out", type=pathlib.Path, required=True)
  parser.add_argument("--steps", type=int, default=20)
  args = parser.parse_args()
  host_memory.keep_freed_memory()  # as the training command sets the process up (jgan.cli)
  host_memory.run_computations_inline()
  recipe = get_config()
  config = dataclasses.replace(recipe, dataset=args.folder, image_size=64, input=args.input, steps=args.steps,
                               warmup_n_critic=recipe.n_critic, log_every=1, sample_every=args.steps,
                               checkpoint_every=args.steps)
  start = time.perf_counter()
  train.run(config, args.out, overwrite=True, progress=False)
  wall = time.perf_counter() - start
  rows = [json.loads(line) for line in (args.out / "metrics.jsonl").read_text().splitlines()]
  times = [row["time"] for row in rows]
  stats = jax.devices()[0].memory_stats()
  if stats and "peak_bytes_in_use" in stats:
    memory = {"peak_device_memory_mb": stats["peak_bytes_in_use"] / 2 ** 20, "memory_measure": "device memory_stats"}
  else:  # Linux reports ru_maxrss in KiB
    memory = {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
              "memory_measure": "peak RSS of the process (the CPU device reports no memory_stats)"}
  meta = json.loads((args.out / "config.json").read_text())
  images = len(list(pathlib.Path(args.folder).glob("*.png")))
  result = {"run": "photo_folder", "folder": args.folder, "input": meta["input"], "images": images,
            "shape": meta["shape"], "set_mb_uint8": images * 64 * 64 * 3 / 2 ** 20, "steps": len(rows),
            "s_per_iter": statistics.median(b - a for a, b in zip(times, times[1:])),
            "first_iter_s": times[0], "wall_s": wall, **memory,
            "wasserstein_last": rows[-1]["wasserstein"], "backend": jax.default_backend(),
            "device": jax.devices()[0].device_kind, "jax": jax.__version__, "date": time.strftime("%Y-%m-%d")}
  print(json.dumps(result))


if __name__ == "__main__":
  main()
