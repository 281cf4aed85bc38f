"""Times jgan's WGAN training iteration (n_critic critic steps + 1 generator step) on synthetic in-memory data.

    python -m jgan.bench                         # every architecture below
    python -m jgan.bench --arch dcgan32_nc1 --iters 20
    python -m jgan.bench --arch dcgan32_nc1 --long   # also time a 100-critic-step (warm-up) iteration
    python -m jgan.bench --arch dcgan64_nc3 --batch 64 128 256 512 --no-ruler   # which batch size is fastest
    python -m jgan.bench --arch pix2pix|cyclegan|srresnet|srgan ...  # applications: jgan/bench_translation.py

The iteration is exactly the one training runs (`jgan.train.Stepper`, 'host' or 'device' loop as `--loop` or the
automatic choice says), at batch 64 with the reference hyperparameters. Prints, per architecture: median, min and
max seconds per generator iteration, generator iterations and real images per second, compile time, and the
analytic convolution/matmul GFLOP/s (the count of the PyTorch ruler in shared/perf-reference/archs.py) with the
percentage of the machine's peak: by default its matrix-multiply ceiling, measured at the start in the run's
compute dtype (`matmul_ceiling`), or a nominal figure given as `--peak-gflops`. The process is set up
as the training command sets it up (`jgan.host_memory`): freed memory kept, CPU computations run inline on the
calling thread. With `--dispatch async` they are dispatched asynchronously instead, and the host's share is printed
too: the time until the asynchronous call returns, over the iteration's time; inline, that same host work simply
adds to the iteration. With several `--batch` sizes each architecture is timed at each, and a summary names the
batch size with the most real images per second. The last lines are one JSON object per architecture and batch
size; its "nets_sha256" fingerprints both nets' final variables, so two runs of one command (two processes, say on
an accelerator whose convolution algorithms are chosen by autotuning) show whether training is bit-reproducible there.

The PyTorch ruler (`shared/perf-reference/wgan_torch.py`, beside the repository; `--ruler` names another path) is
run right after each architecture it has, in its own process, with the same iterations and warm-up and as many
threads as this process may use. Its interpreter is this one when PyTorch is installed here (`pip install
-e '.[bench]'`), else `--torch-python`. The figures and the ratio jgan / PyTorch (below 1: jgan is faster) are then
printed and added to the JSON object under "torch" and "ratio". The ruler is batch 64 float32 only: other settings
skip it, saying why. With `--rounds R` the two alternate R times (jgan's timed block, the ruler, jgan's next block,
...) and the ratio is the median of the R rounds' ratios: each compares runs a minute apart, which cancels most of a
machine's slow drift between a fast and a slow state.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import importlib.util
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

# name: (arch, image_size, channels, latent_dim, generator_features, critic_features)
ARCHS = {
    "dcgan32_nc1": ("dcgan", 32, 1, 100, 64, 64),  # the embedded digits padded to 32x32
    "mlp32_nc1": ("mlp", 32, 1, 100, 512, 512),
    "dcgan64_nc3": ("dcgan", 64, 3, 100, 64, 64),  # the reference default
    "mlp64_nc3": ("mlp", 64, 3, 100, 512, 512),
}


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
  """Median wall seconds of `repeats` calls of `fn` (waited for with `jax.block_until_ready`), after one untimed call
  that compiles."""
  jax.block_until_ready(fn())
  times = []
  for _ in range(repeats):
    t0 = time.perf_counter()
    jax.block_until_ready(fn())
    times.append(time.perf_counter() - t0)
  return statistics.median(times)


def _layer_macs(arch: str, image_size: int, channels: int, latent: int, g_features: int, d_features: int):
  """Multiply-accumulates per image of each generator and critic layer (transposed conv: Cin*Hin^2*Cout*k^2)."""
  if arch == "mlp":
    g = [latent * g_features, g_features ** 2, g_features ** 2, g_features * channels * image_size ** 2]
    d = [channels * image_size ** 2 * d_features, d_features ** 2, d_features ** 2, d_features]
    return g, d
  width, size = g_features // 2, 4
  while size != image_size:
    width, size = width * 2, size * 2
  g, size = [latent * width * 16], 4
  while size < image_size // 2:
    g.append(width * size * size * (width // 2) * 16)
    width, size = width // 2, size * 2
  g.append(width * size * size * channels * 16)
  d, size, c = [d_features * (image_size // 2) ** 2 * channels * 16], image_size // 2, d_features
  while size > 4:
    d.append(2 * c * (size // 2) ** 2 * c * 16)
    c, size = 2 * c, size // 2
  d.append(c * 16)
  return g, d


def iteration_flops(name: str, batch: int = 64, n_critic: int = 5) -> float:
  """Analytic FLOPs of one iteration, counted as the PyTorch ruler counts them (shared/perf-reference/archs.py)."""
  g, d = _layer_macs(*ARCHS[name])
  fg, fd = 2 * sum(g) * batch, 2 * sum(d) * batch
  fg1, fd1 = 2 * g[0] * batch, 2 * d[0] * batch
  critic = fg + 2 * (fd + fd + (fd - fd1))
  generator = fg + fd + fd + fg + (fg - fg1)
  return n_critic * critic + generator


def bench(name: str, *, iters: int, warmup: int, loop: str, long: bool, batch: int = 64,
          compute_dtype: str = "float32", rounds: int = 1, after_round: Callable[[int], None] | None = None) -> dict:
  """Times `rounds` blocks of `iters` iterations of `name` after compiling and `warmup` iterations, calling
  `after_round(r)` after each block (the bench runs the ruler there, so that the two alternate and the machine's
  drift falls on both alike). `s_per_iter` is the median over every timed iteration; `round_s_per_iter` has each
  block's median."""
  from jgan import parallel, train
  from jgan.configs.base import Config
  from jgan.data.source import Source
  arch, size, channels, latent, g_features, d_features = ARCHS[name]
  config = Config(arch=arch, image_size=size, latent_dim=latent, generator_features=g_features,
                      critic_features=d_features, batch_size=batch, warmup_steps=0, warmup_every=10 ** 9, loop=loop,
                      compute_dtype=compute_dtype)
  mesh = parallel.make_mesh(jax.devices()[:1])
  rng = np.random.default_rng(0)  # synthetic "real" data, as the ruler's; not part of any training step
  images = rng.integers(0, 256, (640, size, size, channels), dtype=np.uint8)
  source = parallel.replicate(Source.from_arrays(images), mesh)
  state = parallel.replicate(train.create_state(config, (size, size, channels)), mesh)
  stepper = train.Stepper(config, mesh, train.choose_loop(config))
  step = 1  # the schedule makes iteration 0 a 100-critic-step one (0 % every == 0); time ordinary ones

  host_times = []  # time until `advance` returns: the host's share when dispatch is asynchronous

  def run_one(state, count=1):
    nonlocal step
    t = time.perf_counter()
    state, rows = stepper.advance(state, source, step, count)
    host_times.append(time.perf_counter() - t)
    jax.block_until_ready((state, rows))
    step += count
    return state

  t = time.perf_counter()
  state = run_one(state)
  compile_s = time.perf_counter() - t  # compilation plus one iteration
  for _ in range(warmup):
    state = run_one(state)
  times, round_medians = [], []
  host_times.clear()  # time the measured iterations only
  for r in range(rounds):
    round_times = []
    for _ in range(iters):
      t = time.perf_counter()
      state = run_one(state)
      round_times.append(time.perf_counter() - t)
    times += round_times
    round_medians.append(statistics.median(round_times))
    if after_round is not None:
      after_round(r)
  median = statistics.median(times)
  flops = iteration_flops(name, batch)
  result = {"arch": name, "loop": stepper.loop, "batch": batch, "compute_dtype": compute_dtype, "iters": iters,
            "rounds": rounds, "s_per_iter": median, "round_s_per_iter": round_medians,
            "min_s": min(times), "max_s": max(times), "iters_per_s": 1 / median,
            "real_images_per_s": config.n_critic * batch / median, "compile_s": compile_s,
            "gflop_per_iter": flops / 1e9, "gflops": flops / median / 1e9,
            "host_s": statistics.median(host_times), "host_percent": 100 * statistics.median(host_times) / median,
            "device_peak_mb": _device_peak_mb()}
  result["dispatch"] = "async" if _dispatch_is_async() else "inline"
  if result["dispatch"] == "inline":
    result["host_s"] = result["host_percent"] = None  # the call returned when the work was done: not the host's
  if long:
    # A 100-critic-step iteration, as the schedule runs in warm-up.
    long_config = dataclasses.replace(config, warmup_steps=10 ** 9, warmup_n_critic=100)
    stepper = train.Stepper(long_config, mesh, stepper.loop)  # every iteration now has 100 critic steps
    state = run_one(state)  # the new Stepper compiles afresh: leave this call out of the timing
    long_times = []
    for _ in range(max(1, iters // 5)):
      t = time.perf_counter()
      state = run_one(state)
      long_times.append(time.perf_counter() - t)
    result["long_s_per_iter"] = statistics.median(long_times)
    result["long_over_short"] = result["long_s_per_iter"] / median
  result["nets_sha256"] = nets_fingerprint(state)
  return result


def nets_fingerprint(state) -> str:
  """SHA-256 of both players' parameters and batch statistics: their leaf paths, dtypes, shapes and bytes."""
  digest = hashlib.sha256()
  nets = {name: (player.params, player.batch_stats)
          for name, player in (("generator", state.generator), ("discriminator", state.discriminator))}
  for path, leaf in jax.tree_util.tree_leaves_with_path(jax.device_get(nets)):
    leaf = np.ascontiguousarray(leaf)
    digest.update(f"{jax.tree_util.keystr(path)} {leaf.dtype} {leaf.shape}".encode())
    digest.update(leaf.tobytes())
  return digest.hexdigest()


def _device_peak_mb() -> float | None:
  from jgan.bench_translation import device_peak_mb  # that module imports this one
  return device_peak_mb()


# Timed by jgan.bench_translation beside shared/perf-reference/apps_torch.py.
TRANSLATION_ARCHS = ("pix2pix", "cyclegan")
APPLICATION_ARCHS = TRANSLATION_ARCHS + ("srresnet", "srgan")  # SRResNet, SRGAN: the same module and ruler

# The ruler's own name for each architecture it implements (mlp32_nc1 is jgan's only).
RULER_ARCHS = ("dcgan32_nc1", "dcgan64_nc3", "mlp64_nc3")
DEFAULT_RULER = pathlib.Path(__file__).resolve().parents[2] / "shared" / "perf-reference" / "wgan_torch.py"


def torch_interpreter(torch_python: str | None) -> str | None:
  """The Python to run the ruler with: `torch_python` if given, else this one if it can import torch, else None."""
  if torch_python:
    return torch_python
  return sys.executable if importlib.util.find_spec("torch") is not None else None


def run_ruler(ruler: pathlib.Path, python: str, arch: str, *, iters: int, warmup: int, threads: int) -> dict:
  """Runs the PyTorch ruler for `arch` in a subprocess and returns the JSON object it prints last.

  Raises RuntimeError with the ruler's error output when it fails or prints no JSON object."""
  command = [python, str(ruler), "--arch", arch, "--iters", str(iters), "--warmup", str(warmup),
             "--threads", str(threads)]
  done = subprocess.run(command, capture_output=True, text=True)
  lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
  if done.returncode != 0 or not lines:
    raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}: {done.stderr.strip()[-800:]}")
  return json.loads(lines[-1])


def ruler_skip_reason(name: str, batch: int, args: argparse.Namespace, ruler: pathlib.Path,
                      python: str | None) -> str | None:
  """Why the ruler cannot be compared with this run of `name` at `batch`, or None when it can."""
  if args.no_ruler:
    return "--no-ruler"
  if name not in RULER_ARCHS:
    return f"the ruler has no {name}"
  if batch != 64 or args.compute_dtype != "float32":
    return "the ruler runs batch 64 in float32 only"
  if not ruler.is_file():
    return f"no ruler at {ruler} (--ruler)"
  if python is None:
    return "PyTorch is not installed here (pip install -e '.[bench]', or --torch-python)"
  return None


def add_ruler(result: dict, torch_results: list[dict]) -> dict:
  """`result` with the ruler's figures under "torch" (one run of the ruler per round) and the ratio jgan / PyTorch:
  the median over rounds of the ratio of each round's medians, so that each ratio compares runs minutes apart."""
  ours, medians = result.get("round_s_per_iter", [result["s_per_iter"]]), [t["median_s"] for t in torch_results]
  if len(medians) != len(ours):
    raise ValueError(f"{len(medians)} ruler runs for {len(ours)} rounds")
  ratios = [jgan / torch for jgan, torch in zip(ours, medians)]
  cores = [t.get("other_cores") for t in torch_results if t.get("other_cores") is not None]
  torch_figures = {"version": torch_results[0].get("version"), "s_per_iter": statistics.median(medians),
                   "min_s": min(t["min_s"] for t in torch_results), "max_s": max(t["max_s"] for t in torch_results),
                   "other_cores": max(cores) if cores else None, "round_s_per_iter": medians}
  return {**result, "torch": torch_figures, "ratio": statistics.median(ratios), "round_ratios": ratios}


def matmul_ceiling(dtype: str = "float32", size: int | None = None, repeats: int = 5) -> float:
  """GFLOP/s of the fastest of `repeats` square `size` x `size` matrix products on the default device: the
  practical peak of the machine's arithmetic, which nominal figures (clock x vector width x FMA units) only
  approximate. `size` defaults to 2048 on CPU and 8192 on accelerators."""
  size = size or (2048 if jax.default_backend() == "cpu" else 8192)
  keys = jax.random.split(jax.random.PRNGKey(0))
  a, b = (jax.random.normal(k, (size, size), jnp.dtype(dtype)) for k in keys)
  product = jax.jit(jnp.matmul)
  product(a, b).block_until_ready()  # compile
  best = float("inf")
  for _ in range(repeats):
    t = time.perf_counter()
    product(a, b).block_until_ready()
    best = min(best, time.perf_counter() - t)
  return 2 * size ** 3 / best / 1e9


def _dispatch_is_async() -> bool:
  """Whether a single-device CPU call returns before its computation is done (`jgan.host_memory`)."""
  return jax.default_backend() != "cpu" or jax.config.read("jax_cpu_enable_async_dispatch")


def main(argv: list[str] | None = None) -> None:
  argv = sys.argv[1:] if argv is None else argv
  # pix2pix and CycleGAN have their own flags and ruler (jgan.bench_translation): hand them over before parsing.
  first = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
  first.add_argument("--arch")
  if first.parse_known_args(argv)[0].arch in APPLICATION_ARCHS:
    from jgan import bench_translation
    return bench_translation.main(argv)
  parser = argparse.ArgumentParser(prog="python -m jgan.bench", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--arch", choices=sorted(ARCHS) + list(APPLICATION_ARCHS), default=None,
                      help="one architecture (default: all WGANs); pix2pix and cyclegan take other flags: "
                           "python -m jgan.bench --arch pix2pix --help")
  parser.add_argument("--iters", type=int, default=10, help="timed iterations (default: %(default)s)")
  parser.add_argument("--warmup", type=int, default=2, help="untimed iterations after compile (default: %(default)s)")
  parser.add_argument("--loop", choices=("auto", "host", "device"), default="auto")
  parser.add_argument("--long", action="store_true", help="also time a 100-critic-step iteration")
  parser.add_argument("--batch", type=int, nargs="+", default=[64],
                      help="batch size, or several to find the fastest (default: %(default)s, the ruler's)")
  parser.add_argument("--compute-dtype", choices=("float32", "bfloat16"), default="float32",
                      help="dtype of the nets' convolutions and matrix products (bfloat16: mixed precision)")
  parser.add_argument("--peak-gflops", type=float, default=None,
                      help="the peak for the percentage (default: the matrix-multiply ceiling, measured)")
  parser.add_argument("--ruler", type=pathlib.Path, default=DEFAULT_RULER,
                      help="the PyTorch ruler's wgan_torch.py (default: %(default)s)")
  parser.add_argument("--torch-python", default=None,
                      help="a Python with PyTorch to run the ruler (default: this one, if it has PyTorch)")
  parser.add_argument("--no-ruler", action="store_true", help="time jgan only")
  parser.add_argument("--rounds", type=int, default=1,
                      help="timed blocks of --iters iterations, each followed by a run of the ruler, so that the two "
                           "alternate; the ratio is the median of the rounds' ratios (default: %(default)s)")
  parser.add_argument("--dispatch", choices=("inline", "async"), default="inline",
                      help="CPU computations run on the calling thread, as in training (inline), or dispatched "
                           "asynchronously, which shows the host's share (default: %(default)s)")
  args = parser.parse_args(argv)
  if args.peak_gflops is not None and not args.peak_gflops > 0:
    parser.error(f"--peak-gflops must be > 0, got {args.peak_gflops}")
  if args.iters < 1 or args.warmup < 0 or min(args.batch) < 1 or args.rounds < 1:
    parser.error(f"--iters, --batch and --rounds must be >= 1 and --warmup >= 0, got {args.iters}, "
                 f"{' '.join(map(str, args.batch))}, {args.rounds} and {args.warmup}")
  if len(set(args.batch)) != len(args.batch):
    parser.error(f"--batch sizes must differ, got {' '.join(map(str, args.batch))}")
  if args.torch_python and not (os.path.isfile(args.torch_python) and os.access(args.torch_python, os.X_OK)):
    parser.error(f"--torch-python must be an executable Python with PyTorch, got {args.torch_python!r}")
  if args.ruler != DEFAULT_RULER and not args.ruler.is_file():
    parser.error(f"--ruler must be the ruler's wgan_torch.py, got {str(args.ruler)!r}, which is not a file")
  from jgan import host_memory
  kept = host_memory.keep_freed_memory()  # as the training command does (jgan.cli)
  if args.dispatch == "inline":
    host_memory.run_computations_inline()
  print(f"jax {jax.__version__}, backend {jax.default_backend()}, devices {jax.devices()}, freed host memory kept: "
        f"{kept}, dispatch: {'async' if _dispatch_is_async() else 'inline'}", flush=True)
  if jax.config.jax_compilation_cache_dir:  # e.g. JAX_COMPILATION_CACHE_DIR: then compile_s may be a cache load
    print(f"note: JAX's persistent compilation cache is on ({jax.config.jax_compilation_cache_dir}), so the compile "
          "times below may be loads from it; unset JAX_COMPILATION_CACHE_DIR to time compilation", flush=True)
  if args.peak_gflops is None:
    peak, peak_source = matmul_ceiling(args.compute_dtype), "measured matmul ceiling"
  else:
    peak, peak_source = args.peak_gflops, "given"
  print(f"peak {peak:.1f} GFLOP/s ({peak_source})", flush=True)
  python = torch_interpreter(args.torch_python)
  threads = len(os.sched_getaffinity(0))
  results = []
  for name, batch in [(name, batch) for name in ([args.arch] if args.arch else list(ARCHS)) for batch in args.batch]:
    skip = ruler_skip_reason(name, batch, args, args.ruler, python)
    torch_results, ruler_errors = [], []

    def run_the_ruler(_round: int, name=name) -> None:
      if skip is None and not ruler_errors:
        try:
          torch_results.append(run_ruler(args.ruler, python, name, iters=args.iters, warmup=args.warmup,
                                         threads=threads))
        except RuntimeError as error:
          ruler_errors.append(error)

    r = bench(name, iters=args.iters, warmup=args.warmup, loop=args.loop, long=args.long, batch=batch,
              compute_dtype=args.compute_dtype, rounds=args.rounds, after_round=run_the_ruler)
    r.update(peak_gflops=peak, peak_source=peak_source, percent_of_peak=100 * r["gflops"] / peak)
    results.append(r)
    line = (f"{name:12s} {'' if len(args.batch) == 1 else f'batch {batch:<5d} '}loop={r['loop']:6s} "
            f"{r['s_per_iter']:.4f} s/iter (min {r['min_s']:.4f}, max {r['max_s']:.4f})"
            f"  {r['iters_per_s']:.2f} it/s  {r['real_images_per_s']:.0f} img/s  compile {r['compile_s']:.1f} s"
            f"  {r['gflops']:.1f} GFLOP/s ({r['percent_of_peak']:.0f}% of peak)")
    if r["host_percent"] is not None:
      line += f"  host {r['host_percent']:.2f}%"
    if "long_s_per_iter" in r:
      line += f"  100-critic iteration {r['long_s_per_iter']:.3f} s ({r['long_over_short']:.1f}x)"
    print(line, flush=True)
    if skip:
      print(f"{'':12s} PyTorch ruler not run: {skip}", flush=True)
      continue
    if ruler_errors:
      print(f"{'':12s} PyTorch ruler failed: {ruler_errors[0]}", flush=True)
      continue
    results[-1] = r = add_ruler(r, torch_results)
    t = r["torch"]
    print(f"{'':12s} PyTorch {t['version']}: {t['s_per_iter']:.4f} s/iter (min {t['min_s']:.4f}, max {t['max_s']:.4f},"
          f" other processes {t['other_cores'] or 0:.2f} cores)  ratio jgan / PyTorch {r['ratio']:.2f}", flush=True)
    if args.rounds > 1:
      print(f"{'':12s} rounds: jgan {' '.join(f'{x:.4f}' for x in r['round_s_per_iter'])}, PyTorch "
            f"{' '.join(f'{x:.4f}' for x in t['round_s_per_iter'])} s/iter; ratios "
            f"{' '.join(f'{x:.2f}' for x in r['round_ratios'])}", flush=True)
  if len(args.batch) > 1:
    for name in dict.fromkeys(r["arch"] for r in results):
      best = max((r for r in results if r["arch"] == name), key=lambda r: r["real_images_per_s"])
      print(f"{name:12s} fastest batch size {best['batch']}: {best['real_images_per_s']:.0f} real images/s, "
            f"{best['gflops']:.1f} GFLOP/s ({best['percent_of_peak']:.0f}% of peak)", flush=True)
  for r in results:
    print(json.dumps(r))


if __name__ == "__main__":
  main()
