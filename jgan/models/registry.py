"""Builds a (generator, critic) pair of Flax modules from an architecture name."""

from __future__ import annotations

import flax.linen as nn

from jgan.models import dcgan, mlp

ARCHS = {"dcgan": dcgan, "mlp": mlp}


def build(arch: str, *, image_size: int, channels: int, generator_features: int, critic_features: int,
          axis_name: str | None = None) -> tuple[nn.Module, nn.Module]:
  """Returns `(generator, critic)` for `arch` in `ARCHS`."""
  if arch not in ARCHS:
    raise ValueError(f"unknown arch {arch!r}; expected one of {sorted(ARCHS)}")
  module = ARCHS[arch]
  if arch == "dcgan":
    dcgan.check_image_size(image_size)
  generator = module.Generator(image_size=image_size, channels=channels, features=generator_features,
                               axis_name=axis_name)
  critic = module.Critic(features=critic_features, axis_name=axis_name)
  return generator, critic
