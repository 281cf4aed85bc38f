"""The loss comparison of Mathieu et al. 2016 (Table 2) on our data, scaled down for a 2-core CPU.

    python experiments/video/run.py [--steps 800] [--vtest-steps 500] [--only moving_digits/l2 ...] [--seeds 0 1 2]

For each data set (moving digits at 32x32; OpenCV's pedestrian clip `vtest` at 96x72, trained on 32x32 crops of
its first 70% of frames, scored on whole frames of its last 15%) and each recipe (l2, gdl, adversarial,
adversarial_gdl): trains `python -m jgan.experiments.video_prediction` (runs/video/<set>_<recipe>), scores the
latest checkpoint once on the test split (`evaluate --split test`, beside copying the last frame, once every run is trained) into
results/<set>_<recipe>_seed0.json, and draws figures/strip_<set>_<recipe>.png: 10 frames predicted recursively after
4 test frames (top) under which the true frames lie. Then tables.md, from every result file present. A finished
run is not retrained. The recorded results: --steps 800 (moving digits), --vtest-steps 500 (the clip), --extra.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RECIPES = ("l2", "gdl", "adversarial", "adversarial_gdl")
# Beyond the paper's rows, on moving digits only: the GDL recipe with l_2 in place of l_1 (`--lp 2`), and with the
# GDL weighted 0.1: first run to diagnose the collapse of the tanh outputs (README.md, "The tanh collapse").
EXTRA = {"gdl_l2": ["--recipe", "gdl", "--lp", "2"],
         "gdl_l2_weight0.1": ["--recipe", "gdl", "--lp", "2", "--gdl-weight", "0.1"]}
CONDITIONS = {**{r: ["--recipe", r] for r in RECIPES}, **EXTRA}
# Scaled down from the paper (see README.md): widths 1/8, batch 8, Adam 2e-4.
COMMON = ["--width", "0.125", "--batch-size", "8", "--sample-every", "200", "--checkpoint-every", "200",
          "--no-progress"]
DATASETS = {"moving_digits": ["--dataset", "moving_digits", "--downscale", "2", "--train-clips", "1000",
                              "--eval-samples", "200"],
            "vtest": ["--dataset", "vtest", "--downscale", "2", "--eval-samples", "200"]}


def command(name: str, *args: str) -> list[str]:
  return [sys.executable, "-m", name, *args]


def run_dir(dataset: str, recipe: str, seed: int = 0) -> pathlib.Path:
  return ROOT / "runs" / "video" / (f"{dataset}_{recipe}" + (f"_seed{seed}" if seed else ""))


def train(dataset: str, recipe: str, steps: int, seed: int = 0) -> list[str]:
  """Trains the run unless its last checkpoint exists; returns the training command."""
  out = run_dir(dataset, recipe, seed)
  args = command("jgan.experiments.video_prediction", *DATASETS[dataset], *COMMON, *CONDITIONS[recipe],
                 "--steps", str(steps), "--eval-every", str(steps), *(["--seed", str(seed)] if seed else []),
                 "--out", str(out))
  if not (out / "checkpoints" / str(steps)).is_dir():
    print(" ".join(args), flush=True)
    subprocess.run(args + (["--overwrite"] if out.exists() else []), check=True, cwd=ROOT)
  return args


def score(dataset: str, recipe: str, train_command: list[str], seed: int = 0) -> None:
  """The test split's scores (read once) into results/, and (seed 0) the 10-frame strip into figures/."""
  out = run_dir(dataset, recipe, seed)
  result_file = HERE / "results" / f"{dataset}_{recipe}_seed{seed}.json"
  if not result_file.is_file():
    subprocess.run(command("jgan.experiments.video_prediction", "evaluate", str(out), "--split", "test"), check=True,
                   cwd=ROOT)
    scores = json.loads((out / "scores_test.json").read_text())
    scores["command"] = " ".join(["python", "-m", "jgan.experiments.video_prediction", *train_command[3:]])
    scores["seed"] = seed
    result_file.parent.mkdir(exist_ok=True)
    result_file.write_text(json.dumps(scores, indent=2))
  if seed:
    return
  figure = HERE / "figures" / f"strip_{dataset}_{recipe}.png"
  figure.parent.mkdir(exist_ok=True)
  subprocess.run(command("jgan.predict_frames", "--checkpoint", str(out), "--input", str(test_clip(dataset)),
                         "--frames", "10", "--out", str(figure)), check=True, cwd=ROOT)


def test_clip(dataset: str) -> pathlib.Path:
  """A test clip as a .npz of frames at full resolution (predict_frames downscales as the run did)."""
  import numpy as np
  path = ROOT / "runs" / "video" / f"test_clip_{dataset}.npz"
  if not path.is_file():
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    from jgan.data import video
    if dataset == "moving_digits":
      frames = video.load_split("moving_digits", "test", downscale=1, num_clips=1, clip_frames=20)[0]
    else:
      frames = video.load_split(dataset, "test", downscale=1)[0][:20]
    np.savez(path, frames=frames)
  return path


def recorded_results() -> dict:
  """{dataset: {recipe: scores}} of the result files present."""
  results = {}
  for dataset in DATASETS:
    for recipe in CONDITIONS:
      path = HERE / "results" / f"{dataset}_{recipe}_seed0.json"
      if path.is_file():
        results.setdefault(dataset, {})[recipe] = json.loads(path.read_text())
  return results


