"""The configuration of progressive growing (Karras et al. 2018, arXiv:1710.10196), composed from shared sections.

Defaults are the paper's (Sec. 4-5, Appendix A.1, and the official code's `config.py`/`train.py`): growth from 4x4,
800k real images shown per fade-in and per stable stage, WGAN-GP with lambda = 10 plus the drift term
epsilon_drift E[D(x)^2] (epsilon 0.001, Appendix A.1), one critic step per generator step, Adam with beta1 = 0,
beta2 = 0.99 at 1e-3 whose state is reset at every change of stage (`reset_opt_for_new_lod`), latent 512,
nf(stage) = min(8192 / 2^stage, 512) feature maps, minibatch stddev over groups of 4. The per-resolution batch
sizes are a flag (`batch_sizes`, e.g. the official CelebA-HQ `4:128,8:128,16:128,32:64,64:32,128:16,256:8`).
What the offline recipes change for a 2-core CPU is in `jgan/experiments/progan.py` and
`experiments/progressive/README.md`.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from jgan.configs.run import RunConfig, field
from jgan.configs.sections import AdamOptimizer, check_finite_nonnegative, validate_sections

BUILT_IN = ("digits", "stacked_digits")
MAX_SIZE = 1024


def _power_of_two(value: int) -> bool:
  return value >= 1 and value & (value - 1) == 0


def parse_batch_sizes(text: str) -> dict[int, int]:
  """'4:128,8:64' -> {4: 128, 8: 64}; ValueError naming the bad entry."""
  sizes = {}
  for entry in filter(None, (e.strip() for e in text.split(","))):
    try:
      res, batch = (int(v) for v in entry.split(":"))
    except ValueError as error:
      raise ValueError(f"batch_sizes entry {entry!r} is not RESOLUTION:BATCH (e.g. '4:128,8:64')") from error
    if res in sizes:
      raise ValueError(f"batch_sizes names resolution {res} twice")
    sizes[res] = batch
  return sizes


@dataclasses.dataclass(frozen=True)
class ProGANData:
  """Images and the final resolution they are grown to."""

  title: ClassVar[str] = "data: images and the resolution grown to"

  dataset: str = field("digits", "digits (the embedded MNIST digits padded to 32x32), stacked_digits (three digits "
                                 "as the three channels: 1,000 modes), a folder of images, an .npz file or a TFDS "
                                 "name (celeb_a, ...)")
  data_dir: str = field("", "where TFDS keeps prepared data sets ('' : its default)")
  image_size: int = field(32, "final side of the generated images: a power of two (the paper: up to 1024)")
  skip_bad_images: bool = field(False, "skip unreadable image files (counted on stderr) instead of stopping")

  def check(self) -> None:
    if not _power_of_two(self.image_size) or not 4 <= self.image_size <= MAX_SIZE:
      raise ValueError(f"image_size must be a power of two in [4, {MAX_SIZE}], got {self.image_size}")
    if self.dataset in BUILT_IN and self.image_size > 32:
      raise ValueError(f"dataset {self.dataset} is 32x32: image_size must be <= 32, got {self.image_size}")


@dataclasses.dataclass(frozen=True)
class ProGANNets:
  """Widths and depth of the growing nets (the official code's fmap_base, fmap_max) and the stddev group."""

  title: ClassVar[str] = "nets: the progressive generator and discriminator"

  latent_dim: int = field(512, "dimension of z ~ N(0, I), pixel-normalised before the first layer")
  feature_base: int = field(8192, "nf(stage) = min(feature_base / 2^stage, feature_max): the block at resolution "
                                  "2^k has nf(k - 1) feature maps")
  feature_max: int = field(512, "the widest layer's feature maps")
  start_size: int = field(4, "resolution the nets start at (the paper: 4)", group="nets")
  mbstd_group: int = field(4, "examples per minibatch-stddev group (Sec. 3); must divide each device's batch",
                           group="nets")

  def check(self) -> None:
    for name in ("latent_dim", "feature_base", "feature_max", "mbstd_group"):
      if getattr(self, name) < 1:
        raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
    if not _power_of_two(self.start_size) or not 2 <= self.start_size <= self.image_size:
      raise ValueError(f"start_size must be a power of two in [2, image_size={self.image_size}], got "
                       f"{self.start_size}")


@dataclasses.dataclass(frozen=True)
class ProGANSchedule:
  """How the resolution grows: real images shown per stage, and the batch at each resolution."""

  title: ClassVar[str] = "schedule: stages of growth and their batch sizes"

  progressive: bool = field(True, "grow from start_size; --no-progressive trains all blocks at image_size from the "
                                  "first iteration (the fixed-resolution baseline, same nets and loss)",
                            group="schedule")
  fade_images: int = field(800_000, "real images shown while a new resolution fades in (alpha 0 -> 1 linearly)",
                           group="schedule")
  stable_images: int = field(800_000, "real images shown at each resolution once faded in; the last resolution "
                                      "trains on until --steps", group="schedule")
  batch_sizes: str = field("", "per-resolution global batch 'RES:BATCH,...' (e.g. 4:128,8:128,16:128,32:64); "
                               "resolutions left out use --batch-size", group="schedule")
  reset_optimizer: bool = field(True, "reset both Adam states at every change of stage (the official "
                                      "reset_opt_for_new_lod)", group="optimizer")

  def check(self) -> None:
    if self.fade_images < 1 or self.stable_images < 1:
      raise ValueError(f"fade_images and stable_images must be >= 1, got {self.fade_images} and "
                       f"{self.stable_images}")
    allowed = [self.start_size * 2 ** i for i in range(32) if self.start_size * 2 ** i <= self.image_size]
    for res, batch in parse_batch_sizes(self.batch_sizes).items():
      if res not in allowed:
        raise ValueError(f"batch_sizes names resolution {res}, not one of the schedule's {allowed}")
      if batch < 1:
        raise ValueError(f"batch_sizes: the batch at {res} must be >= 1, got {batch}")

  def batch_at(self, resolution: int) -> int:
    """The global batch at `resolution`."""
    return parse_batch_sizes(self.batch_sizes).get(resolution, self.batch_size)


@dataclasses.dataclass(frozen=True)
class ProGANLoss:
  """WGAN-GP (Gulrajani et al. 2017) with the drift term (Karras et al. 2018, Appendix A.1)."""

  title: ClassVar[str] = "losses: WGAN-GP with the drift term"

  gp_weight: float = field(10.0, "lambda: weight of the gradient penalty (||grad D(x_hat)|| - 1)^2")
  drift: float = field(0.001, "epsilon_drift: weight of E[D(x)^2] on real images, keeping D's output near 0",
                       group="game")

  def check(self) -> None:
    check_finite_nonnegative(self, "gp_weight", "drift")


@dataclasses.dataclass(frozen=True)
class ProGANRun(RunConfig):
  """The run's fields with ProGAN's defaults; `eval_samples` counts generated images per evaluation."""

  resumable: ClassVar[tuple[str, ...]] = RunConfig.resumable + ("skip_bad_images",)

  batch_size: int = field(16, "global batch at every resolution that --batch-sizes leaves out (the paper: 16)")
  steps: int = field(700_000, "total iterations (one critic and one generator step each) of the run")
  sample_every: int = field(1000, "iterations between sample grids (at the stage's resolution)")
  checkpoint_every: int = field(5000, "iterations between checkpoints")
  num_samples: int = field(64, "images in each sample grid")
  eval_samples: int = field(1000, "generated images per evaluation (SWD, MS-SSIM, digit scores)")


@dataclasses.dataclass(frozen=True)
class ProGANConfig(ProGANData, ProGANNets, ProGANSchedule, ProGANLoss, AdamOptimizer, ProGANRun):
  """Every hyperparameter of a ProGAN run (see the module docstring)."""

  title: ClassVar[str] = "ProGAN: progressive growing"

  learning_rate: float = field(1e-3, "Adam's learning rate, both nets (the paper: 0.001)")
  beta1: float = field(0.0, "Adam's beta1 (the paper: 0)")
  beta2: float = field(0.99, "Adam's beta2 (the paper: 0.99)")

  def used_fields(self) -> set[str]:
    names = {f.name for f in dataclasses.fields(self)}
    if not self.progressive:
      names -= {"fade_images", "stable_images", "start_size", "reset_optimizer"}
    return names


def validate(config: ProGANConfig, num_devices: int = 1) -> None:
  """ValueError naming the first bad field, then the per-device batch at every resolution against the devices and
  the stddev group, then the data set's name (cheap: reads no image, compiles nothing)."""
  validate_sections(config, num_devices)
  from jgan.progan import schedule
  for res in schedule.Schedule(config).resolutions:
    batch = config.batch_at(res)
    if batch % num_devices:
      raise ValueError(f"the batch at {res}x{res} ({batch}) must be divisible by the device count {num_devices}")
    per_device = batch // num_devices
    if per_device % min(config.mbstd_group, per_device):
      raise ValueError(f"the batch at {res}x{res} gives {per_device} examples per device, not divisible by "
                       f"mbstd_group {config.mbstd_group}")
  if config.dataset not in BUILT_IN:
    from jgan import data
    data.check_name(config.dataset, config.data_dir)
