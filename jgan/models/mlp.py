"""The MLP generator and critic of the WGAN reference code (Arjovsky et al. 2017, `models/mlp.py`).

`MLP_G`: z -> 3 x (Linear(512) + ReLU) -> Linear(prod(shape)), reshaped to the data's shape, with no output
non-linearity (as the reference; `output="tanh"` bounds it to [-1, 1]). `MLP_D`: flattened input -> 3 x
(Linear(512) + ReLU) -> Linear(1). Depth and width are fields, so the same nets serve images and the 1-D/2-D toys.
The linear layers keep PyTorch's default initialization (the reference's `weights_init` touches only conv and
batch-norm layers): kernel and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
"""

from __future__ import annotations

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jgan.models.layers_improved import MinibatchDiscrimination, spectral


class TorchLinear(nn.Module):
  """A dense layer initialized as PyTorch's `nn.Linear`."""

  features: int
  dtype: Any = None  # of the matrix product (None: float32); parameters stay float32

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    bound = x.shape[-1] ** -0.5
    kernel_init = nn.initializers.variance_scaling(1.0 / 3.0, "fan_in", "uniform")  # limit sqrt(1/fan_in)
    bias_init = lambda key, shape, dtype=jnp.float32: jax.random.uniform(key, shape, dtype, -bound, bound)
    return nn.Dense(self.features, kernel_init=kernel_init, bias_init=bias_init, dtype=self.dtype)(x)


class Generator(nn.Module):
  """z (batch, latent) -> samples (batch, *shape)."""

  shape: tuple[int, ...] = (64, 64, 3)
  features: int = 512
  layers: int = 3
  output: str = "linear"  # or "tanh"
  axis_name: str | None = None  # unused: no batch norm; kept so every generator takes the same fields
  dtype: Any = None  # of the matrix products (None: float32); the samples come out float32

  @nn.compact
  def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
    del train
    x = z
    for _ in range(self.layers):
      x = nn.relu(TorchLinear(self.features, self.dtype)(x))
    x = TorchLinear(math.prod(self.shape), self.dtype)(x)
    x = jnp.tanh(x) if self.output == "tanh" else x
    return x.reshape(z.shape[0], *self.shape).astype(jnp.float32)


class Critic(nn.Module):
  """inputs (batch, ...) -> per-example critic values (batch,); with `extra_outputs`, `(values, extra)`.

  Each hidden layer's activations are sown into 'intermediates' under 'features' (feature matching reads them).
  Options (`jgan.models.layers_improved`): spectral normalization of every layer (`spectral_norm` power
  iterations, 0: off) and minibatch discrimination after the last hidden layer (`minibatch_kernels` B > 0).
  """

  features: int = 512
  layers: int = 3
  axis_name: str | None = None
  extra_outputs: int = 0
  spectral_norm: int = 0
  minibatch_kernels: int = 0
  minibatch_kernel_dim: int = 5
  dtype: Any = None  # of the matrix products (None: float32); the outputs are float32

  @property
  def examples_independent(self) -> bool:
    """Whether each example's output depends on that example alone and a training call updates no state, so real
    and generated batches may be evaluated in one call (`jgan.steps`). Not with minibatch discrimination (it
    compares the examples of a batch) or spectral normalization (each training call advances its power
    iteration)."""
    return not self.minibatch_kernels and not self.spectral_norm

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    sn = lambda layer: spectral(layer, self.spectral_norm, train)
    x = x.reshape(x.shape[0], -1)
    for _ in range(self.layers):
      x = nn.relu(sn(TorchLinear(self.features, self.dtype))(x))
      self.sow("intermediates", "features", x)
    if self.minibatch_kernels:
      x = MinibatchDiscrimination(self.minibatch_kernels, self.minibatch_kernel_dim, name="minibatch")(x)
    out = sn(TorchLinear(1, self.dtype))(x)[:, 0].astype(jnp.float32)  # losses are computed in float32
    if not self.extra_outputs:
      return out
    return out, sn(TorchLinear(self.extra_outputs, self.dtype, name="extra"))(x).astype(jnp.float32)
