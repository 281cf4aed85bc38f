"""ProGAN vs a fixed-resolution GAN at equal compute on the digits, and stacked-digit mode coverage of ProGAN and a
DCGAN baseline (issue 32). Writes results/*.json (one file per run and split), figures/*.png and README tables.

    .venv/bin/python experiments/progressive/run.py [--out /tmp/progressive] [--only NAME ...] [--seed 0]

Runs (CPU recipe of `jgan.experiments.progan.get_config`, one seed each):
  * progan_digits: 2,400 iterations, stable 4x4 then fade-in / stable at 8, 16, 32 (300 iterations each, the last
    stable 600), batch 16.
  * fixed_digits: the same nets, loss and optimizer trained at 32x32 from the first iteration (`--no-progressive`),
    for as many iterations as give the same multiply-accumulates as the ProGAN run (`Schedule.total_cost`).
  * progan_stacked: the ProGAN recipe on stacked digits (three digits as RGB, 1,000 modes).
  * dcgan_stacked: jgan's DCGAN (`jgan.experiments.dcgan`, the paper's recipe: batch 128 lowered to 64) on the same
    stacked training images, written to an .npz, for 600 iterations (38,400 images, as many as ProGAN shows).
During training every run is evaluated on the validation split (the curves); after it, its last checkpoint is
scored once on the test split (the tables). No choice is made on the test split; the recipe was fixed before.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import subprocess
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

RUNS = ("progan_digits", "fixed_digits", "progan_stacked", "dcgan_stacked")
DCGAN_STEPS = 600  # 38,400 images at batch 64: as many as the ProGAN run shows (2,400 x 16)


def progan_config(name: str, seed: int):
  from jgan.experiments.progan import get_config
  from jgan.progan.schedule import Schedule
  config = dataclasses.replace(get_config(), seed=seed)
  if name == "fixed_digits":
    fixed = dataclasses.replace(config, progressive=False)
    schedule = Schedule(fixed)
    steps = round(Schedule(config).total_cost(config.steps) / schedule.cost(schedule.stages[0]))
    return dataclasses.replace(fixed, steps=steps, eval_every=steps // 8, sample_every=steps // 8,
                               checkpoint_every=steps // 8)
  if name == "progan_stacked":
    return dataclasses.replace(config, dataset="stacked_digits")
  return config


def stacked_npz(out: pathlib.Path) -> pathlib.Path:
  from jgan.data import stacked_digits
  from jgan.progan.experiment import STACKED_TRAIN
  path = out / "stacked_train.npz"
  if not path.exists():
    stacked_digits.save_npz(str(path), "train", STACKED_TRAIN, seed=0)  # the images progan_stacked trains on
  return path


def train(name: str, out: pathlib.Path, seed: int) -> float:
  """Trains run `name` into out/name; returns its wall seconds."""
  start = time.perf_counter()
  if name == "dcgan_stacked":
    command = [sys.executable, "-m", "jgan.experiments.dcgan", "--dataset", str(stacked_npz(out)), "--batch-size",
               "64", "--steps", str(DCGAN_STEPS), "--seed", str(seed), "--sample-every", "300",
               "--checkpoint-every", "300", "--out", str(out / name), "--overwrite", "--no-progress"]
    subprocess.run(command, check=True, cwd=ROOT)
  else:
    from jgan.progan import experiment
    experiment.run(progan_config(name, seed), out / name, overwrite=True, progress=False)
  return time.perf_counter() - start


def dcgan_scores(run_dir: pathlib.Path, split: str, seed: int) -> dict:
  """Modes of 26,000 DCGAN samples, and SWD / MS-SSIM against the split's stacked digits, as for ProGAN."""
  from jgan import sample
  from jgan.data import stacked_digits
  from jgan.eval import ms_ssim
  from jgan.progan import evaluate, experiment
  state, config, meta = sample.load_generator(run_dir)
  generated = sample.sample(state, config, meta, experiment.MODE_SAMPLES, seed=1)
  real, _ = stacked_digits.stacked_digits(split, experiment.STACKED_HELDOUT, seed=0)
  result = evaluate.image_scores(generated[:len(real)], real, "stacked_digits", per_image=128)
  result.update(stacked_digits.coverage(generated))
  result["ms_ssim_real"] = ms_ssim.mean_pairwise_ms_ssim(real)
  return {**result, "split": split, "examples": len(real), "step": int(np.asarray(state.step)), "seed_of_samples": 1}


