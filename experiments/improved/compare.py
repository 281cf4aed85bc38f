"""One table for issue 10: GAN, non-saturating GAN, WGAN, WGAN-GP, SN-GAN, GAN + minibatch discrimination and
GAN + feature matching, at equal budgets, several seeds, on the 8-ring, the 25-grid and the embedded digits.

    .venv/bin/python experiments/improved/compare.py --out /tmp/compare [--seeds 0 1 2] [--shard 0/2]
    .venv/bin/python experiments/improved/compare.py --table    # writes COMPARISON.md here from comparison/

Each run writes its final scores to `comparison/<dataset>_<model>_seed<seed>.json` beside this script (the
numbers COMPARISON.md cites, with the run's command and wall seconds); its checkpoints and logs stay under --out.

Equal budget: the same number of generator iterations and the same batch for every model on a data set (the
WGANs' 5 critic steps per iteration make theirs the costlier runs; the table shows each run's wall seconds).
Each model keeps its own paper's optimizer and discriminator steps:

* GAN (Goodfellow et al. 2014, the minimax generator loss log(1 - D(G(z)))), NS-GAN (the -log D(G(z)) loss),
  GAN + minibatch discrimination (Salimans et al. 2016, 100 kernels of dimension 5 before the output, their
  CIFAR code's size; non-saturating loss) and GAN + feature matching (Salimans et al., the last hidden layer):
  Adam, beta1 0.5, one D step per G step; learning rate 1e-4 on the toys (the nets and rate of the mode-coverage
  protocol, `experiments/mode_coverage/run.py`) and 2e-4 on digits (DCGAN's).
* WGAN (Arjovsky et al. 2017): RMSProp 5e-5, clipping 0.01, 5 critic steps and the reference's 100-step
  iterations (the first 25 and every 500th): `jgan/configs/wgan.py`.
* WGAN-GP (Gulrajani et al. 2017): lambda 10, Adam 1e-4, betas (0, 0.9), 5 critic steps, layer norm in the
  convolutional critic: `jgan/configs/wgan_gp.py`.
* SN-GAN (Miyato et al. 2018): one power iteration on every critic layer, no batch norm, Adam 2e-4, betas
  (0.5, 0.999), non-saturating loss: `jgan/configs/sngan.py`.

Toys: the mode-coverage protocol (VEEGAN/PacGAN: 2,500 samples, high quality within 3 std of a mode, modes
captured, KL of the mode histogram to uniform, exact W1 to 2,500 data points), MLP nets (generator 3 x 400,
discriminator 3 x 200, 2-d normal z, batch 100). Digits: DCGAN nets at `--digit-features` filters on the 10,000
embedded digits padded to 32x32, 100-d normal z, batch 64, the digit classifier's Frechet distance, Inception
score, classes covered and class KL on 2,000 samples (`jgan.eval.during_training`). All runs on one CPU device.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import statistics
import sys
import time

HERE = pathlib.Path(__file__).parent
MODELS = ("GAN", "NS-GAN", "WGAN", "WGAN-GP", "SN-GAN", "GAN + minibatch disc.", "GAN + feature matching")
DATASETS = ("ring8", "grid25", "digits")
TOY_METRICS = (("eval_modes", "modes captured", ".1f", 1), ("eval_high_quality", "% high quality", ".1f", 100),
               ("eval_mode_kl", "KL(modes ‖ uniform)", ".2f", 1), ("eval_w1", "W1 to data", ".3f", 1))
DIGIT_METRICS = (("eval_fd", "Fréchet distance", ".1f", 1), ("eval_is", "Inception score", ".2f", 1),
                 ("eval_class_coverage", "classes covered", ".1f", 1), ("eval_class_kl", "class KL", ".3f", 1))


def configs(dataset: str, steps: int, seed: int, digit_features: int = 16) -> dict:
  """The seven models' configs on `dataset` with `steps` generator iterations."""
  from jgan.configs import sngan, wgan, wgan_gp
  from jgan.configs.base import Config
  if dataset == "digits":
    common = dict(dataset="digits", arch="dcgan", image_size=32, latent_dim=100, latent="normal",
                  generator_features=digit_features, critic_features=digit_features, batch_size=64,
                  eval_samples=2000, loop="auto")
    rate = 2e-4
  else:
    common = dict(dataset=dataset, arch="mlp", latent_dim=2, latent="normal", generator_features=400,
                  critic_features=200, mlp_layers=3, batch_size=100, eval_samples=2500, loop="device")
    rate = 1e-4
  common.update(steps=steps, seed=seed, eval_every=steps, log_every=max(1, steps // 20), sample_every=steps,
                checkpoint_every=steps)
  gan = Config(game="gan", g_loss="minimax", optimizer="adam", learning_rate=rate, beta1=0.5, beta2=0.999,
               clip_value=0.0, n_critic=1, warmup_steps=0, warmup_n_critic=1, **common)
  ns = dataclasses.replace(gan, g_loss="non_saturating")
  recipe = lambda module: dataclasses.replace(module.get_config(), **common)  # noqa: E731
  return {"GAN": gan, "NS-GAN": ns, "WGAN": recipe(wgan), "WGAN-GP": recipe(wgan_gp), "SN-GAN": recipe(sngan),
          "GAN + minibatch disc.": dataclasses.replace(ns, minibatch_kernels=100, minibatch_kernel_dim=5),
          "GAN + feature matching": dataclasses.replace(gan, g_loss="feature_matching", feature_layer=-1)}


def slug(name: str) -> str:
  return name.lower().replace(" + ", "_").replace(" ", "_").replace(".", "").replace("-", "")


def jobs(args) -> list[tuple[str, str, int]]:
  """Seed-major, so that a cut-short sweep still has every cell, with fewer seeds."""
  seeds = lambda dataset: args.digit_seeds if dataset == "digits" and args.digit_seeds else args.seeds  # noqa: E731
  return [(dataset, name, seed) for seed in sorted(set(args.seeds) | set(args.digit_seeds or ()))
          for dataset in args.datasets if seed in seeds(dataset) for name in MODELS]


def result_path(results: pathlib.Path, dataset: str, name: str, seed: int) -> pathlib.Path:
  return results / f"{dataset}_{slug(name)}_seed{seed}.json"


def run_all(args) -> None:
  import jax
  from jgan import configs as _  # noqa: F401  (imports the package before timing)
  from jgan import parallel, train
  from jgan.configs.base import validate
  mesh = parallel.make_mesh(jax.devices()[:1])
  index, count = (int(part) for part in args.shard.split("/"))
  todo = jobs(args)
  for job in todo:  # every config is checked before any training starts
    validate(configs(job[0], _steps(args, job[0]), job[2], args.digit_features)[job[1]])
  for i, (dataset, name, seed) in enumerate(todo):
    if i % count != index:
      continue
    workdir = args.out / dataset / slug(name) / f"seed{seed}"
    path = result_path(args.results, dataset, name, seed)
    if path.exists():
      continue
    config = configs(dataset, _steps(args, dataset), seed, args.digit_features)[name]
    start, cpu_start = time.perf_counter(), time.process_time()
    train.run(config, workdir, overwrite=True, progress=False, mesh=mesh)
    rows = [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]
    final = [r for r in rows if any(k.startswith("eval_") for k in r) and r["step"] == config.steps][-1]
    final["seconds"] = time.perf_counter() - start
    # CPU seconds of the process (all its threads): the cost of a run, which other jobs on the machine do not
    # inflate as they do its wall time.
    final["cpu_seconds"] = time.process_time() - cpu_start
    nonfinite = sum(r.get(k, 0.0) for r in rows for k in r if k.endswith("nonfinite"))
    final["nonfinite_steps"] = nonfinite
    final.update(dataset=dataset, model=name, seed=seed, command=" ".join(["experiments/improved/compare.py",
                 *sys.argv[1:]]))
    args.results.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(final, indent=1) + "\n")
    print(dataset, name, seed, {k: round(v, 3) for k, v in final.items() if isinstance(v, float)}, flush=True)


