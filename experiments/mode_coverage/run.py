"""Mode coverage on the 8-ring and the 25-grid: GAN and PacGAN with PacGAN's recipe, beside jgan's WGAN.

    .venv/bin/python experiments/mode_coverage/run.py [--models GAN PacGAN4] [--seeds 0 1 2] [--steps 2000]
    .venv/bin/python experiments/mode_coverage/run.py --table     # README.md and the curves from results/*.json

Protocol (PacGAN, Lin et al. 2018, arXiv:1712.04086, Sec. 5.1 and Table 1, after VEEGAN, Srivastava et al. 2017,
Table 1; the authors' code github.com/fjxmlzn/PacGAN, `synthetic_data_experiments/`, whose `config.py` and
`pacgan/extensions.py` give each number below): ring8 is 8 Gaussians on the unit circle with std 0.01, grid25 is 25
Gaussians at {-4, -2, 0, 2, 4}^2 with std 0.05 (`jgan.data.toys`); 2,500 samples from fixed noise; a sample is of
high quality within 3 std of its nearest mode; a mode is captured when some high-quality sample is nearest to it
(`jgan.eval.mode_coverage`). The paper averages 10 runs; we run 3 seeds.

Recipe of the GAN and PacGAN rows (the authors' `config.py` / `pacgan_task.py`): z ~ N(0, I) in 2-D; generator 4
hidden layers of 400 ReLU units with batch norm, discriminator 3 hidden layers of 200 maxout units of 5 pieces,
weights ~ N(0, 0.02) (`jgan.models.pacgan`, arch 'pacgan'); the non-saturating loss; Adam, learning rate 1e-4,
beta1 0.8; 100 discriminator inputs per update: 100 samples for the GAN, 100 packs of 4 samples (400 samples) for
PacGAN4 (the code's batch counts packs: `GaussianPackingMixture` stacks `num_packings` samples per example); one
discriminator and one generator update per batch; 400 epochs of 100,000 samples, i.e. 400,000 updates.

Deviations, all listed in README.md: the budget (--steps, far below 400,000 on this CPU); alternating updates (D
then G on fresh noise, `jgan.steps`) where the authors' `ali_algorithm` applies both gradients of one batch at
once (`--updates simultaneous` plays theirs); fresh samples each batch instead of a fixed set of 100,000; 3 seeds instead of 10.

The WGAN row is jgan's WGAN recipe (its paper's RMSProp 5e-5, clipping 0.01, 5 critic steps, no warm-up) on the
MLP nets (generator 3 x 400, critic 3 x 200 ReLU), batch 100: not a paper's row, a reference for this project.
The GAN-mlp row (diagnosis) is the GAN recipe this table had before: those MLP nets, Adam 1e-4 with beta1 0.5.

Each run writes one result file, `results/<dataset>_<model>_seed<seed>.json`: its final scores, the learning curve
(modes, high quality, KL, W1 against generator updates and wall seconds) and the command; `--table` builds
README.md and `plots/curves_<dataset>.png` from those files alone.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import shutil
import statistics
import sys
import time

HERE = pathlib.Path(__file__).parent
DATASETS = ("ring8", "grid25")
MODELS = ("GAN", "PacGAN4", "WGAN", "GAN-mlp")
PAPERS = {  # (row, modes, % high quality): VEEGAN Table 1 and PacGAN Table 1 (means over their runs)
    "ring8": [("GAN (VEEGAN Table 1)", "1", "99.3"), ("VEEGAN (VEEGAN Table 1)", "8", "52.9"),
              ("GAN (PacGAN Table 1)", "6.3", "98.2"), ("PacGAN4 (PacGAN Table 1)", "7.8", "95.9")],
    "grid25": [("GAN (VEEGAN Table 1)", "3.3", "0.5"), ("VEEGAN (VEEGAN Table 1)", "24.6", "40"),
               ("GAN (PacGAN Table 1)", "17.3", "94.8"), ("PacGAN4 (PacGAN Table 1)", "24.8", "93.6")],
}
PAPER_UPDATES = 400 * 100_000 // 100  # 400 epochs of 100,000 samples in batches of 100 (the authors' config.py)


def config(model: str, dataset: str, steps: int, seed: int, eval_every: int, updates: str = "alternating"):
  """The `jgan.configs.base.Config` of one run (`updates`: the GAN and PacGAN rows' `Config.updates`)."""
  from jgan.configs.base import Config
  common = dict(dataset=dataset, latent_dim=2, latent="normal", generator_features=400, critic_features=200,
                steps=steps, seed=seed, eval_every=eval_every, eval_samples=2500, log_every=eval_every,
                sample_every=steps, checkpoint_every=eval_every, keep_checkpoints=2, loop="device", warmup_steps=0)
  if model == "WGAN":
    return Config(game="wgan", arch="mlp", mlp_layers=3, optimizer="rmsprop", learning_rate=5e-5, clip_value=0.01,
                  n_critic=5, warmup_n_critic=5, batch_size=100, **common)
  if model == "GAN-mlp":  # the recipe this table had before (diagnosis): ReLU MLPs, no batch norm, beta1 0.5
    return Config(game="gan", arch="mlp", mlp_layers=3, optimizer="adam", learning_rate=1e-4, beta1=0.5,
                  clip_value=0.0, n_critic=1, warmup_n_critic=1, batch_size=100, **common)
  packing = {"GAN": 1, "PacGAN4": 4}[model]
  return Config(game="gan", arch="pacgan", g_loss="non_saturating", optimizer="adam", learning_rate=1e-4, beta1=0.8,
                beta2=0.999, clip_value=0.0, n_critic=1, warmup_n_critic=1, packing=packing,
                batch_size=100 * packing, updates=updates, **common)


def curve(workdir: pathlib.Path) -> list[dict]:
  """The run's evaluations with the wall seconds of the training loop at their step (the log rows' `time`)."""
  rows = [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]
  from jgan.metrics import training_clock
  seconds = training_clock(rows)  # a resumed run's clock continues the earlier process's
  seconds[0] = 0.0
  return [{"step": r["step"], "seconds": seconds.get(r["step"]), "modes": r["eval_modes"],
           "high_quality": r["eval_high_quality"], "mode_kl": r.get("eval_mode_kl"), "w1": r["eval_w1"]}
          for r in rows if "eval_modes" in r]


def main(argv: list[str] | None = None) -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--models", nargs="+", choices=MODELS, default=["GAN", "PacGAN4"])
  parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
  parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
  parser.add_argument("--steps", type=int, default=2_000, help=f"generator updates (the paper: {PAPER_UPDATES:,})")
  parser.add_argument("--updates", choices=("alternating", "simultaneous"), default="alternating",
                      help="GAN and PacGAN rows: alternating (jgan's Algorithm 1) or simultaneous updates (the "
                           "authors' ali_algorithm)")
  parser.add_argument("--evals", type=int, default=10, help="evaluations along the run (the learning curve)")
  parser.add_argument("--out", default="/tmp/mode_coverage", help="the runs' directories (checkpoints stay there)")
  parser.add_argument("--results", type=pathlib.Path, default=HERE / "results",
                      help="one JSON per data set, model and seed (default: here, results/)")
  parser.add_argument("--table-dir", type=pathlib.Path, default=HERE,
                      help="where README.md and plots/ are written (default: beside this script)")
  parser.add_argument("--table", action="store_true", help="only rebuild README.md and the plots from --results")
  parser.add_argument("--redo", action="store_true", help="rerun runs whose result file exists with these steps")
  args = parser.parse_args(argv)
  command = "experiments/mode_coverage/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
  if not args.table:
    import jax
    from jgan import parallel, train
    mesh = parallel.make_mesh(jax.devices()[:1])
    args.results.mkdir(parents=True, exist_ok=True)
    for dataset in args.datasets:
      for model in args.models:
        for seed in args.seeds:
          path = args.results / f"{dataset}_{model.lower()}_seed{seed}.json"
          if path.exists() and not args.redo and json.loads(path.read_text())["steps"] == args.steps:
            print("kept", path.name, flush=True)
            continue
          cfg = config(model, dataset, args.steps, seed, max(1, args.steps // args.evals), args.updates)
          workdir = pathlib.Path(args.out) / dataset / model.lower() / f"seed{seed}"
          # A run stopped part-way (a long budget, SIGTERM) continues from its last checkpoint (one per evaluation).
          resume = (workdir / "checkpoints").is_dir() and any((workdir / "checkpoints").iterdir()) and not args.redo
          t0 = time.perf_counter()
          train.run(cfg, workdir, resume=resume, overwrite=not resume, progress=False, mesh=mesh)
          points = curve(workdir)
          final = points[-1]
          result = {"dataset": dataset, "model": model, "seed": seed, "steps": args.steps,
                    "packing": cfg.packing, "batch_size": cfg.batch_size, "updates": cfg.updates, "arch": cfg.arch, "game": cfg.game,
                    "modes": final["modes"], "high_quality": final["high_quality"], "mode_kl": final["mode_kl"],
                    "w1": final["w1"],
                    "seconds": final["seconds"] if final["seconds"] is not None else time.perf_counter() - t0,
                    "machine": "2-core CPU shared with other jobs (loaded): wall seconds are indicative",
                    "command": command, "curve": points}
          path.write_text(json.dumps(result, indent=1) + "\n")
          print(dataset, model, seed, {k: result[k] for k in ("modes", "high_quality", "seconds")}, flush=True)
          if seed == min(args.seeds) == 0 or not (args.table_dir / "plots" / f"{dataset}_{model}.png").exists():
            (args.table_dir / "plots").mkdir(parents=True, exist_ok=True)
            shutil.copy(workdir / "samples" / f"step_{args.steps:06d}.png",
                        args.table_dir / "plots" / f"{dataset}_{model}.png")
  write_table(args.results, args.table_dir)


def plot_curves(results: dict, table_dir: pathlib.Path) -> None:
  """plots/curves_<dataset>.png: modes and % high quality against updates and wall seconds, one line per run."""
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  colors = {"GAN": "tab:blue", "PacGAN4": "tab:red", "WGAN": "tab:gray", "GAN-mlp": "tab:green"}
  for dataset in DATASETS:
    runs = [(model, r) for (d, model), rs in sorted(results.items()) if d == dataset for r in rs]
    if not runs:
      continue
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    for model, r in runs:
      points = [p for p in r["curve"] if p["seconds"] is not None]
      for row, (key, scale) in enumerate((("modes", 1), ("high_quality", 100))):
        for col, x in enumerate(("step", "seconds")):
          axes[row, col].plot([p[x] for p in points], [scale * p[key] for p in points], color=colors[model],
                              alpha=0.7, label=f"{model} seed {r['seed']}")
    for row, label in enumerate(("modes captured", "% high quality")):
      for col, x in enumerate(("generator updates", "wall seconds (loaded 2-core CPU)")):
        axes[row, col].set_xlabel(x)
        axes[row, col].set_ylabel(label)
        axes[row, col].grid(alpha=0.3)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"{dataset}: learning curves (2,500 samples per point)")
    fig.tight_layout()
    (table_dir / "plots").mkdir(parents=True, exist_ok=True)
    fig.savefig(table_dir / "plots" / f"curves_{dataset}.png", dpi=80)
    plt.close(fig)


PACGAN_TABLE1 = {("ring8", "GAN"): (6.3, 98.2), ("ring8", "PacGAN4"): (7.8, 95.9), ("grid25", "GAN"): (17.3, 94.8),
                 ("grid25", "PacGAN4"): (24.8, 93.6)}


def _in_repository(path: pathlib.Path) -> str:
  """`path` relative to the repository's root where it lies inside it."""
  path, root = path.resolve(), HERE.resolve().parents[1]
  return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def longer_runs(dataset: str, model: str) -> list[tuple[pathlib.Path, dict]]:
  """(path, result) of the single-seed learning-curve runs beside the table's (results_<N>k/), shortest first,
  then by seed."""
  name = re.escape(f"{dataset}_{model.lower()}_seed") + r"\d+\.json"  # probes beside them are not runs
  found = [(path, json.loads(path.read_text())) for path in HERE.glob("results_*k/*.json")
           if re.fullmatch(r"results_\d+k", path.parent.name) and re.fullmatch(name, path.name)]
  return sorted(found, key=lambda item: (item[1]["steps"], item[1]["seed"]))


def write_fidelity(results: dict, results_dir: pathlib.Path, table_dir: pathlib.Path) -> None:
  """fidelity_entries.json: one entry per PacGAN Table 1 cell pair (modes, % high quality) that has result files."""
  from jgan.eval.summary import mean_and_spread
  entries = []
  for (dataset, model), (modes, hq) in PACGAN_TABLE1.items():
    rows = results.get((dataset, model), [])
    if not rows:
      continue
    steps = sorted({r["steps"] for r in rows})
    longer = longer_runs(dataset, model)
    ours_modes = mean_and_spread([r["modes"] for r in rows], ".1f")
    ours_hq = mean_and_spread([100 * r["high_quality"] for r in rows], ".1f")
    entries.append({
        "paper": "PacGAN (Lin et al. 2018, arXiv:1712.04086), Table 1",
        "claim": f"{model} on {dataset}: modes captured and % high-quality samples (2,500 samples, within 3 std)",
        "paper_value": f"{modes} modes, {hq}% high quality (mean of 10 runs, 400,000 updates)",
        "ours": f"{ours_modes} modes, {ours_hq}% high quality (mean ± sd, {', '.join(map(str, steps))} updates)",
        "split": "none: synthetic data drawn fresh; 2,500 generated samples from fixed noise scored at the end",
        "seeds": sorted(r["seed"] for r in rows),
        "command": (f".venv/bin/python experiments/mode_coverage/run.py --models {model} --datasets {dataset} "
                    f"--seeds {' '.join(str(r['seed']) for r in rows)} --steps {steps[-1]} "
                    f"--evals {len(rows[0]['curve']) - 1}"),
        "result_files": [_in_repository(results_dir / f"{dataset}_{model.lower()}_seed{r['seed']}.json")
                         for r in rows],
        "note": "the authors' nets, optimizer and batch (jgan.models.pacgan, arch 'pacgan'); budget "
                f"{steps[-1]:,} of the paper's {PAPER_UPDATES:,} updates and alternating instead of simultaneous "
                "updates (experiments/mode_coverage/README.md lists the deviations; the learning curve is in "
                f"plots/curves_{dataset}.png)"})
    table_entry = entries[-1]
    by_steps: dict[int, list[tuple[pathlib.Path, dict]]] = {}
    for path, r in longer:  # one entry per budget: learning curves, never averaged with the table's runs
      by_steps.setdefault(r["steps"], []).append((path, r))
    for budget, runs in by_steps.items():
      seeds = [r["seed"] for _, r in runs]
      who = "one seed" if len(runs) == 1 else f"{len(runs)} seeds"
      per_seed = "; ".join(f"seed {r['seed']}: {r['modes']:.0f} modes, {100 * r['high_quality']:.1f}% high quality"
                           for _, r in runs)
      entries.append({**table_entry,
                      "claim": f"{table_entry['claim']} - {who} for {budget:,} updates "
                               f"({'a learning curve' if len(runs) == 1 else 'learning curves'})",
                      "ours": f"{per_seed} at the end ({budget:,} updates)",
                      "seeds": seeds,
                      "command": ".venv/bin/python " + runs[0][1]["command"].replace(
                          f"--seeds {runs[0][1]['seed']}", "--seeds " + " ".join(map(str, seeds))),
                      "result_files": [_in_repository(path) for path, _ in runs],
                      "note": f"the same recipe as the table's runs, {budget:,} of the paper's {PAPER_UPDATES:,} "
                              "updates; the last evaluation of each seed, whose curve (in the result file) is noisy "
                              "from one evaluation to the next (experiments/mode_coverage/README.md)"})
  (table_dir / "fidelity_entries.json").write_text(json.dumps(entries, indent=1) + "\n")


def write_table(results_dir: pathlib.Path, table_dir: pathlib.Path) -> None:
  """README.md's results section and the curve plots in `table_dir`, from the result files in `results_dir`."""
  from jgan.eval.summary import mean_and_spread
  # One file per run, <dataset>_<model>_seed<S>.json; probes beside them (..._seed0_discriminator.json) are not runs.
  found = [json.loads(p.read_text()) for p in sorted(results_dir.glob("*_seed*.json"))
           if re.fullmatch(r"[a-z0-9]+_[a-z0-9-]+_seed\d+\.json", p.name)]
  if not found:
    raise SystemExit(f"no result files (*_seed*.json) in {results_dir}")
  results = {}
  for r in found:
    results.setdefault((r["dataset"], r["model"]), []).append(r)
  plot_curves(results, table_dir)
  lines = []
  for dataset in DATASETS:
    lines += [f"### {dataset}", "", "| model | updates | seeds | modes captured | % high quality | KL(modes ‖ uniform) "
              "| W1 to data | wall seconds |", "|---|---|---|---|---|---|---|---|"]
    for model in MODELS:
      rows = results.get((dataset, model), [])
      if not rows:
        continue
      cells = [", ".join(sorted({f"{r['steps']:,}" for r in rows})), str(sorted(r["seed"] for r in rows)),
               mean_and_spread([r["modes"] for r in rows], ".1f"),
               mean_and_spread([100 * r["high_quality"] for r in rows], ".1f"),
               mean_and_spread([r["mode_kl"] for r in rows], ".2f"), mean_and_spread([r["w1"] for r in rows], ".3f"),
               f"{statistics.mean(r['seconds'] for r in rows):.0f}"]
      lines.append(f"| jgan {model} | " + " | ".join(cells) + " |")
    for paper, modes, hq in PAPERS[dataset]:
      updates = f"{PAPER_UPDATES:,}" if "PacGAN Table" in paper else ""
      lines.append(f"| {paper} | {updates} | | {modes} | {hq} | | | |")
    shown = [m for m in MODELS if (dataset, m) in results]
    lines += ["", " ".join(f"![{dataset} {m}](plots/{dataset}_{m}.png)" for m in shown),
              "", f"![{dataset} learning curves](plots/curves_{dataset}.png)", ""]
  write_fidelity(results, results_dir, table_dir)
  readme = table_dir / "README.md"
  begin, end = "<!-- results: begin (run.py --table) -->", "<!-- results: end -->"
  text = readme.read_text() if readme.exists() else f"# Mode coverage: 8-ring and 25-grid\n\n{begin}\n{end}\n"
  if begin not in text or end not in text:
    raise SystemExit(f"{readme} lacks the markers {begin} ... {end} between which the tables go")
  head, rest = text.split(begin, 1)
  tail = rest.split(end, 1)[1]
  readme.write_text(head + begin + "\n\n" + "\n".join(lines) + "\n" + end + tail)


if __name__ == "__main__":
  main()
