"""The translation experiments: pix2pix's Table 1 (objectives) and Table 3 (patch sizes) on edges -> digits, pix2pix on
grey digit -> MNIST-M, and CycleGAN's Table 4 ablation on digits <-> MNIST-M plus CycleGAN on UCI digits <-> digits.

    python experiments/translation/run.py [NAME ...] [--runs-dir runs/translation] [--steps-scale 1.0]
    python experiments/translation/run.py --table      # rebuild tables.md and ../fidelity.json's entries from results/

Each run trains with the recipe of `RUNS` (the paper's hyperparameters, with the CPU budget's batch, width and
length of `BUDGET`), scores the validation split during training (every `eval_every` iterations, in
metrics.jsonl), then reads the test split once with the final checkpoint and writes `results/<NAME>.json` (config,
test scores, the validation curve, seconds) and `figures/<NAME>.png` (its last validation grid). Nothing is chosen
on the test split: the hyperparameters are the papers', the budget was fixed before any run, and the checkpoint is
the last one.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import shutil
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent

# The CPU budget (2 cores): batch 16 instead of 1 (throughput; batch norm then normalizes over 16 images, and the
# test batches are of 16 too), 32 base filters instead of 64, and short runs. Everything else is the papers'.
PIX2PIX_BUDGET = dict(image_size=32, load_size=36, batch_size=16, generator_features=32, discriminator_features=32,
                      steps=600, eval_every=200, eval_samples=200, sample_every=200, checkpoint_every=300)
CYCLEGAN_BUDGET = dict(image_size=32, load_size=36, batch_size=8, generator_features=32, discriminator_features=32,
                       generator_blocks=6, steps=400, decay_steps=200, eval_every=200, eval_samples=200,
                       sample_every=200, checkpoint_every=200)

RUNS = {
    # pix2pix, Table 1: the objective (70x70 PatchGAN, the paper's discriminator in that table).
    "pix2pix_edges_l1": ("pix2pix", dict(dataset="edges2digits", gan_weight=0.0)),
    "pix2pix_edges_cgan": ("pix2pix", dict(dataset="edges2digits", l1_weight=0.0)),
    "pix2pix_edges_l1_gan": ("pix2pix", dict(dataset="edges2digits", conditional=False)),
    "pix2pix_edges_l1_cgan": ("pix2pix", dict(dataset="edges2digits")),
    # pix2pix, Table 3: the discriminator's receptive field, L1 + cGAN (layers 3 is the 70x70 run above).
    "pix2pix_edges_patch1": ("pix2pix", dict(dataset="edges2digits", discriminator_layers=0)),
    "pix2pix_edges_patch16": ("pix2pix", dict(dataset="edges2digits", discriminator_layers=1)),
    "pix2pix_edges_patch34": ("pix2pix", dict(dataset="edges2digits", discriminator_layers=2)),
    # pix2pix on the second paired task.
    "pix2pix_mnistm_l1_cgan": ("pix2pix", dict(dataset="digits2mnist_m")),
    # CycleGAN, Table 4: the ablation on digits <-> MNIST-M (two disjoint digit sets, no pairs).
    "cyclegan_mnistm_full": ("cyclegan", dict(dataset="digits+mnist_m")),
    "cyclegan_mnistm_cycle_alone": ("cyclegan", dict(dataset="digits+mnist_m", gan_weight=0.0)),
    "cyclegan_mnistm_gan_alone": ("cyclegan", dict(dataset="digits+mnist_m", cycle="none", identity_weight=0.0)),
    "cyclegan_mnistm_gan_forward": ("cyclegan", dict(dataset="digits+mnist_m", cycle="forward", identity_weight=0.0)),
    "cyclegan_mnistm_gan_backward": ("cyclegan", dict(dataset="digits+mnist_m", cycle="backward",
                                                      identity_weight=0.0)),
    # CycleGAN between two real handwriting domains.
    "cyclegan_uci_full": ("cyclegan", dict(dataset="uci_digits+digits")),
}


def make_config(name: str, steps_scale: float = 1.0):
  from jgan.translation import CycleGANConfig, Pix2PixConfig
  model, overrides = RUNS[name]
  budget = dict(PIX2PIX_BUDGET if model == "pix2pix" else CYCLEGAN_BUDGET)
  for key in ("steps", "decay_steps", "eval_every", "sample_every", "checkpoint_every"):
    if key in budget:
      budget[key] = max(1, int(budget[key] * steps_scale))
  return (Pix2PixConfig if model == "pix2pix" else CycleGANConfig)(**budget, **overrides)


def run_one(name: str, runs_dir: pathlib.Path, steps_scale: float, rescore: bool = False) -> dict:
  """Trains run `name` (or, with `rescore`, takes its finished run directory), scores the test split once with the
  final checkpoint and writes the result file and the figure."""
  import jax
  from jgan import compilation_cache
  from jgan.translation import experiment
  compilation_cache.enable()
  config = make_config(name, steps_scale)
  workdir = runs_dir / name
  start = time.time()
  if rescore:
    train_seconds = json.loads((HERE / "results" / f"{name}.json").read_text())["train_seconds"]
  else:
    experiment.run(config, workdir, overwrite=True, progress=False)
    train_seconds = time.time() - start
  test = experiment.final_scores(workdir, "test")  # the test split, read once for this run's reported numbers
  rows = [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]
  validation = [{k[len("eval_"):] if k.startswith("eval_") else k: v for k, v in r.items()}
                for r in rows if any(k.startswith("eval_") for k in r)]
  result = {"name": name, "model": RUNS[name][0], "config": dataclasses.asdict(config), "test": test,
            "validation_curve": validation, "train_seconds": round(train_seconds, 1),
            "jax": jax.__version__, "command": f"python experiments/translation/run.py {name}"
                                               + (f" --steps-scale {steps_scale}" if steps_scale != 1 else "")}
  (HERE / "results").mkdir(exist_ok=True)
  (HERE / "results" / f"{name}.json").write_text(json.dumps(result, indent=2))
  (HERE / "figures").mkdir(exist_ok=True)
  shutil.copy(sorted((workdir / "samples").glob("step_*.png"))[-1], HERE / "figures" / f"{name}.png")
  print(json.dumps({"name": name, "test": test, "train_seconds": result["train_seconds"]}), flush=True)
  return result


def main(argv: list[str] | None = None) -> int:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("names", nargs="*", help=f"runs to make (default: all): {', '.join(RUNS)}")
  parser.add_argument("--runs-dir", type=pathlib.Path, default=pathlib.Path("runs/translation"))
  parser.add_argument("--steps-scale", type=float, default=1.0, help="scale every run's length (smoke tests)")
  parser.add_argument("--table", action="store_true", help="only rebuild tables.md from results/")
  parser.add_argument("--rescore", action="store_true",
                      help="score finished runs in --runs-dir again (after a new metric), without training")
  args = parser.parse_args(argv)
  unknown = sorted(set(args.names) - set(RUNS))
  if unknown:
    parser.error(f"unknown runs {unknown}; known: {list(RUNS)}")
  if not args.table:
    for name in args.names or RUNS:
      run_one(name, args.runs_dir, args.steps_scale, args.rescore)
  from tables import write_fidelity, write_tables  # experiments/translation/tables.py
  write_tables(HERE)
  write_fidelity(HERE)
  return 0


if __name__ == "__main__":
  sys.path.insert(0, str(HERE))
  sys.exit(main())
