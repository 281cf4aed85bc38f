"""The configuration of the super-resolution models, composed from the shared sections.

`SuperResolutionConfig`: Ledig et al. 2017, "Photo-Realistic Single Image Super-Resolution Using a Generative
Adversarial Network", arXiv:1609.04802. Defaults are the paper's (Sec. 2 and 3.2): SRResNet with B = 16 residual
blocks of 64 features and two x2 sub-pixel stages (4x), low-resolution inputs made by bicubic downsampling and
scaled to [0, 1], high-resolution targets in [-1, 1], batch 16 of 96x96 crops, Adam with beta1 = 0.9 at 1e-4.
SRResNet ("SRResNet-MSE") minimises the pixel-wise MSE (Eq. 4): `adversarial_weight 0`, `content mse`. SRGAN
starts from a trained SRResNet (`init_from`), adds the adversarial loss -log D(G(I_LR)) weighted 1e-3 (Eq. 3 and
6), takes its content loss in VGG19's relu5_4 features rescaled by 1/12.75 ("VGG54", Eq. 5), and trains 1e5
updates at 1e-4 then 1e5 at 1e-5 (`learning_rate_drop_at`).

No VGG19 weights can be downloaded here: `content vgg54 --feature-weights FILE` takes the user's file
(`jgan.models.vgg`), and offline `content rotation` uses a network the project trains on the same training images
(`jgan.superres.feature_net`): a substitute for VGG's features, never called VGG. What the offline recipes change
for a 2-core CPU is in `jgan/experiments/srresnet.py` and `srgan.py`.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from jgan.configs.run import RunConfig, check_choices, field
from jgan.configs.sections import AdamOptimizer, check_finite_nonnegative, validate_sections

SCALES = (2, 4, 8)
CONTENTS = ("mse", "vgg54", "vgg22", "rotation")
DOWNSCALES = ("bicubic", "box")
VGG_LAYERS = {"vgg54": "relu5_4", "vgg22": "relu2_2"}


@dataclasses.dataclass(frozen=True)
class SuperResolutionData:
  """High-resolution images and the low-resolution inputs made from them (`jgan.superres.data`)."""

  title: ClassVar[str] = "data: high-resolution images, and their downscaling"

  dataset: str = field("photos", "high-resolution images: photos (natural photographs, split by photograph), "
                                  "digits, digits_uci_layout (32x32, scored on the real UCI 8x8 digits too), or a "
                                  "folder with train/, validation/ (or val/) and test/ of images")
  image_size: int = field(96, "side of the high-resolution training crops (the paper: 96)")
  scale: int = field(4, "upscaling factor: 2, 4 or 8 (one x2 sub-pixel stage each)")
  downscale: Literal["bicubic", "box"] = field("bicubic", "how low-resolution inputs are made: bicubic (the paper) "
                                                          "or box (block means, as the UCI 8x8 digits were made)")
  train_crops: int = field(10000, "training crops cut from the training images (photos and folders), fixed by the "
                                  "seed of the data set")
  skip_bad_images: bool = field(False, "skip unreadable image files (counted on stderr) instead of stopping")

  def check(self) -> None:
    check_choices(self, (("scale", SCALES), ("downscale", DOWNSCALES)))
    if self.image_size < self.scale or self.image_size % self.scale:
      raise ValueError(f"image_size must be a positive multiple of scale {self.scale}, got {self.image_size}")
    if self.train_crops < 1:
      raise ValueError(f"train_crops must be >= 1, got {self.train_crops}")


@dataclasses.dataclass(frozen=True)
class SuperResolutionNets:
  """SRResNet's depth and width, and the SRGAN discriminator's width (Ledig et al. 2017, Figure 4)."""

  title: ClassVar[str] = "nets: SRResNet generator and SRGAN discriminator"

  generator_blocks: int = field(16, "B: residual blocks of the generator")
  generator_features: int = field(64, "the generator's feature maps")
  discriminator_features: int = field(64, "the discriminator's first width (64 -> 512 over its 8 convolutions)")

  def check(self) -> None:
    if self.generator_blocks < 0:
      raise ValueError(f"generator_blocks must be >= 0, got {self.generator_blocks}")
    for name in ("generator_features", "discriminator_features"):
      if getattr(self, name) < 1:
        raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


@dataclasses.dataclass(frozen=True)
class SuperResolutionRun(RunConfig):
  """The run's fields with the super-resolution defaults; `eval_samples` counts validation images."""

  resumable: ClassVar[tuple[str, ...]] = RunConfig.resumable + ("skip_bad_images",)

  batch_size: int = field(16, "global batch of crops (all devices together); the paper: 16")
  steps: int = field(100_000, "total iterations of the run")
  sample_every: int = field(1000, "iterations between image grids (low | bicubic | super-resolved | high)")
  checkpoint_every: int = field(5000, "iterations between checkpoints")
  num_samples: int = field(8, "validation images in each grid")
  eval_samples: int = field(1000, "validation images upscaled at each evaluation")


