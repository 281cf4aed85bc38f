"""Layers of "Improved Techniques for Training GANs" (Salimans et al. 2016, arXiv:1606.03498) and spectral norm.

* `MinibatchDiscrimination` (their Sec. 3.2): lets the discriminator look at a whole minibatch, so a generator
  that collapses to one mode is easy to tell apart.
* `VirtualBatchNorm` (their Sec. 3.4): batch normalization whose statistics come from a reference batch fixed at
  the start of training (plus the example itself), so an example's output does not depend on its batch-mates.
* `spectral`: wraps a layer in `flax.linen.SpectralNorm` (Miyato et al. 2018, arXiv:1802.05957), whose
  power-iteration vector u and estimate sigma live in the 'batch_stats' collection: `jgan.state.PlayerState`
  threads them through training and the checkpoints store them.
"""

from __future__ import annotations

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
