"""The maxout discriminators of the original GAN and of the conditional GAN, with their dropout.

Goodfellow et al. 2014 (arXiv:1406.2661), MNIST model of their code (github.com/goodfeli/adversarial, `mnist.yaml`):
784 inputs -> maxout (240 units x 5 pieces) -> maxout (240 x 5) -> sigmoid unit, weights ~ U(-0.005, 0.005),
biases 0; dropout on the input of every layer: keep 0.8 on the pixels, 0.5 elsewhere (pylearn2's
`input_include_probs`, rescaled by 1/keep as `input_scales` do). Maxout (Goodfellow et al. 2013, arXiv:1302.4389)
takes the maximum of `pieces` affine pieces per unit (consecutive pieces, as pylearn2 groups them).

Mirza and Osindero 2014 (arXiv:1411.1784, Sec. 4.1): separate first layers for the image x (maxout 240 x 5) and the
label y (maxout 50 x 5), then a joint maxout layer (240 x 4) before the sigmoid, dropout 0.5. Here the label comes
in as inputs beyond the data's shape (`jgan.games.cgan` appends one-hot feature maps to images): whatever input
channels the data does not have take the label path.

The sigmoid is left to the numerically stable losses: the net returns logits. Goodfellow et al.'s generator is
`GoodfellowGenerator` below (their code's initialization; `generator_init='goodfellow'`) or
`jgan.models.mlp.Generator` (the same ReLU MLP with PyTorch's initialization and a tanh output, the recipe's
default); Mirza and Osindero's, with its separate z and y paths (its dropout optional), is `ConditionalGenerator`
below; see `jgan.models.registry`.
"""

from __future__ import annotations

import math

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jgan.models import mlp


def _uniform(limit: float):
  """pylearn2's `irange`: weights ~ U(-limit, limit)."""
  def init(key: jax.Array, shape, dtype=jnp.float32) -> jax.Array:
    return jax.random.uniform(key, shape, dtype, -limit, limit)
  return init


class Maxout(nn.Module):
  """A dense layer of `features` maxout units of `pieces` pieces each."""

  features: int
  pieces: int
  irange: float = 0.005

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    y = nn.Dense(self.features * self.pieces, kernel_init=_uniform(self.irange))(x)
    return jnp.max(y.reshape(*y.shape[:-1], self.features, self.pieces), axis=-1)


class GoodfellowGenerator(nn.Module):
  """Goodfellow et al.'s MNIST generator as their code builds it (`mnist.yaml`): z -> `layers` x (1200 ReLU) ->
  sigmoid over the image's pixels, every weight ~ U(-0.05, 0.05) (`irange: .05`), hidden biases 0; the sigmoid's
  [0, 1] mapped to the data's [-1, 1] (2 sigmoid - 1). The code starts the output biases at the logits of the
  training pixels' means (pylearn2's `init_sigmoid_bias_from_marginals`); a module cannot see the data, so the
  caller sets them after initialization (`output_bias_from_marginals`, done by `jgan.train` for
  `generator_init='goodfellow'`)."""

  shape: tuple[int, ...] = (28, 28, 1)
  features: int = 1200
  layers: int = 2
  axis_name: str | None = None  # unused: no batch norm; kept so every generator takes the same fields

  @nn.compact
  def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
    del train
    h = z
    for i in range(self.layers):
      h = nn.relu(nn.Dense(self.features, kernel_init=_uniform(0.05), name=f"hidden_{i}")(h))
    logits = nn.Dense(math.prod(self.shape), kernel_init=_uniform(0.05), name="output")(h)
    return (2.0 * nn.sigmoid(logits) - 1.0).reshape(z.shape[0], *self.shape)


def output_bias_from_marginals(images: np.ndarray) -> np.ndarray:
  """b with sigmoid(b) = each pixel's mean over `images` (uint8, 0-255), the means clipped to [1e-7, 1 - 1e-7]
  (pylearn2's `init_sigmoid_bias_from_array`): the starting output biases of `GoodfellowGenerator`, flattened."""
  mean = np.clip(np.asarray(images, np.float64).reshape(len(images), -1).mean(0) / 255.0, 1e-7, 1 - 1e-7)
  return np.log(mean / (1.0 - mean)).astype(np.float32)


