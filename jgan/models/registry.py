"""Builds a (generator, discriminator) pair of Flax modules from an architecture name and the data's shape."""

from __future__ import annotations

from typing import Any

import flax.linen as nn

from jgan.models import dcgan, infogan, layers_improved, maxout, mlp, pacgan

ARCHS = {"dcgan": dcgan, "mlp": mlp, "maxout": maxout, "infogan": infogan, "pacgan": pacgan,
         "ssgan_mlp": layers_improved}


def build(arch: str, *, shape: tuple[int, ...], generator_features: int, critic_features: int, mlp_layers: int = 3,
          mlp_output: str = "linear", extra_outputs: int = 0, axis_name: str | None = None, norm: str = "batch",
          generator_norm: str = "batch", spectral_norm: int = 0, minibatch_kernels: int = 0,
          minibatch_kernel_dim: int = 5, dtype: Any = None, condition_dim: int = 0,
          generator_init: str = "torch", critic_label_init: str = "pylearn2") -> tuple[nn.Module, nn.Module]:
  """Returns `(generator, discriminator)` for `arch` in `ARCHS`; the generator makes samples of `shape`.

  `extra_outputs` > 0 gives the discriminator a linear head beside its real/fake output (AC-GAN, InfoGAN).
  Options of `jgan.models.layers_improved`: `norm` (the dcgan critic's: 'batch', 'layer', 'none'),
  `generator_norm` (the dcgan generator's: 'batch', 'virtual'), `spectral_norm` (power iterations, 0: off) and
  `minibatch_kernels` / `minibatch_kernel_dim` (minibatch discrimination, 0: off) for the dcgan and mlp critics.
  `dtype` (dcgan and mlp): the dtype of their convolutions and matrix products (None: float32); parameters, batch
  norm and the outputs stay float32. `condition_dim` > 0: the generator's last inputs are a condition of that width
  (the cGAN's onehot(y)); the maxout arch then takes Mirza and Osindero's generator with its own label path.
  `generator_init` 'goodfellow' (maxout): Goodfellow et al.'s generator (`maxout.GoodfellowGenerator`), or their
  code's initialization of Mirza and Osindero's for a condition (`maxout.ConditionalGenerator`'s `initialization`).
  `critic_label_init` (maxout with a condition): the discriminator's label path at U(-0.005, 0.005), 'pylearn2' as
  its other layers, or 'fan_in', U(-1/sqrt(condition_dim), 1/sqrt(condition_dim)).
  """
  improved = dict(spectral_norm=spectral_norm, minibatch_kernels=minibatch_kernels,
                  minibatch_kernel_dim=minibatch_kernel_dim)
  if arch not in ARCHS:
    raise ValueError(f"unknown arch {arch!r}; expected one of {sorted(ARCHS)}")
  if arch == "infogan":  # Chen et al. 2016's MNIST nets, Q on the shared layer (jgan/models/infogan.py)
    return infogan.build(shape=tuple(shape), generator_features=generator_features, critic_features=critic_features,
                         extra_outputs=extra_outputs, axis_name=axis_name)
  if arch == "pacgan":  # PacGAN's 2-D nets: BN ReLU generator, maxout discriminator (jgan/models/pacgan.py)
    return pacgan.build(shape=tuple(shape), generator_features=generator_features,
                        critic_features=critic_features, extra_outputs=extra_outputs, axis_name=axis_name)
  if arch == "ssgan_mlp":  # Salimans et al. 2016's semi-supervised MNIST nets (jgan/models/layers_improved.py)
    return layers_improved.ssgan_nets(shape=tuple(shape), extra_outputs=extra_outputs, axis_name=axis_name)
  if arch == "dcgan":
    if len(shape) != 3 or shape[0] != shape[1]:
      raise ValueError(f"the dcgan arch makes square images (size, size, channels), not samples of shape {shape}")
    dcgan.check_image_size(shape[0])
    generator = dcgan.Generator(image_size=shape[0], channels=shape[2], features=generator_features,
                                axis_name=axis_name, norm=generator_norm, dtype=dtype)
    return generator, dcgan.Critic(features=critic_features, axis_name=axis_name, extra_outputs=extra_outputs,
                                   norm=norm, dtype=dtype, **improved)
  generator = mlp.Generator(shape=tuple(shape), features=generator_features, layers=mlp_layers, output=mlp_output,
                            axis_name=axis_name, dtype=dtype)
  if arch == "maxout":  # the MLP generator against a maxout discriminator with dropout (Goodfellow et al. 2014)
    if condition_dim:  # Mirza and Osindero 2014: z and y take their own first layers
      generator = maxout.ConditionalGenerator(shape=tuple(shape), condition_dim=condition_dim,
                                              features=generator_features, initialization=generator_init,
                                              axis_name=axis_name)
    elif generator_init == "goodfellow":
      generator = maxout.GoodfellowGenerator(shape=tuple(shape), features=generator_features, layers=mlp_layers)
    label = dict(label_irange=condition_dim ** -0.5) if critic_label_init == "fan_in" and condition_dim else {}
    return generator, maxout.Critic(data_shape=tuple(shape), features=critic_features, layers=mlp_layers,
                                    axis_name=axis_name, extra_outputs=extra_outputs, **label)
  return generator, mlp.Critic(features=critic_features, layers=mlp_layers, axis_name=axis_name,
                               extra_outputs=extra_outputs, dtype=dtype, **improved)
