"""Sections that each family's configuration is composed from.

A family's configuration is one frozen dataclass that inherits the sections it uses, for example
`class Pix2PixConfig(ImagePairsData, AdamOptimizer, RunConfig)`, and adds its model's own fields; so every
family states its data, its optimizer and its run the same way, and no family carries another's fields. A
section checks its own fields in a `check(self)` method; `validate_sections` runs every section's check.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

from jgan.configs.run import check_run, check_types, field


def _finite_positive(config, *names: str) -> None:
  for name in names:
    value = getattr(config, name)
    if not (value > 0 and math.isfinite(value)):
      raise ValueError(f"{name} must be a finite number > 0, got {value}")


def check_finite_nonnegative(config, *names: str) -> None:
  """ValueError naming the first of `names` that is not a finite number >= 0 (a loss weight, say)."""
  for name in names:
    value = getattr(config, name)
    if not (value >= 0 and math.isfinite(value)):
      raise ValueError(f"{name} must be a finite number >= 0, got {value}")


def validate_sections(config, num_devices: int = 1) -> None:
  """Raises ValueError naming the first bad field, its value and what is allowed: the fields' types, then each
  section's `check` (base sections first), then the run's fields. Cheap: reads no data, compiles nothing."""
  check_types(config)
  for cls in reversed(type(config).__mro__):
    check = cls.__dict__.get("check")
    if check is not None:
      check(config)
  check_run(config, num_devices)


@dataclasses.dataclass(frozen=True)
class ImagePairsData:
  """Two-domain image data (`jgan.data.paired`): aligned pairs or unpaired domains, jittered as pix2pix does.

  Training images are resized to `load_size` and randomly cropped back to `image_size`, and flipped left-right
  with probability 1/2 (Isola et al. 2017, Sec. 6.2: "random jitter was applied by resizing the 256x256 input
  images to 286x286 and then randomly cropping back to size 256x256"); evaluation images are resized to
  `image_size` without jitter.
  """

  title: ClassVar[str] = "data: image pairs or domains, and their jitter"

  dataset: str = field("", "a paired or unpaired data set (jgan.data.paired): a task name or a folder")
  image_size: int = field(256, "side of the images the nets see (the random crop's side)")
  load_size: int = field(286, "side training images are resized to before the random crop (= image_size: none)")
  flip: bool = field(True, "flip training images left-right with probability 1/2")
  skip_bad_images: bool = field(False, "skip unreadable image files (counted on stderr) instead of stopping")

  def check(self) -> None:
    if self.image_size < 8 or self.image_size & (self.image_size - 1):
      raise ValueError(f"image_size must be a power of two >= 8, got {self.image_size}")
    if self.load_size < self.image_size:
      raise ValueError(f"load_size must be >= image_size ({self.image_size}), got {self.load_size}")


@dataclasses.dataclass(frozen=True)
class AdamOptimizer:
  """Adam for every phase, at a rate that is constant, then optionally falls linearly to zero (CycleGAN)."""

  title: ClassVar[str] = "optimizer: Adam, every phase"

  learning_rate: float = field(2e-4, "Adam's learning rate, every phase")
  beta1: float = field(0.5, "Adam's beta1")
  beta2: float = field(0.999, "Adam's beta2")
  decay_steps: int = field(0, "the last decay_steps iterations bring the rate linearly to 0 (0: constant)")

  def check(self) -> None:
    _finite_positive(self, "learning_rate")
    for name in ("beta1", "beta2"):
      if not 0 <= getattr(self, name) < 1:
        raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")
    if self.decay_steps < 0:
      raise ValueError(f"decay_steps must be >= 0, got {self.decay_steps}")
    if self.decay_steps > self.steps:
      raise ValueError(f"decay_steps ({self.decay_steps}) must be <= steps ({self.steps})")

  def learning_rate_schedule(self):
    """The rate as an Optax schedule of the update count (a number when constant)."""
    from jgan import transforms
    return transforms.constant_then_linear_decay(self.learning_rate, constant_steps=self.steps - self.decay_steps,
                                                 decay_steps=self.decay_steps)

  def adam(self):
    from jgan import transforms
    return transforms.adam(self.learning_rate_schedule(), b1=self.beta1, b2=self.beta2)