def _cells(scores: dict, prefix: str) -> str:
  """PSNR, SSIM and sharpness of the 1st and 2nd predicted frames, `prefix` naming the row ('copy_last_') and the
  protocol ('moving_'), as table cells."""
  return " | ".join(f"{scores[f'{prefix}{m}_{t}']:.{2 if m != 'ssim' else 3}f}"
                    for t in (1, 2) for m in ("psnr", "ssim", "sharpness"))


def table(results: dict) -> str:
  lines = []
  for dataset, rows in results.items():
    lines += [f"\n### {dataset} (test split, seed 0)\n",
              "| loss | PSNR 1st | SSIM 1st | sharpness 1st | PSNR 2nd | SSIM 2nd | sharpness 2nd |",
              "|---|---|---|---|---|---|---|"]
    first = next(iter(rows.values()))
    lines.append(f"| copy last frame | {_cells(first, 'copy_last_')} |")
    for recipe, scores in rows.items():
      lines.append(f"| {recipe} | {_cells(scores, '')} |")
    lines += moving_table(dataset, rows)
    lines += seeds_table(dataset)
  return "\n".join(lines) + "\n"


SEED_COLUMNS = (("PSNR 1st", "psnr_1", ".2f"), ("SSIM 1st", "ssim_1", ".3f"), ("sharpness 1st", "sharpness_1", ".2f"),
                ("moving PSNR 1st", "moving_psnr_1", ".2f"), ("moving sharpness 1st", "moving_sharpness_1", ".2f"))


def seeds_table(dataset: str) -> list[str]:
  """Mean ± standard deviation over the seeds of each paper row, where some row has more than one seed."""
  files = {recipe: sorted((HERE / "results").glob(f"{dataset}_{recipe}_seed*.json")) for recipe in RECIPES}
  runs = {recipe: [json.loads(path.read_text()) for path in paths] for recipe, paths in files.items()}
  runs = {recipe: scores for recipe, scores in runs.items() if scores}
  if not any(len(scores) > 1 for scores in runs.values()):
    return []
  from jgan.eval.summary import mean_and_spread
  lines = [f"\n#### {dataset}: over seeds (mean ± sd over training seeds, each scored on the same test clips)\n",
           "| loss | seeds | " + " | ".join(name for name, _, _ in SEED_COLUMNS) + " |",
           "|---|---|" + "---|" * len(SEED_COLUMNS)]
  every = [scores for rows in runs.values() for scores in rows]
  copy_seeds = {s["seed"]: s for s in every}
  # A row of one seed shows its value alone: the column "seeds" already says how many.
  cell = lambda rows, prefix, key, fmt: mean_and_spread([r.get(prefix + key) for r in rows], fmt).replace(
      " (1 seed)", "")
  lines.append("| copy last frame | " + ", ".join(map(str, sorted(copy_seeds))) + " | "
               + " | ".join(cell(list(copy_seeds.values()), "copy_last_", k, f) for _, k, f in SEED_COLUMNS) + " |")
  for recipe, rows in runs.items():
    lines.append(f"| {recipe} | " + ", ".join(str(r["seed"]) for r in rows) + " | "
                 + " | ".join(cell(rows, "", k, f) for _, k, f in SEED_COLUMNS) + " |")
  return lines


def moving_table(dataset: str, rows: dict) -> list[str]:
  """The moving-area scores (`jgan.video.evaluate.moving_area_scores`, the authors' release's protocol) of the
  result files that have them."""
  rows = {recipe: scores for recipe, scores in rows.items() if "moving_psnr_1" in scores}
  if not rows:
    return []
  first = next(iter(rows.values()))
  lines = [f"\n#### {dataset}: moving areas only (the release's protocol; its sharpness scale)\n",
           f"Pixels in the mask: {100 * first['moving_fraction_1']:.2f}% (1st frame), "
           f"{100 * first['moving_fraction_2']:.2f}% (2nd); frames scored (masked PSNR below 50 dB) per row.\n",
           "| loss | PSNR 1st | SSIM 1st | sharpness 1st | PSNR 2nd | SSIM 2nd | sharpness 2nd | frames scored |",
           "|---|---|---|---|---|---|---|---|"]
  scored = lambda s, p: f"{s[f'{p}moving_scored_1']}, {s[f'{p}moving_scored_2']} of {s['windows']}"
  lines.append(f"| copy last frame | {_cells(first, 'copy_last_moving_')} | {scored(first, 'copy_last_')} |")
  for recipe, scores in rows.items():
    lines.append(f"| {recipe} | {_cells(scores, 'moving_')} | {scored(scores, '')} |")
  return lines


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--steps", type=int, default=800, help="training iterations on moving digits")
  parser.add_argument("--vtest-steps", type=int, default=500, help="training iterations on the vtest clip")
  parser.add_argument("--only", nargs="*", default=None, help="dataset/recipe pairs to run (default: all)")
  parser.add_argument("--train-only", action="store_true", help="train, but score nothing yet")
  parser.add_argument("--extra", action="store_true", help="also the l_2 variants of the GDL recipes (moving digits)")
  parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="training seeds of every chosen run")
  args = parser.parse_args()
  chosen = [(d, r) for d in DATASETS for r in RECIPES if not args.only or f"{d}/{r}" in args.only]
  chosen += [("moving_digits", r) for r in EXTRA if args.extra and (not args.only or f"moving_digits/{r}" in args.only)]
  commands = {(d, r, seed): train(d, r, args.vtest_steps if d == "vtest" else args.steps, seed)
              for seed in args.seeds for d, r in chosen}
  if args.train_only:
    return
  for (dataset, recipe, seed), train_command in commands.items():
    score(dataset, recipe, train_command, seed)
  text = table(recorded_results())
  (HERE / "tables.md").write_text(text)
  print(text)


if __name__ == "__main__":
  main()