def _steps(args, dataset: str) -> int:
  return args.digit_steps if dataset == "digits" else args.toy_steps


def write_table(args) -> None:
  """COMPARISON.md from the result files in --results alone (their own commands are quoted)."""
  from jgan.eval.summary import mean_and_spread
  found = sorted(args.results.glob("*_seed*.json"))
  if not found:
    raise SystemExit(f"no result files (*_seed*.json) in {args.results}: run the comparison first")
  commands = sorted({json.loads(p.read_text())["command"] for p in found})
  lines = ["# GANs side by side: equal budgets, several seeds", "",
           "Written by `experiments/improved/compare.py --table` from the result files in `comparison/` (one per "
           "data set, model and seed: the final scores and wall seconds), which these runs wrote:", "",
           *[f"    .venv/bin/python {command}" for command in commands],
           "", "See the docstring of `compare.py` for the models' recipes and the protocol. Mean ± standard "
           "deviation over seeds. CPU seconds: the mean CPU time of one run's process (all threads), training and "
           "its evaluations included, on the 2-core machine; the runs shared it with other jobs, so their wall "
           "times (`seconds` in the result files) are longer and say little.", ""]
  for dataset in args.datasets:
    metrics = DIGIT_METRICS if dataset == "digits" else TOY_METRICS
    steps = sorted({json.loads(p.read_text())["step"] for p in found if p.name.startswith(f"{dataset}_")})
    if not steps:
      continue
    lines += [f"## {dataset} ({', '.join(map(str, steps))} generator iterations)", "",
              "| model | " + " | ".join(m[1] for m in metrics) + " | seeds | CPU seconds |",
              "|---" * (len(metrics) + 3) + "|"]
    for name in MODELS:
      results = [json.loads(p.read_text()) for p in sorted(args.results.glob(f"{dataset}_{slug(name)}_seed*.json"))]
      cells = [mean_and_spread([None if r.get(key) is None else scale * r[key] for r in results], fmt)
               for key, _, fmt, scale in metrics]
      seconds = f"{statistics.mean(r['cpu_seconds'] for r in results):.0f}" if results else ""
      flag = " (non-finite steps!)" if any(r.get("nonfinite_steps") for r in results) else ""
      lines.append(f"| {name}{flag} | " + " | ".join(cells) + f" | {len(results)} | {seconds} |")
    lines.append("")
  missing = [f"{dataset} {name}" for dataset in args.datasets for name in MODELS
             if not list(args.results.glob(f"{dataset}_{slug(name)}_seed*.json"))]
  if missing:
    lines += ["Not run yet (the commands above continue where they stopped: a run whose result file exists is "
              f"skipped): {', '.join(missing)}.", ""]
  (HERE / "COMPARISON.md").write_text("\n".join(lines))
  print("\n".join(lines))


def main(argv: list[str] | None = None) -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("/tmp/compare"),
                      help="the runs' directories (checkpoints, logs)")
  parser.add_argument("--results", type=pathlib.Path, default=HERE / "comparison",
                      help="one JSON of final scores per data set, model and seed (default: comparison/ here)")
  parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
  parser.add_argument("--digit-seeds", type=int, nargs="*", default=None, help="default: --seeds")
  parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
  parser.add_argument("--toy-steps", type=int, default=5000)
  parser.add_argument("--digit-steps", type=int, default=500)
  parser.add_argument("--digit-features", type=int, default=16)
  parser.add_argument("--shard", default="0/1", help="K/N: run every N-th job from the K-th (processes side by side)")
  parser.add_argument("--table", action="store_true", help="only write COMPARISON.md from finished runs")
  args = parser.parse_args(argv)
  if args.table:
    write_table(args)
  else:
    run_all(args)


if __name__ == "__main__":
  sys.exit(main())
