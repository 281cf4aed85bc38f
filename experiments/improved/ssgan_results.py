"""The result files of SSGAN recipe runs: per seed, its test error and per-checkpoint validation errors, and its
learning curve (validation error against updates and wall time, JSON + PNG).

    .venv/bin/python -m jgan.experiments.ssgan test-error RUN_DIR          # first: writes test_error.json and
                                                                          # validation_errors.json into RUN_DIR
    .venv/bin/python experiments/improved/ssgan_results.py RUN_DIR [RUN_DIR ...] [--out experiments/improved/results]

For each run: `ssgan_seed{S}.json` (the test error of the checkpoint chosen on validation, the validation error of
every kept checkpoint, the run's updates and wall time, its command) and `ssgan_seed{S}_curve.json` (the
`eval_validation_error` rows the run wrote every `eval_every` updates, each with the wall time of training up to
it from metrics.jsonl), then one `ssgan_curve.png` with every run's curve, and the last sample grid of the first run.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shutil

from jgan.metrics import training_clock


def read_run(run_dir: pathlib.Path) -> tuple[dict, list[dict], dict[int, float]]:
  """The run's config, its validation curve, and the wall seconds of training at each logged step."""
  config = json.loads((run_dir / "config.json").read_text())["config"]
  rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]
  times = training_clock(rows)
  curve = [{"step": r["step"], "validation_error": r["eval_validation_error"],
            "time_s": times.get(r["step"], 0.0 if r["step"] == 0 else None)}
           for r in rows if "eval_validation_error" in r]
  return config, curve, times


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("runs", nargs="+", type=pathlib.Path)
  parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("experiments/improved/results"))
  args = parser.parse_args()
  args.out.mkdir(parents=True, exist_ok=True)
  curves, tests = {}, {}
  for run_dir in args.runs:
    config, curve, clock = read_run(run_dir)
    seed = config["seed"]
    test = json.loads((run_dir / "test_error.json").read_text())
    validation = json.loads((run_dir / "validation_errors.json").read_text())
    updates = max(clock)
    result = {"paper": "Salimans et al. 2016, arXiv:1606.03498, Table 1 (MNIST, 100 labels)", "seed": seed,
              "test": test, "validation_errors_by_step": {k: validation[k] for k in ("trained", "averaged")},
              "updates": updates, "wall_time_s": clock[updates], "run_dir": str(run_dir),
              "config": {k: config[k] for k in ("arch", "labels", "heldout", "batch_size", "learning_rate", "beta1",
                                                  "steps", "latent", "g_loss", "feature_layer")},
              "command": f"python -m jgan.experiments.ssgan --seed {seed} --steps {config['steps']} "
                         f"--out {run_dir} && python -m jgan.experiments.ssgan test-error {run_dir}"}
    (args.out / f"ssgan_seed{seed}.json").write_text(json.dumps(result, indent=2))
    (args.out / f"ssgan_seed{seed}_curve.json").write_text(json.dumps(
        {"seed": seed, "split": "validation", "x": ["step (updates)", "time_s (wall, loaded 2-core CPU)"],
         "curve": curve}, indent=2))
    curves[seed] = curve
    tests[seed] = result
  if len(tests) > 1:
    write_summary(tests, args.out / "ssgan_summary.json")
  plot(curves, args.out / "ssgan_curve.png")
  grids = sorted((args.runs[0] / "samples").glob("step_*.png"))
  if grids:
    shutil.copy(grids[-1], args.out / f"ssgan_samples_{grids[-1].name}")


def write_summary(results: dict[int, dict], path: pathlib.Path) -> None:
  """Mean and sample standard deviation over seeds of the test error (each seed's checkpoint chosen on validation)."""
  import statistics
  errors = [results[s]["test"]["error"] for s in sorted(results)]
  path.write_text(json.dumps({
      "paper": "Salimans et al. 2016, arXiv:1606.03498, Table 1 (MNIST, 100 labels): 0.93% +- 0.065%",
      "seeds": sorted(results), "updates": [results[s]["updates"] for s in sorted(results)],
      "test_error": {"per_seed": errors, "mean": statistics.mean(errors), "std": statistics.stdev(errors)},
      "validation_error_of_chosen": [results[s]["test"]["validation_error"] for s in sorted(results)],
      "chosen": [{"step": results[s]["test"]["step"], "weights": results[s]["test"]["weights"]}
                 for s in sorted(results)],
      "protocol": "per seed, the checkpoint and weights (trained or averaged) with the lowest error on the 1,000 "
                  "validation digits; the 1,000 test digits read once with it"}, indent=2) + "\n")


def plot(curves: dict[int, list[dict]], path: pathlib.Path) -> None:
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  fig, (by_step, by_time) = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
  for seed, curve in sorted(curves.items()):
    steps = [c["step"] for c in curve]
    errors = [100 * c["validation_error"] for c in curve]
    by_step.plot(steps, errors, marker="o", label=f"seed {seed}")
    timed = [(c["time_s"] / 60, 100 * c["validation_error"]) for c in curve if c["time_s"] is not None]
    by_time.plot(*zip(*timed), marker="o", label=f"seed {seed}")
  for axis, label in ((by_step, "updates"), (by_time, "wall time (min, loaded 2-core CPU)")):
    axis.set_xlabel(label)
    axis.axhline(0.93, color="k", linestyle="--", linewidth=1, label="paper (MNIST test, 180,000 updates)")
    axis.set_yscale("log")
    axis.grid(True, which="both", alpha=0.3)
  by_step.set_ylabel("validation error (%)")
  by_step.legend()
  fig.suptitle("SSGAN, 100 labels, embedded digits: the paper's recipe")
  fig.tight_layout()
  fig.savefig(path, dpi=100)


if __name__ == "__main__":
  main()
