"""Configurations of the domain-adaptation family, composed from the shared sections (`jgan.configs.sections`).

* `DANNConfig`: Ganin & Lempitsky 2015 (arXiv:1409.7495). Defaults are the paper's MNIST -> MNIST-M recipe (Sec. 5.1
  and its supplementary architecture): SGD with momentum 0.9, mu_p = 0.01 / (1 + 10 p)^0.75, lambda_p =
  2 / (1 + exp(-10 p)) - 1, batches of 128 (64 labelled source + 64 unlabelled target images).
* `DTNConfig`: Taigman, Polyak & Wolf 2017 (arXiv:1611.02200). Defaults are the paper's digit recipe (Sec. 5.1):
  alpha = beta = 15 (L_CONST, L_TID), gamma = 0 (TV), Adam.
* `SimGANConfig`: Shrivastava et al. 2017 (arXiv:1612.07828). Defaults: a refiner of 4 ResNet blocks of 64 features
  (Sec. 3.1), the local discriminator of Sec. 3.1, a history buffer supplying half of each discriminator batch
  (Sec. 2.3), K_g = 2 refiner steps per K_d = 1 discriminator step (Sec. 3.1). Pre-training and the refiner's
  output default to what runs before those fields had (none, tanh); the paper's recipe, `get_config()` of
  `jgan.experiments.simgan`, pre-trains R for 1,000 steps and D for 200 (Sec. 3.1) with a linear output.
Each is validated once, before any data is read or anything compiled (`validate`).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from jgan.configs.run import RunConfig, check_choices, field
from jgan.configs.sections import AdamOptimizer, check_finite_nonnegative, validate_sections

DOMAINS = ("digits", "mnist_m", "uci_digits")
DANN_MODES = ("dann", "source_only", "target_only")


@dataclasses.dataclass(frozen=True)
class DomainPairData:
  """A labelled source domain and a target domain of jgan's offline digit sets, both at 32x32 (`jgan.data.tasks`)."""

  title: ClassVar[str] = "data: the labelled source domain and the target domain"

  source: str = field("digits", "labelled source domain: digits, mnist_m or uci_digits")
  target: str = field("mnist_m", "target domain (its labels are read only to score, or by --mode target_only): "
                                 "digits, mnist_m or uci_digits")

  def check(self) -> None:
    check_choices(self, (("source", DOMAINS), ("target", DOMAINS)))
    if self.source == self.target:
      raise ValueError(f"source and target must differ, got {self.source!r} for both")


@dataclasses.dataclass(frozen=True)
class AnnealedSGD:
  """SGD with momentum at mu_p = mu_0 / (1 + alpha p)^beta, p = iteration / steps (Ganin & Lempitsky, Sec. 5.1)."""

  title: ClassVar[str] = "optimizer: SGD with momentum, annealed rate"

  learning_rate: float = field(0.01, "mu_0, the initial rate (the paper: 0.01)")
  anneal_alpha: float = field(10.0, "alpha of mu_p = mu_0 / (1 + alpha p)^beta (the paper: 10)")
  anneal_beta: float = field(0.75, "beta of mu_p (the paper: 0.75)")
  momentum: float = field(0.9, "SGD momentum (the paper: 0.9)")

  def check(self) -> None:
    if not self.learning_rate > 0:
      raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")
    check_finite_nonnegative(self, "anneal_alpha", "anneal_beta")
    if not 0 <= self.momentum < 1:
      raise ValueError(f"momentum must be in [0, 1), got {self.momentum}")

  def learning_rate_schedule(self):
    """mu_p as an Optax schedule of the update count (one update per iteration)."""
    from jgan.adaptation.reversal import annealed_learning_rate, progress
    return lambda count: annealed_learning_rate(progress(count, self.steps), self.learning_rate, self.anneal_alpha,
                                                self.anneal_beta)

  def sgd(self):
    import optax
    return optax.sgd(self.learning_rate_schedule(), momentum=self.momentum)


@dataclasses.dataclass(frozen=True)
class AdaptationRun(RunConfig):
  """The run's fields with this family's defaults; `eval_samples` caps the validation images scored."""

  batch_size: int = field(128, "global batch: half source, half target images (the paper: 128)")
  steps: int = field(10_000, "total iterations")
  sample_every: int = field(1000, "iterations between image grids")
  checkpoint_every: int = field(1000, "iterations between checkpoints")
  num_samples: int = field(32, "images in each grid")
  eval_every: int = field(1000, "iterations between evaluations on the validation split (0: none)")
  eval_samples: int = field(1000, "validation images scored at each evaluation (at most the split)")

  def check(self) -> None:
    if self.batch_size % 2:
      raise ValueError(f"batch_size must be even (half source, half target), got {self.batch_size}")


