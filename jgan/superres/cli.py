"""The super-resolution experiments' command line: training flags (`jgan.cli`), plus `evaluate DIR [--split S]`."""

from __future__ import annotations

from jgan import evaluating_cli

# What a finished run is used with, named in its closing lines (`jgan.loop.Launch.commands`).
COMMANDS = ("python -m jgan.upscale --checkpoint {dir} IMAGE_OR_FOLDER --out upscaled",
            "python -m {module} evaluate {dir} --split validation")


def main(name: str, recipe, doc: str, argv: list[str] | None = None) -> int:
  return evaluating_cli.main(name, recipe, doc, argv, run=_run, final_scores=_final_scores)


def _run(config, out, **kwargs):
  from jgan import loop
  from jgan.superres.experiment import run
  with loop.launched(commands=COMMANDS):
    return run(config, out, **kwargs)


def _final_scores(run_dir, split):
  from jgan.superres.experiment import final_scores
  return final_scores(run_dir, split)
