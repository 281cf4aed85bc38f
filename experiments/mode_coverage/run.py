"""Mode coverage on the 8-ring and the 25-grid: GAN and WGAN beside the VEEGAN and PacGAN tables.

    .venv/bin/python experiments/mode_coverage/run.py [--seeds 0 1 2] [--steps 5000] [--out runs/mode_coverage]
    .venv/bin/python experiments/mode_coverage/run.py --table     # README.md from results/*.json

Protocol (VEEGAN, Srivastava et al. 2017, arXiv:1705.07761, Sec. 5.1; PacGAN, Lin et al. 2018, arXiv:1712.04086,
Sec. 5.1): 2,500 samples from the trained generator; a sample is high quality within 3 std of its nearest mode
(std 0.01 ring, 0.05 grid); a mode is captured when it is the nearest mode of a high-quality sample; KL of the
high-quality samples' mode histogram to uniform. Nets near PacGAN's 2-D experiments (generator 4 hidden layers of
400 ReLU units, discriminator 3 of 200): here both have 3 hidden layers (one `mlp_layers` sets both), generator
3 x 400, discriminator 3 x 200; z ~ N(0, I) in 2-D, batch 100, Adam 1e-4 (beta1 0.5)
for the GAN; the WGAN keeps its paper's RMSProp 5e-5, clipping 0.01 and 5 critic steps (no warm-up). Writes
`README.md` beside this script with mean and standard deviation over seeds, the commands, and scatter plots.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import statistics
import sys
import time

HERE = pathlib.Path(__file__).parent
PAPERS = {  # (modes, % high quality) from VEEGAN Table 1 and PacGAN Table 1
    "ring8": [("GAN (VEEGAN Table 1)", "1", "99.3"), ("VEEGAN (VEEGAN Table 1)", "8", "52.9"),
              ("GAN (PacGAN Table 1)", "6.3", "98.2"), ("PacGAN4 (PacGAN Table 1)", "7.8", "95.9")],
    "grid25": [("GAN (VEEGAN Table 1)", "3.3", "0.5"), ("VEEGAN (VEEGAN Table 1)", "24.6", "40"),
               ("GAN (PacGAN Table 1)", "17.3", "94.8"), ("PacGAN4 (PacGAN Table 1)", "24.8", "93.6")],
}


def configs(dataset: str, steps: int, seed: int) -> dict:
  from jgan.configs.base import Config
  common = dict(dataset=dataset, arch="mlp", latent_dim=2, generator_features=400, critic_features=200,
                mlp_layers=3, batch_size=100, steps=steps, seed=seed, eval_every=steps, eval_samples=2500,
                log_every=steps // 10, sample_every=steps, checkpoint_every=steps, loop="device", warmup_steps=0)
  gan = Config(game="gan", optimizer="adam", learning_rate=1e-4, beta1=0.5, clip_value=0.0, n_critic=1,
               warmup_n_critic=1, **common)
  wgan = Config(game="wgan", optimizer="rmsprop", learning_rate=5e-5, clip_value=0.01, n_critic=5,
                warmup_n_critic=5, **common)
  return {"GAN": gan, "WGAN": wgan}


def main(argv: list[str] | None = None) -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
  parser.add_argument("--steps", type=int, default=5000)
  parser.add_argument("--out", default="runs/mode_coverage", help="the runs' directories")
  parser.add_argument("--results", type=pathlib.Path, default=HERE / "results",
                      help="one JSON per data set, model and seed: its final scores (default: here, results/)")
  parser.add_argument("--table-dir", type=pathlib.Path, default=HERE,
                      help="where README.md and plots/ are written (default: beside this script)")
  parser.add_argument("--table", action="store_true", help="only rebuild README.md from --results")
  args = parser.parse_args(argv)
  command = "experiments/mode_coverage/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
  if not args.table:
    import jax
    from jgan import parallel, train
    mesh = parallel.make_mesh(jax.devices()[:1])
    args.results.mkdir(parents=True, exist_ok=True)
    for dataset in ("ring8", "grid25"):
      for name in ("GAN", "WGAN"):
        for seed in args.seeds:
          config = configs(dataset, args.steps, seed)[name]
          workdir = pathlib.Path(args.out) / dataset / name.lower() / f"seed{seed}"
          t0 = time.perf_counter()
          train.run(config, workdir, overwrite=True, progress=False, mesh=mesh)
          rows = [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]
          final = [r for r in rows if "eval_modes" in r][-1]
          result = {"dataset": dataset, "model": name, "seed": seed, "steps": args.steps, **final,
                    "seconds": time.perf_counter() - t0, "command": command}
          (args.results / f"{dataset}_{name.lower()}_seed{seed}.json").write_text(json.dumps(result, indent=1) + "\n")
          print(dataset, name, seed, {k: round(v, 3) for k, v in final.items()}, flush=True)
          if seed == args.seeds[0]:
            (args.table_dir / "plots").mkdir(parents=True, exist_ok=True)
            shutil.copy(workdir / "samples" / f"step_{args.steps:06d}.png",
                        args.table_dir / "plots" / f"{dataset}_{name}.png")
  write_table(args.results, args.table_dir)


def write_table(results_dir: pathlib.Path, table_dir: pathlib.Path) -> None:
  """README.md in `table_dir` from the result files in `results_dir`."""
  from jgan.eval.summary import mean_and_spread
  found = [json.loads(p.read_text()) for p in sorted(results_dir.glob("*_seed*.json"))]
  if not found:
    raise SystemExit(f"no result files (*_seed*.json) in {results_dir}")
  results = {}
  for r in found:
    results.setdefault((r["dataset"], r["model"]), []).append(r)
  seeds, steps = sorted({r["seed"] for r in found}), sorted({r["steps"] for r in found})
  lines = ["# Mode coverage: 8-ring and 25-grid", "", f"Command: `.venv/bin/python {found[0]['command']}`; the table "
           "alone, from the result files in `results/` (one per data set, model and seed): `.venv/bin/python "
           "experiments/mode_coverage/run.py --table`.", "",
           f"Generator iterations: {', '.join(map(str, steps))}; seeds: {seeds}; 2,500 samples per evaluation. "
           "Mean ± standard deviation over seeds. See the docstring of `run.py` for the protocol and the nets.", ""]
  for dataset in ("ring8", "grid25"):
    lines += [f"## {dataset}", "", "| model | modes captured | % high quality | KL(modes ‖ uniform) | W1 to data | "
              "wall seconds |", "|---|---|---|---|---|---|"]
    for name in ("GAN", "WGAN"):
      rows = results.get((dataset, name), [])
      cells = [mean_and_spread([r["eval_modes"] for r in rows], ".1f"),
               mean_and_spread([100 * r["eval_high_quality"] for r in rows], ".1f"),
               mean_and_spread([r.get("eval_mode_kl") for r in rows], ".2f"),
               mean_and_spread([r["eval_w1"] for r in rows], ".3f")]
      seconds = f"{statistics.mean(r['seconds'] for r in rows):.0f}" if rows else ""
      lines.append(f"| jgan {name} | " + " | ".join(cells) + f" | {seconds} |")
    for paper, modes, hq in PAPERS[dataset]:
      lines.append(f"| {paper} | {modes} | {hq} | | | |")
    lines += ["", f"![{dataset} GAN](plots/{dataset}_GAN.png) ![{dataset} WGAN](plots/{dataset}_WGAN.png)", ""]
  table_dir.mkdir(parents=True, exist_ok=True)
  (table_dir / "README.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
  main()
