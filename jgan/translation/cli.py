"""The translation experiments' command line: training flags (`jgan.cli`), plus `evaluate DIR [--split S]`."""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

from jgan import cli


def evaluate_main(name: str, argv: list[str]) -> int:
  parser = argparse.ArgumentParser(prog=f"python -m jgan.experiments.{name} evaluate")
  parser.add_argument("run_dir")
  parser.add_argument("--split", default="test", choices=("validation", "test"),
                      help="the split to score (choose on validation; read test once per reported number)")
  args = parser.parse_args(argv)
  from jgan.translation.experiment import final_scores
  try:
    scores = final_scores(args.run_dir, args.split)
  except ValueError as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  (pathlib.Path(args.run_dir) / f"scores_{args.split}.json").write_text(json.dumps(scores, indent=2))
  print(json.dumps(scores))
  return 0


def main(name: str, recipe, doc: str, argv: list[str] | None = None) -> int:
  argv = sys.argv[1:] if argv is None else argv
  if argv[:1] == ["evaluate"]:
    return evaluate_main(name, argv[1:])
  return cli.main(name, recipe, doc, argv, run=_run, unit="iterations")


def _run(config, out, **kwargs):
  from jgan.translation.experiment import run
  return run(config, out, **kwargs)
