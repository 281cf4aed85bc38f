"""What every training run has, whatever it trains: its batch, length and seed, and how often it writes what.

`RunConfig` is the base of each family's configuration (`jgan.configs.base.Config` for the GANs,
`jgan.configs.aae.AAEConfig` for the autoencoders); `jgan.loop` reads only these fields.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar


def field(default, help: str, group: str | None = None):
  """A dataclass field whose `help` becomes the command-line help (`jgan.cli`); `group` names its help group (one
  of `jgan.cli.GROUPS`) where the field's name alone does not say it (`jgan.cli.FIELD_GROUPS`)."""
  metadata = {"help": help} if group is None else {"help": help, "group": group}
  return dataclasses.field(default=default, metadata=metadata)


@dataclasses.dataclass(frozen=True)
class RunConfig:
  """The run's fields; subclasses add their model's. `resumable` names those a resumed run may change."""

  title: ClassVar[str] = "run: batch, length, seed and outputs"

  resumable: ClassVar[tuple[str, ...]] = ("steps", "log_every", "sample_every", "checkpoint_every",
                                          "keep_checkpoints", "eval_every", "eval_samples")

  batch_size: int = field(64, "global batch (all devices together)")
  steps: int = field(2000, "total training iterations of the run")
  seed: int = field(0, "the run's only source of randomness")
  log_every: int = field(10, "iterations between metric flushes")
  sample_every: int = field(100, "iterations between sample grids")
  checkpoint_every: int = field(500, "iterations between checkpoints")
  keep_checkpoints: int = field(3, "how many recent checkpoints to keep")
  num_samples: int = field(64, "images in each sample grid")
  eval_every: int = field(0, "iterations between evaluations (also at the start and the end); 0: none")
  eval_samples: int = field(2500, "generated samples per evaluation")


RUN_POSITIVE_INTS = ("batch_size", "steps", "log_every", "sample_every", "checkpoint_every", "keep_checkpoints",
                     "num_samples", "eval_samples")


def check_types(config) -> None:
  """Every int / float / str / bool field holds a value of that type (bools are not ints here)."""
  for f in dataclasses.fields(config):
    value = getattr(config, f.name)
    expected = {int: int, float: (int, float), str: str, bool: bool}.get(type(f.default))
    if expected is not None and (not isinstance(value, expected) or (expected is not bool and isinstance(value, bool))):
      raise ValueError(f"{f.name} must be of type {type(f.default).__name__}, got {value!r}")


def check_choices(config, choices: tuple[tuple[str, tuple], ...]) -> None:
  for name, allowed in choices:
    if getattr(config, name) not in allowed:
      raise ValueError(f"{name} must be one of {allowed}, got {getattr(config, name)!r}")


def check_run(config: RunConfig, num_devices: int = 1) -> None:
  """The run fields' ranges, and the batch's divisibility by the device count."""
  for name in RUN_POSITIVE_INTS:
    if getattr(config, name) < 1:
      raise ValueError(f"{name} must be >= 1, got {getattr(config, name)}")
  for name in ("seed", "eval_every"):
    if getattr(config, name) < 0:
      raise ValueError(f"{name} must be >= 0, got {getattr(config, name)}")
  if config.batch_size % num_devices:
    raise ValueError(f"batch_size {config.batch_size} must be divisible by the device count {num_devices}")
