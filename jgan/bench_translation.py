"""Times one training iteration of jgan's pix2pix, CycleGAN, SRResNet or SRGAN beside the PyTorch ruler of the same
model.

    python -m jgan.bench --arch pix2pix                          # the paper's size: 256x256, batch 1
    python -m jgan.bench --arch pix2pix --size 32 --batch 16 --rounds 3
    python -m jgan.bench --arch cyclegan --size 128 --blocks 6 --torch-python ../.venv-torch/bin/python
    python -m jgan.bench --arch srgan                            # the paper's 96x96 crops, batch 16, VGG54

(`python -m jgan.bench` hands `--arch pix2pix|cyclegan|srresnet|srgan` to this module's `main`.) jgan's iteration is
exactly the one training runs: `train_step` of `jgan.translation.pix2pix` / `cyclegan` or `jgan.superres.srgan`,
compiled by `jgan.parallel.compile_step` as the experiments compile it, on a one-device mesh, drawing its pairs from
a `PairedSource` / `UnpairedSource` of synthetic uint8 images held on the device (the ruler too uses synthetic
images in memory). SRGAN's content loss runs through VGG19 to relu5_4 with random frozen weights on both sides (the
cost is VGG's; no weights file is needed); SRResNet's is the pixel MSE. The
images are stored at `--load-size` (default: the image size, so the jitter is a trivial crop and a flip, as the
ruler has none; training's 286 -> 256 resize is `--load-size 286`). The process is set up as the training command
sets it up (`jgan.host_memory`).

The ruler, `shared/perf-reference/apps_torch.py` beside the repository (`--ruler`), is the papers' nets, losses,
optimizers, batch and size in PyTorch; it runs in its own process (`--torch-python`, default as `jgan.bench`: this
Python if it has PyTorch), after each of jgan's timed blocks, with the same iterations and warm-up and as many
threads as this process may use. Its nets have 64 base features, so it runs only at `--features 64`.

Printed per run: jgan's median seconds per iteration (min, max), images per second (`batch` images of each domain
per iteration), compile seconds (the first call: compilation plus one iteration), GFLOP/s, and the peak resident
memory of the process; then the same for PyTorch, and the ratio jgan / PyTorch (below 1: jgan is faster). The FLOPs
per iteration are the ruler's (torch's own counter on the same model and size: the math is the same), so without
the ruler there is no GFLOP/s. With `--rounds R` jgan's timed block and the ruler alternate R times and the ratio is
the median of the rounds' ratios (as `jgan.bench` does for the WGAN). The last line is one JSON object.

Peak memory is the maximum resident set size of each process (`peak_rss_mb`): jgan's is this one's, its compiler
and interpreter included, PyTorch's the ruler's, measured inside the ruler's process.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import json
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import textwrap
import time
from typing import Callable

import jax
import numpy as np

from jgan.bench import APPLICATION_ARCHS as ARCHS  # ("pix2pix", "cyclegan", "srresnet", "srgan")
SUPERRES_ARCHS = ("srresnet", "srgan")
PAPER_SIZE_BATCH = {"pix2pix": (256, 1), "cyclegan": (256, 1), "srresnet": (96, 16), "srgan": (96, 16)}
DEFAULT_RULER = pathlib.Path(__file__).resolve().parents[2] / "shared" / "perf-reference" / "apps_torch.py"
RULER_FEATURES = 64  # the ruler's ngf = ndf, fixed


def default_blocks(size: int) -> int:
  """CycleGAN's residual blocks as the paper chooses them: 9 at 256x256 and above, 6 below."""
  return 9 if size >= 256 else 6


