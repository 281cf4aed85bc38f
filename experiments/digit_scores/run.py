"""WGAN on the embedded digits, scored by the project's digit classifier at fixed budgets of generator iterations.

    .venv/bin/python experiments/digit_scores/run.py [--out runs/digit_scores]   # train, score, write results/
    .venv/bin/python experiments/digit_scores/run.py --table                     # README.md from results/

Two runs of `jgan.train.run` on the 8,000 training digits (`heldout=2000`: the 1,000 validation and 1,000 test
digits of `jgan.data.splits` are never trained on), evaluated every `--eval-every` generator iterations on 2,500
samples from fixed latent codes (`jgan/eval/during_training.py`): the Frechet distance in the classifier's
penultimate features (FD), the classifier Inception score (10 at most; real digits score about 9.8), class coverage
(classes holding >= 1% of samples) and KL(predicted class histogram || uniform). At the end, on the test split, read
once: FD of 1,000 samples against the 1,000 test digits, and the Parzen-window log-likelihood of 10,000 samples with
the protocol of Goodfellow et al. 2014 (sigma from logspace(-1, 0, 10) chosen on the 1,000 validation digits, mean
and standard error on the 1,000 test digits; pixels in [0, 1]), a weak, high-variance estimator in 784 dimensions
(Theis et al. 2016), reported only for comparability with the GAN papers' tables. `results/NAME.json` holds each
run's curve, final scores, wall time and machine.

* `wgan-mlp`: the paper's MLP recipe (4-layer 512-wide MLPs, RMSProp 5e-5, clipping 0.01, batch 64, 5 critic steps,
  100 for the first 25 iterations), on the device loop.
* `wgan-dcgan32`: DCGAN nets of width 32 with learning rate 2e-4 (the fast variant of `experiments/README.md`).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).parent
COMMAND = ".venv/bin/python experiments/digit_scores/run.py"


def configs() -> dict:
  from jgan.configs.base import Config
  return {
      "wgan-mlp": (Config(game="wgan", arch="mlp", generator_features=512, critic_features=512, steps=2000,
                          heldout=2000, eval_every=250, sample_every=500, checkpoint_every=2000, log_every=50),
                   (250, 500, 1000, 2000)),
      "wgan-dcgan32": (Config(game="wgan", arch="dcgan", generator_features=32, critic_features=32, latent_dim=100,
                              learning_rate=2e-4, steps=500, heldout=2000, eval_every=100, sample_every=100,
                              checkpoint_every=500),
                       (100, 200, 300, 500)),
  }


def test_scores(run_dir: pathlib.Path) -> dict:
  """FD against the test digits and the Parzen estimate (sigma on validation, log-likelihood on test)."""
  import numpy as np
  from jgan import sample
  from jgan.data import splits
  from jgan.eval import digits
  from jgan.eval import parzen as parzen_window
  state, config, meta = sample.load_generator(run_dir)
  generated = sample.sample(state, config, meta, 10_000, seed=1)
  validation = splits.load_split("digits", "validation").images
  test = splits.load_split("digits", "test").images
  scorer = digits.load_digit_scorer()
  fd = scorer.digit_scores(generated[:len(test)], real_statistics=scorer.statistics(test))["fd"]
  as_unit = lambda images: images.astype(np.float32) / 255.0
  parzen = parzen_window.parzen_evaluate(as_unit(generated), as_unit(validation), as_unit(test))
  return {"fd_test": fd, "parzen": parzen, "samples_fd": len(test), "samples_parzen": len(generated)}


def train_and_record(name: str, out: pathlib.Path) -> dict:
  import jax
  from jgan import parallel, train
  config, budgets = configs()[name]
  workdir = out / name
  start = time.perf_counter()
  train.run(config, workdir, overwrite=True, progress=False, mesh=parallel.make_mesh(jax.devices()[:1]))
  minutes = (time.perf_counter() - start) / 60
  rows = [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]
  curve = [{"step": r["step"], "fd": r["eval_fd"], "is": r["eval_is"], "classes": r["eval_class_coverage"],
            "class_kl": r["eval_class_kl"]} for r in rows if "eval_fd" in r]
  (HERE / name).mkdir(exist_ok=True)
  for artifact in ("eval.png", "wasserstein.png", f"samples/step_{config.steps:06d}.png"):
    (HERE / name / pathlib.Path(artifact).name).write_bytes((workdir / artifact).read_bytes())
  return {"run": name, "command": f"{COMMAND} --only {name}", "config": {"steps": config.steps, "arch": config.arch},
          "budgets": list(budgets), "curve_vs_training_digits": curve, "test": test_scores(workdir),
          "wall_minutes": round(minutes, 1), "load_average_at_end": round(os.getloadavg()[0], 2),
          "jax": jax.__version__, "date": datetime.date.today().isoformat()}


def table() -> str:
  results = [json.loads(p.read_text()) for p in sorted((HERE / "results").glob("*.json"))]
  lines = ["# WGAN on the digits: digit-classifier scores at fixed budgets", "",
           f"Command: `{COMMAND}` (train, score, write `results/`), then `{COMMAND} --table` (this page).", "",
           "The protocol is in `run.py`'s docstring. Training used the 8,000 training digits only. The curve's scores",
           "come from 2,500 samples of fixed codes against 2,500 training digits (the evaluation hook's); the final FD and the",
           "Parzen estimate are read once on the 1,000 test digits (its sigma chosen on the 1,000 validation digits).",
           "Wall minutes were measured while other jobs loaded the 2-core machine (the load average at the end is in",
           "each result file).", "",
           "| run | generator iterations | FD | Inception score | classes covered | class KL |",
           "|---|---|---|---|---|---|"]
  for r in results:
    for point in r["curve_vs_training_digits"]:
      if point["step"] in (0, *r["budgets"]):
        lines.append(f"| {r['run']} | {point['step']} | {point['fd']:.2f} | {point['is']:.2f} | "
                     f"{point['classes']:.0f} | {point['class_kl']:.3f} |")
  lines += ["", "At the end, on the test split (read once):", "",
            "| run | iterations | wall minutes | FD (1,000 samples vs 1,000 test digits) | Parzen sigma | "
            "Parzen log-likelihood (nats) |", "|---|---|---|---|---|---|"]
  for r in results:
    t = r["test"]
    lines.append(f"| {r['run']} | {r['config']['steps']} | {r['wall_minutes']} | {t['fd_test']:.1f} | "
                 f"{t['parzen']['sigma']:.3f} | {t['parzen']['mean']:.1f} ± {t['parzen']['std_error']:.1f} |")
  lines += ["", "Goodfellow et al. 2014 Table 1 (MNIST, 60,000 training digits, sigma on validation): GAN 225 ± 2."]
  return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("runs/digit_scores"))
  parser.add_argument("--only", nargs="*", choices=sorted(configs()), help="runs to train (default: both)")
  parser.add_argument("--table", action="store_true", help="only rebuild README.md from results/")
  args = parser.parse_args(argv)
  if not args.table:
    (HERE / "results").mkdir(exist_ok=True)
    for name in args.only or configs():
      result = train_and_record(name, args.out)
      (HERE / "results" / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
      print(json.dumps(result["test"]), flush=True)
  (HERE / "README.md").write_text(table())


if __name__ == "__main__":
  main()
