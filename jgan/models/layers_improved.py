"""Layers of "Improved Techniques for Training GANs" (Salimans et al. 2016, arXiv:1606.03498) and spectral norm.

* `MinibatchDiscrimination` (their Sec. 3.2): lets the discriminator look at a whole minibatch, so a generator
  that collapses to one mode is easy to tell apart.
* `VirtualBatchNorm` (their Sec. 3.4): batch normalization whose statistics come from a reference batch fixed at
  the start of training (plus the example itself), so an example's output does not depend on its batch-mates.
* `spectral`: wraps a layer in `flax.linen.SpectralNorm` (Miyato et al. 2018, arXiv:1802.05957), whose
  power-iteration vector u and estimate sigma live in the 'batch_stats' collection: `jgan.state.PlayerState`
  threads them through training and the checkpoints store them.
* The nets of their semi-supervised MNIST model (arch 'ssgan_mlp', `ssgan_nets`): `SemiSupervisedCritic`
  (`GaussianNoise` layers and `WeightNormDense` layers with the data-dependent initialization of Salimans and
  Kingma 2016) and `SemiSupervisedGenerator` (batch norm, softplus, a weight-normalized sigmoid output).
"""

from __future__ import annotations

import math
from typing import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp


class MinibatchDiscrimination(nn.Module):
  """Minibatch discrimination (Salimans et al. 2016, Sec. 3.2): f (N, A) -> [f, o(f)] (N, A + B).

  With a learned tensor T (A x B x C): M_i = f(x_i) T (B x C), c_b(x_i, x_j) = exp(-||M_i,b - M_j,b||_L1) and
  o(x_i)_b = sum_j c_b(x_i, x_j), the sum over the whole minibatch as the paper writes it (j = i included: a
  constant 1 that the next layer's bias absorbs; the authors' Theano code masks it out). T ~ N(0, 0.05) as in
  that code.

  The minibatch is the batch the layer is applied to: the real and the generated batches are scored separately
  (the step calls the discriminator once on each), and under data parallelism each device's slice of the global
  batch is its own minibatch (o sums over that device's examples only), so the results depend on the device
  count, as batch norm without cross-device statistics would.
  """

  kernels: int  # B
  kernel_dim: int = 5  # C
  stddev: float = 0.05

  @nn.compact
  def __call__(self, f: jax.Array) -> jax.Array:
    tensor = self.param("T", nn.initializers.normal(self.stddev), (f.shape[-1], self.kernels, self.kernel_dim))
    m = jnp.einsum("na,abc->cnb", f, tensor)  # M, kernel dimension first
    # ||M_i,b - M_j,b||_L1 as a sum of C (N, N, B) terms, B the minor axis: XLA:CPU ran the gradient of the one-line
    # form, a (N, N, B, C) tensor summed over its small last axis, 10x slower (170 vs 17 ms for N 100, A 200).
    l1 = sum(jnp.abs(m[c][:, None] - m[c][None, :]) for c in range(self.kernel_dim))
    return jnp.concatenate([f, jnp.sum(jnp.exp(-l1), axis=1)], axis=-1)


class VirtualBatchNorm(nn.Module):
  """Virtual batch normalization (Salimans et al. 2016, Sec. 3.4), over the channels (last axis) of h.

  The first `reference_size` rows of h are the reference batch (the same examples at every call, fixed at the
  start of training), the rest the examples. The reference rows are normalized with their own statistics (mean
  and mean of squares over batch and spatial axes); each example with the mix of those and its own (over its
  spatial axes), with weight 1 / (n + 1) on itself, as in the authors' code (and TF-GAN's `VBN`):
    mu = (1/(n+1)) mean(x) + (n/(n+1)) mu_ref,  s = (1/(n+1)) mean(x^2) + (n/(n+1)) s_ref,  var = s - mu^2.
  The reference statistics are recomputed from the current parameters at every call (gradients flow through
  them, as in the paper, which notes the cost: two minibatches per forward pass). Train and test behave alike.
  """

  reference_size: int
  epsilon: float = 1e-5
  scale_init: Callable = nn.initializers.ones

  @nn.compact
  def __call__(self, h: jax.Array) -> jax.Array:
    n = self.reference_size
    reference, x = h[:n], h[n:]
    batch_axes, spatial_axes = tuple(range(h.ndim - 1)), tuple(range(1, h.ndim - 1))
    ref_mean, ref_meansq = jnp.mean(reference, batch_axes), jnp.mean(reference ** 2, batch_axes)
    new = 1.0 / (n + 1.0)
    mean = new * jnp.mean(x, spatial_axes, keepdims=True) + (1.0 - new) * ref_mean
    meansq = new * jnp.mean(x ** 2, spatial_axes, keepdims=True) + (1.0 - new) * ref_meansq
    normalized = jnp.concatenate([_normalize(reference, ref_mean, ref_meansq, self.epsilon),
                                  _normalize(x, mean, meansq, self.epsilon)])
    scale = self.param("scale", self.scale_init, (h.shape[-1],))
    return normalized * scale + self.param("bias", nn.initializers.zeros, (h.shape[-1],))