def score(name: str, out: pathlib.Path, split: str, seed: int, seconds: float | None) -> dict:
  from jgan.progan import experiment
  run_dir = out / name
  result = dcgan_scores(run_dir, split, seed) if name == "dcgan_stacked" else experiment.final_scores(run_dir, split)
  config = json.loads((run_dir / "config.json").read_text())["config"]
  rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
  times = [r["time"] for r in rows if "time" in r]
  record = {"run": name, "seed": seed, "train_seconds": seconds, "train_loop_seconds": times[-1] if times else None,
            "command": f".venv/bin/python experiments/progressive/run.py --only {name} --seed {seed}",
            "config": config, **result}
  if name in ("progan_digits", "fixed_digits", "progan_stacked"):
    from jgan.progan.config import ProGANConfig
    from jgan.progan.schedule import Schedule
    cfg = ProGANConfig(**config)
    record["macs_relative"] = Schedule(cfg).total_cost(cfg.steps) / 1e9
  (HERE / "results").mkdir(exist_ok=True)
  (HERE / "results" / f"{name}_seed{seed}_{split}.json").write_text(json.dumps(record, indent=2) + "\n")
  return record


def real_reference(seed: int = 0) -> dict:
  """Modes and KL of 26,000 real stacked digits made from the test split's digits: what a perfect generator scores
  through the same classifier (its errors and the sampling of 26,000 draws from 1,000 modes)."""
  from jgan.data import stacked_digits
  from jgan.progan.experiment import MODE_SAMPLES
  images, modes = stacked_digits.stacked_digits("test", MODE_SAMPLES, seed=seed)
  record = {"run": "real_stacked_test", "seed": seed, "classified": stacked_digits.coverage(images),
            "true_modes": stacked_digits.mode_scores(modes),
            "command": ".venv/bin/python experiments/progressive/run.py --real-reference"}
  (HERE / "results" / "real_stacked_test.json").write_text(json.dumps(record, indent=2) + "\n")
  return record


def curves(out: pathlib.Path, names: list[str], prefix: str) -> None:
  """Validation metrics against wall time (the loop's clock: training, compiles and evaluations) per run."""
  from matplotlib.figure import Figure
  keys = [k for k in ("eval_fd", "eval_swd_avg", "eval_ms_ssim", "eval_modes_covered") if any(
      k in line for n in names if (out / n / "metrics.jsonl").exists()
      for line in (out / n / "metrics.jsonl").read_text().splitlines())]
  fig = Figure(figsize=(4 * len(keys), 3.2), dpi=100)
  for i, key in enumerate(keys):
    ax = fig.add_subplot(1, len(keys), i + 1)
    for name in names:
      path = out / name / "metrics.jsonl"
      if not path.exists():
        continue
      rows = [json.loads(line) for line in path.read_text().splitlines()]
      clock = {r["step"]: r["time"] for r in rows if "time" in r}
      points = [(clock.get(r["step"], 0.0), r[key]) for r in rows if key in r]
      if points:
        ax.plot(*zip(*points), marker="o", label=name)
    ax.set_xlabel("wall seconds")
    ax.set_title(key.removeprefix("eval_") + " (validation)")
    ax.legend(fontsize=7)
  fig.tight_layout()
  (HERE / "figures").mkdir(exist_ok=True)
  fig.savefig(HERE / "figures" / f"{prefix}_curves.png")
  for name in names:  # keep each run's last sample grid
    grids = sorted((out / name / "samples").glob("*.png")) if (out / name / "samples").exists() else []
    if grids:
      (HERE / "figures" / f"{name}_last_grid.png").write_bytes(grids[-1].read_bytes())
    curve = out / name / "metrics.jsonl"
    if curve.exists():  # the evaluations, and every 50th training row (the whole log is ~0.7 MB)
      rows = [line for line in curve.read_text().splitlines()
              if '"eval_' in line or json.loads(line)["step"] % 50 == 0]
      (HERE / "results" / f"{name}_metrics.jsonl").write_text("\n".join(rows) + "\n")


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--out", default="/tmp/progressive")
  parser.add_argument("--only", nargs="*", choices=RUNS, default=list(RUNS))
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--score-only", action="store_true", help="score existing runs in --out without training")
  parser.add_argument("--real-reference", action="store_true", help="only score real stacked test digits")
  args = parser.parse_args()
  if args.real_reference:
    print(json.dumps(real_reference()))
    return
  out = pathlib.Path(args.out)
  out.mkdir(parents=True, exist_ok=True)
  for name in args.only:
    seconds = None if args.score_only else train(name, out, args.seed)
    record = score(name, out, "test", args.seed, seconds)
    print(json.dumps({k: v for k, v in record.items() if k != "config"}), flush=True)
  curves(out, ["progan_digits", "fixed_digits"], "digits")
  curves(out, ["progan_stacked", "dcgan_stacked"], "stacked")


if __name__ == "__main__":
  main()
