"""Trains, exports and scores the models shipped in `jgan/pretrained/` (issue 38), and writes README.md here.

    .venv/bin/python experiments/pretrained/make.py [NAME ...] [--runs runs/presets]   # train (if needed), export
    .venv/bin/python experiments/pretrained/make.py --table                           # README.md from results/

Each shipped model is the generator of one training command below (for the GANs, the experiment's `--preset
fast`, whose run `experiments/presets/run.py` also times and leaves in `--runs`, where this script takes it). `jgan.pretrained.export` stores its weights as float16 with the run's metadata and the command, and scores
the stored weights (`jgan.pretrained.score`: 2,000 samples, seed 123, against 2,000 test digits); results/NAME.json
keeps those scores with the package size, and `tests/test_pretrained.py` recomputes them from the shipped files.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shlex
import subprocess
import sys

HERE = pathlib.Path(__file__).parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

# name: (experiment, its flags). The GANs: their fast preset (readable digits in minutes, jgan/configs/NAME.py says
# what it changes). The AAE: the paper's unsupervised model with an 8-d Gaussian code and hidden layers of 512
# (the paper's 1,000 would ship 3.6 MB of decoder), 3,000 iterations.
MODELS = {
    "wgan-digits": ("wgan", ["--preset", "fast"]),
    "dcgan-digits": ("dcgan", ["--preset", "fast"]),
    "cgan-digits": ("cgan", ["--preset", "fast", "--heldout", "0"]),  # trained on all 10,000 digits, before the recipe held 2,000 out
    "acgan-digits": ("acgan", ["--preset", "fast"]),
    "infogan-digits": ("infogan", ["--preset", "fast", "--arch", "dcgan", "--image-size", "32", "--generator-features",
                                   "32", "--critic-features", "32", "--steps", "1000", "--checkpoint-every", "250",
                                   "--heldout", "0", "--loop", "auto"]),  # the fast preset before issue 36's recipe
    "aae-digits": ("aae", ["--code-dim", "8", "--hidden", "512", "--steps", "3000", "--sample-every", "500",
                           "--checkpoint-every", "1000"]),
}


def command(name: str) -> str:
  experiment, flags = MODELS[name]
  return shlex.join(["python", "-m", f"jgan.experiments.{experiment}", *flags])


def make(name: str, runs: pathlib.Path) -> dict:
  from jgan import pretrained
  experiment, flags = MODELS[name]
  run_dir = runs / experiment if flags == ["--preset", "fast"] else runs / name
  if not (run_dir / "checkpoints").is_dir():
    subprocess.run([sys.executable, "-m", f"jgan.experiments.{experiment}", *flags, "--out", str(run_dir),
                    "--overwrite", "--no-progress"], check=True, cwd=ROOT)
  out = pretrained.export(run_dir, pretrained.HERE / name, command=command(name))
  scores = json.loads((out / pretrained.SCORES).read_text())
  size = sum(p.stat().st_size for p in out.iterdir())
  result = {"model": name, "command": command(name), "steps": json.loads((out / pretrained.META).read_text())["step"],
            "package_bytes": size, "scores": scores}
  (HERE / "results").mkdir(exist_ok=True)
  (HERE / "results" / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
  return result


def table() -> str:
  rows = [json.loads(p.read_text()) for p in sorted((HERE / "results").glob("*.json"))]
  lines = ["# Trained models shipped with jgan (issue 38)", "",
           "Loadable by name, offline: `python -m jgan.sample --pretrained NAME --num 64 --grid samples.png`, or",
           "`jgan.pretrained.load(NAME)` (`jgan/pretrained/__init__.py`). Only the generator (the AAE's decoder) ships,",
           "as float16; the scores are those of the shipped weights: the project's digit scorer on 2,000 samples",
           "(seed 123) against 2,000 real digits of the test split, the untrained generator's FD for scale",
           "(real digits against other real digits: about 4). `tests/test_pretrained.py` recomputes them.", "",
           "| model | trained by | iterations | size (kB) | FD (untrained) | IS | classes | class accuracy |",
           "|---|---|---|---|---|---|---|---|"]
  for r in rows:
    s = r["scores"]
    accuracy = "" if s["class_accuracy"] is None else f"{s['class_accuracy']:.3f}"
    lines.append(f"| `{r['model']}` | `{r['command']}` | {r['steps']} | {r['package_bytes'] // 1000} | "
                 f"{s['fd']:.1f} ({s['untrained_fd']:.0f}) | {s['is']:.2f} | {s['classes']} | {accuracy} |")
  total = sum(r["package_bytes"] for r in rows)
  lines += ["", f"Together {total / 1e6:.2f} MB of the package.", "",
            "Regenerate: `.venv/bin/python experiments/presets/run.py` (the GANs' fast runs, timed), then",
            "`.venv/bin/python experiments/pretrained/make.py` (reuses those runs, trains the AAE, exports, scores)."]
  return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("names", nargs="*", help=f"models (default: all): {', '.join(MODELS)}")
  parser.add_argument("--runs", type=pathlib.Path, default=ROOT / "runs" / "presets",
                      help="where the training runs are (or are made)")
  parser.add_argument("--table", action="store_true", help="only rebuild README.md from results/")
  args = parser.parse_args(argv)
  unknown = sorted(set(args.names) - set(MODELS))
  if unknown:
    parser.error(f"unknown models {unknown} (allowed: {', '.join(MODELS)})")
  for name in [] if args.table else (args.names or MODELS):
    print(json.dumps(make(name, args.runs)), flush=True)
  (HERE / "README.md").write_text(table())


if __name__ == "__main__":
  main()