def _normalize(x: jax.Array, mean: jax.Array, meansq: jax.Array, epsilon: float) -> jax.Array:
  # E[x^2] - E[x]^2 can round below 0 for a constant channel: clamp before adding epsilon.
  return (x - mean) * jax.lax.rsqrt(jnp.maximum(meansq - mean ** 2, 0.0) + epsilon)


def spectral(layer: nn.Module, power_iterations: int, train: bool) -> Callable[..., jax.Array]:
  """`layer` with spectrally normalized weights when `power_iterations` > 0 (else `layer` itself).

  W / sigma(W), sigma estimated by power iteration on W reshaped to (fan_in, fan_out) (Miyato et al. 2018,
  Algorithm 1); u is updated in training mode only. The wrapped layer keeps its parameter names.
  """
  if power_iterations <= 0:
    return layer
  normalized = nn.SpectralNorm(layer, n_steps=power_iterations)
  return lambda *args: normalized(*args, update_stats=train)


# ---------------------------------------------------------------------------------------------------------------------
# The nets of the paper's semi-supervised MNIST model (github.com/openai/improved-gan,
# `mnist_svhn_cifar10/train_mnist_feature_matching.py` and the "older code used for MNIST" of its `nn.py`).
# ---------------------------------------------------------------------------------------------------------------------

class GaussianNoise(nn.Module):
  """x + N(0, stddev^2) per element in training mode, x itself in inference mode (their `GaussianNoiseLayer`).

  The noise comes from the 'dropout' rng stream, which `jgan.state.Net` feeds in training mode from keys derived
  from the run's seed and step."""

  stddev: float

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    if not train or self.stddev == 0:
      return x
    return x + self.stddev * jax.random.normal(self.make_rng("dropout"), x.shape, x.dtype)


def _inverse_or_one(stddev: jax.Array) -> jax.Array:
  # A constant unit (one example, or all-zero input: the placeholder init of `jgan.train.create_state`) has no scale
  # to learn from: keep the scale 1 there rather than divide by 0.
  return jnp.where(stddev > 0, 1.0 / jnp.where(stddev > 0, stddev, 1.0), 1.0)


class WeightNormDense(nn.Module):
  """A weight-normalized dense layer (Salimans and Kingma 2016, arXiv:1602.07868), as their MNIST `nn.DenseLayer`:

    y = x (V diag(g / ||V_:,j||_2)) + b,   V ~ N(0, 0.1^2),

  with the data-dependent initialization of that code: the first call of `init` on a batch sets g <- g / s and
  b <- -m / s, m and s the per-unit mean and root-mean-square deviation of x V / ||V|| over the batch, and returns
  the normalized pre-activations (zero mean, unit variance per unit) so that the next layer initializes on them.
  Called with a single example or constant input (no spread), the scale stays 1 and the bias 0.

  `trainable_scale` False (their hidden layers' `train_scale=False`): g is fixed at its data-dependent value and
  lives in the 'batch_stats' collection (state, not a parameter: no gradient, checkpointed); True (their output
  layer): g is a parameter.
  """

  features: int
  trainable_scale: bool = False
  stddev: float = 0.1

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    v = self.param("V", nn.initializers.normal(self.stddev), (x.shape[-1], self.features))
    y = x @ (v / jnp.sqrt(jnp.sum(v ** 2, axis=0)))
    mean = lambda: jnp.mean(y, axis=0)
    inverse = lambda: _inverse_or_one(jnp.sqrt(jnp.mean((y - jnp.mean(y, axis=0)) ** 2, axis=0)))
    if self.trainable_scale:
      scale = self.param("g", lambda _: inverse())
    else:
      scale = self.variable("batch_stats", "g", inverse).value
    bias = self.param("b", lambda _: -mean() * inverse())
    return y * scale + bias


