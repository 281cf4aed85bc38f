"""Summaries of a metric over repeated runs (seeds), as the reproduction tables in `experiments/` print them."""

from __future__ import annotations

import statistics
from typing import Sequence


def mean_and_spread(values: Sequence[float], fmt: str = ".3f") -> str:
  """'mean ± sd' of `values` formatted with `fmt`: the sample standard deviation (n - 1 in the denominator).

  A single value prints as 'value (1 seed)': it has no spread, and '± 0.0' would read as one. '(not run)' when there
  are none. None values (a score undefined for that run) are left out and counted: '0.12 ± 0.03 (undefined in 1 of 3)',
  '0.12 (defined in 1 of 3)', or 'undefined' when all are."""
  undefined = sum(v is None for v in values)
  if values and undefined == len(values):
    return "undefined"
  if undefined:
    defined = [v for v in values if v is not None]
    if len(defined) == 1:
      return f"{format(defined[0], fmt)} (defined in 1 of {len(values)})"
    return f"{mean_and_spread(defined, fmt)} (undefined in {undefined} of {len(values)})"
  if not values:
    return "(not run)"
  if len(values) == 1:
    return f"{format(values[0], fmt)} (1 seed)"
  return f"{format(statistics.mean(values), fmt)} ± {format(statistics.stdev(values), fmt)}"
