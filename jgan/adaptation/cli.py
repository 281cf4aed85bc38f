"""The adaptation experiments' command line: training flags (`jgan.cli`), plus `evaluate DIR [--split S]`."""

from __future__ import annotations

import importlib

from jgan import evaluating_cli


def _lazy(name: str):
  """`jgan.adaptation.experiment.<name>`, imported when called (so that --help does not import jax)."""
  return lambda *args, **kwargs: getattr(importlib.import_module("jgan.adaptation.experiment"), name)(*args, **kwargs)


def main(name: str, recipe, doc: str, argv: list[str] | None = None) -> int:
  return evaluating_cli.main(name, recipe, doc, argv, run=_lazy("run"), final_scores=_lazy("final_scores"))