def make_config(arch: str, *, size: int, batch: int, features: int, blocks: int, load_size: int):
  """The config whose training step is timed: the paper's recipe (`Pix2PixConfig` / `CycleGANConfig` defaults) at
  this size, batch, width and depth, checked as a training run's would be (its data set aside: none is read)."""
  from jgan.configs.sections import validate_sections
  if arch in SUPERRES_ARCHS:  # the paper's nets at 4x; SRGAN's VGG54 content loss (weights: random, see above)
    from jgan.superres.config import SuperResolutionConfig
    config = SuperResolutionConfig(image_size=size, batch_size=batch, generator_features=features,
                                   discriminator_features=features, adversarial_weight=1e-3 if arch == "srgan" else 0.0,
                                   content="vgg54" if arch == "srgan" else "mse",
                                   feature_weights="random (bench)" if arch == "srgan" else "")
    validate_sections(config)
    return config
  from jgan.translation.config import CycleGANConfig, Pix2PixConfig
  common = dict(image_size=size, load_size=load_size, batch_size=batch, generator_features=features,
                discriminator_features=features)
  config = Pix2PixConfig(**common) if arch == "pix2pix" else CycleGANConfig(**common, generator_blocks=blocks)
  validate_sections(config)
  return config


def device_peak_mb() -> float | None:
  """Peak memory in use on the first local device in MB, from its allocator (GPU, TPU); None on CPU, whose
  devices keep no such count (there the process's peak RSS, `peak_rss_mb`, is the figure)."""
  stats = jax.local_devices()[0].memory_stats() or {}
  return stats["peak_bytes_in_use"] / 2**20 if "peak_bytes_in_use" in stats else None


def peak_rss_mb() -> float:
  """Peak resident memory of this process's program in MB: Linux's VmHWM (/proc/self/status), else `getrusage`.

  Not `getrusage` on Linux: a child's ru_maxrss starts at the RSS of the image it replaced at exec, which for a
  process started from a large one (the ruler from this bench) is the parent's; VmHWM is the new image's own.
  """
  try:
    with open("/proc/self/status") as status:
      for line in status:
        if line.startswith("VmHWM:"):
          return int(line.split()[1]) / 1024
  except OSError:
    pass
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)


class OtherCores:
  """Over a region, how many cores other processes took: the machine's busy time (/proc/stat) less this process's
  and its waited-for children's CPU time, over the wall time; None where /proc/stat is absent. The machines are
  shared: a round with other work beside it is slower, and says so."""

  @staticmethod
  def _busy_s() -> float | None:
    try:
      with open("/proc/stat") as stat:
        ticks = [int(x) for x in stat.readline().split()[1:]]
    except (OSError, ValueError):
      return None
    return (ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]) / os.sysconf("SC_CLK_TCK")  # user nice sys irq

  def __enter__(self) -> "OtherCores":
    self.busy, self.own, self.wall, self.cores = self._busy_s(), sum(os.times()[:4]), time.perf_counter(), None
    return self

  def __exit__(self, *exc) -> None:
    busy, wall = self._busy_s(), time.perf_counter() - self.wall
    if busy is not None and self.busy is not None and wall > 0:
      self.cores = max(0.0, (busy - self.busy - (sum(os.times()[:4]) - self.own)) / wall)


# Runs the ruler (argv[1], its arguments after it) as `python ruler ...` would, then prints the process's peak
# memory (`peak_rss_mb`, whose source is prepended: the ruler's Python need not have jgan) as a JSON line of its own.
_RULER_WRAPPER = """
import json, os, resource, runpy, sys
sys.argv = sys.argv[1:]
sys.path[0] = os.path.dirname(os.path.abspath(sys.argv[0]))
try:
  runpy.run_path(sys.argv[0], run_name="__main__")
finally:
  print(json.dumps({"max_rss_mb": peak_rss_mb()}), flush=True)
"""


