"""SeqGAN's command line: training flags (`jgan.cli`), plus `evaluate DIR [--split S]`."""

from __future__ import annotations

from jgan import evaluating_cli


def main(name: str, recipe, doc: str, argv: list[str] | None = None) -> int:
  return evaluating_cli.main(name, recipe, doc, argv, run=_run, final_scores=_final_scores)


def _run(config, out, **kwargs):
  from jgan.seqgan.experiment import run
  return run(config, out, **kwargs)


def _final_scores(run_dir, split):
  from jgan.seqgan.experiment import final_scores
  return final_scores(run_dir, split)