class SemiSupervisedCritic(nn.Module):
  """The paper's MNIST discriminator: images (batch, 28, 28, 1) in [-1, 1] -> `(lse(l), l)`, l the K class logits.

  Pixels are brought to the code's [0, 1] range first ((x + 1) / 2), then: Gaussian noise 0.3, and `hidden`
  weight-normalized ReLU layers (1000-500-250-250-250) each followed by Gaussian noise 0.5, then a weight-normalized
  linear layer to the K logits (trainable scale). The K + 1-th (fake) logit is fixed at 0, so the real/fake logit is
  logsumexp_k l_k (`jgan.games.ssgan.real_fake_logit`), returned as the scalar output. Every hidden layer's ReLU
  output (before its noise) is sown as 'features': feature matching reads the last one, their `layers[-3]`.
  `extra_outputs` is K (the ssgan game asks for its classes); 0 gives a single logit as the output.
  """

  hidden: tuple[int, ...] = (1000, 500, 250, 250, 250)
  input_noise: float = 0.3
  hidden_noise: float = 0.5
  extra_outputs: int = 10
  axis_name: str | None = None  # unused: no batch norm; kept so every critic takes the same fields

  @property
  def examples_independent(self) -> bool:
    """Each example's output depends on that example alone (the noise is drawn per element) and a training call
    changes no state, so `jgan.steps` may score the real and generated batches in one call."""
    return True

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool):
    h = (x.reshape(x.shape[0], -1) + 1.0) / 2.0
    h = GaussianNoise(self.input_noise)(h, train=train)
    for width in self.hidden:
      h = nn.relu(WeightNormDense(width)(h))
      self.sow("intermediates", "features", h)
      h = GaussianNoise(self.hidden_noise)(h, train=train)
    logits = WeightNormDense(self.extra_outputs or 1, trainable_scale=True, name="logits")(h)
    if not self.extra_outputs:
      return logits[:, 0]
    return jax.nn.logsumexp(logits, axis=-1), logits


class SemiSupervisedGenerator(nn.Module):
  """The paper's MNIST generator: z (batch, 100) -> images (batch, *shape) in [-1, 1].

  Two dense layers of 500 (Glorot-uniform weights, Lasagne's default) with batch norm (no scale, a bias: their
  `batch_norm(..., g=None)`, epsilon 1e-6 inside the root) and softplus, then a dense layer to prod(shape) pixels
  with weight-normalized columns (W / sqrt(1e-6 + ||W_:,j||^2) times a trainable scale initialized to 1: their
  `l2normalize`) and a sigmoid, the code's [0, 1] pixels, mapped to jgan's [-1, 1] (2 s - 1).
  """

  shape: tuple[int, ...] = (28, 28, 1)
  hidden: tuple[int, ...] = (500, 500)
  axis_name: str | None = None  # batch-norm statistics over the whole data-parallel batch

  @nn.compact
  def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
    h = z
    for width in self.hidden:
      h = nn.Dense(width, use_bias=False, kernel_init=nn.initializers.glorot_uniform())(h)
      # Flax's momentum 0.9 keeps 0.9 of the running statistics, as the code's avg_batch_mean update does.
      h = nn.BatchNorm(use_running_average=not train, use_scale=False, epsilon=1e-6, momentum=0.9,
                       axis_name=self.axis_name)(h)
      h = nn.softplus(h)
    pixels = math.prod(self.shape)
    w = self.param("W", nn.initializers.glorot_uniform(), (h.shape[-1], pixels))
    scale = self.param("W_scale", nn.initializers.ones, (pixels,))
    b = self.param("b", nn.initializers.zeros, (pixels,))
    s = nn.sigmoid(h @ (w * (scale / jnp.sqrt(1e-6 + jnp.sum(w ** 2, axis=0)))) + b)
    return (2.0 * s - 1.0).reshape(z.shape[0], *self.shape)


def ssgan_nets(*, shape: tuple[int, ...], extra_outputs: int, axis_name: str | None = None
               ) -> tuple[SemiSupervisedGenerator, SemiSupervisedCritic]:
  """`(generator, discriminator)` of the arch 'ssgan_mlp': the paper's widths, whatever the config's feature counts."""
  return (SemiSupervisedGenerator(shape=tuple(shape), axis_name=axis_name),
          SemiSupervisedCritic(extra_outputs=extra_outputs, axis_name=axis_name))