def bench(arch: str, *, size: int, batch: int, features: int = 64, blocks: int | None = None,
          load_size: int | None = None, iters: int = 10, warmup: int = 2, rounds: int = 1,
          after_round: Callable[[int], None] | None = None) -> dict:
  """Times `rounds` blocks of `iters` training iterations of `arch` after compiling and `warmup` iterations,
  calling `after_round(r)` after each block (where the ruler runs, so that the two alternate). `s_per_iter` is the
  median over every timed iteration, `round_s_per_iter` each block's median."""
  from jgan import parallel
  blocks = default_blocks(size) if blocks is None else blocks
  load_size = load_size or size
  config = make_config(arch, size=size, batch=batch, features=features, blocks=blocks, load_size=load_size)
  mesh = parallel.make_mesh(jax.devices()[:1])
  setup = _superres_setup if arch in SUPERRES_ARCHS else _translation_setup
  step, state, args = setup(arch, config, mesh, batch=batch, load_size=load_size)

  def run_one(state):
    state, metrics = step(state, *args)
    jax.block_until_ready((state, metrics))
    return state, metrics

  t = time.perf_counter()
  state, metrics = run_one(state)
  compile_s = time.perf_counter() - t  # compilation plus one iteration
  for _ in range(warmup):
    state, metrics = run_one(state)
  times, round_medians, round_other = [], [], []
  for r in range(rounds):
    round_times = []
    with OtherCores() as other:
      for _ in range(iters):
        t = time.perf_counter()
        state, metrics = run_one(state)
        round_times.append(time.perf_counter() - t)
    times += round_times
    round_medians.append(statistics.median(round_times))
    round_other.append(other.cores)
    if after_round is not None:
      after_round(r)
  median = statistics.median(times)
  losses = {k: float(v) for k, v in jax.device_get(metrics).items() if k in ("g_loss", "d_loss")}
  if not all(np.isfinite(v) for v in losses.values()):
    raise FloatingPointError(f"{arch}: the timed iterations ended with non-finite losses {losses}")
  return {"arch": arch, "framework": "jax", "jax": jax.__version__, "size": size, "batch": batch,
          "features": features, "blocks": blocks if arch == "cyclegan" else None, "load_size": load_size,
          "iters": iters, "warmup": warmup, "rounds": rounds, "s_per_iter": median, "round_s_per_iter": round_medians,
          "round_other_cores": round_other, "min_s": min(times), "max_s": max(times), "images_per_s": batch / median,
          "compile_s": compile_s, "max_rss_mb": peak_rss_mb(), "device_peak_mb": device_peak_mb(),
          "last_losses": losses}


def _synthetic_images(count: int, side: int) -> np.ndarray:
  """Synthetic RGB uint8 images, as the ruler's: enough for a few shuffled batches; not part of any step."""
  return np.random.default_rng(0).integers(0, 256, (count, side, side, 3), dtype=np.uint8)


def _translation_setup(arch: str, config, mesh, *, batch: int, load_size: int):
  """(compiled step, state, the step's other arguments) of pix2pix or CycleGAN, as `TranslationExperiment` builds
  them."""
  from jgan import parallel
  from jgan.data.source import PairedSource, UnpairedSource
  from jgan.translation import experiment
  model = experiment.model_of(config)
  count = max(4 * batch, 8)
  source_type = PairedSource if arch == "pix2pix" else UnpairedSource
  source = parallel.replicate(source_type.from_arrays(_synthetic_images(count, load_size),
                                                      _synthetic_images(count, load_size)), mesh)
  state = parallel.replicate(experiment.create_state(config, (3, 3), parallel.AXIS), mesh)
  step = parallel.compile_step(functools.partial(model.train_step, config=config, axis_name=parallel.AXIS), mesh)
  return step, state, (source,)


