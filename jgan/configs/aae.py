"""Adversarial autoencoder configuration (Makhzani et al. 2015, "Adversarial Autoencoders", arXiv:1511.05644).

The paper's MNIST nets (its Appendix): encoder, decoder and discriminator(s) are MLPs with two hidden layers of
1,000 ReLU units; the encoder's code is linear; batch 100. Every minibatch runs the paper's phases (Sec. 2):
reconstruction (encoder and decoder), regularization of the discriminator (codes of p(z) vs codes of the data), and
regularization of the generator (the encoder fools the discriminator); the semi-supervised model adds a supervised
phase on the labeled minibatch (Sec. 5). `mode` picks the paper's setting:

  * `unsupervised` (Sec. 2): q(z) pushed to `prior` (2-D plots, Figs. 2 and 4; `--labels N` gives N examples'
    labels to the discriminator, which then picks the prior's component or swiss-roll segment: Fig. 4, Sec. 2.3);
  * `supervised` (Sec. 4): the decoder also receives the one-hot label, so z keeps only the style (Fig. 6);
  * `semi_supervised` (Sec. 5): the encoder outputs a class y ~ softmax and a style z; one discriminator pushes y
    to Cat(K), another z to N(0, I); `--labels N` labeled examples train y by cross-entropy (Table 2);
  * `clustering` (Sec. 6): as semi_supervised with K = `clusters` categories and no labels (Table 3).

`model="vae"` trains the variational autoencoder baseline (Kingma and Welling 2014) with the same nets: a Gaussian
encoder, the same decoder, and KL(q(z|x) || p(z)) in place of the adversarial phases.

Deviations from the paper, each for a reason:
  * Optimizer: Adam for every phase (learning rates below) where the paper uses SGD with momentum and its own
    per-phase rates and schedules: Adam needs no per-data-set tuning and converges within a CPU budget.
  * Initialization: Flax's default (LeCun normal) instead of N(0, 0.01^2).
  * Data: the embedded 10,000 digits, 2,000 of them held out as the test set (`heldout`, the digit classifier's
    split): 8,000 training images where the paper has MNIST's 60,000 (`--dataset mnist` runs the paper's data
    where TFDS has it).
  * Reconstruction error: the Bernoulli cross-entropy of the pixels in [0, 1] (the decoder outputs logits), which
    is also the VAE's likelihood, so both models minimize the same reconstruction term.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar, Literal

from jgan.configs.run import RunConfig, check_choices, check_run, check_types, field

MODELS = ("aae", "vae")
MODES = ("unsupervised", "supervised", "semi_supervised", "clustering")
PRIORS = ("gaussian", "mixture", "swissroll")
ENCODERS = ("deterministic", "gaussian")


@dataclasses.dataclass(frozen=True)
class AAEConfig(RunConfig):
  """Every hyperparameter of an autoencoder run (the run's own fields come from `RunConfig`)."""

  title: ClassVar[str] = "the autoencoder: data, model, optimizers"

  resumable: ClassVar[tuple[str, ...]] = RunConfig.resumable + ("data_dir",)

  # --- Data. ---
  dataset: str = field("digits", "'digits' (embedded), a TFDS name, or a path to an .npz file with 'images' and "
                                 "'labels'")
  split: str = field("train", "TFDS split")
  data_dir: str = field("", "where TFDS keeps prepared data sets ('': $TFDS_DATA_DIR, else ~/tensorflow_datasets)")
  heldout: int = field(2000, "images held out of training as the test set (codes, errors, likelihoods)")
  # --- Model. ---
  model: Literal["aae", "vae"] = field("aae", "adversarial autoencoder, or the VAE baseline with the same nets")
  mode: Literal["unsupervised", "supervised", "semi_supervised", "clustering"] = field(
      "unsupervised", "the paper's setting (see jgan/configs/aae.py)")
  prior: Literal["gaussian", "mixture", "swissroll"] = field(
      "gaussian", "p(z): N(0, I), a mixture of `num_classes` radial 2-D Gaussians, or a 2-D swiss roll")
  encoder: Literal["deterministic", "gaussian"] = field(
      "deterministic", "z = f(x), or z ~ N(mu(x), sigma(x)^2) by the reparametrization trick (the VAE's is)")
  code_dim: int = field(2, "dimension of the code z (the style, in the supervised and semi-supervised modes)")
  num_classes: int = field(10, "classes of the labels (supervised, semi_supervised, labeled priors)")
  clusters: int = field(16, "clustering: categories of y")
  labels: int = field(0, "semi_supervised: labeled training examples (labels / num_classes per class); "
                         "unsupervised with a mixture or swiss-roll prior: examples whose label picks the prior's "
                         "component (0: none)")
  hidden: int = field(1000, "units of each hidden layer of every net")
  layers: int = field(2, "hidden layers of every net")
  # --- Optimizers: Adam, one state per phase. ---
  reconstruction_learning_rate: float = field(1e-3, "reconstruction phase (encoder and decoder)")
  discriminator_learning_rate: float = field(2e-4, "regularization phase, discriminator(s)")
  generator_learning_rate: float = field(2e-4, "regularization phase, encoder as the generator")
  supervised_learning_rate: float = field(1e-3, "semi_supervised: the labeled cross-entropy phase")
  beta1: float = field(0.5, "Adam beta1 of every phase")
  # --- The run (the fields of RunConfig, with this family's defaults). ---
  batch_size: int = field(100, "global batch (all devices together)")
  steps: int = field(5000, "total minibatches, each running every phase once")
  log_every: int = field(50, "iterations between metric flushes")
  sample_every: int = field(1000, "iterations between sample grids and code plots")
  checkpoint_every: int = field(1000, "iterations between checkpoints")
  eval_every: int = field(1000, "iterations between evaluations on the held-out images (also at the start and the "
                                "end); 0: none")
  num_samples: int = field(100, "images in each sample grid")
  eval_samples: int = field(2000, "decoded prior samples per evaluation (digit-scorer figures)")

  @property
  def categorical(self) -> int:
    """Categories of the encoder's y (0: the encoder has no y)."""
    return {"semi_supervised": self.num_classes, "clustering": self.clusters}.get(self.mode, 0)


def validate(config: AAEConfig, num_devices: int = 1) -> None:
  """Raises ValueError naming the first bad field, its value and what is allowed. Cheap: reads no data."""
  check_types(config)
  check_choices(config, (("model", MODELS), ("mode", MODES), ("prior", PRIORS), ("encoder", ENCODERS)))
  for name in ("code_dim", "num_classes", "clusters", "hidden", "layers"):
    if getattr(config, name) < 1:
      raise ValueError(f"{name} must be >= 1, got {getattr(config, name)}")
  for name in ("heldout", "labels"):
    if getattr(config, name) < 0:
      raise ValueError(f"{name} must be >= 0, got {getattr(config, name)}")
  for name in ("reconstruction_learning_rate", "discriminator_learning_rate", "generator_learning_rate",
               "supervised_learning_rate"):
    value = getattr(config, name)
    if not (value > 0 and math.isfinite(value)):
      raise ValueError(f"{name} must be a finite number > 0, got {value}")
  if not 0 <= config.beta1 < 1:
    raise ValueError(f"beta1 must be in [0, 1), got {config.beta1}")
  check_run(config, num_devices)
  if config.prior in ("mixture", "swissroll") and config.code_dim != 2:
    raise ValueError(f"prior {config.prior!r} is 2-D: code_dim must be 2, got {config.code_dim}")
  if config.mode in ("semi_supervised", "clustering") and config.prior != "gaussian":
    raise ValueError(f"mode {config.mode!r} pushes the style z to N(0, I): prior must be 'gaussian', got "
                     f"{config.prior!r}")
  if config.mode in ("supervised", "semi_supervised", "clustering") and config.num_classes < 2:
    raise ValueError(f"num_classes must be >= 2 for mode {config.mode!r}, got {config.num_classes}")
  if config.mode == "clustering" and config.clusters < 2:
    raise ValueError(f"clusters must be >= 2, got {config.clusters}")
  if config.mode == "semi_supervised":
    if config.labels < config.num_classes or config.labels % config.num_classes:
      raise ValueError(f"semi_supervised needs labels, a positive multiple of num_classes ({config.num_classes}), "
                       f"got {config.labels}")
  elif config.labels and not (config.mode == "unsupervised" and config.prior in ("mixture", "swissroll")):
    raise ValueError(f"labels is for mode 'semi_supervised' or an unsupervised mixture/swissroll prior, not mode "
                     f"{config.mode!r} with prior {config.prior!r}")
  if config.model == "vae":
    if config.mode not in ("unsupervised", "supervised"):
      raise ValueError(f"the vae baseline has modes 'unsupervised' and 'supervised', not {config.mode!r}")
    if config.prior == "swissroll":
      raise ValueError("the vae needs the prior's density for its KL term; the swiss roll has none here: prior "
                       "must be 'gaussian' or 'mixture'")
    if config.labels:
      raise ValueError(f"the vae takes no labels for its prior, got labels {config.labels}")
  from jgan import data
  data.check_name(config.dataset, config.data_dir)
  if data.is_toy(config.dataset):
    raise ValueError(f"dataset {config.dataset!r} is a toy of points; the autoencoders need images")


def get_config() -> AAEConfig:
  """The unsupervised AAE with a 2-D Gaussian prior (Fig. 2a)."""
  return AAEConfig()
