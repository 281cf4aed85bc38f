"""The configurations of the image-to-image translation models, composed from the shared sections.

`Pix2PixConfig`: Isola et al. 2017, "Image-to-Image Translation with Conditional Adversarial Networks",
arXiv:1611.07004. Defaults are the paper's (Sec. 3.3 and 4; Appendix 6): U-Net generator with dropout 0.5 as its
only noise, 70x70 PatchGAN, the conditional GAN loss plus lambda = 100 times L1 (Eq. 4), Adam 2e-4 with
beta1 0.5, batch 1 with batch norm (instance normalization at batch 1, test-batch statistics at test time), random
jitter 286 -> 256 and mirroring. The ablations of its Table 1 are `gan_weight 0` (L1 only), `l1_weight 0`
(cGAN only) and `--no-conditional` (L1 + an unconditional GAN); its Table 3's patch sizes are
`discriminator_layers` 0, 1, 3, 5 (1x1, 16x16, 70x70, 286x286).

`CycleGANConfig`: Zhu et al. 2017, "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial
Networks", arXiv:1703.10593. Defaults are the paper's (Sec. 4 and Appendix 7): two ResNet generators with 9
blocks (6 at 128x128), two 70x70 PatchGANs with instance norm, the least-squares GAN loss, cycle loss lambda = 10,
identity loss 0.5 lambda, a pool of 50 past fakes for the discriminators, Adam 2e-4 with beta1 0.5, constant for
100 epochs then linearly to 0 over 100 more (`decay_steps`), batch 1. The ablations of its Table 4 are
`gan_weight 0` (cycle alone), `cycle none` (GAN alone), `cycle forward` and `cycle backward`.

What the offline recipes change for a 2-core CPU is in each experiment's `get_config()` (`jgan/experiments/`).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from jgan.configs.run import RunConfig, check_choices, field
from jgan.configs.sections import AdamOptimizer, ImagePairsData, check_finite_nonnegative, validate_sections

NORMS = ("batch", "instance", "none")
CYCLES = ("both", "forward", "backward", "none")


@dataclasses.dataclass(frozen=True)
class TranslationNets:
  """The generator's and the PatchGAN discriminator's widths and depth, shared by pix2pix and CycleGAN."""

  title: ClassVar[str] = "nets: U-Net or ResNet generators, PatchGAN discriminators"

  generator_features: int = field(64, "ngf: the generator's base width")
  discriminator_features: int = field(64, "ndf: the discriminator's base width")
  discriminator_layers: int = field(3, "PatchGAN stride-2 layers: 0 -> 1x1 (PixelGAN), 1 -> 16x16, 3 -> 70x70, "
                                       "5 -> 286x286 receptive field (ImageGAN at 256x256)")

  def check(self) -> None:
    for name in ("generator_features", "discriminator_features"):
      if getattr(self, name) < 1:
        raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
    from jgan.models import patchgan
    if self.discriminator_layers < 0:
      raise ValueError(f"discriminator_layers must be >= 0, got {self.discriminator_layers}")
    side = self.image_size
    for layer in patchgan.patch_layers(self.discriminator_layers):
      side = (side + 2 * layer.padding - layer.kernel) // layer.stride + 1
    if side < 1:
      raise ValueError(f"discriminator_layers {self.discriminator_layers} leaves no output on {self.image_size}x"
                       f"{self.image_size} images: use fewer layers or a larger image_size")


@dataclasses.dataclass(frozen=True)
class TranslationRun(RunConfig):
  """The run's fields with the translation models' defaults; `eval_samples` counts validation images."""

  resumable: ClassVar[tuple[str, ...]] = RunConfig.resumable + ("skip_bad_images",)

  batch_size: int = field(1, "global batch (all devices together); the papers use 1")
  steps: int = field(200_000, "total iterations of the run")
  sample_every: int = field(1000, "iterations between image grids (input | output | target)")
  checkpoint_every: int = field(5000, "iterations between checkpoints")
  num_samples: int = field(8, "validation examples in each image grid")
  eval_samples: int = field(1000, "validation images translated at each evaluation")


@dataclasses.dataclass(frozen=True)
class Pix2PixConfig(ImagePairsData, TranslationNets, AdamOptimizer, TranslationRun):
  """Every hyperparameter of a pix2pix run (see the module docstring)."""

  title: ClassVar[str] = "pix2pix: objective and the U-Net's options"

  dataset: str = field("edges2digits", "aligned pairs (jgan.data.paired): a task (edges2digits, digits2mnist_m) "
                                       "or a folder")
  l1_weight: float = field(100.0, "lambda: weight of the L1 distance to the target (0: cGAN only)")
  gan_weight: float = field(1.0, "weight of the GAN loss in the generator's objective (0: L1 only, no "
                                 "discriminator trained)")
  conditional: bool = field(True, "the discriminator sees (input, output) pairs; --no-conditional: the output alone")
  dropout: float = field(0.5, "dropout rate of the U-Net's three innermost decoder levels, at train and test time")
  norm: Literal["batch", "instance", "none"] = field("batch", "normalization of both nets")

  def check(self) -> None:
    check_choices(self, (("norm", NORMS),))
    check_finite_nonnegative(self, "l1_weight", "gan_weight")
    if self.l1_weight == 0 and self.gan_weight == 0:
      raise ValueError("l1_weight and gan_weight are both 0: the generator would have no objective")
    if not 0 <= self.dropout < 1:
      raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


@dataclasses.dataclass(frozen=True)
class CycleGANConfig(ImagePairsData, TranslationNets, AdamOptimizer, TranslationRun):
  """Every hyperparameter of a CycleGAN run (see the module docstring)."""

  title: ClassVar[str] = "CycleGAN: objective, generators and image pools"

  dataset: str = field("digits+mnist_m", "unpaired domains (jgan.data.paired): two data set names joined by '+' "
                                         "or a folder with trainA/ and trainB/")
  generator_blocks: int = field(9, "residual blocks of each generator (the paper: 9 at 256x256, 6 at 128x128)")
  norm: Literal["instance", "none"] = field("instance", "normalization of all four nets (affine-free instance norm, "
                                                     "as the reference)")
  gan_weight: float = field(1.0, "weight of the two GAN losses (0: cycle alone, no discriminator trained)")
  cycle_weight: float = field(10.0, "lambda: weight of each cycle-consistency L1 loss")
  cycle: Literal["both", "forward", "backward", "none"] = field(
      "both", "which cycle losses: forward ||F(G(a)) - a||, backward ||G(F(b)) - b||, both, or none (GAN alone)")
  identity_weight: float = field(0.5, "identity loss ||G(b) - b|| + ||F(a) - a|| weighted by this times "
                                      "cycle_weight (0: none)")
  pool_size: int = field(50, "past generated images each discriminator draws half of its fakes from (0: none)")

  def check(self) -> None:
    check_choices(self, (("norm", ("instance", "none")), ("cycle", CYCLES)))
    check_finite_nonnegative(self, "gan_weight", "cycle_weight", "identity_weight")
    if self.generator_blocks < 0 or self.pool_size < 0:
      raise ValueError(f"generator_blocks and pool_size must be >= 0, got {self.generator_blocks} and "
                       f"{self.pool_size}")
    if self.gan_weight == 0 and (self.cycle == "none" or self.cycle_weight == 0):
      raise ValueError("gan_weight is 0 and no cycle loss is on: the generators would have no objective")
    if self.image_size % 4:
      raise ValueError(f"the ResNet generator halves the image twice: image_size must be divisible by 4, got "
                       f"{self.image_size}")


def validate(config: Pix2PixConfig | CycleGANConfig, num_devices: int = 1) -> None:
  """Raises ValueError naming the first bad field (every section's checks), then checks the data set's name or
  folder (cheap: decodes no image)."""
  validate_sections(config, num_devices)
  from jgan.data import paired
  if isinstance(config, Pix2PixConfig):
    paired.check_paired(config.dataset)
  else:
    paired.check_unpaired(config.dataset)
