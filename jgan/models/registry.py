"""Builds a (generator, discriminator) pair of Flax modules from an architecture name and the data's shape."""

from __future__ import annotations

import flax.linen as nn

from jgan.models import dcgan, mlp

ARCHS = {"dcgan": dcgan, "mlp": mlp}


def build(arch: str, *, shape: tuple[int, ...], generator_features: int, critic_features: int, mlp_layers: int = 3,
          mlp_output: str = "linear", extra_outputs: int = 0,
          axis_name: str | None = None) -> tuple[nn.Module, nn.Module]:
  """Returns `(generator, discriminator)` for `arch` in `ARCHS`; the generator makes samples of `shape`.

  `extra_outputs` > 0 gives the discriminator a linear head beside its real/fake output (AC-GAN, InfoGAN).
  """
  if arch not in ARCHS:
    raise ValueError(f"unknown arch {arch!r}; expected one of {sorted(ARCHS)}")
  if arch == "dcgan":
    if len(shape) != 3 or shape[0] != shape[1]:
      raise ValueError(f"the dcgan arch makes square images (size, size, channels), not samples of shape {shape}")
    dcgan.check_image_size(shape[0])
    generator = dcgan.Generator(image_size=shape[0], channels=shape[2], features=generator_features,
                                axis_name=axis_name)
    return generator, dcgan.Critic(features=critic_features, axis_name=axis_name, extra_outputs=extra_outputs)
  generator = mlp.Generator(shape=tuple(shape), features=generator_features, layers=mlp_layers, output=mlp_output,
                            axis_name=axis_name)
  return generator, mlp.Critic(features=critic_features, layers=mlp_layers, axis_name=axis_name,
                               extra_outputs=extra_outputs)
