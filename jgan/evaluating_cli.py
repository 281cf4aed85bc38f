"""The command line of families whose runs are scored after training: the training flags (`jgan.cli`), plus
`evaluate DIR [--split S]`, which scores a run's latest checkpoint on a split and writes DIR/scores_<split>.json.

    python -m jgan.experiments.NAME [flags]                  # train
    python -m jgan.experiments.NAME evaluate DIR --split test  # score (choose on validation; test read once)
"""

from __future__ import annotations

import argparse
import importlib
import json
import pathlib
import sys
from typing import Callable

from jgan import cli


def evaluate_main(name: str, final_scores: Callable[[str, str], dict], argv: list[str]) -> int:
  parser = argparse.ArgumentParser(prog=f"python -m jgan.experiments.{name} evaluate")
  parser.add_argument("run_dir")
  parser.add_argument("--split", default="test", choices=("validation", "test"),
                      help="the split to score (choose on validation; read test once per reported number)")
  args = parser.parse_args(argv)
  try:
    scores = final_scores(args.run_dir, args.split)
  except ValueError as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  (pathlib.Path(args.run_dir) / f"scores_{args.split}.json").write_text(json.dumps(scores, indent=2))
  print(json.dumps(scores))
  return 0


def main(name: str, recipe, doc: str, argv: list[str] | None, *, run: Callable, final_scores: Callable,
         presets: dict | None = None) -> int:
  """`evaluate ...` scores a run with `final_scores(run_dir, split)`; anything else trains with `run` (the recipe,
  or one of its `presets`)."""
  argv = sys.argv[1:] if argv is None else argv
  if argv[:1] == ["evaluate"]:
    return evaluate_main(name, final_scores, argv[1:])
  return cli.main(name, recipe, doc, argv, run=run, unit="iterations", presets=presets)


def for_family(experiment: str, commands: tuple[str, ...] = ()) -> Callable[..., int]:
  """The `main(name, recipe, doc, argv=None, presets=None)` of a family whose module `experiment` has `run(config, out, **kwargs)`
  and `final_scores(run_dir, split)`. The module (and so JAX) is imported only when a command runs, so `--help`
  stays fast; `commands` (with `{dir}` and `{module}` placeholders) are named at the end of a run
  (`jgan.loop.launched`)."""

  def run(config, out, **kwargs):
    from jgan import loop
    with loop.launched(commands=commands):
      return importlib.import_module(experiment).run(config, out, **kwargs)

  def final_scores(run_dir: str, split: str) -> dict:
    return importlib.import_module(experiment).final_scores(run_dir, split)

  def family_main(name: str, recipe, doc: str, argv: list[str] | None = None, presets: dict | None = None) -> int:
    return main(name, recipe, doc, argv, run=run, final_scores=final_scores, presets=presets)
  return family_main
