"""Runs every experiment's `--preset fast` as a new user would, and records its time and its final sample grid.

    .venv/bin/python experiments/presets/run.py [NAME ...] [--out runs/presets]   # train, then record
    .venv/bin/python experiments/presets/run.py --table                           # README.md from results/

For each NAME (default: every experiment with a `fast` preset): `python -m jgan.experiments.NAME --preset fast
--out OUT/NAME --overwrite --no-progress`, timed as a whole process (wall seconds, and the CPU seconds of the
process and its children, which depend less on what else the machine runs); the last sample grid is copied to
figures/NAME.png, and results/NAME.json holds the command, the times, the machine and, for the digit GANs, the
project's digit scorer on 2,000 samples of the final generator (FD, Inception score; class accuracy of the
conditional ones), against the untrained generator of the same config.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import resource
import shutil
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))


def experiments_with_fast_preset() -> list[str]:
  """The experiments whose module passes a `fast` preset (its config module's or its own PRESETS)."""
  import importlib
  import pkgutil

  import jgan.experiments
  names = []
  for info in pkgutil.iter_modules(jgan.experiments.__path__):
    module = importlib.import_module(f"jgan.experiments.{info.name}")
    config_module = getattr(module, "PRESETS", None) and module
    if config_module is None:
      try:
        config_module = importlib.import_module(f"jgan.configs.{info.name}")
      except ModuleNotFoundError:
        continue
    if "fast" in getattr(config_module, "PRESETS", {}):
      names.append(info.name)
  return sorted(names)


def cpu_model() -> str:
  for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
    if line.startswith("model name"):
      return line.split(":", 1)[1].strip()
  return platform.processor() or "unknown"


def last_grid(run_dir: pathlib.Path) -> pathlib.Path | None:
  grids = sorted((run_dir / "samples").glob("step_*.png"))
  return grids[-1] if grids else None


def score(run_dir: pathlib.Path) -> dict | None:
  """The digit scorer's figures of a GAN-family run on the digits (None for other families)."""
  from jgan import pretrained
  try:
    return pretrained.score(run_dir)
  except pretrained.NotScorable:
    return None


def last_evaluation(run_dir: pathlib.Path) -> dict | None:
  """The run's last in-training evaluation (`eval_*` of `metrics.jsonl`, on the validation split), for the families
  the digit scorer does not score: translation, super-resolution, video prediction, SeqGAN."""
  path = run_dir / "metrics.jsonl"
  if not path.is_file():
    return None
  last = None
  for line in path.read_text().splitlines():
    record = json.loads(line)
    evaluation = {k: v for k, v in record.items() if k.startswith("eval_")}
    if evaluation:
      last = {"step": record["step"], **evaluation}
  return last


def text_samples(run_dir: pathlib.Path) -> pathlib.Path | None:
  """The last text sample file of a SeqGAN run (its samples are lines of text, not a grid)."""
  files = sorted((run_dir / "samples").glob("step_*.txt"))
  return files[-1] if files else None


def run_one(name: str, out: pathlib.Path) -> dict:
  run_dir = out / name
  args = ["--preset", "fast", "--out", str(run_dir), "--overwrite", "--no-progress"]
  command = f"python -m jgan.experiments.{name} " + " ".join(args)
  before = resource.getrusage(resource.RUSAGE_CHILDREN)
  load_before = os.getloadavg()[0]
  start = time.monotonic()
  subprocess.run([sys.executable, "-m", f"jgan.experiments.{name}", *args], check=True, cwd=ROOT)
  wall = time.monotonic() - start
  after = resource.getrusage(resource.RUSAGE_CHILDREN)
  cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
  grid = last_grid(run_dir) or text_samples(run_dir)
  figure = None
  if grid is not None:
    (HERE / "figures").mkdir(exist_ok=True)
    figure = f"figures/{name}{grid.suffix}"
    shutil.copy(grid, HERE / figure)
  scores = score(run_dir)
  import jax
  return {"experiment": name, "command": command, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
          "load_average_at_start": round(load_before, 2), "load_average_at_end": round(os.getloadavg()[0], 2),
          "cpu": cpu_model(), "cores": os.cpu_count(), "jax": jax.__version__,
          "date": datetime.date.today().isoformat(), "final_grid": figure, "final_grid_of": grid and grid.name,
          "scores": scores, "last_evaluation": None if scores else last_evaluation(run_dir)}


HEADLINE_KEYS = ("eval_psnr", "eval_psnr_y", "eval_ssim", "eval_ssim_y", "eval_accuracy", "eval_fcn_accuracy",
                 "eval_psnr_1", "eval_ssim_1", "eval_sharpness_1", "eval_nll_validation", "eval_nll_oracle",
                 "eval_bleu2")


def headline(evaluation: dict) -> str:
  """The family's headline validation figures of `evaluation`, or its first four when none is known here."""
  keys = [k for k in HEADLINE_KEYS if k in evaluation] or [k for k in evaluation if k != "step"][:4]
  return ", ".join(f"{k.removeprefix('eval_')} {evaluation[k]:.3g}" for k in keys)


def table() -> str:
  rows = [json.loads(p.read_text()) for p in sorted((HERE / "results").glob("*.json"))]
  digits = [r for r in rows if r.get("scores")]
  others = [r for r in rows if not r.get("scores")]
  lines = ["# `--preset fast`, run as a new user would (issue 38)", "",
           "Each experiment's fast preset (`python -m jgan.experiments.NAME --help` says what it sets), run by",
           "`experiments/presets/run.py` on this project's shared 2-core machine. Wall time depends on what else ran",
           "(the load average at start and end is recorded); CPU seconds (the process and its children) depend less",
           "on it: a quiet 2-core CPU runs a job on both cores, so its wall time is about half the CPU time or less.",
           "The SN-GAN and WGAN-GP presets were chosen on the validation digits' FD among the settings `choose.py`",
           "lists (`choices/NAME.json`: each setting's flags, times and validation scores); the tables below read",
           "the test split once, with the chosen preset.",
           "",
           "## The digit GANs",
           "",
           "Scores: the project's digit scorer (`jgan.eval.digits`) on 2,000 samples of the final generator",
           "(seed 123) against 2,000 real held-out digits; the untrained generator of the same config in brackets.",
           "",
           "| experiment | wall (min) | CPU (min) | load at start / end | FD | IS | class accuracy | final grid |",
           "|---|---|---|---|---|---|---|---|"]
  for r in digits:
    s = r["scores"]
    fd = f"{s['fd']:.1f} ({s['untrained_fd']:.0f})" if "fd" in s else ""
    inception = f"{s['is']:.2f}" if "is" in s else ""
    accuracy = f"{s['class_accuracy']:.2f}" if s.get("class_accuracy") is not None else ""
    lines.append(f"| `{r['experiment']}` | {r['wall_s'] / 60:.1f} | {r['cpu_s'] / 60:.1f} | "
                 f"{r['load_average_at_start']} / {r['load_average_at_end']} | {fd} | {inception} | {accuracy} | "
                 f"[{r['final_grid_of']}]({r['final_grid']}) |")
  if others:
    lines += ["", "## The other families", "",
              "Scores: the run's last in-training evaluation on the validation split (`eval_*` of its",
              "`metrics.jsonl`; each family's measure: PSNR/SSIM of translations and upscalings, the predicted first",
              "frame's PSNR/SSIM/sharpness, SeqGAN's validation NLL and BLEU-2).", "",
              "| experiment | wall (min) | CPU (min) | load at start / end | last validation evaluation | final samples |",
              "|---|---|---|---|---|---|"]
    for r in others:
      evaluation = r.get("last_evaluation") or {}
      figures = f"step {evaluation['step']}: {headline(evaluation)}" if evaluation else "none during training"
      lines.append(f"| `{r['experiment']}` | {r['wall_s'] / 60:.1f} | {r['cpu_s'] / 60:.1f} | "
                   f"{r['load_average_at_start']} / {r['load_average_at_end']} | {figures} | "
                   f"[{r['final_grid_of']}]({r['final_grid']}) |")
  machines = sorted({f"{r['cpu']} ({r['cores']} cores), jax {r['jax']}, {r['date']}" for r in rows})
  lines += ["", "Machines: " + "; ".join(machines) + ".", "",
            "Regenerate: `.venv/bin/python experiments/presets/run.py NAME ...` (train and record), then",
            "`.venv/bin/python experiments/presets/run.py --table`."]
  return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("names", nargs="*", help="experiments (default: every one with a fast preset)")
  parser.add_argument("--out", type=pathlib.Path, default=ROOT / "runs" / "presets", help="the runs' directories")
  parser.add_argument("--table", action="store_true", help="only rebuild README.md from results/")
  args = parser.parse_args(argv)
  if not args.table:
    (HERE / "results").mkdir(exist_ok=True)
    for name in args.names or experiments_with_fast_preset():
      result = run_one(name, args.out)
      (HERE / "results" / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
      print(json.dumps(result), flush=True)
  (HERE / "README.md").write_text(table())


if __name__ == "__main__":
  main()
