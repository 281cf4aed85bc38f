"""The video prediction command line: training flags (`jgan.cli`), plus `evaluate DIR [--split S]`.

The experiment module (and JAX) is imported only once a command runs, so that `--help` is fast."""

from __future__ import annotations

from jgan import evaluating_cli


def _experiment():
  from jgan.video import experiment
  return experiment


def main(name: str, recipe, doc: str, argv: list[str] | None = None) -> int:
  return evaluating_cli.main(name, recipe, doc, argv,
                             run=lambda config, out, **kwargs: _experiment().run(config, out, **kwargs),
                             final_scores=lambda run_dir, split: _experiment().final_scores(run_dir, split))