@dataclasses.dataclass(frozen=True)
class SuperResolutionConfig(SuperResolutionData, SuperResolutionNets, AdamOptimizer, SuperResolutionRun):
  """Every hyperparameter of an SRResNet or SRGAN run (see the module docstring)."""

  title: ClassVar[str] = "SRGAN: content and adversarial losses"

  learning_rate: float = field(1e-4, "Adam's learning rate (the paper: 1e-4)")
  beta1: float = field(0.9, "Adam's beta1 (the paper: 0.9)")
  learning_rate_drop_at: int = field(0, "iteration from which the rate is a tenth (SRGAN: 1e-4 -> 1e-5 after 1e5 "
                                        "updates); 0: never")
  adversarial_weight: float = field(1e-3, "weight of the adversarial loss -log D(G(x)) (0: SRResNet, no "
                                          "discriminator)")
  content: Literal["mse", "vgg54", "vgg22", "rotation"] = field(
      "vgg54", "content loss: mse (pixels, SRResNet-MSE), vgg54 / vgg22 (VGG19 relu5_4 / relu2_2 features from "
               "--feature-weights), rotation (a feature net trained here on the training images: a substitute)")
  feature_weights: str = field("", "VGG19 weights file (Keras .h5, or .npz from python -m jgan.models.vgg convert) "
                                   "for vgg54/vgg22; for rotation, a saved feature net (empty: trained at start)")
  feature_scale: float = field(1 / 12.75, "factor on the content features (the paper rescales VGG's by 1/12.75)")
  feature_steps: int = field(2000, "training steps of the rotation feature net when it is trained at start")
  init_from: str = field("", "run directory of a trained SRResNet whose generator SRGAN starts from (the paper)")

  def check(self) -> None:
    check_choices(self, (("content", CONTENTS),))
    check_finite_nonnegative(self, "adversarial_weight")
    if not (self.feature_scale > 0):
      raise ValueError(f"feature_scale must be > 0, got {self.feature_scale}")
    if self.content in VGG_LAYERS and not self.feature_weights:
      raise ValueError(f"content {self.content} needs --feature-weights: a VGG19 weights file (none can be "
                       f"downloaded here; see python -m jgan.models.vgg); offline, use --content rotation")
    if self.learning_rate_drop_at < 0 or self.feature_steps < 1:
      raise ValueError(f"learning_rate_drop_at must be >= 0 and feature_steps >= 1, got "
                       f"{self.learning_rate_drop_at} and {self.feature_steps}")

  def learning_rate_schedule(self):
    """The rate, a tenth of it from `learning_rate_drop_at` on (SRGAN, Sec. 3.2), else `AdamOptimizer`'s."""
    if not self.learning_rate_drop_at:
      return super().learning_rate_schedule()
    import optax
    return optax.piecewise_constant_schedule(self.learning_rate, {self.learning_rate_drop_at: 0.1})

  def used_fields(self) -> set[str]:
    """The fields this run reads (the help hides the others): SRResNet-MSE has no discriminator or features."""
    names = {f.name for f in dataclasses.fields(self)}
    if not self.adversarial_weight:
      names -= {"discriminator_features"}
    if self.content == "mse":
      names -= {"feature_weights", "feature_scale", "feature_steps"}
    return names


def validate(config: SuperResolutionConfig, num_devices: int = 1) -> None:
  """Raises ValueError naming the first bad field, then checks that the data set and the files named exist (cheap:
  decodes no image, compiles nothing)."""
  import pathlib
  validate_sections(config, num_devices)
  from jgan.superres import data
  data.check_dataset(config.dataset)
  for name in ("feature_weights", "init_from"):
    path = getattr(config, name)
    if path and not pathlib.Path(path).exists():
      raise ValueError(f"{name} {path!r}: no such file or directory")