class ConditionalGenerator(nn.Module):
  """Mirza and Osindero 2014's MNIST generator (Sec. 4.1): [z, onehot(y)] (batch, latent + condition) -> samples.

  z -> 200 ReLU and y -> 1000 ReLU, "both being mapped to [a] second, combined hidden ReLu layer of dimensionality
  1200", then a sigmoid layer of the image's pixels, whose [0, 1] is mapped to the data's [-1, 1] (2 sigmoid - 1).
  The last `condition_dim` inputs are the condition (`jgan.games.cgan` appends onehot(y) to z).

  `initialization` (the paper states none): 'goodfellow', the initialization of Goodfellow et al.'s code that
  theirs builds on (`GoodfellowGenerator`'s: every weight U(-0.05, 0.05), biases 0; the caller starts the output
  biases at the pixel marginals, `output_bias_from_marginals`); 'torch', PyTorch's default
  (`jgan.models.mlp.TorchLinear`), which the recipe used before and whose generator kept one image per class
  (experiments/maxout/README.md).

  "Dropout with probability of 0.5 was applied to both the generator and discriminator": `hidden_keep` < 1 drops
  the hidden units (the inputs of the combined and the output layer), but it is off by default. With 0.5 the
  generator took its variety from the dropout masks and ignored z and y: samples, drawn without dropout, were one
  image for every code and class (experiments/maxout/results/cgan_generator_dropout_seed0.json).
  """

  shape: tuple[int, ...] = (28, 28, 1)
  condition_dim: int = 10
  z_features: int = 200
  label_features: int = 1000
  features: int = 1200
  hidden_keep: float = 1.0  # the paper's 0.5: see above
  initialization: str = "torch"  # not `init`, which would hide nn.Module.init
  axis_name: str | None = None  # unused: no batch norm; kept so every generator takes the same fields

  @nn.compact
  def __call__(self, inputs: jax.Array, *, train: bool) -> jax.Array:
    if inputs.shape[-1] <= self.condition_dim:
      raise ValueError(f"the conditional generator takes [z, condition] with a {self.condition_dim}-wide condition, "
                       f"got inputs of width {inputs.shape[-1]}")
    if self.initialization not in ("torch", "goodfellow"):
      raise ValueError(f"initialization must be 'torch' or 'goodfellow', got {self.initialization!r}")
    if self.initialization == "goodfellow":  # plain Dense layers: the output biases sit at params['output']['bias']
      dense = lambda features, name: nn.Dense(features, kernel_init=_uniform(0.05), name=name)
    else:  # the recorded earlier runs' parameter names (a TorchLinear holds its Dense as Dense_0)
      dense = lambda features, name: mlp.TorchLinear(features, name=name)
    drop = lambda h: nn.Dropout(1.0 - self.hidden_keep, deterministic=not train)(h)
    z, y = inputs[:, :-self.condition_dim], inputs[:, -self.condition_dim:]
    h = jnp.concatenate([nn.relu(dense(self.z_features, "z_path")(z)),
                         nn.relu(dense(self.label_features, "y_path")(y))], axis=-1)
    h = nn.relu(dense(self.features, "joint")(drop(h)))
    logits = dense(math.prod(self.shape), "output")(drop(h))
    return (2.0 * nn.sigmoid(logits) - 1.0).reshape(inputs.shape[0], *self.shape)


class Critic(nn.Module):
  """inputs (batch, *data_shape[:-1], channels >= data channels) -> logits (batch,); with `extra_outputs`,
  `(logits, extra)`, extra a linear head on the last hidden layer (AC-GAN classes, InfoGAN's Q).

  With no input beyond `data_shape`: `layers` maxout layers of `features` x `pieces` (Goodfellow et al.). With
  extra input channels (a condition, constant over the image): the image and the condition each get their own
  first layer (`features` x `pieces` and `label_features` x `pieces`), then `layers - 1` joint layers of
  `features` x `joint_pieces` (Mirza and Osindero).

  Every weight starts at U(-0.005, 0.005) (Goodfellow et al.'s `irange`) but the label path's, U(-label_irange,
  label_irange): the cGAN paper gives no initialization, and on a one-hot input 0.005 leaves the label's units (and
  the joint layer's weights on them) near zero, a saddle the discriminator leaves slowly: with it the cGAN's samples
  were of the asked class 35% of the time after 9,000 updates, with 1/sqrt(10) 86% (experiments/maxout/README.md).
  """

  data_shape: tuple[int, ...] = (28, 28, 1)
  features: int = 240
  pieces: int = 5
  layers: int = 2
  label_features: int = 50
  joint_pieces: int = 4
  label_irange: float = 0.005  # the label path's U(-r, r); see the class docstring
  input_keep: float = 0.8  # pylearn2 include probabilities (1 - dropout rate)
  hidden_keep: float = 0.5
  axis_name: str | None = None  # unused: no batch norm; kept so every critic takes the same fields
  extra_outputs: int = 0

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool):
    def drop(h, keep):
      return nn.Dropout(1.0 - keep, deterministic=not train)(h)

    channels = self.data_shape[-1]
    batch = x.shape[0]
    image = x[..., :channels].reshape(batch, -1)
    h = Maxout(self.features, self.pieces, name="x_path")(drop(image, self.input_keep))
    pieces = self.pieces
    if x.shape[-1] > channels:
      # The condition is constant over the image (one-hot maps): its value at the first position is the label.
      label = x[..., channels:].reshape(batch, -1, x.shape[-1] - channels)[:, 0]
      y = Maxout(self.label_features, self.pieces, irange=self.label_irange, name="y_path")(label)
      h, pieces = jnp.concatenate([h, y], axis=-1), self.joint_pieces
    self.sow("intermediates", "features", h)  # feature matching reads the hidden layers (jgan.games.gan)
    for _ in range(self.layers - 1):
      h = Maxout(self.features, pieces)(drop(h, self.hidden_keep))
      self.sow("intermediates", "features", h)
    h = drop(h, self.hidden_keep)
    out = nn.Dense(1, kernel_init=_uniform(0.005), name="output")(h)[:, 0]
    if not self.extra_outputs:
      return out
    return out, nn.Dense(self.extra_outputs, kernel_init=_uniform(0.005), name="extra")(h)

