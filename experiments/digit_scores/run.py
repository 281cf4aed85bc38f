"""WGAN on the embedded digits, scored by the project's digit classifier at fixed budgets of generator iterations.

    .venv/bin/python experiments/digit_scores/run.py [--out runs/digit_scores]

Two runs of `jgan.train.run`, evaluated every `--every` generator iterations on 2,500 samples from fixed latent
codes (`--eval-every`; `jgan/eval/during_training.py`): the Frechet distance in the classifier's penultimate features
(FD; the real-vs-real floor for two disjoint 2,500-digit sets is printed beside it), the classifier Inception
score (10 at most; real digits score about 9.8), class coverage (classes holding >= 1% of samples) and
KL(predicted class histogram || uniform). At the end, the Parzen-window log-likelihood of 10,000 samples with the
protocol of Goodfellow et al. 2014 (sigma from logspace(-1, 0, 10) chosen on 1,000 digits, mean and standard error
on 1,000 others; pixels in [0, 1]) — a weak, high-variance estimator in 784 dimensions (Theis et al. 2016),
reported only for comparability with the GAN papers' tables. The embedded set has no separate test split: those
digits were in the GAN's training data.

* `wgan-mlp`: the paper's MLP recipe (4-layer 512-wide MLPs, RMSProp 5e-5, clipping 0.01, batch 64, 5 critic steps,
  100 for the first 25 iterations), on the device loop.
* `wgan-dcgan32`: DCGAN nets of width 32 with learning rate 2e-4 (the fast variant of `experiments/README.md`).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).parent


def configs() -> dict:
  from jgan.configs.base import Config
  return {
      "wgan-mlp": (Config(game="wgan", arch="mlp", generator_features=512, critic_features=512, steps=2000,
                          eval_every=250, sample_every=500, checkpoint_every=2000, log_every=50), (250, 500, 1000, 2000)),
      "wgan-dcgan32": (Config(game="wgan", arch="dcgan", generator_features=32, critic_features=32, latent_dim=100,
                              learning_rate=2e-4, steps=500, eval_every=100, sample_every=100, checkpoint_every=500),
                       (100, 200, 300, 500)),
  }


def parzen(run_dir: pathlib.Path) -> dict:
  import numpy as np
  from jgan import data, sample
  from jgan.eval import parzen as parzen_window
  state, config, meta = sample.load_generator(run_dir)
  generated = sample.sample(state, config, meta, 10_000, seed=1).astype(np.float32) / 255.0
  images = data.load("digits").images.astype(np.float32) / 255.0
  order = np.random.default_rng(0).permutation(len(images))
  return parzen_window.parzen_evaluate(generated, images[order[:1000]], images[order[1000:2000]])


def main(argv: list[str] | None = None) -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--out", default="runs/digit_scores")
  parser.add_argument("--reuse", action="store_true", help="score finished runs found in --out instead of training")
  args = parser.parse_args(argv)
  import jax
  from jgan import data, parallel, train
  from jgan.eval import digits
  mesh = parallel.make_mesh(jax.devices()[:1])
  scorer = digits.load_digit_scorer()
  real = data.resize_images(data.load("digits").images, 32)
  floor = scorer.fd_floor(real[jax.numpy.asarray(jax.random.permutation(jax.random.PRNGKey(0), len(real)))[:5000]])
  lines = ["# WGAN on the digits: digit-classifier scores at fixed budgets", "",
           f"Command: `.venv/bin/python {' '.join(sys.argv)}`", "",
           f"FD floor (two disjoint sets of 2,500 real digits): {floor:.2f}. Real digits: Inception score about 9.8, "
           "10 classes covered, class KL about 0.002. See `run.py` for the protocol.", "",
           "| run | generator iterations | FD | Inception score | classes covered | class KL | wall minutes |",
           "|---|---|---|---|---|---|---|"]
  parzen_lines = ["", "Parzen-window log-likelihood of 10,000 samples (nats; higher is better; weak estimator):", "",
                  "| run | sigma | mean log-likelihood | standard error |", "|---|---|---|---|"]
  for name, (config, budgets) in configs().items():
    workdir = pathlib.Path(args.out) / name
    t0 = time.perf_counter()
    finished = args.reuse and (workdir / "metrics.jsonl").exists()
    if not finished:
      train.run(config, workdir, overwrite=True, progress=False, mesh=mesh)
    rows = [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]
    minutes = (max(r.get("time", 0.0) for r in rows) if finished else time.perf_counter() - t0) / 60
    evals = {r["step"]: r for r in rows if "eval_fd" in r}
    for step in (0, *budgets):
      r = evals[step]
      lines.append(f"| {name} | {step} | {r['eval_fd']:.2f} | {r['eval_is']:.2f} | {r['eval_class_coverage']:.0f} | "
                   f"{r['eval_class_kl']:.3f} | {minutes if step == budgets[-1] else '':{'.1f' if step == budgets[-1] else ''}} |")
    p = parzen(workdir)
    parzen_lines.append(f"| {name} | {p['sigma']:.3f} | {p['mean']:.1f} | {p['std_error']:.1f} |")
    (HERE / name).mkdir(exist_ok=True)
    for artifact in ("eval.png", "wasserstein.png", f"samples/step_{config.steps:06d}.png"):
      (HERE / name / pathlib.Path(artifact).name).write_bytes((workdir / artifact).read_bytes())
    print("\n".join(lines + parzen_lines), flush=True)
  parzen_lines += ["", "Goodfellow et al. 2014 Table 1 (MNIST, 60,000 training digits): GAN 225 ± 2.", ""]
  (HERE / "README.md").write_text("\n".join(lines + parzen_lines) + "\n")


if __name__ == "__main__":
  main()
