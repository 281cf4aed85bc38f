"""WGAN configuration (Arjovsky, Chintala and Bottou 2017, arXiv:1701.07875).

Defaults are the reference code's (github.com/martinarjovsky/WassersteinGAN, `main.py`): RMSProp with learning
rate 5e-5 for both players, clipping c = 0.01, batch 64, 5 critic steps per generator iteration raised to 100 for
the first 25 generator iterations and every 500th, DCGAN nets with 64 filters and a 100-d latent, run here on the
embedded digits padded to 32x32.

    python -m jgan.experiments.wgan                      # DCGAN WGAN on the embedded digits
    python -m jgan.experiments.wgan --arch mlp --steps 500
"""

from __future__ import annotations

import dataclasses
import math
from typing import Literal

ARCHS = ("dcgan", "mlp")
OPTIMIZERS = ("rmsprop", "adam")
LOOPS = ("auto", "host", "device")


@dataclasses.dataclass(frozen=True)
class WGANConfig:
  """Every hyperparameter of a WGAN run. `help` metadata becomes the command-line help."""

  dataset: str = dataclasses.field(default="digits", metadata={
      "help": "'digits' (embedded), a TFDS name, or a path to an .npz file with 'images' (and 'labels')"})
  split: str = dataclasses.field(default="train", metadata={"help": "TFDS split"})
  image_size: int = dataclasses.field(default=32, metadata={"help": "side the images are brought to"})
  resize: Literal["pad", "bilinear"] = dataclasses.field(default="pad", metadata={
      "help": "how images reach image_size: 'pad' (centred on zeros) or 'bilinear'"})
  arch: Literal["dcgan", "mlp"] = dataclasses.field(default="dcgan", metadata={"help": "generator/critic nets"})
  latent_dim: int = dataclasses.field(default=100, metadata={"help": "dimension of z ~ N(0, I)"})
  generator_features: int = dataclasses.field(default=64, metadata={"help": "ngf (dcgan) or hidden width (mlp)"})
  critic_features: int = dataclasses.field(default=64, metadata={"help": "ndf (dcgan) or hidden width (mlp)"})
  optimizer: Literal["rmsprop", "adam"] = dataclasses.field(default="rmsprop", metadata={
      "help": "rmsprop (PyTorch semantics, the paper's) or adam"})
  learning_rate: float = dataclasses.field(default=5e-5, metadata={"help": "alpha, both players"})
  clip_value: float = dataclasses.field(default=0.01, metadata={"help": "c: critic weights are clipped to [-c, c]"})
  batch_size: int = dataclasses.field(default=64, metadata={"help": "global batch (all devices together)"})
  n_critic: int = dataclasses.field(default=5, metadata={"help": "critic steps per generator iteration"})
  warmup_steps: int = dataclasses.field(default=25, metadata={
      "help": "generator iterations at the start that use warmup_n_critic critic steps"})
  warmup_n_critic: int = dataclasses.field(default=100, metadata={
      "help": "critic steps in warm-up iterations and every `warmup_every`-th one"})
  warmup_every: int = dataclasses.field(default=500, metadata={"help": "period of the long critic iterations"})
  steps: int = dataclasses.field(default=2000, metadata={"help": "total generator iterations of the run"})
  seed: int = dataclasses.field(default=0, metadata={"help": "the run's only source of randomness"})
  loop: Literal["auto", "host", "device"] = dataclasses.field(default="auto", metadata={
      "help": "'device': many iterations per call in XLA loops; 'host': one call per iteration with unrolled "
              "critic steps (faster for convolutions on CPU); 'auto' picks by backend and arch"})
  log_every: int = dataclasses.field(default=10, metadata={"help": "iterations between metric flushes"})
  sample_every: int = dataclasses.field(default=100, metadata={"help": "iterations between sample grids"})
  checkpoint_every: int = dataclasses.field(default=500, metadata={"help": "iterations between checkpoints"})
  keep_checkpoints: int = dataclasses.field(default=3, metadata={"help": "how many recent checkpoints to keep"})
  num_samples: int = dataclasses.field(default=64, metadata={"help": "images in each sample grid"})

  @property
  def schedule(self) -> dict[str, int]:
    return dict(n_critic=self.n_critic, warmup_steps=self.warmup_steps, warmup_n_critic=self.warmup_n_critic,
                every=self.warmup_every)


POSITIVE_INTS = ("image_size", "latent_dim", "generator_features", "critic_features", "batch_size", "n_critic",
                 "warmup_n_critic", "warmup_every", "steps", "log_every", "sample_every", "checkpoint_every",
                 "keep_checkpoints", "num_samples")


def validate(config: WGANConfig, num_devices: int = 1) -> None:
  """Raises ValueError naming the first bad field, its value and what is allowed. Cheap: reads no data."""
  for field in dataclasses.fields(config):
    value = getattr(config, field.name)
    expected = {int: int, float: (int, float), str: str}.get(type(field.default))
    if expected is not None and (not isinstance(value, expected) or isinstance(value, bool)):
      raise ValueError(f"{field.name} must be of type {type(field.default).__name__}, got {value!r}")
  for name in POSITIVE_INTS:
    if getattr(config, name) < 1:
      raise ValueError(f"{name} must be >= 1, got {getattr(config, name)}")
  for name in ("learning_rate", "clip_value"):
    value = getattr(config, name)
    if not (value > 0 and math.isfinite(value)):
      raise ValueError(f"{name} must be a finite number > 0, got {value}")
  for name, allowed in (("arch", ARCHS), ("optimizer", OPTIMIZERS), ("loop", LOOPS), ("resize", ("pad", "bilinear"))):
    if getattr(config, name) not in allowed:
      raise ValueError(f"{name} must be one of {allowed}, got {getattr(config, name)!r}")
  if config.warmup_steps < 0:
    raise ValueError(f"warmup_steps must be >= 0, got {config.warmup_steps}")
  if config.batch_size % num_devices:
    raise ValueError(f"batch_size {config.batch_size} must be divisible by the device count {num_devices}")
  if config.arch == "dcgan" and (config.image_size < 8 or config.image_size & (config.image_size - 1)):
    raise ValueError(f"image_size must be a power of two >= 8 for the dcgan arch, got {config.image_size}")
  if config.seed < 0:
    raise ValueError(f"seed must be >= 0, got {config.seed}")
  from jgan import data  # the data-set name check is cheap (no data is read)
  data.check_name(config.dataset)
