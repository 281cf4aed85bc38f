"""The MLP generator and critic of the WGAN reference code (Arjovsky et al. 2017, `models/mlp.py`).

`MLP_G`: z -> 3 x (Linear(512) + ReLU) -> Linear(channels * size * size), reshaped to an image, with no output
non-linearity (as the reference). `MLP_D`: flattened image -> 3 x (Linear(512) + ReLU) -> Linear(1). The linear
layers keep PyTorch's default initialization (the reference's `weights_init` touches only conv and batch-norm
layers): kernel and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp


class TorchLinear(nn.Module):
  """A dense layer initialized as PyTorch's `nn.Linear`."""

  features: int

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    bound = x.shape[-1] ** -0.5
    kernel_init = nn.initializers.variance_scaling(1.0 / 3.0, "fan_in", "uniform")  # limit sqrt(1/fan_in)
    bias_init = lambda key, shape, dtype=jnp.float32: jax.random.uniform(key, shape, dtype, -bound, bound)
    return nn.Dense(self.features, kernel_init=kernel_init, bias_init=bias_init)(x)


class Generator(nn.Module):
  """z (batch, latent) -> images (batch, image_size, image_size, channels)."""

  image_size: int = 64
  channels: int = 3
  features: int = 512
  axis_name: str | None = None  # unused: no batch norm; kept so every generator takes the same fields

  @nn.compact
  def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
    del train
    x = z
    for _ in range(3):
      x = nn.relu(TorchLinear(self.features)(x))
    x = TorchLinear(self.channels * self.image_size * self.image_size)(x)
    return x.reshape(z.shape[0], self.image_size, self.image_size, self.channels)


class Critic(nn.Module):
  """images (batch, size, size, channels) -> per-example critic values (batch,)."""

  features: int = 512
  axis_name: str | None = None

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    del train
    x = x.reshape(x.shape[0], -1)
    for _ in range(3):
      x = nn.relu(TorchLinear(self.features)(x))
    return TorchLinear(1)(x)[:, 0]
