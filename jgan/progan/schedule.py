"""The stages of progressive growing, in iterations (Karras et al. 2018, Sec. 2 and A.1).

The paper counts real images: the first resolution trains `stable_images`, each later one first fades in over
`fade_images` (alpha rising linearly from 0 to 1), then trains `stable_images` more; the last resolution trains on
until the run ends. A stage of `n` images at batch `b` is ceil(n / b) iterations. Without `progressive` there is one
stable stage at the final resolution (the fixed-resolution baseline). Everything here is a pure function of the
config and the iteration, so a resumed run finds itself in the same stage with the same alpha.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from jgan.progan import nets


@dataclasses.dataclass(frozen=True)
class Stage:
  """Iterations [start, start + length) at `resolution`, fading in (alpha = (step - start) / length) or stable."""

  index: int
  resolution: int
  fading: bool
  start: int
  length: int  # the last stage's is the remainder of the run (at least 1)
  batch_size: int

  @property
  def name(self) -> str:
    return f"{'fade-in' if self.fading else 'stable'} {self.resolution}x{self.resolution}"

  @property
  def key(self) -> tuple[int, bool]:
    """What its compiled step depends on besides the state: (resolution, fading)."""
    return self.resolution, self.fading


class Schedule:
  """The stages of a config's run, and per iteration its stage, alpha and relative cost."""

  def __init__(self, config, steps: int | None = None):
    self.config = config
    steps = config.steps if steps is None else steps
    start_size = config.start_size if config.progressive else config.image_size
    self.resolutions = nets.resolutions(start_size, config.image_size)
    stages, start = [], 0
    for res in self.resolutions:
      batch = config.batch_at(res)
      for fading in ((True, False) if res > start_size else (False,)):
        images = config.fade_images if fading else config.stable_images
        length = math.ceil(images / batch)
        stages.append(Stage(len(stages), res, fading, start, length, batch))
        start += length
    last = stages[-1]
    stages[-1] = dataclasses.replace(last, length=max(1, steps - last.start))
    self.stages = tuple(stages)

  def stage_at(self, step: int) -> Stage:
    """The stage iteration `step` (0-based) belongs to."""
    for stage in reversed(self.stages):
      if step >= stage.start:
        return stage
    raise ValueError(f"step must be >= 0, got {step}")

  def alpha(self, step: int) -> float:
    stage = self.stage_at(step)
    return min(1.0, (step - stage.start) / stage.length) if stage.fading else 1.0

  def cost(self, stage: Stage) -> float:
    """Relative cost of one iteration of `stage`: batch x MACs of both nets' passes at its resolution (a fading
    iteration also runs the previous resolution's small toRGB / fromRGB path, neglected)."""
    c = self.config
    return stage.batch_size * nets.conv_macs(c.image_size, 1, c.feature_base, c.feature_max, c.start_size,
                                             stage.resolution)

  def iteration_costs(self, steps: np.ndarray) -> np.ndarray:
    costs = np.empty(len(steps))
    for stage in self.stages:
      end = stage.start + stage.length if stage is not self.stages[-1] else np.inf
      costs[(steps >= stage.start) & (steps < end)] = self.cost(stage)
    return costs / costs.max() if len(costs) else costs

  def total_cost(self, steps: int) -> float:
    """Sum of `cost` over iterations 0 .. steps - 1 (unnormalised): equal-compute comparisons."""
    total = 0.0
    for stage in self.stages:
      end = steps if stage is self.stages[-1] else min(steps, stage.start + stage.length)
      total += max(0, end - stage.start) * self.cost(stage)
    return total
