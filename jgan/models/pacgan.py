"""The nets of PacGAN's 2-D experiments (Lin et al. 2018, arXiv:1712.04086, App. on the synthetic data, Table 1), as
the authors' code builds them (github.com/fjxmlzn/PacGAN, `synthetic_data_experiments/2DRing_GAN&PacGAN/config.py`
and `2DGrid_GAN&PacGAN/pacgan_task.py`, Blocks/Theano).

* Generator: z (2-D) -> 4 x [Linear(400, no bias), batch norm, ReLU] -> Linear(2) with a bias. Blocks'
  `BatchNormalization` defaults: eps 1e-4, scale 1 and shift 0 learned; the population statistics the samples
  are drawn with are running averages updated as 0.95 p + 0.05 batch (Flax momentum 0.95).
* Discriminator: the (packed) input -> 3 x LinearMaxout(200 units x 5 pieces) -> Linear(1), a logit; no dropout
  (`_create_model(with_dropout=False)`), no normalization. Blocks' `Maxout` groups consecutive pieces, as
  `jgan.models.maxout.Maxout` does.
* Every weight ~ N(0, 0.02) (`IsotropicGaussian(0.02)`), every bias 0.

The discriminator takes any input width, so a packed input (`jgan.games.base.pack`: m samples of 2 coordinates
side by side) needs no option here. Widths are fields (400 and 200 in the paper); depths are the paper's.
"""

from __future__ import annotations

import math

import flax.linen as nn
import jax
import jax.numpy as jnp

WEIGHT_INIT = nn.initializers.normal(0.02)
BATCH_NORM_MOMENTUM = 0.95  # Blocks: population <- 0.95 population + 0.05 batch (`bn_updates` of pacgan_task.py)
BATCH_NORM_EPSILON = 1e-4  # Blocks' BatchNormalization default


class Generator(nn.Module):
  """z (batch, latent) -> samples (batch, *shape)."""

  shape: tuple[int, ...] = (2,)
  features: int = 400
  layers: int = 4
  axis_name: str | None = None  # batch-norm statistics are averaged over this mapped axis

  @nn.compact
  def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
    x = z
    for _ in range(self.layers):
      x = nn.Dense(self.features, use_bias=False, kernel_init=WEIGHT_INIT)(x)
      x = nn.BatchNorm(use_running_average=not train, momentum=BATCH_NORM_MOMENTUM, epsilon=BATCH_NORM_EPSILON,
                       axis_name=self.axis_name if train else None)(x)
      x = nn.relu(x)
    x = nn.Dense(math.prod(self.shape), kernel_init=WEIGHT_INIT)(x)
    return x.reshape(z.shape[0], *self.shape)


class Critic(nn.Module):
  """inputs (batch, ...) -> logits (batch,); with `extra_outputs`, `(logits, extra)` (a linear head beside)."""

  features: int = 200
  pieces: int = 5
  layers: int = 3
  axis_name: str | None = None  # unused: no batch norm; kept so every critic takes the same fields
  extra_outputs: int = 0

  @property
  def examples_independent(self) -> bool:
    """Each output depends on its own input alone (no batch statistics): real and fake go in one call."""
    return True

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool):
    del train
    x = x.reshape(x.shape[0], -1)
    for _ in range(self.layers):
      y = nn.Dense(self.features * self.pieces, kernel_init=WEIGHT_INIT)(x)
      x = jnp.max(y.reshape(*y.shape[:-1], self.features, self.pieces), axis=-1)  # maxout, consecutive pieces
      self.sow("intermediates", "features", x)
    out = nn.Dense(1, kernel_init=WEIGHT_INIT, name="output")(x)[:, 0]
    if not self.extra_outputs:
      return out
    return out, nn.Dense(self.extra_outputs, kernel_init=WEIGHT_INIT, name="extra")(x)


def build(*, shape: tuple[int, ...], generator_features: int, critic_features: int, extra_outputs: int = 0,
          axis_name: str | None = None) -> tuple[nn.Module, nn.Module]:
  """`(generator, discriminator)` for samples of `shape` (`jgan.models.registry`, arch 'pacgan')."""
  return (Generator(shape=tuple(shape), features=generator_features, axis_name=axis_name),
          Critic(features=critic_features, axis_name=axis_name, extra_outputs=extra_outputs))
