"""The 1-D task: a generator maps z ~ U(0, 1) to N(4, 1.25^2); exact Wasserstein-1 distance over training.

    .venv/bin/python experiments/toy1d/run.py [--seeds 0 1 2] [--steps 2000] [--out runs/toy1d]

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
  parser.add_argument("--out", default="runs/toy1d")
  args = parser.parse_args(argv)
  import jax
  from jgan import parallel, train
  mesh = parallel.make_mesh(jax.devices()[:1])
  curves = {}
  for name in ("GAN", "WGAN"):
    for seed in args.seeds:
      workdir = pathlib.Path(args.out) / name.lower() / f"seed{seed}"
      train.run(configs(args.steps, seed)[name], workdir, overwrite=True, progress=False, mesh=mesh)
      rows = [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]
      curves.setdefault(name, []).append([(r["step"], r["eval_w1"]) for r in rows if "eval_w1" in r])
      print(name, seed, curves[name][-1][-1], flush=True)
  write(curves, floor(), args, " ".join(sys.argv))


def write(curves: dict, w1_floor: float, args, command: str) -> None:
  from jgan.eval.summary import mean_and_spread
  from matplotlib.figure import Figure
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
  fig.savefig(HERE / "w1.png")
  checkpoints = sorted({s for s, _ in curves["GAN"][0]} & {s for s in (100, 500, 1000, 2000, args.steps)})
  lines = ["# The 1-D task: GAN vs WGAN, exact Wasserstein-1 distance over training", "",
           f"Command: `.venv/bin/python {command}`", "", f"Seeds {args.seeds}; mean ± std over seeds; "
           f"W1 between two independent 2,500-sample sets of the target: {w1_floor:.3f} (the floor).", "",
           "| model | " + " | ".join(f"W1 at {s}" for s in checkpoints) + " |",
           "|---|" + "---|" * len(checkpoints)]
  for name in ("GAN", "WGAN"):
    cells = []
    for step in checkpoints:
      cells.append(mean_and_spread([dict(curve)[step] for curve in curves[name]]))
    lines.append(f"| {name} | " + " | ".join(cells) + " |")
  lines += ["", "![W1 over training](w1.png)", ""]
  (HERE / "README.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
  main()
