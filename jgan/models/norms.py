"""Normalization layers with the settings of the PyTorch reference code, chosen by name.

Batch norm (Ioffe & Szegedy 2015, arXiv:1502.03167) as `torch.nn.BatchNorm2d` defaults it: running averages kept
with momentum 0.1 (Flax counts the kept fraction: 0.9), eps 1e-5, and the scale drawn from N(1, 0.02) as the DCGAN
and pix2pix references' `weights_init` draws it. Instance norm (Ulyanov et al. 2016, arXiv:1607.08022) as the
CycleGAN and pix2pix code uses it, `torch.nn.InstanceNorm2d` defaults: each example's each channel normalized over
its spatial positions, eps 1e-5, no scale or offset (affine=False), no running statistics (train and test alike).
"""

from __future__ import annotations

from typing import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp

# PyTorch's BatchNorm2d defaults: running-average momentum 0.1 (Flax counts the kept fraction: 0.9), eps 1e-5.
BATCH_NORM_MOMENTUM = 0.9
BATCH_NORM_EPSILON = 1e-5
# PyTorch's InstanceNorm2d default eps (Flax's own default is 1e-6).
INSTANCE_NORM_EPSILON = 1e-5

NORMS = ("batch", "instance", "none")


def scale_init(key: jax.Array, shape, dtype=jnp.float32) -> jax.Array:
  """Batch-norm scale ~ N(1, 0.02), as the references' `weights_init`."""
  return 1.0 + 0.02 * jax.random.normal(key, shape, dtype)


def batch_norm(train: bool, axis_name: str | None = None, name: str | None = None) -> nn.BatchNorm:
  """Batch norm with PyTorch's settings: batch statistics (averaged over the mapped `axis_name`, if given) when
  `train`, the running averages otherwise."""
  return nn.BatchNorm(use_running_average=not train, momentum=BATCH_NORM_MOMENTUM, epsilon=BATCH_NORM_EPSILON,
                      scale_init=scale_init, axis_name=axis_name if train else None, name=name)


def instance_norm(name: str | None = None) -> nn.InstanceNorm:
  """`torch.nn.InstanceNorm2d(c)` with its defaults: (x - mean) / sqrt(var + 1e-5) per example and channel over the
  spatial axes, var the biased variance; no parameters, no state.

  The variance is computed in two passes (mean of squared deviations), as PyTorch does, not as E[x^2] - E[x]^2
  (Flax's fast default), which cancels badly when a channel's mean is large against its spread.
  """
  return nn.InstanceNorm(epsilon=INSTANCE_NORM_EPSILON, use_scale=False, use_bias=False, use_fast_variance=False,
                         name=name)


def make_norm(kind: str, train: bool, axis_name: str | None = None,
              name: str | None = None) -> Callable[[jax.Array], jax.Array]:
  """A fresh normalization layer by name: 'batch' (`batch_norm`), 'instance' (`instance_norm`: `train` and
  `axis_name` do not matter, it has no running statistics and each example is normalized on its own) or 'none'
  (the identity). Call it inside a compact module; each call is a new layer with its own parameters."""
  if kind == "batch":
    return batch_norm(train, axis_name, name)
  if kind == "instance":
    return instance_norm(name)
  if kind == "none":
    return lambda x: x
  raise ValueError(f"norm {kind!r} is not one of {NORMS}")
