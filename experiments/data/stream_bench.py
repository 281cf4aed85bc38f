"""Seconds per generator iteration of the WGAN DCGAN on the embedded digits: the set held on the device against the
same set streamed from the host (`--input stream`: batches read and put on the device by `jgan.data.stream` while
the previous call computes).

    .venv/bin/python experiments/data/stream_bench.py [--iters 10] [--rounds 5] [--long-rounds 3]
    .venv/bin/python experiments/data/stream_bench.py --dataset DIR --image-size 64   # a folder, decoded as read

The recipe's nets and batch (DCGAN, 64 filters, batch 64, 32x32, the 'host' loop that CPU training runs). The two
runs are built in one process set up as the training command sets it up (`jgan.host_memory`) and timed in
alternating rounds (ABBA order), so the machine's drift falls on both; each round's ratio compares runs seconds
apart, and the ratio reported is the median of the rounds'. Ordinary iterations have 5 critic steps (one compiled
call taking a stack of 5 batches); `--long-rounds` also times warm-up iterations of 100 critic steps (20 calls). The
last line is one JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import statistics
import time

import jax

from jgan import host_memory, parallel, train
from jgan.configs.wgan import get_config


def _path(config, mesh):
  """(experiment, state) of one input path, compiled and run once."""
  experiment = train.GANExperiment(config)
  meta = experiment.prepare(mesh)
  state = parallel.replicate(experiment.init_state(), mesh)
  return experiment, state, meta["input"]


def _time(experiment, state, start: int, count: int):
  t = time.perf_counter()
  state, rows = experiment.advance(state, start, count, lambda: False)
  jax.block_until_ready((state, rows))
  return state, (time.perf_counter() - t) / count


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--iters", type=int, default=10, help="iterations per path and round")
  parser.add_argument("--rounds", type=int, default=5)
  parser.add_argument("--long-rounds", type=int, default=3, help="rounds of one 100-critic-step iteration (0: none)")
  parser.add_argument("--dataset", default="digits", help="any --dataset of the experiments, e.g. a folder")
  parser.add_argument("--image-size", type=int, default=32)
  args = parser.parse_args()
  host_memory.keep_freed_memory()
  host_memory.run_computations_inline()
  mesh = parallel.make_mesh(jax.devices()[:1])
  # Every iteration an ordinary one (5 critic steps), or every one a warm-up one (100), so each call compiles once.
  base = dataclasses.replace(get_config(), dataset=args.dataset, image_size=args.image_size, loop="host",
                             warmup_steps=0, warmup_n_critic=5)
  paths = {name: _path(dataclasses.replace(base, input=name), mesh) for name in ("device", "stream")}
  assert [paths[n][2] for n in paths] == ["device", "stream"]
  steps = {name: 0 for name in paths}
  states = {name: paths[name][1] for name in paths}

  def run(name, count):
    states[name], seconds = _time(paths[name][0], states[name], steps[name], count)
    steps[name] += count
    return seconds

  for name in paths:  # compile, then one more
    run(name, 2)
  per_round = {name: [] for name in paths}
  for r in range(args.rounds):
    for name in (("device", "stream") if r % 2 == 0 else ("stream", "device")):
      per_round[name].append(run(name, args.iters))
  ratios = [s / d for s, d in zip(per_round["stream"], per_round["device"])]
  result = {"bench": "stream_vs_device", "dataset": args.dataset, "arch": "dcgan", "image_size": args.image_size,
            "batch_size": 64,
            "n_critic": 5, "iters": args.iters, "rounds": args.rounds,
            "device_s_per_iter": statistics.median(per_round["device"]),
            "stream_s_per_iter": statistics.median(per_round["stream"]),
            "round_ratios": [round(x, 4) for x in ratios], "ratio": statistics.median(ratios)}

  if args.long_rounds:  # warm-up iterations: 100 critic steps, 19 blocks of 5 and an iteration, each fed 5 batches
    long = dataclasses.replace(base, warmup_steps=10 ** 9, warmup_n_critic=100)
    for name in paths:
      paths[name][0].close()
    paths.update({name: _path(dataclasses.replace(long, input=name), mesh) for name in ("device", "stream")})
    states.update({name: paths[name][1] for name in paths})
    steps.update({name: 0 for name in paths})
    for name in paths:
      run(name, 1)
    long_rounds = {name: [] for name in paths}
    for r in range(args.long_rounds):
      for name in (("device", "stream") if r % 2 == 0 else ("stream", "device")):
        long_rounds[name].append(run(name, 1))
    long_ratios = [s / d for s, d in zip(long_rounds["stream"], long_rounds["device"])]
    result.update(long_device_s_per_iter=statistics.median(long_rounds["device"]),
                  long_stream_s_per_iter=statistics.median(long_rounds["stream"]),
                  long_round_ratios=[round(x, 4) for x in long_ratios], long_ratio=statistics.median(long_ratios))
  for name in paths:
    paths[name][0].close()
  result.update(cpu=platform.processor() or platform.machine(), backend=jax.default_backend(),
                device=jax.devices()[0].device_kind, jax=jax.__version__, date=time.strftime("%Y-%m-%d"))
  print(f"device-resident: {result['device_s_per_iter']:.4f} s/iter, streamed: {result['stream_s_per_iter']:.4f} "
        f"s/iter, ratio {result['ratio']:.3f} (rounds {result['round_ratios']})")
  if args.long_rounds:
    print(f"warm-up iterations (100 critic steps): device-resident {result['long_device_s_per_iter']:.3f} s, "
          f"streamed {result['long_stream_s_per_iter']:.3f} s, ratio {result['long_ratio']:.3f}")
  print(json.dumps(result))


if __name__ == "__main__":
  main()