@dataclasses.dataclass(frozen=True)
class DANNConfig(DomainPairData, AnnealedSGD, AdaptationRun):
  """Every hyperparameter of a DANN run (see the module docstring)."""

  title: ClassVar[str] = "DANN: label predictor and reversed domain classifier"
  # lambda_p and mu_p are functions of p = iteration / steps: a resumed run with other steps would re-time them.
  resumable: ClassVar[tuple[str, ...]] = tuple(f for f in RunConfig.resumable if f != "steps")

  mode: Literal["dann", "source_only", "target_only"] = field(
      "dann", "dann (labels of the source, domains of both, reversed gradient), source_only (the same nets with "
              "lambda 0: the lower bound) or target_only (trained on the target's labels: the upper bound)")
  lambda_gamma: float = field(10.0, "gamma of lambda_p = 2 / (1 + exp(-gamma p)) - 1 (the paper: 10)")
  lambda_max: float = field(1.0, "lambda_p is scaled by this (the paper: 1)")
  num_samples: int = field(300, "validation images of each domain in the feature picture (samples/step_N.png)")

  def check(self) -> None:
    check_choices(self, (("mode", DANN_MODES),))
    check_finite_nonnegative(self, "lambda_gamma", "lambda_max")


@dataclasses.dataclass(frozen=True)
class DTNConfig(DomainPairData, AdamOptimizer, AdaptationRun):
  """Every hyperparameter of a DTN run (see the module docstring). f is the shipped classifier of the source domain
  (`jgan.eval.domain_classifiers`), its 128 penultimate ReLU units, frozen."""

  title: ClassVar[str] = "DTN: G = g(f(x)), ternary discriminator"

  source: str = field("mnist_m", "source domain S, whose shipped classifier's features are f")
  target: str = field("digits", "target domain T, whose images G must produce")
  const_weight: float = field(15.0, "alpha, the weight of L_CONST = ||f(x) - f(G(x))||^2 on S (the paper: 15)")
  tid_weight: float = field(15.0, "beta, the weight of L_TID = ||x - G(x)||^2 on T (the paper: 15)")
  tv_weight: float = field(0.0, "gamma, the weight of the total variation of G's outputs (the paper: 0 for digits)")
  generator_features: int = field(64, "g's widest feature maps (4x4); halved by each of its 3 upsamplings")
  discriminator_features: int = field(64, "D's first width, doubled by each of its 3 stride-2 convolutions")

  def check(self) -> None:
    check_finite_nonnegative(self, "const_weight", "tid_weight", "tv_weight")
    for name in ("generator_features", "discriminator_features"):
      if getattr(self, name) < 1:
        raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


@dataclasses.dataclass(frozen=True)
class SimGANConfig(AdamOptimizer, AdaptationRun):
  """Every hyperparameter of a SimGAN run (see the module docstring): simulated digits (`jgan.data.simulated_digits`)
  refined towards the real embedded digits."""

  title: ClassVar[str] = "SimGAN: refiner, local discriminator, history"

  learning_rate: float = field(1e-3, "Adam's rate, both players (the paper: 0.001)")
  self_regularization: float = field(0.5, "lambda of lambda * ||R(x) - x||_1 (per-pixel mean), the self-"
                                          "regularization keeping the refined image's label")
  refiner_blocks: int = field(4, "ResNet blocks of the refiner (the paper: 4)")
  refiner_features: int = field(64, "feature maps of the refiner (the paper: 64)")
  discriminator_features: int = field(96, "the local discriminator's first width (the paper: 96, then 64, 32, 32)")
  history_size: int = field(6400, "images in the history buffer; half of each discriminator batch comes from it "
                                  "once it is full (0: no history, the ablation)")
  generator_steps: int = field(2, "K_g: refiner updates per iteration (the paper: 2)")
  discriminator_steps: int = field(1, "K_d: discriminator updates per iteration (the paper: 1)")
  refiner_pretrain: int = field(0, "first iterations that make one refiner update on the self-regularization "
                                   "alone, before the game (the paper: 1,000 steps; counted in --steps)")
  discriminator_pretrain: int = field(0, "then iterations that make one discriminator update against that refiner "
                                         "(the paper: 200 steps; counted in --steps)")
  refiner_output: Literal["linear", "tanh"] = field(
      "tanh", "the refiner's last 1x1 convolution: linear (the paper names no non-linearity) or tanh; a tanh "
              "refiner pre-trained towards the digits' black (-1) background saturates and collapsed in the game")

  def check(self) -> None:
    check_choices(self, (("refiner_output", ("linear", "tanh")),))
    check_finite_nonnegative(self, "self_regularization")
    if self.history_size < 0:
      raise ValueError(f"history_size must be >= 0, got {self.history_size}")
    if self.history_size and self.history_size < self.batch_size // 2:
      raise ValueError(f"history_size must be 0 or >= half a batch ({self.batch_size // 2}), got "
                       f"{self.history_size}")
    for name in ("refiner_blocks", "refiner_pretrain", "discriminator_pretrain"):
      if getattr(self, name) < 0:
        raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
    for name in ("refiner_features", "discriminator_features", "generator_steps", "discriminator_steps"):
      if getattr(self, name) < 1:
        raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


def validate(config, num_devices: int = 1) -> None:
  """Raises ValueError naming the first bad field (cheap: reads no data, compiles nothing)."""
  validate_sections(config, num_devices)
