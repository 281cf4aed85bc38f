"""The configuration of next-frame prediction (Mathieu, Couprie and LeCun 2016, arXiv:1511.05440), composed from the
shared sections.

The generator sees `input_frames` past frames (the paper: 4) and predicts the next one; longer horizons apply it
recursively on its own predictions. Its loss is (Sec. 3, Eq. 3-7)

    lp_weight * l_p + gdl_weight * GDL_alpha + adversarial_weight * L_adv,

and `recipe` picks the paper's combinations (Table 2's rows): `l2` (l_2 alone), `gdl` ("GDL l1": l_1 + GDL, alpha
1), `adversarial` ("Adv": l_2 + 0.05 L_adv) and `adversarial_gdl` ("Adv+GDL": l_1 + GDL + 0.05 L_adv; the paper's
lambda_adv = 0.05, lambda_lp = 1, lambda_gdl = 1, Sec. 4.1). A loss field left at its "from the recipe" value (0 for
`lp` and `gdl_alpha`, a negative weight) takes the recipe's; one set explicitly overrides it. `recipe custom` takes
all five from the flags (unset ones: p 2, alpha 1, weights lp 1, gdl 0, adversarial 0).

The paper trains 32x32 patches of Sports1m with SGD (generator 0.04, discriminator 0.02) and batches of 4..8; here
Adam (the shared `AdamOptimizer` section) is the default, a deviation listed in experiments/video/README.md.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal, NamedTuple

from jgan.configs.run import RunConfig, check_choices, field
from jgan.configs.sections import AdamOptimizer, check_finite_nonnegative, validate_sections

RECIPES = ("l2", "gdl", "adversarial", "adversarial_gdl", "custom")
ARCHITECTURES = ("paper32", "paper64")
OUTPUT_ACTIVATIONS = ("linear", "tanh")
# (p, lp_weight, alpha, gdl_weight, adversarial_weight) of each recipe (Mathieu et al. 2016, Table 2 and Sec. 4.1).
RECIPE_LOSSES = {"l2": (2, 1.0, 1, 0.0, 0.0), "gdl": (1, 1.0, 1, 1.0, 0.0), "adversarial": (2, 1.0, 1, 0.0, 0.05),
                 "adversarial_gdl": (1, 1.0, 1, 1.0, 0.05), "custom": (2, 1.0, 1, 0.0, 0.0)}


class Losses(NamedTuple):
  """The resolved loss: l_p's p and weight, GDL's alpha and weight, the adversarial weight."""

  p: int
  lp_weight: float
  alpha: int
  gdl_weight: float
  adversarial_weight: float


@dataclasses.dataclass(frozen=True)
class VideoData:
  """Clips: `moving_digits`, `vtest` (OpenCV's pedestrian clip, built by `python -m jgan.data.build_video`), a
  video file or a folder of frame images (`jgan.data.video`); training batches are random space-time crops."""

  title: ClassVar[str] = "data: clips and their space-time crops"

  dataset: str = field("moving_digits", "moving_digits, vtest (built by python -m jgan.data.build_video), a video "
                                        "file (decoded with PyAV) or a folder of frame images (in name order)")
  downscale: int = field(2, "box-filter factor applied to every frame first (moving digits: 64 -> 32 at 2)")
  image_size: int = field(32, "side of the training crops (a multiple of 8: the four scales halve it 3 times)")
  input_frames: int = field(4, "past frames the generator sees (the paper: 4)")
  train_clips: int = field(2000, "moving_digits: training clips (validation and test: eval_samples each)")
  clip_frames: int = field(20, "moving_digits: frames per clip")

  def check(self) -> None:
    for name in ("downscale", "input_frames", "train_clips"):
      if getattr(self, name) < 1:
        raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
    if self.image_size < 8 or self.image_size % 8:
      raise ValueError(f"image_size must be a positive multiple of 8 (four scales), got {self.image_size}")
    if self.clip_frames < self.input_frames + 2:
      raise ValueError(f"clip_frames must be >= input_frames + 2 = {self.input_frames + 2} (the 1st and 2nd "
                       f"predicted frames are scored), got {self.clip_frames}")


@dataclasses.dataclass(frozen=True)
class VideoNets:
  """The multi-scale generator and discriminator of the paper's Table 1 (`jgan.video.nets`)."""

  title: ClassVar[str] = "nets: multi-scale generator and discriminator"

  architecture: Literal["paper32", "paper64"] = field(
      "paper32", "layer sizes: paper32 (the paper's 32x32-patch model) or paper64 (the same scale nets on 64x64 "
                 "inputs; see jgan/video/nets.py)")
  width: float = field(1.0, "factor on every hidden layer's width (1: the paper's; smaller for CPU budgets)")
  output_activation: Literal["linear", "tanh"] = field(
      "linear", "each scale's output: linear (the paper's equations; clipped to [-1, 1] as frames) or tanh (the "
                "released code's; saturates at -1 with l_1 / GDL on mostly black frames, see jgan/video/nets.py)")

  def check(self) -> None:
    check_choices(self, (("architecture", ARCHITECTURES), ("output_activation", OUTPUT_ACTIVATIONS)))
    if not 0 < self.width <= 4:
      raise ValueError(f"width must be in (0, 4], got {self.width}")


@dataclasses.dataclass(frozen=True)
class VideoLosses:
  """The generator's loss terms (Mathieu et al. 2016, Eq. 3-7); see the module docstring for `recipe`."""

  title: ClassVar[str] = "losses: l_p, gradient difference, adversarial"

  recipe: Literal["l2", "gdl", "adversarial", "adversarial_gdl", "custom"] = field(
      "adversarial_gdl", "the paper's combinations: l2, gdl (l1 + GDL), adversarial (l2 + adv), adversarial_gdl "
                         "(l1 + GDL + adv), or custom (the flags below)")
  lp: int = field(0, "p of the l_p loss, 1 or 2 (0: the recipe's)")
  lp_weight: float = field(-1.0, "weight of l_p (negative: the recipe's)")
  gdl_alpha: int = field(0, "alpha of the gradient difference loss, 1 or 2 (0: the recipe's)")
  gdl_weight: float = field(-1.0, "weight of the gradient difference loss (negative: the recipe's)")
  adversarial_weight: float = field(-1.0, "weight of the adversarial loss (negative: the recipe's; the paper 0.05)")

  def check(self) -> None:
    check_choices(self, (("recipe", RECIPES), ("lp", (0, 1, 2)), ("gdl_alpha", (0, 1, 2))))
    losses = self.losses()
    check_finite_nonnegative(losses, "lp_weight", "gdl_weight", "adversarial_weight")
    if not (losses.lp_weight or losses.gdl_weight or losses.adversarial_weight):
      raise ValueError("every loss weight is 0: set lp_weight, gdl_weight or adversarial_weight")

  def losses(self) -> Losses:
    """The recipe's terms, each overridden by its field when that is set."""
    p, lp_weight, alpha, gdl_weight, adversarial_weight = RECIPE_LOSSES[self.recipe]
    pick = lambda value, default: default if value < 0 else value
    return Losses(p=self.lp or p, lp_weight=pick(self.lp_weight, lp_weight), alpha=self.gdl_alpha or alpha,
                  gdl_weight=pick(self.gdl_weight, gdl_weight),
                  adversarial_weight=pick(self.adversarial_weight, adversarial_weight))


@dataclasses.dataclass(frozen=True)
class VideoRun(RunConfig):
  """The run's fields with video defaults; `eval_samples` counts validation windows (clips) scored."""

  batch_size: int = field(8, "global batch of space-time crops")
  steps: int = field(20_000, "total iterations of the run")
  sample_every: int = field(500, "iterations between grids (inputs | predicted | true frames)")
  checkpoint_every: int = field(1000, "iterations between checkpoints")
  num_samples: int = field(6, "validation windows in each grid")
  eval_samples: int = field(200, "validation (and test) windows scored; moving_digits: clips made per split")


@dataclasses.dataclass(frozen=True)
class VideoPredictionConfig(VideoData, VideoNets, VideoLosses, AdamOptimizer, VideoRun):
  """Every hyperparameter of a next-frame prediction run (see the module docstring)."""

  title: ClassVar[str] = "video prediction beyond mean square error"

  learning_rate: float = field(2e-4, "Adam's learning rate, both nets")
  beta1: float = field(0.5, "Adam's beta1")

  def used_fields(self) -> set[str]:
    """The fields this run reads (the help hides the others)."""
    names = {f.name for f in dataclasses.fields(self)}
    if self.dataset != "moving_digits":
      names -= {"train_clips", "clip_frames"}
    return names


def validate(config: VideoPredictionConfig, num_devices: int = 1) -> None:
  """Raises ValueError naming the first bad field, then checks that the data set exists (cheap: decodes nothing)."""
  validate_sections(config, num_devices)
  from jgan.video.nets import ARCHITECTURES
  size = ARCHITECTURES[config.architecture].image_size
  if config.image_size != size:
    raise ValueError(f"architecture {config.architecture} is the paper's model for {size}x{size} crops: image_size "
                     f"must be {size}, got {config.image_size}")
  from jgan.data import video
  video.check_dataset(config.dataset)
