"""Where an application's training iteration spends its time, convolution by convolution, beside PyTorch.

    python -m jgan.bench_layers --arch pix2pix                     # the paper's 256x256, batch 1
    python -m jgan.bench_layers --arch srgan --repeats 5 --out experiments/superres/bench/layers_srgan_96_b16.json
    python -m jgan.bench_layers --arch srgan --trace 3            # the whole iteration's operations, profiled

`jgan.bench --arch ...` times a whole iteration of pix2pix, CycleGAN, SRResNet or SRGAN against the PyTorch ruler;
this module says where a gap comes from. It traces the iteration that `jgan.bench` times (the same config, nets
and step) and records every convolution it calls: its layer class, input and output shapes, kernel, strides and
explicit padding, and how many times one iteration calls it (a discriminator that scores real and generated
images calls each of its layers more than once). Each distinct convolution is then timed alone, forward and both
gradients (input and kernel) from one cotangent, compiled as one function: in jgan with the layer itself
(`jgan.models.layers.Conv` / `ConvTranspose`, whatever path it takes at that shape), and in PyTorch with
`torch.nn.Conv2d` / `ConvTranspose2d` of the same shapes, run by the interpreter given (`--torch-python`; the
PyTorch half is `experiments/benchmarks/layers_torch.py`, which checks that its output shape is jgan's).

Printed: one row per convolution (calls per iteration, median milliseconds in each framework, their ratio) and
totals weighted by the calls; the last line is one JSON object (`--out` writes it to a file too). The totals
over-count the work of a real iteration a little, on both sides alike: every call is timed with both gradients,
where an iteration needs no input gradient for the images themselves and no kernel gradient for a frozen net
(SRGAN's VGG19) or for the discriminator inside the generator's update. What the convolutions leave of an
iteration's time (normalization, activations, losses, the optimizer) is the iteration's time minus these totals.

`--trace ITERS` answers the question inside the real iteration instead: the compiled program runs under JAX's
profiler, which on XLA:CPU records every operation it executes (a convolution, a fusion of elementwise work, a
copy), and the longest are printed with their HLO instruction, so the time is attributed to what the iteration
actually computes (no kernel gradient of a frozen net, for instance).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import pathlib
import re
import subprocess
import sys
import time

import jax
import numpy as np

from jgan.bench import median_seconds

RULER = pathlib.Path(__file__).resolve().parent.parent / "experiments" / "benchmarks" / "layers_torch.py"


def iteration(arch: str, *, size: int, batch: int, blocks: int | None = None):
  """(compiled step, state, the step's other arguments): the iteration `jgan.bench_translation.bench` times."""
  from jgan import bench_translation, parallel
  blocks = bench_translation.default_blocks(size) if blocks is None else blocks
  config = bench_translation.make_config(arch, size=size, batch=batch, features=64, blocks=blocks, load_size=size)
  mesh = parallel.make_mesh(jax.devices()[:1])
  setup = (bench_translation._superres_setup if arch in bench_translation.SUPERRES_ARCHS
           else bench_translation._translation_setup)
  return setup(arch, config, mesh, batch=batch, load_size=size)


def record_convolutions(arch: str, *, size: int, batch: int, blocks: int | None = None) -> list[dict]:
  """Every convolution one training iteration of `arch` calls, as {kind, input, output, kernel, strides, padding,
  calls, module}: the iteration `jgan.bench_translation.bench` times, traced (not run) with each call intercepted.
  Identical convolutions are merged, `calls` counting them."""
  import flax.linen as nn

  from jgan.models import layers
  step, state, args = iteration(arch, size=size, batch=batch, blocks=blocks)
  seen: dict[tuple, dict] = {}

  def intercept(next_fun, call_args, kwargs, context):
    out = next_fun(*call_args, **kwargs)
    module = context.module
    if context.method_name == "__call__" and isinstance(module, layers._ConvLayer):
      x = call_args[0]
      kernel_size = tuple(np.broadcast_to(module.kernel_size, (x.ndim - 2,)).tolist())
      strides = tuple(np.broadcast_to(1 if module.strides is None else module.strides, (x.ndim - 2,)).tolist())
      padding = tuple(tuple(int(p) for p in pair)
                      for pair in module._explicit_padding(kernel_size, strides, tuple(x.shape[1:-1])))
      row = dict(kind=type(module).__name__, input=list(x.shape), output=list(out.shape),
                 kernel=[*kernel_size, int(x.shape[-1]), int(module.features)], strides=list(strides),
                 padding=[list(p) for p in padding], use_bias=bool(module.use_bias))
      key = json.dumps(row, sort_keys=True)
      if key not in seen:
        seen[key] = dict(row, calls=0, module=module.clone(parent=None, name=None))
      seen[key]["calls"] += 1
    return out

  with nn.intercept_methods(intercept):
    step.lower(state, *args)  # traces the iteration once: each convolution call passes through `intercept`
  return list(seen.values())


def trace_iteration(arch: str, *, size: int, batch: int, blocks: int | None = None, iters: int = 3,
                    top: int = 25) -> dict:
  """The compiled iteration run `iters` times under JAX's profiler: the time of each operation of the program
  (XLA:CPU traces every one; a fusion counts as one), per iteration, with its HLO instruction (shapes, and for a
  convolution its window and layout), the `top` longest first; the time by opcode; and the sum of all of them
  against the wall time. An operation's time runs from its launch to its completion marker (XLA:CPU runs most of
  them asynchronously on its thread pool, and their launch events alone miss the work), and operations in flight
  at once share each moment, so the times add up to the busy part of the wall time."""
  import gzip
  import tempfile

  step, state, args = iteration(arch, size=size, batch=batch, blocks=blocks)
  hlo = step.lower(state, *args).compile().as_text()
  instructions = {m.group(1): m.group(0).strip() for m in re.finditer(r"^\s*(?:ROOT )?%?([\w.\-]+) = .*$", hlo, re.M)}
  for _ in range(2):  # compiles, then one more so that the traced calls are steady
    state, metrics = step(state, *args)
    jax.block_until_ready((state, metrics))
  with tempfile.TemporaryDirectory() as directory:
    with jax.profiler.trace(directory, create_perfetto_trace=True):
      t0 = time.perf_counter()
      for _ in range(iters):
        state, metrics = step(state, *args)
        jax.block_until_ready((state, metrics))
      wall = (time.perf_counter() - t0) / iters
    (path,) = pathlib.Path(directory).rglob("perfetto_trace.json.gz")
    with gzip.open(path) as trace:
      events = json.load(trace)
  events = [e for e in (events["traceEvents"] if isinstance(events, dict) else events) if e.get("ph") == "X"]
  # An operation XLA:CPU runs asynchronously (a convolution or a fusion handed to the thread pool) has a short event
  # when it is launched and a marker "end: NAME" when it completes: its time is from the one to the other.
  ends = collections.defaultdict(list)
  for event in events:
    if str(event.get("name", "")).startswith("end: "):
      ends[event["name"][len("end: "):]].append(event["ts"])
  for times in ends.values():
    times.sort()
  lengths: collections.Counter = collections.Counter()
  others: collections.Counter = collections.Counter()
  spans, asynchronous = [], set()
  for event in sorted(events, key=lambda e: e["ts"]):
    name, start, stop = event.get("name"), event["ts"], event["ts"] + event.get("dur", 0.0)
    if name in instructions:  # the step's own operations: events named by one of its HLO instructions
      later = [t for t in ends.get(name, ()) if t >= start]
      if later:  # its completion marker: the first one after the launch, used once
        stop = max(stop, later[0])
        ends[name].remove(later[0])
        asynchronous.add(name)
      lengths[name] += (stop - start) / 1e3 / iters  # microseconds -> ms per iteration
      spans.append((start, stop, name))
    elif not str(name).startswith("end: "):  # the runtime's own events (executor, transfers, Python)
      others[str(name)] += (stop - start) / 1e3 / iters
  # Operations in flight at once share the cores: each is charged its share of every moment, so that the charges
  # add up to the time during which any operation runs (an operation's launch-to-end length also counts its wait).
  totals = collections.Counter({name: ms / 1e3 / iters for name, ms in _shares(spans).items()})
  ops = [{"op": name, "ms": ms, "launch_to_end_ms": lengths[name], "hlo": instructions[name][:400],
          "asynchronous": name in asynchronous} for name, ms in totals.most_common()]
  return {"arch": arch, "size": size, "batch": batch, "iters": iters, "wall_ms": 1e3 * wall,
          "ops_ms": sum(totals.values()), "ops_busy_ms": _union_ms([s[:2] for s in spans]) / iters, "ops": len(ops),
          "asynchronous_ops": len(asynchronous), "by_kind": _by_kind(ops), "top": ops[:top],
          "other_events": [{"event": name, "ms": ms} for name, ms in others.most_common(top)]}


def _by_kind(ops: list[dict]) -> dict[str, dict]:
  """The operations' time and count by HLO opcode (`convolution`, `fusion`, `dot`, `copy`, ...); YNNPACK's fused
  subgraphs (`ynn_fusion.N`) apart from XLA's own fusions. Longest first."""
  kinds: dict[str, dict] = collections.defaultdict(lambda: {"ms": 0.0, "ops": 0})
  for op in ops:
    found = re.search(r"=\s*(?:\([^)]*\)|\S+)\s+([\w-]+)\(", op["hlo"])
    kind = "ynn_fusion" if op["op"].startswith("ynn_fusion") else found.group(1) if found else "other"
    kinds[kind]["ms"] += op["ms"]
    kinds[kind]["ops"] += 1
  return dict(sorted(kinds.items(), key=lambda item: -item[1]["ms"]))


def _union_ms(spans: list[tuple[float, float]]) -> float:
  """The time (microseconds in, ms out) during which at least one of the `spans` runs: operations on several
  threads at once count once, so wall time minus this is when no operation of the step runs at all."""
  busy, end = 0.0, float("-inf")
  for start, stop in sorted(spans):
    if stop > end:
      busy += stop - max(start, end)
      end = stop
  return busy / 1e3


def _shares(spans: list[tuple[float, float, str]]) -> collections.Counter:
  """Each name's share of the time (in the spans' unit) when its spans run: every moment is divided equally among
  the spans running then. The shares add up to the union of the spans."""
  points = sorted([(start, 1, name) for start, _, name in spans] + [(stop, -1, name) for _, stop, name in spans],
                  key=lambda point: (point[0], point[1]))  # at one instant, ends before starts
  active: collections.Counter = collections.Counter()
  shares: collections.Counter = collections.Counter()
  running, last = 0, None
  for time_, change, name in points:
    if running and time_ > last:
      for active_name, count in active.items():
        shares[active_name] += (time_ - last) * count / running
    active[name] += change
    if not active[name]:
      del active[name]
    running += change
    last = time_
  return shares


def time_jgan(row: dict, repeats: int) -> float:
  """Median seconds of the layer's forward pass and both gradients (input, kernel) from one cotangent, compiled."""
  module = row["module"]
  keys = jax.random.split(jax.random.PRNGKey(0), 3)
  x = jax.random.normal(keys[0], row["input"])
  cotangent = jax.random.normal(keys[1], row["output"])
  params = module.init(keys[2], x)["params"]

  @jax.jit
  def forward_backward(params, x, cotangent):
    y, pullback = jax.vjp(lambda p, x: module.apply({"params": p}, x), params, x)
    return y, pullback(cotangent)

  return median_seconds(lambda: forward_backward(params, x, cotangent), repeats)


def time_torch(rows: list[dict], python: str, repeats: int, threads: int) -> list[dict]:
  specs = [{k: v for k, v in row.items() if k != "module"} for row in rows]
  done = subprocess.run([python, str(RULER), "--repeats", str(repeats), "--threads", str(threads)],
                        input=json.dumps(specs), capture_output=True, text=True, check=False)
  if done.returncode != 0:
    raise RuntimeError(f"the PyTorch half ({python} {RULER}) failed:\n{done.stderr[-3000:]}")
  return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
  from jgan import bench_translation
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--arch", choices=bench_translation.ARCHS, required=True)
  parser.add_argument("--size", type=int, help="image side (default: the paper's)")
  parser.add_argument("--batch", type=int, help="default: the paper's")
  parser.add_argument("--blocks", type=int, help="CycleGAN's residual blocks (default: the paper's for the size)")
  parser.add_argument("--repeats", type=int, default=5, help="timed calls of each layer, after one that compiles")
  parser.add_argument("--torch-python", default=os.environ.get("JGAN_TORCH_PYTHON", "/work/.venv-torch/bin/python"),
                      help="a Python with PyTorch; 'none' times jgan alone")
  parser.add_argument("--trace", type=int, metavar="ITERS", default=0,
                      help="instead: run the whole iteration ITERS times under JAX's profiler and print its longest "
                           "operations (each convolution, fusion and copy of the compiled program)")
  parser.add_argument("--out", type=pathlib.Path, help="also write the JSON line here")
  args = parser.parse_args(argv)
  paper_size, paper_batch = bench_translation.PAPER_SIZE_BATCH[args.arch]
  size, batch = args.size or paper_size, args.batch or paper_batch
  if args.repeats < 1:
    parser.error(f"--repeats {args.repeats}: at least 1")
  use_torch = args.torch_python != "none"
  if use_torch and not pathlib.Path(args.torch_python).exists():
    parser.error(f"--torch-python {args.torch_python}: no such interpreter (or 'none' to time jgan alone)")
  threads = len(os.sched_getaffinity(0))
  if args.trace:
    if args.trace < 1:
      parser.error(f"--trace {args.trace}: at least 1 iteration")
    summary = trace_iteration(args.arch, size=size, batch=batch, blocks=args.blocks, iters=args.trace)
    print(f"{args.arch} {size}x{size}, batch {batch}: {summary['wall_ms']:.0f} ms per iteration, of which the "
          f"program's {summary['ops']} operations {summary['ops_ms']:.0f} ms; the longest (ms per iteration):")
    for op in summary["top"]:
      print(f"{op['ms']:9.1f}  {op['op']:<32} {op['hlo'][:150]}")
    text = json.dumps(summary)
    print(text)
    if args.out:
      args.out.write_text(text + "\n")
    return

  rows = record_convolutions(args.arch, size=size, batch=batch, blocks=args.blocks)
  for row in rows:
    row["jgan_ms"] = 1e3 * time_jgan(row, args.repeats)
  if use_torch:
    for row, measured in zip(rows, time_torch(rows, args.torch_python, args.repeats, threads)):
      if measured["output"] != row["output"]:
        raise RuntimeError(f"PyTorch's layer gives {measured['output']} where jgan's gives {row['output']}: {row}")
      row["torch_ms"] = measured["ms"]

  header = (f"{'layer':<15} {'input (NHWC)':<20} {'kernel':<18} {'s':>2} {'calls':>5} {'jgan ms':>9} {'torch ms':>9} "
            "ratio")
  print(f"{args.arch} {size}x{size}, batch {batch}: each convolution's forward and both gradients; "
        f"jax {jax.__version__}, {threads} threads")
  print(header)
  totals = collections.Counter()
  for row in rows:
    totals["jgan_ms"] += row["calls"] * row["jgan_ms"]
    torch_cell, ratio_cell = "", ""
    if use_torch:
      totals["torch_ms"] += row["calls"] * row["torch_ms"]
      torch_cell, ratio_cell = f"{row['torch_ms']:9.2f}", f"{row['jgan_ms'] / row['torch_ms']:.2f}"
    print(f"{row['kind']:<15} {str(tuple(row['input'])):<20} {str(tuple(row['kernel'])):<18} {row['strides'][0]:>2} "
          f"{row['calls']:>5} {row['jgan_ms']:9.2f} {torch_cell:>9} {ratio_cell}")
  summary = {"arch": args.arch, "size": size, "batch": batch, "jax": jax.__version__, "threads": threads,
             "repeats": args.repeats, "convolutions": sum(r["calls"] for r in rows),
             "total_jgan_ms": totals["jgan_ms"], "total_torch_ms": totals.get("torch_ms"),
             "layers": [{k: v for k, v in row.items() if k != "module"} for row in rows]}
  line = f"total over {summary['convolutions']} calls: jgan {totals['jgan_ms']:.1f} ms"
  if use_torch:
    line += f", PyTorch {totals['torch_ms']:.1f} ms, ratio {totals['jgan_ms'] / totals['torch_ms']:.2f}"
  print(line)
  text = json.dumps(summary)
  print(text)
  if args.out:
    args.out.write_text(text + "\n")


if __name__ == "__main__":
  sys.exit(main())
