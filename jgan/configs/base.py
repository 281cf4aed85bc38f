"""The configuration of every GAN-family experiment: one frozen dataclass, validated once before any work.

Its defaults are the WGAN reference recipe (the project's foundation); each experiment's `get_config()` in
`jgan/configs/NAME.py` returns it with that paper's hyperparameters. The `game` field names the module in
`jgan/games/` that holds the experiment's losses, so a config leads to every file a run uses.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar, Literal

from jgan.configs.run import RunConfig, check_run, check_types, field

ARCHS = ("dcgan", "mlp", "maxout", "infogan", "ssgan_mlp", "pacgan")
GAMES = ("wgan", "gan", "cgan", "acgan", "infogan", "wgan_gp", "ssgan")
G_LOSSES = ("non_saturating", "minimax", "feature_matching")
NORMS = ("batch", "layer", "none")
GENERATOR_NORMS = ("batch", "virtual")
HISTORICAL_AVERAGING_PLAYERS = ("both", "discriminator", "generator")
OPTIMIZERS = ("rmsprop", "adam", "sgd")
LOOPS = ("auto", "host", "device")
COMPUTE_DTYPES = ("float32", "bfloat16")
INPUTS = ("auto", "device", "stream")
LATENTS = ("auto", "normal", "uniform", "unit_uniform")
MLP_OUTPUTS = ("linear", "tanh")
GENERATOR_INITS = ("torch", "goodfellow")
CRITIC_LABEL_INITS = ("pylearn2", "fan_in")
UPDATES = ("alternating", "simultaneous")


_field = field


@dataclasses.dataclass(frozen=True)
class Config(RunConfig):
  """Every hyperparameter of a GAN run (the run's own fields come from `RunConfig`). `help` metadata becomes the
  command-line help."""

  title: ClassVar[str] = "the GAN: data, nets, game, optimizers and schedule"

  # `input` and its threshold may change: the streamed and the device-resident paths give the same batches.
  resumable: ClassVar[tuple[str, ...]] = RunConfig.resumable + ("loop", "compute_dtype", "data_dir",
                                                                  "skip_bad_images", "input", "stream_threshold_mb")

  # --- Data. ---
  dataset: str = _field("digits", "'digits' (embedded), a toy (normal1d, ring8, grid25, swissroll), a TFDS name, "
                                  "a path to an .npz file with 'images' (and 'labels'), or a folder of PNG/JPEG "
                                  "images")
  split: str = _field("train", "TFDS split")
  data_dir: str = _field("", "where TFDS keeps prepared data sets ('': $TFDS_DATA_DIR, else ~/tensorflow_datasets)")
  image_size: int = _field(32, "side the images are brought to")
  resize: Literal["pad", "bilinear"] = _field("pad", "how images reach image_size: 'pad' (centred on zeros) or "
                                                     "'bilinear' (a folder's images: their centred squares resized, "
                                                     "BICUBIC, as they are read)")
  skip_bad_images: bool = _field(False, "a folder of images: skip unreadable files (counted on stderr) instead of "
                                        "stopping")
  input: Literal["auto", "device", "stream"] = _field(
      "auto", "'device': the whole set held on every device, batches gathered in the step; 'stream': batches read "
              "on the host (each process its own rows) and prefetched while the devices compute, the same batches "
              "(jgan.data.stream); 'auto': stream sets above stream_threshold_mb")
  stream_threshold_mb: float = _field(0.0, "input 'auto' streams a set whose uint8 images at the training size "
                                           "exceed this many MB (0: a quarter of one device's memory, or 1024 MB "
                                           "on CPU)")
  # --- Nets. ---
  arch: Literal["dcgan", "mlp", "maxout", "infogan", "ssgan_mlp", "pacgan"] = _field(
      "dcgan", "generator/discriminator nets ('maxout': the MLP generator against a maxout discriminator with "
               "dropout; 'infogan': Chen et al. 2016's MNIST nets, jgan/models/infogan.py; 'ssgan_mlp': Salimans "
               "et al. 2016's semi-supervised MNIST nets, jgan/models/layers_improved.py; 'pacgan': PacGAN's 2-D "
               "nets, jgan/models/pacgan.py)")
  latent_dim: int = _field(100, "dimension of the noise z")
  latent: Literal["auto", "normal", "uniform", "unit_uniform"] = _field(
      "auto", "z ~ N(0, I), U(-1, 1) or U(0, 1) per coordinate; 'auto': unit_uniform for normal1d, else normal")
  generator_features: int = _field(64, "ngf (dcgan) or hidden width (mlp)")
  critic_features: int = _field(64, "ndf (dcgan) or hidden width (mlp) of the discriminator")
  mlp_layers: int = _field(3, "hidden layers of each MLP")
  mlp_output: Literal["linear", "tanh"] = _field("linear", "the MLP generator's output non-linearity")
  generator_init: Literal["torch", "goodfellow"] = _field(
      "torch", "the maxout arch's generator: 'torch', the MLP of jgan/models/mlp.py (PyTorch's initialization, "
               "mlp_output), or for a cgan Mirza and Osindero's with PyTorch's initialization; 'goodfellow', "
               "Goodfellow et al.'s code: U(-0.05, 0.05) weights, zero hidden biases, a sigmoid output whose biases "
               "start at the logits of the training pixels' means (jgan/models/maxout.py, GoodfellowGenerator or "
               "ConditionalGenerator; mlp_output unused)")
  critic_label_init: Literal["pylearn2", "fan_in"] = _field(
      "pylearn2", "the maxout discriminator's label path (cgan): 'pylearn2', U(-0.005, 0.005) as its other layers; "
                  "'fan_in', U(-1/sqrt(classes), 1/sqrt(classes)) (jgan/models/maxout.py, Critic)")
  # --- The game: losses and their options. ---
  game: Literal["wgan", "gan", "cgan", "acgan", "infogan", "wgan_gp", "ssgan"] = _field(
      "wgan", "losses, from jgan/games/")
  g_loss: Literal["non_saturating", "minimax", "feature_matching"] = _field(
      "non_saturating", "cross-entropy games: the generator minimizes -log D(G(z)) or log(1 - D(G(z))), or (gan, "
                        "ssgan) ||E f(x) - E f(G(z))||^2 on a discriminator layer (feature matching)")
  real_label: float = _field(1.0, "cross-entropy games: target for real data (< 1: one-sided label smoothing)")
  clip_value: float = _field(0.01, "c: discriminator weights are clipped to [-c, c] before each step (0: off)")
  num_classes: int = _field(10, "label classes of conditional games (cgan, acgan) and of ssgan")
  aux_weight: float = _field(1.0, "acgan: weight of the class log-likelihood")
  categorical_codes: int = _field(10, "infogan: categories of the code c1 ~ Cat(K)")
  continuous_codes: int = _field(2, "infogan: codes c ~ U(-1, 1)")
  info_weight: float = _field(1.0, "infogan: lambda, weight of the mutual-information lower bound")
  gp_weight: float = _field(10.0, "wgan_gp: lambda, weight of the gradient penalty")
  packing: int = _field(1, "gan, wgan: the discriminator judges packs of this many samples, all real or all "
                           "generated (PacGAN, Lin et al. 2018); batch_size counts samples, so a batch makes "
                           "batch_size / packing packs (1: no packing)", group="game")
  feature_layer: int = _field(-1, "feature matching: which discriminator layer's features, a Python index into "
                                  "its hidden layers (-1: the last)")
  labels: int = _field(0, "ssgan: training examples whose labels are kept, labels / num_classes per class; all "
                          "training images are also used unlabeled")
  heldout: int = _field(0, "images held out of training (ssgan's test set): the last of the seeded permutation "
                           "of jgan.eval.classifier.heldout_split (0: train on all)")
  # --- Improved training (Salimans et al. 2016; Gulrajani et al. 2017; Miyato et al. 2018). ---
  norm: Literal["batch", "layer", "none"] = _field("batch", "the dcgan critic's normalization ('layer': the "
                                                            "WGAN-GP critic's); the mlp critic has none")
  generator_norm: Literal["batch", "virtual"] = _field(
      "batch", "the dcgan generator's normalization; 'virtual': virtual batch norm against a reference batch of "
               "batch_size codes drawn once from the seed")
  spectral_norm: int = _field(0, "power iterations per call of spectral normalization on every critic layer (0: "
                                 "off; Miyato et al.: 1)")
  minibatch_kernels: int = _field(0, "minibatch discrimination before the critic's output: B kernels (0: off; "
                                     "Salimans et al.: 100)")
  minibatch_kernel_dim: int = _field(5, "minibatch discrimination: C, the dimension of each kernel")
  compute_dtype: Literal["float32", "bfloat16"] = _field(
      "float32", "dtype of the dcgan and mlp nets' convolutions and matrix products ('bfloat16': mixed precision "
                 "for accelerators; parameters, optimizer state, batch norm and losses stay float32)")
  historical_averaging: float = _field(0.0, "lambda of the historical-averaging penalty ||theta - mean of past "
                                            "theta||^2 (0: off)")
  historical_averaging_player: Literal["both", "discriminator", "generator"] = _field(
      "both", "which players historical averaging applies to")
  # --- Optimizers. ---
  optimizer: Literal["rmsprop", "adam", "sgd"] = _field("rmsprop", "rmsprop (PyTorch semantics), adam, or sgd "
                                                                   "with momentum")
  learning_rate: float = _field(5e-5, "alpha: the discriminator's learning rate, and the generator's unless set")
  generator_learning_rate: float = _field(0.0, "the generator's learning rate (0: learning_rate)")
  beta1: float = _field(0.5, "adam: beta1")
  beta2: float = _field(0.999, "adam: beta2")
  momentum: float = _field(0.5, "sgd: momentum")
  momentum_final: float = _field(0.0, "sgd: momentum reached at the end of the ramp (with momentum_ramp_steps)")
  momentum_ramp_steps: int = _field(0, "sgd: updates over which momentum rises linearly to momentum_final (0: none)")
  lr_decay: float = _field(1.0, "sgd: the learning rate is divided by this after every update, down to 1e-6 "
                                "(1: constant)")
  max_col_norm: float = _field(0.0, "after each discriminator update, its dense kernels' columns longer than this "
                                    "are rescaled to it (pylearn2's max_col_norm; 0: off)")
  # --- Schedule: discriminator steps per generator iteration. ---
  n_critic: int = _field(5, "discriminator steps per generator iteration (k)")
  warmup_steps: int = _field(25, "generator iterations at the start that use warmup_n_critic steps")
  warmup_n_critic: int = _field(100, "discriminator steps in warm-up iterations and every `warmup_every`-th one")
  warmup_every: int = _field(500, "period of the long discriminator iterations")
  updates: Literal["alternating", "simultaneous"] = _field(
      "alternating", "'alternating': the discriminator's steps, then the generator's on fresh noise (Algorithm 1); "
                     "'simultaneous': both players' gradients from one batch at the same parameters, applied "
                     "together, as Goodfellow et al.'s and PacGAN's code do (needs n_critic = warmup_n_critic = 1)")
  # --- The run (the fields of RunConfig, with this family's defaults). ---
  steps: int = _field(2000, "total generator iterations of the run")
  loop: Literal["auto", "host", "device"] = _field(
      "auto", "'device': many iterations per call in XLA loops; 'host': one call per iteration with unrolled "
              "discriminator steps (faster for convolutions on CPU); 'auto' picks by backend and arch")
  eval_every: int = _field(0, "iterations between evaluations (jgan.eval.during_training metrics, also at the "
                                 "start and the end); 0: none")

  @property
  def schedule(self) -> dict[str, int]:
    return dict(n_critic=self.n_critic, warmup_steps=self.warmup_steps, warmup_n_critic=self.warmup_n_critic,
                every=self.warmup_every)

  @property
  def conditional(self) -> bool:
    return self.game in ("cgan", "acgan")

  def used_fields(self) -> set[str]:
    """The fields this configuration's game, nets and optimizer read (what its experiment's --help shows)."""
    unused = {name for name, games in GAME_FIELDS.items() if self.game not in games}
    unused |= {name for name, archs in ARCH_FIELDS.items() if self.arch not in archs}
    unused |= {name for name, optimizers in OPTIMIZER_FIELDS.items() if self.optimizer not in optimizers}
    return {f.name for f in dataclasses.fields(self)} - unused


# The fields only some games, nets or optimizers read. An experiment's --help lists a field only where its recipe
# uses it (`Config.used_fields`); the others stay accepted, so a recipe can still be switched to another game.
GAME_FIELDS = {
    "g_loss": ("gan", "cgan", "acgan", "infogan", "ssgan"), "real_label": ("gan", "cgan", "acgan", "infogan"),
    "clip_value": ("wgan",), "num_classes": ("cgan", "acgan", "ssgan"), "aux_weight": ("acgan",),
    "categorical_codes": ("infogan",), "continuous_codes": ("infogan",), "info_weight": ("infogan",),
    "gp_weight": ("wgan_gp",), "packing": ("gan", "wgan"), "feature_layer": ("gan", "ssgan"), "labels": ("ssgan",),
    "heldout": ("ssgan", "gan", "cgan"),
}
ARCH_FIELDS = {"mlp_layers": ("mlp", "maxout"), "mlp_output": ("mlp", "maxout"), "generator_init": ("maxout",),
               "critic_label_init": ("maxout",),
               "norm": ("dcgan",),
               "generator_norm": ("dcgan",), "spectral_norm": ("dcgan", "mlp"), "minibatch_kernels": ("dcgan", "mlp"),
               "minibatch_kernel_dim": ("dcgan", "mlp"), "compute_dtype": ("dcgan", "mlp")}
# The papers' own nets (maxout: Goodfellow et al.'s; infogan, ssgan_mlp, pacgan: those papers' code) and the net
# options of `jgan.models.layers_improved` they do not take, with each option's off value.
PAPER_NETS = ("maxout", "infogan", "ssgan_mlp", "pacgan")
IMPROVED_NET_OPTIONS = {"spectral_norm": 0, "minibatch_kernels": 0, "compute_dtype": "float32"}
OPTIMIZER_FIELDS = {"beta1": ("adam",), "beta2": ("adam",), "momentum": ("sgd",), "momentum_final": ("sgd",),
                    "momentum_ramp_steps": ("sgd",), "lr_decay": ("sgd",)}


POSITIVE_INTS = ("image_size", "latent_dim", "generator_features", "critic_features", "mlp_layers", "batch_size",
                 "n_critic", "warmup_n_critic", "warmup_every", "steps", "log_every", "sample_every",
                 "checkpoint_every", "keep_checkpoints", "num_samples", "eval_samples")
CHOICES = (("arch", ARCHS), ("game", GAMES), ("g_loss", G_LOSSES), ("optimizer", OPTIMIZERS), ("loop", LOOPS),
           ("resize", ("pad", "bilinear")), ("latent", LATENTS), ("mlp_output", MLP_OUTPUTS),
           ("generator_init", GENERATOR_INITS), ("critic_label_init", CRITIC_LABEL_INITS), ("norm", NORMS),
           ("generator_norm", GENERATOR_NORMS), ("historical_averaging_player", HISTORICAL_AVERAGING_PLAYERS),
           ("compute_dtype", COMPUTE_DTYPES), ("input", INPUTS), ("updates", UPDATES))


def _check_ranges(config: Config) -> None:
  for name in POSITIVE_INTS:
    if getattr(config, name) < 1:
      raise ValueError(f"{name} must be >= 1, got {getattr(config, name)}")
  for name in ("warmup_steps", "seed", "eval_every", "categorical_codes", "continuous_codes", "momentum_ramp_steps",
               "labels", "heldout", "spectral_norm", "minibatch_kernels"):
    if getattr(config, name) < 0:
      raise ValueError(f"{name} must be >= 0, got {getattr(config, name)}")
  if not (config.learning_rate > 0 and math.isfinite(config.learning_rate)):
    raise ValueError(f"learning_rate must be a finite number > 0, got {config.learning_rate}")
  for name in ("clip_value", "aux_weight", "info_weight", "momentum", "generator_learning_rate", "gp_weight",
               "historical_averaging", "max_col_norm"):
    value = getattr(config, name)
    if not (value >= 0 and math.isfinite(value)):
      raise ValueError(f"{name} must be a finite number >= 0, got {value}")
  for name in ("beta1", "beta2", "momentum_final"):
    if not 0 <= getattr(config, name) < 1:
      raise ValueError(f"{name} must be in [0, 1), got {getattr(config, name)}")
  if not (config.stream_threshold_mb >= 0 and math.isfinite(config.stream_threshold_mb)):
    raise ValueError(f"stream_threshold_mb must be a finite number >= 0, got {config.stream_threshold_mb}")
  if not (config.lr_decay >= 1 and math.isfinite(config.lr_decay)):
    raise ValueError(f"lr_decay must be a finite number >= 1, got {config.lr_decay}")
  if not 0 < config.real_label <= 1:
    raise ValueError(f"real_label must be in (0, 1], got {config.real_label}")
  for name, allowed in CHOICES:
    if getattr(config, name) not in allowed:
      raise ValueError(f"{name} must be one of {allowed}, got {getattr(config, name)!r}")
  if config.updates == "simultaneous" and (config.n_critic, config.warmup_n_critic) != (1, 1):
    raise ValueError("updates 'simultaneous' takes one discriminator step per generator step: n_critic and "
                     f"warmup_n_critic must be 1, got {config.n_critic} and {config.warmup_n_critic}")


def validate(config: Config, num_devices: int = 1) -> None:
  """Raises ValueError naming the first bad field, its value and what is allowed. Cheap: reads no data."""
  check_types(config)
  _check_ranges(config)
  check_run(config, num_devices)
  if config.conditional and config.num_classes < 2:
    raise ValueError(f"num_classes must be >= 2 for game {config.game!r}, got {config.num_classes}")
  if config.game == "infogan" and config.categorical_codes + config.continuous_codes == 0:
    raise ValueError("infogan needs at least one code: categorical_codes and continuous_codes are both 0")
  maxout_inits = [(name, plain) for name, plain in (("generator_init", "torch"), ("critic_label_init", "pylearn2"))
                  if getattr(config, name) != plain]
  if maxout_inits and config.arch != "maxout":
    named = " and ".join(f"{name} {getattr(config, name)!r}" for name, _ in maxout_inits)
    flags = " ".join(f"--{name.replace('_', '-')} {plain}" for name, plain in maxout_inits)
    raise ValueError(f"{named}: initializations of the maxout arch's nets (Goodfellow et al.'s code), for arch "
                     f"'maxout'; got arch {config.arch!r} (with it, pass {flags})")
  if config.critic_label_init != "pylearn2" and config.game != "cgan":
    raise ValueError(f"critic_label_init {config.critic_label_init!r} sets the label path of the maxout "
                     f"discriminator, which only game 'cgan' gives it; got game {config.game!r} (leave it "
                     f"'pylearn2')")
  _check_improved(config)
  _check_packing(config, num_devices)
  _check_input(config)
  from jgan import data  # the data-set name check is cheap (no data is read)
  data.check_name(config.dataset, config.data_dir)
  if data.is_toy(config.dataset):
    if config.arch == "dcgan":
      raise ValueError(f"dataset {config.dataset!r} holds points, not images: arch must be 'mlp' or 'maxout', "
                       f"got {config.arch!r}")
    if config.conditional:
      raise ValueError(f"game {config.game!r} needs labels; the toy dataset {config.dataset!r} has none")
  elif config.arch == "dcgan" and (config.image_size < 8 or config.image_size & (config.image_size - 1)):
    raise ValueError(f"image_size must be a power of two >= 8 for the dcgan arch, got {config.image_size}")


def _check_packing(config: Config, num_devices: int) -> None:
  """PacGAN's packing: a positive integer dividing each device's batch, for the unconditional games it is defined
  for (a conditional or auxiliary head judges single samples; the gradient penalty, single inputs)."""
  if isinstance(config.packing, bool) or config.packing < 1:
    raise ValueError(f"packing must be an integer >= 1, got {config.packing!r}")
  if config.packing == 1:
    return
  if config.game not in ("gan", "wgan"):
    raise ValueError(f"packing {config.packing} is for games 'gan' and 'wgan', not {config.game!r}")
  if config.arch == "maxout":
    raise ValueError(f"packing {config.packing} needs a discriminator that takes packed inputs (dcgan, mlp, pacgan); "
                     "the maxout one reads channels beyond the data's as a label")
  per_device = config.batch_size // num_devices
  if per_device % config.packing:
    raise ValueError(f"packing {config.packing} must divide the batch of samples on each device: batch_size "
                     f"{config.batch_size} over {num_devices} device(s) is {per_device}")


def _check_input(config: Config) -> None:
  """Where input 'stream' applies: image sets whose games draw one real batch per critic step and none elsewhere."""
  if config.input != "stream":
    return
  from jgan import data
  if data.is_toy(config.dataset):
    raise ValueError(f"input 'stream' reads image sets; the toy dataset {config.dataset!r} is drawn on the device")
  if config.game == "ssgan" or config.g_loss == "feature_matching":
    what = "ssgan draws its labeled batches" if config.game == "ssgan" else "feature matching draws real batches"
    raise ValueError(f"input 'stream' feeds the critic steps' real batches; {what} on the device too: use input "
                     "'device' or 'auto'")
  if config.loop == "device":
    raise ValueError("input 'stream' feeds each compiled call its batches from the host, one call per generator "
                     "iteration: loop must be 'host' or 'auto', not 'device'")


def _check_improved(config: Config) -> None:
  """The options of Salimans et al. 2016, WGAN-GP and spectral norm: where each one applies."""
  if config.minibatch_kernel_dim < 1:
    raise ValueError(f"minibatch_kernel_dim must be >= 1, got {config.minibatch_kernel_dim}")
  if config.g_loss == "feature_matching" and config.game not in ("gan", "ssgan"):
    raise ValueError(f"g_loss 'feature_matching' is implemented for games 'gan' and 'ssgan', not {config.game!r}")
  if config.arch == "maxout" and config.g_loss == "feature_matching":
    raise ValueError("feature matching needs the dcgan or mlp critic, not maxout")
  if config.arch in PAPER_NETS:  # a paper's own nets, built as the paper has them: the options would be ignored
    chosen = {name: getattr(config, name) for name, off in IMPROVED_NET_OPTIONS.items() if getattr(config, name) != off}
    if chosen:
      raise ValueError(f"{', '.join(f'{k}={v!r}' for k, v in chosen.items())}: only the dcgan and mlp nets take "
                       f"these options; arch {config.arch!r} is a paper's fixed nets")
  if config.generator_norm == "virtual" and config.arch != "dcgan":
    raise ValueError(f"generator_norm 'virtual' needs the dcgan generator (arch 'dcgan'), got {config.arch!r}")
  if config.game == "wgan_gp" and config.arch == "dcgan" and config.norm == "batch":
    raise ValueError("wgan_gp penalizes per-example gradients, which batch norm couples across the batch: use "
                     "norm 'layer' or 'none' (Gulrajani et al. 2017, Sec. 4)")
  if config.game == "wgan_gp" and config.minibatch_kernels:
    raise ValueError("wgan_gp penalizes per-example gradients, which minibatch discrimination couples: set "
                     "minibatch_kernels 0")
  from jgan import data
  if data.is_toy(config.dataset) and (config.game == "ssgan" or config.heldout):
    raise ValueError(f"the toy dataset {config.dataset!r} is drawn, not held: no labels, nothing to hold out")
  if config.game == "ssgan":
    if config.labels < config.num_classes or config.labels % config.num_classes:
      raise ValueError(f"ssgan needs labels, a positive multiple of num_classes ({config.num_classes}), got "
                       f"{config.labels}")
  elif config.labels:
    raise ValueError(f"labels (semi-supervised training) is for game 'ssgan', not {config.game!r}")
