"""Adversarial autoencoders (Makhzani et al. 2015, arXiv:1511.05644) and the VAE baseline on the embedded digits.

    python -m jgan.experiments.aae [--mode unsupervised|supervised|semi_supervised|clustering]
        [--prior gaussian|mixture|swissroll] [--labels N] [--model aae|vae] [--steps N] [--out DIR] [--resume]
    python -m jgan.experiments.aae evaluate DIR [--parzen-samples 10000]

The first trains (outputs as every experiment, plus reconstructions, held-out code plots and the decoded
manifold: see jgan/autoencoders/experiment.py). The second scores the run's latest checkpoint on its held-out
images (reconstruction error, W1 between codes and prior, test or clustering error, digit-scorer figures and
the Parzen-window log-likelihood), prints them and writes DIR/scores.json.
Config: jgan/configs/aae.py; phases: jgan/autoencoders/steps.py; nets: jgan/models/autoencoder.py; priors:
jgan/data/priors.py.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

from jgan import cli
from jgan.configs import aae


def evaluate_main(argv: list[str]) -> int:
  parser = argparse.ArgumentParser(prog="python -m jgan.experiments.aae evaluate")
  parser.add_argument("run_dir")
  parser.add_argument("--parzen-samples", type=int, default=10000, help="decoded samples of the Parzen window")
  args = parser.parse_args(argv)
  if args.parzen_samples < 1:
    print(f"error: --parzen-samples must be >= 1, got {args.parzen_samples}", file=sys.stderr)
    return 2
  from jgan.autoencoders.experiment import final_scores
  try:
    scores = final_scores(args.run_dir, parzen_samples=args.parzen_samples)
  except ValueError as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  (pathlib.Path(args.run_dir) / "scores.json").write_text(json.dumps(scores, indent=2))
  print(json.dumps(scores))
  return 0


def main(argv: list[str] | None = None, recipe: aae.AAEConfig | None = None, name: str = "aae",
         doc: str = __doc__) -> int:
  argv = sys.argv[1:] if argv is None else argv
  if argv[:1] == ["evaluate"]:
    return evaluate_main(argv[1:])
  return cli.main(name, recipe or aae.get_config(), doc, argv, run=_run, unit="iterations")


def _run(config, out, **kwargs):
  from jgan import loop
  from jgan.autoencoders.experiment import run
  with loop.launched(commands=("python -m {module} evaluate {dir}",)):  # named in the run's closing lines
    return run(config, out, **kwargs)


if __name__ == "__main__":
  sys.exit(main())
