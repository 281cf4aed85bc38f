"""The adversarial autoencoder's nets (Makhzani et al. 2015, arXiv:1511.05644, Appendix: MNIST): MLPs with
`layers` hidden layers of `hidden` ReLU units (the paper: 2 x 1,000), shared by the VAE baseline.

* `Encoder`: image -> {'z': the code (linear), 'log_var' (Gaussian posterior), 'logits' (the categorical y of the
  semi-supervised and clustering models, Figs. 8 and 9)}.
* `Decoder`: [z, extra] -> pixel logits; `extra` is the one-hot label (supervised, Fig. 6) or y (Fig. 8).
* `CodeDiscriminator`: a code (with a one-hot label appended where the prior is labeled, Fig. 4) -> one logit.

`init_std` > 0 draws every weight matrix from N(0, init_std^2) (the paper's Appendix A.1: standard deviation 0.01);
0 keeps Flax's default (LeCun normal). Biases start at 0 either way; the parameter tree is the same.
"""

from __future__ import annotations

import math

import flax.linen as nn
import jax
import jax.numpy as jnp


def _kernel_init(init_std: float):
  return nn.initializers.normal(init_std) if init_std > 0 else nn.linear.default_kernel_init


class _Trunk(nn.Module):
  hidden: int
  layers: int
  init_std: float = 0.0

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    for _ in range(self.layers):
      x = nn.relu(nn.Dense(self.hidden, kernel_init=_kernel_init(self.init_std))(x))
    return x


class Encoder(nn.Module):
  """q(z|x) (and q(y|x)): flattened image -> {'z', optionally 'log_var', optionally 'logits'}."""

  code_dim: int
  hidden: int = 1000
  layers: int = 2
  gaussian: bool = False  # also a log-variance head: z ~ N(z, exp(log_var)) by the reparametrization trick
  categories: int = 0  # > 0: also the logits of y over this many categories
  init_std: float = 0.0

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool = False) -> dict[str, jax.Array]:
    del train
    init = _kernel_init(self.init_std)
    h = _Trunk(self.hidden, self.layers, self.init_std)(x.reshape(x.shape[0], -1))
    out = {"z": nn.Dense(self.code_dim, kernel_init=init, name="z")(h)}
    if self.gaussian:
      out["log_var"] = nn.Dense(self.code_dim, kernel_init=init, name="log_var")(h)
    if self.categories:
      out["logits"] = nn.Dense(self.categories, kernel_init=init, name="logits")(h)
    return out


class Decoder(nn.Module):
  """p(x|z): code (with the label or y appended by the caller) -> pixel logits of shape (batch, *shape)."""

  shape: tuple[int, ...]
  hidden: int = 1000
  layers: int = 2
  init_std: float = 0.0

  @nn.compact
  def __call__(self, code: jax.Array, *, train: bool = False) -> jax.Array:
    del train
    h = _Trunk(self.hidden, self.layers, self.init_std)(code)
    out = nn.Dense(math.prod(self.shape), kernel_init=_kernel_init(self.init_std))(h)
    return out.reshape(code.shape[0], *self.shape)


class CodeDiscriminator(nn.Module):
  """Tells prior samples from encoded data in code space: code -> one logit per example."""

  hidden: int = 1000
  layers: int = 2
  init_std: float = 0.0

  @nn.compact
  def __call__(self, code: jax.Array, *, train: bool = False) -> jax.Array:
    del train
    h = _Trunk(self.hidden, self.layers, self.init_std)(code)
    return nn.Dense(1, kernel_init=_kernel_init(self.init_std))(h)[:, 0]


def pixels(logits: jax.Array) -> jax.Array:
  """Decoder logits -> images in jgan's [-1, 1] range (the Bernoulli mean 2 sigmoid - 1)."""
  return 2.0 * jax.nn.sigmoid(logits) - 1.0


def with_onehot(code: jax.Array, onehot: jax.Array | None) -> jax.Array:
  return code if onehot is None else jnp.concatenate([code, onehot.astype(code.dtype)], axis=-1)
