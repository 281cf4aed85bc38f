"""The AAE paper's Fig. 2 from the recorded runs, and their scores as one table.

    python experiments/aae/figures.py RUNS_DIR [--out experiments/aae]

RUNS_DIR holds the run directories of `experiments/aae/run.sh`. Writes `latent_spaces.png` (validation codes
coloured by label: AAE and VAE, Gaussian and mixture priors, side by side, as the paper's Fig. 2 a-d),
`manifolds.png` (the decoded 2-D Gaussian manifold of the AAE and the VAE, Fig. 2e), copies each run's small
files (config.json, metrics.jsonl thinned to every 50th iteration and the evaluations, scores_test.json, the final
pictures) to OUT/results/NAME (committed: `runs/` folders are ignored by git), writes OUT/scores.json and prints
the score table.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shutil

import jax
import numpy as np

PANELS = (("gaussian2d", "AAE, N(0, I) prior"), ("mixture2d", "AAE, mixture of 10 Gaussians"),
          ("vae_gaussian2d", "VAE, N(0, I) prior"), ("vae_mixture2d", "VAE, mixture of 10 Gaussians"))


def latent_spaces(runs: pathlib.Path, out: pathlib.Path) -> None:
  from matplotlib.figure import Figure

  from jgan.autoencoders import evaluate, experiment
  from jgan.data import priors
  fig = Figure(figsize=(13, 3.6), dpi=110)
  for i, (name, title) in enumerate(PANELS):
    ax = fig.add_subplot(1, len(PANELS), i + 1)
    if not (runs / name).exists():
      ax.set_title(f"{title}\n(not run)", fontsize=9)
      continue
    state, config, _ = experiment.load(runs / name)
    _, (images, labels), _ = experiment.load_data(config)
    codes = evaluate.encode(state, config, images)["z"]
    prior = np.asarray(priors.sample(config.prior, jax.random.PRNGKey(0), len(codes), 2, k=config.num_classes))
    ax.scatter(prior[:, 0], prior[:, 1], s=1, c="lightgray")
    ax.scatter(codes[:, 0], codes[:, 1], s=2, c=labels, cmap="tab10", vmin=-0.5, vmax=9.5)
    ax.set_title(f"{title}\nvalidation codes, iteration {int(state.step)}", fontsize=9)
    ax.set_xlim(-4, 4)
    ax.set_ylim(-4, 4)
    ax.set_aspect("equal")
  fig.tight_layout()
  fig.savefig(out / "latent_spaces.png")


def manifolds(runs: pathlib.Path, out: pathlib.Path) -> None:
  from matplotlib.figure import Figure
  fig = Figure(figsize=(8, 4.2), dpi=110)
  for i, name in enumerate(("gaussian2d", "vae_gaussian2d")):
    pictures = sorted((runs / name / "samples").glob("manifold_step_*.png"))
    if not pictures:
      continue
    import matplotlib.image
    ax = fig.add_subplot(1, 2, i + 1)
    ax.imshow(matplotlib.image.imread(pictures[-1]), cmap="gray")
    ax.set_title(f"{'AAE' if i == 0 else 'VAE'}: decoded grid over z in [-2.5, 2.5]^2", fontsize=9)
    ax.axis("off")
  fig.tight_layout()
  fig.savefig(out / "manifolds.png")


def copy_small_files(runs: pathlib.Path, out: pathlib.Path) -> dict[str, dict]:
  table = {}
  for run in sorted(p for p in runs.iterdir() if (p / "config.json").exists()):
    target = out / "results" / run.name
    (target / "samples").mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "scores_test.json", "eval.png", "reconstruction_loss.png"):
      if (run / name).exists():
        shutil.copy(run / name, target / name)
    # Every iteration's row is 10k lines per run; every 50th and the evaluations keep the curves in little space.
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    kept = [r for r in rows if r["step"] % 50 == 0 or any(k.startswith("eval_") for k in r)]
    (target / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in kept))
    for prefix in ("step_", "reconstructions_step_", "codes_step_", "manifold_step_"):
      pictures = sorted((run / "samples").glob(f"{prefix}*.png"))
      if pictures:
        shutil.copy(pictures[-1], target / "samples" / pictures[-1].name)
    if (run / "scores_test.json").exists():
      table[run.name] = json.loads((run / "scores_test.json").read_text())
  return table


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("runs", type=pathlib.Path)
  parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path(__file__).parent)
  args = parser.parse_args()
  latent_spaces(args.runs, args.out)
  manifolds(args.runs, args.out)
  table = copy_small_files(args.runs, args.out)
  (args.out / "scores.json").write_text(json.dumps(table, indent=2))
  keys = ("step", "reconstruction", "w1_codes", "classification_error", "cluster_error", "clusters_used", "fd", "is",
          "class_accuracy", "parzen_mean", "parzen_std_error", "parzen_sigma")
  print("| run | " + " | ".join(keys) + " |")
  print("|---" * (len(keys) + 1) + "|")
  for name, scores in table.items():
    cells = [f"{scores[k]:.4g}" if isinstance(scores.get(k), float) else str(scores.get(k, "")) for k in keys]
    print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
  main()
