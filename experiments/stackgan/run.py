"""The StackGAN experiments on captioned digits: Stage I and Stage II, with and without conditioning augmentation.

    python experiments/stackgan/run.py [NAME ...] [--runs-dir runs/stackgan] [--seed 0] [--score-only]
    python experiments/stackgan/run.py --table     # rebuild tables.md and fidelity_entries.json from results/

Each run trains with `jgan.experiments.stackgan`'s recipe (the paper's optimizer and schedule, shortened: `RUNS`),
evaluating on the validation split during training (metrics.jsonl), then reads the test split once with its final
checkpoint and writes `results/<NAME>_seed<S>.json` (config, test scores, the validation curve, seconds) and
`figures/<NAME>.png` (seed 0's last grid: 10 classes across; rows "a D", thin, thick, left-leaning, slanted, wide, twice;
Stage II also `figures/<NAME>_stage1.png`, the Stage-I images it refined). Nothing is chosen on the test split: the
recipe is the paper's, the budget was fixed before the runs, the checkpoint is the last one. Stage-II runs need
their Stage-I run's directory (`STAGE1`). `--score-only` scores finished run directories without training.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent

# The CPU budget (2 shared cores, about 40 minutes for all runs): Stage I 2,000 iterations (16 epochs; the paper
# 600), Stage II 1,000 (8 epochs), each with the rate halved every sixth of its run, as the paper's every 100 of
# 600 epochs. Everything else is the recipe's (jgan/experiments/stackgan.py).
STAGE2 = ["--stage", "2", "--steps", "1000", "--halve-every", "167", "--eval-every", "250", "--sample-every", "250",
          "--checkpoint-every", "250"]
RUNS = {
    "stage1": ["--stage", "1"],
    "stage1_no_ca": ["--stage", "1", "--no-conditioning-augmentation"],
    "stage2": STAGE2,
    "stage2_no_ca": STAGE2 + ["--no-conditioning-augmentation"],
    # Added after the first two runs' validation curves showed conditioning augmentation at the paper's lambda = 1
    # draining the caption from c (validation caption accuracy 0.20 against 0.89 without it): a tenth of the weight.
    "stage1_kl_0.1": ["--stage", "1", "--kl-weight", "0.1"],
    # The rest of the sweep (session of 2026-12-07, declared before the runs): lambda down to 1/1000 of the paper's,
    # to find on the validation split where the caption stops draining and whether CA's spread survives there.
    "stage1_kl_0.01": ["--stage", "1", "--kl-weight", "0.01"],
    "stage1_kl_0.001": ["--stage", "1", "--kl-weight", "0.001"],
    # Stage II on the lambda the sweep chose on validation (session of 2026-12-07 evening, declared before the runs),
    # then seeds 1 and 2 of that Stage I and of Stage I without CA (`--seed 1`, `--seed 2`), then, as far as the
    # session's time goes, seeds 1 and 2 of Stage II on each.
    "stage2_kl_0.001": STAGE2 + ["--kl-weight", "0.001"],
}
STAGE1 = {"stage2": "stage1", "stage2_no_ca": "stage1_no_ca", "stage2_kl_0.001": "stage1_kl_0.001"}


def train(name: str, run_dir: pathlib.Path, runs_dir: pathlib.Path, seed: int) -> float:
  from jgan.experiments import stackgan
  argv = RUNS[name] + ["--seed", str(seed), "--out", str(run_dir), "--no-progress"]
  if name in STAGE1:
    argv += ["--stage1", str(runs_dir / f"{STAGE1[name]}_seed{seed}")]
  resume = (run_dir / "checkpoints").is_dir()
  start = time.perf_counter()
  status = stackgan.main(argv + (["--resume"] if resume else ["--overwrite"]))
  if status:
    raise SystemExit(f"{name}: training exited with {status}")
  return time.perf_counter() - start


def record(name: str, run_dir: pathlib.Path, seed: int, seconds: float | None) -> dict:
  from jgan.stackgan import experiment
  scores = experiment.final_scores(run_dir, "test")
  meta = json.loads((run_dir / "config.json").read_text())
  rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
  curve = [{k[5:]: v for k, v in r.items() if k.startswith("eval_")} | {"step": r["step"]} for r in rows
           if "eval_fd" in r]
  previous = HERE / "results" / f"{name}_seed{seed}.json"
  if seconds is None and previous.is_file():  # rescored: the training time is the training run's
    seconds = json.loads(previous.read_text()).get("train_seconds")
  result = {"name": name, "seed": seed, "command": f"python experiments/stackgan/run.py {name} --seed {seed}",
            "config": meta["config"], "test": scores, "validation_curve": curve, "train_seconds": seconds,
            "text_encoder_validation_accuracy": meta.get("text_encoder_validation_accuracy"),
            "real_validation_gaps": {k: v for k, v in meta.items() if k.startswith("real_")}}
  (HERE / "results" / f"{name}_seed{seed}.json").write_text(json.dumps(result, indent=2))
  if seed != 0:  # the figures (and the README's words on them) are seed 0's
    return result
  grids = sorted((run_dir / "samples").glob("step_*.png"))
  last = [g for g in grids if not g.name.endswith("_stage1.png")][-1]
  shutil.copy(last, HERE / "figures" / f"{name}.png")
  low = last.with_name(last.stem + "_stage1.png")
  if low.is_file():
    shutil.copy(low, HERE / "figures" / f"{name}_stage1.png")
  return result


# The paper's Inception scores (Zhang et al. 2017, Table 1: StackGAN on CUB and Oxford-102, 256x256, Inception
# nets fine-tuned on each data set) and its conditioning-augmentation ablation (Table 2, CUB: Stage-I at 64x64 with CA
# 2.95, without 2.48 ... as read from the paper; context only, never comparable with a digit classifier's score).
PAPER = {"CUB": 3.70, "Oxford-102": 3.20}
COLUMNS = (("fd", "FD (digit features)"), ("inception_score", "IS (digit classifier)"),
           ("caption_accuracy", "caption class recovered"), ("thickness_gap", "thick - thin (px)"),
           ("placebo_thickness_gap", "placebo |gap| (px)"), ("thickness_agreement", "classes thick > thin"),
           ("slant_gap", "right - left slant"), ("placebo_slant_gap", "placebo |gap|"),
           ("width_gap", "wide - narrow (px)"), ("placebo_width_gap", "placebo |gap| (px)"),
           ("same_caption_spread", "same-caption spread"))


def _mean(runs: list[dict], key: str) -> float:
  """The mean of a test score over result files (one per seed)."""
  return sum(r["test"][key] for r in runs) / len(runs)


def table() -> str:
  """tables.md's text, and fidelity_entries.json written, from results/*.json."""
  results = [json.loads(p.read_text()) for p in sorted((HERE / "results").glob("*_seed*.json"))]
  results.sort(key=lambda r: (list(RUNS).index(r["name"]) if r["name"] in RUNS else len(RUNS), r["seed"]))
  lines = ["| run | seed | " + " | ".join(label for _, label in COLUMNS) + " | real IS | real spread | steps |",
           "|---" * (len(COLUMNS) + 5) + "|"]
  for r in results:
    t = r["test"]
    lines.append(f"| {r['name']} | {r['seed']} | " + " | ".join(f"{t[k]:.3f}" for k, _ in COLUMNS)
                 + f" | {t['real_inception_score']:.3f} | {t['real_same_class_spread']:.3f} | {t['step']} |")
  gaps = results[0]["test"] if results else {}
  lines += ["", "Real test digits grouped by their measured level (what a faithful model would show): "
            + ", ".join(f"{k[5:]} {gaps[k]:.3f}" for k in ("real_thickness_gap", "real_slant_gap", "real_width_gap")
                        if k in gaps), "",
            f"Paper (context only, 256x256 photographs, Inception): StackGAN IS {PAPER['CUB']} on CUB, "
            f"{PAPER['Oxford-102']} on Oxford-102."]
  entries = []
  by_run: dict[str, list[dict]] = {}
  for r in results:
    by_run.setdefault(r["name"], []).append(r)
  for name, runs in by_run.items():  # one entry per run, its numbers the mean over the seeds it was run with
    t, seeds = runs[0]["test"], [r["seed"] for r in runs]
    setting = (f"conditioning augmentation, lambda {runs[0]['config']['kl_weight']}" if t["conditioning_augmentation"]
               else "without conditioning augmentation")
    entries.append({
        "paper": "Zhang et al. 2017, StackGAN (arXiv:1612.03242)",
        "claim": f"Inception score of StackGAN, Table 1 (CUB 3.70, Oxford-102 3.20): context only - ours is "
                 f"Stage-{'I' * t['stage']} ({setting}) on captioned digits, scored by the project's digit "
                 f"classifier (max 10), not comparable",
        "paper_value": PAPER, "ours": {k: _mean(runs, k) for k, _ in COLUMNS} | {
            "real_inception_score": t["real_inception_score"], "real_same_class_spread": t["real_same_class_spread"]},
        "split": "test", "seeds": seeds, "command": "; ".join(r["command"] for r in runs),
        "result_files": [f"experiments/stackgan/results/{name}_seed{seed}.json" for seed in seeds],
        "note": f"{t['step']} iterations (the paper: 600 epochs per stage); "
                + (f"mean over seeds {seeds}; " if len(seeds) > 1 else "") + "see experiments/stackgan/README.md"})
  by_name = {r["name"]: r for r in results if r["seed"] == 0}
  for stage in (1, 2):
    with_ca, without = by_name.get(f"stage{stage}"), by_name.get(f"stage{stage}_no_ca")
    if not (with_ca and without):
      continue
    pick = lambda r: {k: r["test"][k] for k in ("inception_score", "fd", "caption_accuracy", "same_caption_spread")}
    entries.append({
        "paper": "Zhang et al. 2017, StackGAN (arXiv:1612.03242)",
        "claim": f"Conditioning augmentation (Sec. 3.1, ablation Sec. 5.2) makes images from one text more diverse "
                 f"and raises the Inception score: Stage-{'I' * stage}",
        "paper_value": "higher inception score and more diverse samples with CA than without (CUB)",
        "ours": {"with_ca_lambda_1": pick(with_ca), "without_ca": pick(without)},
        "split": "test", "seeds": [0],
        "command": f"python experiments/stackgan/run.py stage{stage} stage{stage}_no_ca",
        "result_files": [f"experiments/stackgan/results/stage{stage}_seed0.json",
                         f"experiments/stackgan/results/stage{stage}_no_ca_seed0.json"],
        "note": f"Stage-{'I' * stage}. Diversity reproduced (same-caption feature spread with CA far above "
                "without, which nearly ignores z); the Inception-score gain NOT reproduced at this budget: at "
                "lambda 1 the KL drains the caption from c (class recovered far less often, IS and FD worse). "
                "2,000 / 1,000 iterations instead of 600 epochs; one seed."})
    chosen = by_run.get(f"stage{stage}_kl_0.001", [])  # the lambda chosen on validation FD (README, Choices)
    seeds = sorted({r["seed"] for r in chosen} & {r["seed"] for r in by_run.get(f"stage{stage}_no_ca", [])})
    if not seeds:
      continue
    keys = ("inception_score", "fd", "caption_accuracy", "same_caption_spread")
    pairs = [(f"stage{stage}_kl_0.001", "with_ca_lambda_0.001"), (f"stage{stage}_no_ca", "without_ca")]
    entries.append({
        "paper": "Zhang et al. 2017, StackGAN (arXiv:1612.03242)",
        "claim": f"Conditioning augmentation (Sec. 3.1, ablation Sec. 5.2) makes images from one text more diverse "
                 f"and raises the Inception score: Stage-{'I' * stage}, at the KL weight chosen on validation",
        "paper_value": "higher inception score and more diverse samples with CA than without (CUB)",
        "ours": {label: {k: _mean([r for r in by_run[name] if r["seed"] in seeds], k) for k in keys}
                 for name, label in pairs},
        "split": "test", "seeds": seeds,
        "command": "; ".join(f"python experiments/stackgan/run.py {name} --seed {seed}" for seed in seeds
                             for name, _ in pairs),
        "result_files": [f"experiments/stackgan/results/{name}_seed{seed}.json" for seed in seeds
                         for name, _ in pairs],
        "note": f"Stage-{'I' * stage}, lambda 0.001 (a thousandth of the paper's; chosen among 1, 0.1, 0.01, 0.001 by "
                f"Stage I's validation FD), means over seeds {seeds}; per-seed numbers in tables.md. "
                "2,000 / 1,000 iterations instead of 600 epochs."})
  (HERE / "fidelity_entries.json").write_text(json.dumps(entries, indent=2) + "\n")
  return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("names", nargs="*", default=list(RUNS), help=f"runs to do, in order (default: {list(RUNS)})")
  parser.add_argument("--runs-dir", default="runs/stackgan")
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--score-only", action="store_true")
  parser.add_argument("--table", action="store_true", help="only rebuild tables.md and fidelity_entries.json")
  args = parser.parse_args(argv)
  if args.table:
    (HERE / "tables.md").write_text(table())
    return 0
  runs_dir = pathlib.Path(args.runs_dir)
  for name in args.names:
    if name not in RUNS:
      parser.error(f"unknown run {name!r}: one of {list(RUNS)}")
  for name in args.names:
    run_dir = runs_dir / f"{name}_seed{args.seed}"
    seconds = None if args.score_only else train(name, run_dir, runs_dir, args.seed)
    result = record(name, run_dir, args.seed, seconds)
    print(name, json.dumps({k: result["test"][k] for k in ("fd", "inception_score", "caption_accuracy",
                                                            "thickness_gap", "thickness_agreement")}), flush=True)
  (HERE / "tables.md").write_text(table())
  return 0


if __name__ == "__main__":
  sys.exit(main())
