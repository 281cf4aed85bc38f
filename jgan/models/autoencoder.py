"""The adversarial autoencoder's nets (Makhzani et al. 2015, arXiv:1511.05644, Appendix: MNIST): MLPs with
`layers` hidden layers of `hidden` ReLU units (the paper: 2 x 1,000), shared by the VAE baseline.

* `Encoder`: image -> {'z': the code (linear), 'log_var' (Gaussian posterior), 'logits' (the categorical y of the
  semi-supervised and clustering models, Figs. 8 and 9)}.
* `Decoder`: [z, extra] -> pixel logits; `extra` is the one-hot label (supervised, Fig. 6) or y (Fig. 8).
* `CodeDiscriminator`: a code (with a one-hot label appended where the prior is labeled, Fig. 4) -> one logit.
"""

from __future__ import annotations

import math

import flax.linen as nn
import jax
import jax.numpy as jnp


class _Trunk(nn.Module):
  hidden: int
  layers: int

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    for _ in range(self.layers):
      x = nn.relu(nn.Dense(self.hidden)(x))
    return x


class Encoder(nn.Module):
  """q(z|x) (and q(y|x)): flattened image -> {'z', optionally 'log_var', optionally 'logits'}."""

  code_dim: int
  hidden: int = 1000
  layers: int = 2
  gaussian: bool = False  # also a log-variance head: z ~ N(z, exp(log_var)) by the reparametrization trick
  categories: int = 0  # > 0: also the logits of y over this many categories

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool = False) -> dict[str, jax.Array]:
    del train
    h = _Trunk(self.hidden, self.layers)(x.reshape(x.shape[0], -1))
    out = {"z": nn.Dense(self.code_dim, name="z")(h)}
    if self.gaussian:
      out["log_var"] = nn.Dense(self.code_dim, name="log_var")(h)
    if self.categories:
      out["logits"] = nn.Dense(self.categories, name="logits")(h)
    return out


class Decoder(nn.Module):
  """p(x|z): code (with the label or y appended by the caller) -> pixel logits of shape (batch, *shape)."""

  shape: tuple[int, ...]
  hidden: int = 1000
  layers: int = 2

  @nn.compact
  def __call__(self, code: jax.Array, *, train: bool = False) -> jax.Array:
    del train
    h = _Trunk(self.hidden, self.layers)(code)
    return nn.Dense(math.prod(self.shape))(h).reshape(code.shape[0], *self.shape)


class CodeDiscriminator(nn.Module):
  """Tells prior samples from encoded data in code space: code -> one logit per example."""

  hidden: int = 1000
  layers: int = 2

  @nn.compact
  def __call__(self, code: jax.Array, *, train: bool = False) -> jax.Array:
    del train
    return nn.Dense(1)(_Trunk(self.hidden, self.layers)(code))[:, 0]


def pixels(logits: jax.Array) -> jax.Array:
  """Decoder logits -> images in jgan's [-1, 1] range (the Bernoulli mean 2 sigmoid - 1)."""
  return 2.0 * jax.nn.sigmoid(logits) - 1.0


def with_onehot(code: jax.Array, onehot: jax.Array | None) -> jax.Array:
  return code if onehot is None else jnp.concatenate([code, onehot.astype(code.dtype)], axis=-1)
