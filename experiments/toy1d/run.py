"""The 1-D task: a generator maps z ~ U(0, 1) to N(4, 1.25^2); exact Wasserstein-1 distance over training.

    .venv/bin/python experiments/toy1d/run.py [--seeds 0 1 2] [--steps 2000] [--out runs/toy1d]
    .venv/bin/python experiments/toy1d/run.py --table      # README.md and w1.png from results/*.json

GAN (non-saturating loss, Goodfellow et al. 2014) against WGAN (weight clipping, Arjovsky et al. 2017) with the
same nets: MLPs of 2 hidden layers of 64 ReLU units, 1-d noise, batch 64. Optimizers: the GAN with Adam 1e-3
(beta1 0.5), k = 1; the WGAN with RMSProp 1e-3, clipping 0.05 and 5 critic steps (the paper's 5e-5 and 0.01 are
for images: at that rate a 1-D critic barely moves in this budget). Every 100 generator iterations the exact W1
between 2,500 generated and 2,500 target samples (`jgan.eval.wasserstein_1d`); for reference, W1 between two
independent 2,500-sample sets of the target itself is printed as the floor. Writes `README.md` and `w1.png` here.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import sys

HERE = pathlib.Path(__file__).parent


def configs(steps: int, seed: int) -> dict:
  from jgan.configs.base import Config
  common = dict(dataset="normal1d", arch="mlp", latent_dim=1, generator_features=64, critic_features=64,
                mlp_layers=2, batch_size=64, steps=steps, seed=seed, eval_every=100, eval_samples=2500,
                log_every=100, sample_every=steps, checkpoint_every=steps, loop="device", warmup_steps=0)
  return {"GAN": Config(game="gan", optimizer="adam", learning_rate=1e-3, beta1=0.5, clip_value=0.0, n_critic=1,
                        warmup_n_critic=1, **common),
          "WGAN": Config(game="wgan", optimizer="rmsprop", learning_rate=1e-3, clip_value=0.05, n_critic=5,
                         warmup_n_critic=5, **common)}


def floor(num: int = 2500, repeats: int = 20) -> float:
  import jax
  from jgan.data import toys
  from jgan.eval import wasserstein_1d
  values = [float(wasserstein_1d(toys.sample("normal1d", jax.random.PRNGKey(2 * i), num)[:, 0],
                                 toys.sample("normal1d", jax.random.PRNGKey(2 * i + 1), num)[:, 0]))
            for i in range(repeats)]
  return statistics.mean(values)


def main(argv: list[str] | None = None) -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
  parser.add_argument("--steps", type=int, default=2000)
  parser.add_argument("--out", default="runs/toy1d", help="the runs' directories")
  parser.add_argument("--results", type=pathlib.Path, default=HERE / "results",
                      help="one JSON per model and seed: its W1 curve (default: experiments/toy1d/results)")
  parser.add_argument("--table-dir", type=pathlib.Path, default=HERE,
                      help="where README.md and w1.png are written (default: experiments/toy1d)")
  parser.add_argument("--table", action="store_true", help="only rebuild the table and figure from --results")
  args = parser.parse_args(argv)
  command = "experiments/toy1d/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
  if not args.table:
    import jax
    from jgan import parallel, train
    mesh = parallel.make_mesh(jax.devices()[:1])
    args.results.mkdir(parents=True, exist_ok=True)
    for name in ("GAN", "WGAN"):
      for seed in args.seeds:
        workdir = pathlib.Path(args.out) / name.lower() / f"seed{seed}"
        train.run(configs(args.steps, seed)[name], workdir, overwrite=True, progress=False, mesh=mesh)
        rows = [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]
        curve = [(r["step"], r["eval_w1"]) for r in rows if "eval_w1" in r]
        result = {"model": name, "seed": seed, "steps": args.steps, "curve": curve, "command": command}
        (args.results / f"{name.lower()}_seed{seed}.json").write_text(json.dumps(result, indent=1) + "\n")
        print(name, seed, curve[-1], flush=True)
  write(args.results, args.table_dir)


def write(results_dir: pathlib.Path, table_dir: pathlib.Path) -> None:
  """README.md and w1.png in `table_dir` from the result files: every model and seed found there."""
  from jgan.eval.summary import mean_and_spread
  from matplotlib.figure import Figure
  results = [json.loads(p.read_text()) for p in sorted(results_dir.glob("*_seed*.json"))]
  if not results:
    raise SystemExit(f"no result files (*_seed*.json) in {results_dir}")
  curves = {name: [r["curve"] for r in results if r["model"] == name] for name in ("GAN", "WGAN")}
  seeds = sorted({r["seed"] for r in results})
  steps = max(r["steps"] for r in results)
  w1_floor = floor()
  fig = Figure(figsize=(6, 3.5), dpi=100)
  ax = fig.add_subplot()
  for name, color in (("GAN", "tab:orange"), ("WGAN", "tab:blue")):
    for i, curve in enumerate(curves[name]):
      ax.plot(*zip(*curve), color=color, alpha=0.8, lw=1, label=name if i == 0 else None)
  ax.axhline(w1_floor, color="gray", ls="--", lw=1, label="target vs target")
  ax.set_yscale("log")
  ax.set_xlabel("generator iterations")
  ax.set_ylabel("exact W1 to N(4, 1.25²)")
  ax.legend()
  ax.grid(alpha=0.3)
  fig.tight_layout()
  table_dir.mkdir(parents=True, exist_ok=True)
  fig.savefig(table_dir / "w1.png")
  checkpoints = sorted({s for s, _ in curves["GAN"][0]} & {100, 500, 1000, 2000, steps})
  lines = ["# The 1-D task: GAN vs WGAN, exact Wasserstein-1 distance over training", "",
           f"Command: `.venv/bin/python {results[0]['command']}`; the table and figure alone, from the result "
           "files in `results/` (one per model and seed): `.venv/bin/python experiments/toy1d/run.py --table`.", "",
           f"Seeds {seeds}; mean ± std over seeds; "
           f"W1 between two independent 2,500-sample sets of the target: {w1_floor:.3f} (the floor).", "",
           "| model | " + " | ".join(f"W1 at {s}" for s in checkpoints) + " |",
           "|---|" + "---|" * len(checkpoints)]
  for name in ("GAN", "WGAN"):
    cells = [mean_and_spread([dict(map(tuple, curve))[step] for curve in curves[name]]) for step in checkpoints]
    lines.append(f"| {name} | " + " | ".join(cells) + " |")
  lines += ["", "![W1 over training](w1.png)", ""]
  (table_dir / "README.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
  main()
