"""Presets: named changes to an experiment's recipe, chosen with `--preset NAME`.

`paper` (every experiment's default) is the paper's recipe as `get_config()` gives it; an experiment may give it a
`Preset` with no fields whose purpose says what to expect of it (the WGAN's grey samples). `fast` exists where that
recipe is slow to show anything on a 2-core CPU (the WGAN's learning rate of 5e-5 leaves its samples grey for
minutes; pix2pix's 50,000 updates): smaller nets, a higher rate or fewer updates, so that readable samples appear
in a few minutes. A preset only moves the flags' defaults: a flag given on the command line still wins, and the run
records the resulting config, not the preset's name, so a run is reproduced from its config alone.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

PAPER = "paper"


class Preset(NamedTuple):
  """Field values that replace the recipe's, and one line saying what they are for."""

  purpose: str
  fields: dict[str, Any]

  def apply(self, recipe):
    """`recipe` (a frozen config dataclass) with this preset's fields."""
    unknown = sorted(set(self.fields) - {f.name for f in dataclasses.fields(recipe)})
    if unknown:  # a preset naming a field its config lacks is a bug in jgan, caught by the tests
      raise ValueError(f"preset sets {unknown}, which {type(recipe).__name__} does not have")
    return dataclasses.replace(recipe, **self.fields)

  def describe(self) -> str:
    """'purpose: field=value, ...' as `--help` shows it."""
    settings = ", ".join(f"--{name.replace('_', '-')} {value}" for name, value in self.fields.items())
    return f"{self.purpose}: {settings}"


def what_to_expect(chosen: str, presets: dict[str, Preset] | None) -> list[str]:
  """The lines a run prints at its start: what the chosen preset is for and, on the paper's recipe, the faster
  preset there is."""
  presets = presets or {}
  lines = []
  if chosen in presets and presets[chosen].purpose:
    lines.append(f"--preset {chosen}: {presets[chosen].purpose}")
  if chosen == PAPER and "fast" in presets:
    lines.append(f"--preset fast instead: {presets['fast'].purpose.split(':')[0]}")
  return lines
