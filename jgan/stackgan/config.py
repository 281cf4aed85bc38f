"""The configuration of StackGAN, composed from the shared sections.

`StackGANConfig`: Zhang et al. 2017, "StackGAN: Text to Photo-realistic Image Synthesis with Stacked Generative
Adversarial Networks", arXiv:1612.03242. The paper's recipe (Sec. 4, "Implementation details"): Stage I is trained
first, then Stage II with Stage I fixed, each for 600 epochs, by Adam with beta1 0.5 at 2e-4 for both nets, the
rate halved every 100 epochs (`halve_every`, in iterations), batch 64; Ng = 128 condition dims, z of 100 dims,
Nd = 128 compressed text dims in D, the KL weight lambda = 1 (Eq. 3 and 6), a discriminator that is
matching-aware (real images with mismatched text are fakes, Reed et al. 2016). The data here are the embedded
digits at 32x32 (Stage II) and 16x16 (Stage I), with captions generated from measured attributes
(`jgan.stackgan.captions`); what the offline recipe scales down is in `jgan/experiments/stackgan.py`.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from jgan.configs.run import RunConfig, check_choices, field
from jgan.configs.sections import AdamOptimizer, check_finite_nonnegative, validate_sections

DATASETS = ("digits",)
STAGES = (1, 2)
SIZES = {1: 16, 2: 32}  # the side of each stage's images


def check_positive(config, *names: str) -> None:
  """ValueError naming the first of `names` (int fields: sizes, counts) that is below 1."""
  for name in names:
    if getattr(config, name) < 1:
      raise ValueError(f"{name} must be >= 1, got {getattr(config, name)}")


@dataclasses.dataclass(frozen=True)
class CaptionedDigitsData:
  """The embedded digits, each with captions made from its class and measured attributes."""

  title: ClassVar[str] = "data: captioned digits"

  dataset: Literal["digits"] = field("digits", "labelled grey digits whose attributes can be measured: digits "
                                               "(the embedded 10,000, split train/validation/test)")
  captions_per_image: int = field(5, "captions drawn per training image (CUB has 10); one is picked at random for "
                                     "each image at each iteration")
  max_words: int = field(12, "words kept of a caption (longer ones are cut)")

  def check(self) -> None:
    check_choices(self, (("dataset", DATASETS),))
    check_positive(self, "captions_per_image", "max_words")


@dataclasses.dataclass(frozen=True)
class TextEncoderSection:
  """The caption encoder trained at the start of Stage I and fixed after (`jgan.stackgan.text_encoder`)."""

  title: ClassVar[str] = "nets: the text encoder"

  embedding_dim: int = field(128, "the text embedding phi_t's dimension (the paper's char-CNN-RNN: 1024)")
  word_dim: int = field(64, "the word vectors' dimension")
  text_encoder_steps: int = field(300, "Adam steps training the encoder at the start of Stage I (batch 256)")

  def check(self) -> None:
    check_positive(self, "embedding_dim", "word_dim", "text_encoder_steps")


@dataclasses.dataclass(frozen=True)
class StackGANNets:
  """The generators' and discriminators' sizes (`jgan.stackgan.nets`)."""

  title: ClassVar[str] = "nets: Stage-I / Stage-II generators and text-aware discriminators"

  noise_dim: int = field(100, "z's dimension (the paper: 100)")
  condition_dim: int = field(128, "Ng: the conditioning augmentation's c (the paper: 128)")
  projection_dim: int = field(128, "Nd: the text embedding compressed inside each discriminator (the paper: 128)")
  generator_features: int = field(32, "the generators' width at 16x16")
  discriminator_features: int = field(32, "the discriminators' first width (doubled per down-sampling)")
  residual_blocks: int = field(2, "Stage II's residual blocks (the paper's code: 4)")

  def check(self) -> None:
    check_positive(self, "noise_dim", "condition_dim", "projection_dim", "generator_features",
                   "discriminator_features")
    if self.residual_blocks < 0:
      raise ValueError(f"residual_blocks must be >= 0, got {self.residual_blocks}")


@dataclasses.dataclass(frozen=True)
class StackGANRun(RunConfig):
  """The run's fields with StackGAN's defaults; `eval_samples` counts validation captions."""

  batch_size: int = field(64, "global batch (all devices together); the paper: 64")
  steps: int = field(75_000, "total iterations of the stage (the paper: 600 epochs, 75,000 at 8,000 images)")
  sample_every: int = field(500, "iterations between image grids (prompts by class and attribute)")
  checkpoint_every: int = field(2500, "iterations between checkpoints")
  num_samples: int = field(2, "images per prompt in each grid (10 classes x 6 prompts each)")
  eval_samples: int = field(1000, "validation captions generated from at each evaluation")


@dataclasses.dataclass(frozen=True)
class StackGANConfig(CaptionedDigitsData, TextEncoderSection, StackGANNets, AdamOptimizer, StackGANRun):
  """Every hyperparameter of a StackGAN stage (see the module docstring)."""

  title: ClassVar[str] = "StackGAN: stages, conditioning augmentation and the matching-aware loss"

  stage: int = field(1, "1: text + z -> 16x16; 2: Stage-I image + text -> 32x32 (needs --stage1)", group="game")
  stage1: str = field("", "stage 2: the run directory of a trained Stage-I run, whose generator and text encoder "
                          "it keeps fixed", group="game")
  conditioning_augmentation: bool = field(True, "sample c ~ N(mu(phi_t), sigma(phi_t)) with the KL penalty; "
                                                "--no-conditioning-augmentation: c a fixed map of phi_t (the "
                                                "ablation of Sec. 5.2)", group="game")
  kl_weight: float = field(1.0, "lambda: the weight of D_KL(N(mu, sigma) || N(0, I)) in the generator's loss",
                           group="game")
  mismatch_weight: float = field(0.5, "w in D's loss -log D(x, t) - w log(1 - D(x, t')) - (1 - w) log(1 - D(G, t)): "
                                      "real images x with mismatched text t' count as fakes with weight w (the "
                                      "paper's code: 0.5); 0: a conditional D that never sees mismatched text",
                                 group="game")
  halve_every: int = field(0, "iterations between halvings of the rate (the paper: every 100 of 600 epochs); "
                              "0: constant", group="optimizer")

  def check(self) -> None:
    if self.stage not in STAGES:
      raise ValueError(f"stage must be one of {STAGES}, got {self.stage}")
    if self.stage == 2 and not self.stage1:
      raise ValueError("stage 2 needs --stage1 DIR: the run directory of a trained Stage-I run "
                       "(python -m jgan.experiments.stackgan --stage 1 --out DIR)")
    if self.stage == 1 and self.stage1:
      raise ValueError(f"stage1 {self.stage1!r} is only for stage 2 (this is stage 1)")
    check_finite_nonnegative(self, "kl_weight")
    if not 0 <= self.mismatch_weight < 1:
      raise ValueError(f"mismatch_weight must be in [0, 1), got {self.mismatch_weight}")
    if self.halve_every < 0:
      raise ValueError(f"halve_every must be >= 0, got {self.halve_every}")
    if self.halve_every and self.decay_steps:
      raise ValueError(f"halve_every ({self.halve_every}) and decay_steps ({self.decay_steps}) are two schedules: "
                       f"set one of them to 0")

  @property
  def image_size(self) -> int:
    return SIZES[self.stage]

  def learning_rate_schedule(self):
    """The rate halved every `halve_every` iterations (StackGAN, Sec. 4), else `AdamOptimizer`'s."""
    if not self.halve_every:
      return super().learning_rate_schedule()
    import optax
    return optax.exponential_decay(self.learning_rate, self.halve_every, 0.5, staircase=True)

  def used_fields(self) -> set[str]:
    """The fields this stage reads (the help hides the others)."""
    names = {f.name for f in dataclasses.fields(self)}
    if self.stage == 1:
      names -= {"stage1", "residual_blocks"}
    else:  # the text encoder comes trained from the Stage-I run (whose sizes `FROM_STAGE_ONE` must match)
      names -= {"text_encoder_steps"}
    if not self.conditioning_augmentation:
      names -= {"kl_weight"}
    return names


# Fields a Stage-II run takes from its Stage-I run (they shape the fixed nets it reuses).
FROM_STAGE_ONE = ("dataset", "embedding_dim", "word_dim", "max_words", "noise_dim")


def validate(config: StackGANConfig, num_devices: int = 1) -> None:
  """Raises ValueError naming the first bad field (every section's checks); cheap: reads no data, compiles nothing."""
  validate_sections(config, num_devices)
