"""Adversarial autoencoders (Makhzani et al. 2015, arXiv:1511.05644) and the VAE baseline on the embedded digits.

    python -m jgan.experiments.aae [--mode unsupervised|supervised|semi_supervised|clustering]
        [--prior gaussian|mixture|swissroll] [--labels N] [--model aae|vae] [--steps N] [--out DIR] [--resume]
    python -m jgan.experiments.aae evaluate DIR [--split test|validation] [--parzen-samples 10000]

The first trains (outputs as every experiment, plus reconstructions, held-out code plots and the decoded
manifold: see jgan/autoencoders/experiment.py); `--mode` picks that mode's recipe (`jgan.configs.aae.get_config`:
the paper's Appendix A for semi_supervised and clustering) and every other flag's default comes from it. Training
evaluates on the validation split. The second scores the run's latest checkpoint on `--split` (test: read once per
reported number): reconstruction error, W1 between codes and prior, classification or clustering error,
digit-scorer figures and, unless --parzen-samples 0, the Parzen-window log-likelihood; prints them and writes
DIR/scores_SPLIT.json.
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
  parser.add_argument("--split", default="test", choices=("validation", "test"),
                      help="the split to score (choose on validation; read test once per reported number)")
  parser.add_argument("--parzen-samples", type=int, default=10000,
                      help="decoded samples of the Parzen window (0: no Parzen estimate)")
  args = parser.parse_args(argv)
  if args.parzen_samples < 0:
    print(f"error: --parzen-samples must be >= 0, got {args.parzen_samples}", file=sys.stderr)
    return 2
  from jgan.autoencoders.experiment import final_scores
  try:
    scores = final_scores(args.run_dir, args.split, parzen_samples=args.parzen_samples)
  except ValueError as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  (pathlib.Path(args.run_dir) / f"scores_{args.split}.json").write_text(json.dumps(scores, indent=2))
  print(json.dumps(scores))
  return 0


def main(argv: list[str] | None = None, recipe: aae.AAEConfig | None = None, name: str = "aae",
         doc: str = __doc__) -> int:
  argv = sys.argv[1:] if argv is None else argv
  if argv[:1] == ["evaluate"]:
    return evaluate_main(argv[1:])
  if recipe is None:
    recipe = aae.get_config(_mode(argv))
  return cli.main(name, recipe, doc, argv, run=_run, unit="iterations")


def _mode(argv: list[str]) -> str:
  """The `--mode` of `argv` (unsupervised without one), whose recipe supplies the other flags' defaults; an unknown
  mode is left to the full parser, whose error lists the allowed ones."""
  parser = argparse.ArgumentParser(add_help=False)
  parser.add_argument("--mode", default="unsupervised")
  mode = parser.parse_known_args(argv)[0].mode
  return mode if mode in aae.MODES else "unsupervised"


def _run(config, out, **kwargs):
  from jgan import loop
  from jgan.autoencoders.experiment import run
  with loop.launched(commands=("python -m {module} evaluate {dir}",)):  # named in the run's closing lines
    return run(config, out, **kwargs)


if __name__ == "__main__":
  sys.exit(main())