def _superres_setup(arch: str, config, mesh, *, batch: int, load_size: int):
  """(compiled step, state, (source, feature extractor)) of SRResNet or SRGAN, as `SuperResolutionExperiment`
  builds them; SRGAN's extractor is VGG19 to relu5_4 with random weights, rescaled by 1/12.75 as the paper's."""
  del load_size
  from jgan import parallel
  from jgan.data.source import PairedSource
  from jgan.superres import experiment, srgan
  high = _synthetic_images(max(4 * batch, 8), config.image_size)
  low = high.reshape(len(high), config.image_size // config.scale, config.scale, -1, config.scale, 3).mean(
      axis=(2, 4)).astype(np.uint8)  # block means, as the ruler's avg_pool2d
  source = parallel.replicate(PairedSource.from_arrays(low, high), mesh)
  extractor = None
  if arch == "srgan":
    from jgan.models import vgg
    from jgan.superres.features import FeatureExtractor
    module = vgg.VGG19Features(layer="relu5_4")
    params = module.init(jax.random.PRNGKey(1), np.zeros((1, config.image_size, config.image_size, 3),
                                                         np.float32))["params"]
    extractor = FeatureExtractor(params=params, apply_fn=module.apply, name="vgg19/relu5_4",
                                 scale=config.feature_scale)
  state = parallel.replicate(experiment.create_state(config, 3, parallel.AXIS), mesh)
  step = parallel.compile_step(functools.partial(srgan.train_step, config=config, axis_name=parallel.AXIS), mesh)
  return step, state, (source, parallel.replicate(extractor, mesh))


def run_ruler(ruler: pathlib.Path, python: str, arch: str, *, size: int, batch: int, blocks: int, iters: int,
              warmup: int, threads: int) -> dict:
  """Runs the PyTorch ruler in a subprocess and returns the JSON object it prints last, with its process's peak
  resident memory added as "max_rss_mb" (measured inside it: see `peak_rss_mb`).

  Raises RuntimeError with the ruler's error output when it fails or prints no JSON object."""
  wrapper = textwrap.dedent(inspect.getsource(peak_rss_mb)) + _RULER_WRAPPER
  command = [python, "-c", wrapper, str(ruler), "--arch", arch, "--size", str(size), "--batch", str(batch),
             "--blocks", str(blocks), "--iters", str(iters), "--warmup", str(warmup), "--threads", str(threads)]
  with OtherCores() as other:
    done = subprocess.run(command, capture_output=True, text=True)
  objects = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
  figures = [o for o in objects if "median_s" in o]
  memory = [o["max_rss_mb"] for o in objects if set(o) == {"max_rss_mb"}]
  if done.returncode != 0 or not figures:
    shown = ' '.join(command[:2] + ["<wrapper>"] + command[3:])
    raise RuntimeError(f"{shown} exited with {done.returncode}: {done.stderr.strip()[-800:]}")
  return {**figures[-1], "max_rss_mb": memory[-1] if memory else None, "other_cores": other.cores}


def ruler_skip_reason(args: argparse.Namespace, python: str | None) -> str | None:
  """Why the ruler cannot be compared with this run, or None when it can."""
  if args.no_ruler:
    return "--no-ruler"
  if args.features != RULER_FEATURES:
    return f"the ruler's nets have {RULER_FEATURES} base features, this run {args.features}"
  if not args.ruler.is_file():
    return f"no ruler at {args.ruler} (--ruler)"
  if python is None:
    return "PyTorch is not installed here (pip install -e '.[bench]', or --torch-python)"
  return None


def add_ruler(result: dict, torch_results: list[dict]) -> dict:
  """`result` with the ruler's figures under "torch" (one run per round), both GFLOP/s from the ruler's FLOP count,
  and the ratio jgan / PyTorch: the median over rounds of each round's ratio of medians."""
  ours, medians = result["round_s_per_iter"], [t["median_s"] for t in torch_results]
  if len(medians) != len(ours):
    raise ValueError(f"{len(medians)} ruler runs for {len(ours)} rounds")
  ratios = [jgan / torch for jgan, torch in zip(ours, medians)]
  flop = torch_results[0]["gflop_per_iter"]  # the same model, size and batch each round
  median = statistics.median(medians)
  torch_figures = {"version": torch_results[0].get("torch"), "threads": torch_results[0].get("threads"),
                   "s_per_iter": median, "round_s_per_iter": medians,
                   "round_other_cores": [t.get("other_cores") for t in torch_results],
                   "min_s": min(t["min_s"] for t in torch_results), "max_s": max(t["max_s"] for t in torch_results),
                   "images_per_s": result["batch"] / median, "gflop_per_iter": flop, "gflops": flop / median,
                   "max_rss_mb": max((t["max_rss_mb"] for t in torch_results if t["max_rss_mb"] is not None),
                                     default=None)}
  return {**result, "gflop_per_iter": flop, "gflops": flop / result["s_per_iter"], "torch": torch_figures,
          "ratio": statistics.median(ratios), "round_ratios": ratios}


def _describe(label: str, figures: dict) -> str:
  """One printed line of seconds per iteration, images per second, GFLOP/s and peak memory."""
  line = (f"{label}: {figures['s_per_iter']:.4f} s/iter (min {figures['min_s']:.4f}, max {figures['max_s']:.4f})"
          f"  {figures['images_per_s']:.2f} img/s")
  if "compile_s" in figures:
    line += f"  compile {figures['compile_s']:.1f} s"
  if figures.get("gflops") is not None:
    line += f"  {figures['gflops']:.1f} GFLOP/s"
  if figures.get("max_rss_mb") is not None:
    line += f"  peak RSS {figures['max_rss_mb']:.0f} MB"
  return line


def main(argv: list[str] | None = None) -> None:
  from jgan import bench as wgan_bench
  parser = argparse.ArgumentParser(prog="python -m jgan.bench", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--arch", choices=ARCHS, required=True)
  parser.add_argument("--size", type=int, default=None,
                      help="image side (high resolution for SR; default: the paper's, 256 or SR's 96)")
  parser.add_argument("--batch", type=int, default=None, help="batch size (default: the paper's, 1 or SR's 16)")
  parser.add_argument("--blocks", type=int, default=None,
                      help="CycleGAN's residual blocks (default: 9 at 256 and above, 6 below, as the paper)")
  parser.add_argument("--features", type=int, default=64,
                      help="ngf = ndf (default: %(default)s; the ruler runs at 64 only)")
  parser.add_argument("--load-size", type=int, default=None,
                      help="side of the stored images, randomly cropped to --size (default: --size: no resize, "
                           "as the ruler has no jitter; the papers' training resizes to 286 for 256)")
  parser.add_argument("--iters", type=int, default=10, help="timed iterations per round (default: %(default)s)")
  parser.add_argument("--warmup", type=int, default=2, help="untimed iterations after compile (default: %(default)s)")
  parser.add_argument("--rounds", type=int, default=1,
                      help="timed blocks, each followed by a run of the ruler; the ratio is the median of the "
                           "rounds' ratios (default: %(default)s)")
  parser.add_argument("--ruler", type=pathlib.Path, default=DEFAULT_RULER,
                      help="the PyTorch ruler's apps_torch.py (default: %(default)s)")
  parser.add_argument("--torch-python", default=None,
                      help="a Python with PyTorch to run the ruler (default: this one, if it has PyTorch)")
  parser.add_argument("--no-ruler", action="store_true", help="time jgan only")
  parser.add_argument("--dispatch", choices=("inline", "async"), default="inline",
                      help="CPU computations on the calling thread, as in training (default), or asynchronous")
  args = parser.parse_args(argv)
  args.size = args.size or PAPER_SIZE_BATCH[args.arch][0]
  args.batch = args.batch or PAPER_SIZE_BATCH[args.arch][1]
  if args.iters < 1 or args.warmup < 0 or args.batch < 1 or args.rounds < 1 or args.features < 1:
    parser.error(f"--iters, --batch, --rounds and --features must be >= 1 and --warmup >= 0, got {args.iters}, "
                 f"{args.batch}, {args.rounds}, {args.features} and {args.warmup}")
  blocks = default_blocks(args.size) if args.blocks is None else args.blocks
  try:
    make_config(args.arch, size=args.size, batch=args.batch, features=args.features, blocks=blocks,
                load_size=args.load_size or args.size)
  except ValueError as error:
    parser.error(str(error))
  if args.torch_python and not (os.path.isfile(args.torch_python) and os.access(args.torch_python, os.X_OK)):
    parser.error(f"--torch-python must be an executable Python with PyTorch, got {args.torch_python!r}")
  if args.ruler != DEFAULT_RULER and not args.ruler.is_file():
    parser.error(f"--ruler must be the ruler's apps_torch.py, got {str(args.ruler)!r}, which is not a file")
  from jgan import host_memory
  kept = host_memory.keep_freed_memory()  # as the training command does (jgan.cli)
  if args.dispatch == "inline":
    host_memory.run_computations_inline()
  print(f"jax {jax.__version__}, backend {jax.default_backend()}, devices {jax.devices()}, freed host memory kept: "
        f"{kept}, dispatch: {'async' if wgan_bench._dispatch_is_async() else 'inline'}", flush=True)
  if jax.config.jax_compilation_cache_dir:
    print(f"note: JAX's persistent compilation cache is on ({jax.config.jax_compilation_cache_dir}), so the compile "
          "time below may be a load from it", flush=True)
  python = wgan_bench.torch_interpreter(args.torch_python)
  skip = ruler_skip_reason(args, python)
  threads = len(os.sched_getaffinity(0))
  torch_results, ruler_errors = [], []
  load_before = os.getloadavg()[0]

  def run_the_ruler(_round: int) -> None:
    if skip is None and not ruler_errors:
      try:
        torch_results.append(run_ruler(args.ruler, python, args.arch, size=args.size, batch=args.batch,
                                       blocks=blocks, iters=args.iters, warmup=args.warmup, threads=threads))
      except RuntimeError as error:
        ruler_errors.append(error)

  r = bench(args.arch, size=args.size, batch=args.batch, features=args.features, blocks=blocks,
            load_size=args.load_size, iters=args.iters, warmup=args.warmup, rounds=args.rounds,
            after_round=run_the_ruler)
  r.update(dispatch="async" if wgan_bench._dispatch_is_async() else "inline", gflop_per_iter=None, gflops=None,
           load_avg_1min=[load_before, os.getloadavg()[0]])
  label = (f"{args.arch} {args.size}x{args.size} batch {args.batch} ngf {args.features}"
           + (f" blocks {blocks}" if args.arch == "cyclegan" else ""))
  if skip is None and not ruler_errors:
    r = add_ruler(r, torch_results)
  print(_describe(f"{label}  jgan", r), flush=True)
  if skip:
    print(f"  PyTorch ruler not run: {skip}", flush=True)
  elif ruler_errors:
    print(f"  PyTorch ruler failed: {ruler_errors[0]}", flush=True)
  else:
    t = r["torch"]
    print(_describe(f"  PyTorch {t['version']} ({t['threads']} threads)", t)
          + f"  ratio jgan / PyTorch {r['ratio']:.2f}", flush=True)
    if args.rounds > 1:
      print(f"  rounds: jgan {' '.join(f'{x:.4f}' for x in r['round_s_per_iter'])}, PyTorch "
            f"{' '.join(f'{x:.4f}' for x in t['round_s_per_iter'])} s/iter; ratios "
            f"{' '.join(f'{x:.2f}' for x in r['round_ratios'])}", flush=True)
  cores = lambda values: " ".join("?" if x is None else f"{x:.2f}" for x in values)
  print(f"  other processes' cores per round: beside jgan {cores(r['round_other_cores'])}"
        + ("" if "torch" not in r else f", beside PyTorch {cores(r['torch']['round_other_cores'])}"), flush=True)
  print(json.dumps(r), flush=True)


if __name__ == "__main__":
  main()
