"""SeqGAN's nets (Yu et al. 2017, arXiv:1609.05473, Sec. 4 and Appendix): the LSTM policy G_theta (also the oracle
of the synthetic benchmark) and the CNN discriminator D_phi over whole sequences, with the official code's
(LantaoYu/SeqGAN) layers and initializations.

The LSTM is the official code's: gates i, f, o and the candidate from x_t W + h_{t-1} U + b, c_t = f c_{t-1} + i c~,
h_t = o tanh(c_t), logits h_t W_o + b_o; the first input is the embedding of the start token 0. Its four gates'
matrices are stored side by side ((E, 4H), (H, 4H), (4H,)). The generator's parameters start N(0, 0.1) (biases too,
as the official `init_matrix`), the oracle's N(0, 1) (the paper: "initialized by the normal distribution N(0, 1)").

The cell is a pure function of a parameter dict (`cell`), so sampling, teacher forcing and rollouts share it under
`lax.scan` (over time) and `vmap` (over rollouts) without a Python loop over tokens; `LSTMPolicy` is the Flax module
that owns those parameters and computes teacher-forced logits.
"""

from __future__ import annotations

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

START_TOKEN = 0


def _recurrence(params: dict[str, jax.Array], carry: tuple[jax.Array, jax.Array],
                x_w: jax.Array) -> tuple[jax.Array, jax.Array]:
  """The new (h, c) from the previous ones and the projected input x_t W (B, 4H)."""
  h, c = carry
  i, f, o, g = jnp.split(x_w + h @ params["U"] + params["b"], 4, axis=-1)
  c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
  h = jax.nn.sigmoid(o) * jnp.tanh(c)
  return h, c


def cell(params: dict[str, jax.Array], carry: tuple[jax.Array, jax.Array],
         token: jax.Array) -> tuple[tuple[jax.Array, jax.Array], jax.Array]:
  """One LSTM step on input tokens (B,): the new (h, c) and the logits (B, V) of the next token."""
  h, c = _recurrence(params, carry, params["embedding"][token] @ params["W"])
  return (h, c), h @ params["Wo"] + params["bo"]


def initial_carry(params: dict[str, jax.Array], batch: int) -> tuple[jax.Array, jax.Array]:
  hidden = params["U"].shape[0]
  return jnp.zeros((batch, hidden), jnp.float32), jnp.zeros((batch, hidden), jnp.float32)


def teacher_forced_logits(params: dict[str, jax.Array], tokens: jax.Array) -> jax.Array:
  """Logits (B, L, V) of each token of `tokens` (B, L) given the tokens before it (the start token first).

  The cell's arithmetic, rearranged: with every input known in advance, the input projection x_t W of all steps is
  one matrix product before the scan and the output projection h_t W_o one after it, so only the recurrence
  h_{t-1} U runs step by step (and its gradient's sums over time are matrix products, not per-step accumulations).
  """
  batch = tokens.shape[0]
  inputs = jnp.concatenate([jnp.full((batch, 1), START_TOKEN, tokens.dtype), tokens[:, :-1]], axis=1)
  projected = params["embedding"][inputs.T] @ params["W"]  # (L, B, 4H)

  def step(carry, x_w):
    h, c = _recurrence(params, carry, x_w)
    return (h, c), h

  _, hidden = jax.lax.scan(step, initial_carry(params, batch), projected)
  return jnp.swapaxes(hidden, 0, 1) @ params["Wo"] + params["bo"]


def token_log_probs(params: dict[str, jax.Array], tokens: jax.Array) -> jax.Array:
  """log G(x_t | x_<t) of each token of `tokens` (B, L): (B, L)."""
  logits = teacher_forced_logits(params, tokens)
  return jnp.take_along_axis(jax.nn.log_softmax(logits), tokens[..., None], axis=-1)[..., 0]


def nll(params: dict[str, jax.Array], tokens: jax.Array) -> jax.Array:
  """The mean negative log-likelihood per token of `tokens` under the LSTM (the official `pretrain_loss`; under the
  oracle, NLL-oracle, the paper's Eq. 14)."""
  return -jnp.mean(token_log_probs(params, tokens))


def draw(key: jax.Array, logits: jax.Array, temperature: float | jax.Array = 1.0) -> jax.Array:
  """One token per row of `logits` (B, V) from softmax(logits / temperature), by inverting the CDF with one uniform
  per row, in two levels: the block of ceil(sqrt(V)) tokens by the blocks' cumulative mass, then the token in it.
  The same distribution as Gumbel-max (`jax.random.categorical`), which draws V uniforms per row (14x slower at
  V = 5000 on XLA:CPU), and 3x faster than one cumulative sum over all V (`tests/test_seqgan.py` checks the
  frequencies)."""
  vocab = logits.shape[-1]
  block = math.isqrt(vocab - 1) + 1
  blocks = -(-vocab // block)
  weights = jnp.exp(logits / temperature - jnp.max(logits / temperature, axis=-1, keepdims=True))
  weights = jnp.pad(weights, [(0, 0)] * (weights.ndim - 1) + [(0, blocks * block - vocab)])
  weights = weights.reshape(*weights.shape[:-1], blocks, block)
  block_cdf = jnp.cumsum(jnp.sum(weights, axis=-1), axis=-1)
  u = jax.random.uniform(key, logits.shape[:-1]) * block_cdf[..., -1]
  j = jnp.minimum(jnp.sum(block_cdf <= u[..., None], axis=-1), blocks - 1)
  below = jnp.take_along_axis(block_cdf, jnp.maximum(j - 1, 0)[..., None], axis=-1)[..., 0]
  u = u - jnp.where(j > 0, below, 0.0)
  inner = jnp.take_along_axis(weights, j[..., None, None], axis=-2)[..., 0, :]
  k = jnp.minimum(jnp.sum(jnp.cumsum(inner, axis=-1) <= u[..., None], axis=-1), block - 1)
  return jnp.minimum(j * block + k, vocab - 1).astype(jnp.int32)


def complete(params: dict[str, jax.Array], key: jax.Array, prefix: jax.Array, given: jax.Array | int,
             temperature: float | jax.Array = 1.0) -> jax.Array:
  """Sequences (B, L) that keep the first `given` tokens of `prefix` (B, L) and sample the rest from the LSTM: the
  Monte Carlo rollout MC^{G_beta}(Y_{1:t}; N) of the paper's Eq. 4 (the official `ROLLOUT.gen_x`). `given` 0
  samples whole sequences. `given` may be traced, so rollouts from every prefix length vmap over it."""
  batch, length = prefix.shape
  keys = jax.random.split(key, length)

  def step(carry, inputs):
    state, token = carry
    t, key, given_token = inputs
    state, logits = cell(params, state, token)
    token = jnp.where(t < given, given_token, draw(key, logits, temperature))
    return (state, token), token

  start = jnp.full((batch,), START_TOKEN, jnp.int32)
  _, tokens = jax.lax.scan(step, (initial_carry(params, batch), start),
                           (jnp.arange(length), keys, prefix.T.astype(jnp.int32)))
  return tokens.T


def sample(params: dict[str, jax.Array], key: jax.Array, batch: int, length: int,
           temperature: float | jax.Array = 1.0) -> jax.Array:
  """`batch` sequences of `length` tokens sampled from the LSTM (B, L) int32."""
  return complete(params, key, jnp.zeros((batch, length), jnp.int32), 0, temperature)


class LSTMPolicy(nn.Module):
  """G_theta (and the oracle): the parameters of `cell`; called on tokens (B, L) it returns the teacher-forced logits
  (B, L, V)."""

  vocab_size: int
  embedding_dim: int = 32
  hidden_dim: int = 32
  init_std: float = 0.1  # the official generator's init_matrix; the oracle: 1.0

  def parameters(self) -> dict[str, jax.Array]:
    init = nn.initializers.normal(self.init_std)
    e, h, v = self.embedding_dim, self.hidden_dim, self.vocab_size
    shapes = {"embedding": (v, e), "W": (e, 4 * h), "U": (h, 4 * h), "b": (4 * h,), "Wo": (h, v), "bo": (v,)}
    return {name: self.param(name, init, shape) for name, shape in shapes.items()}

  @nn.compact
  def __call__(self, tokens: jax.Array, train: bool = False) -> jax.Array:
    del train
    return teacher_forced_logits(self.parameters(), tokens)


DEFAULT_FILTER_SIZES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20)
DEFAULT_NUM_FILTERS = (100, 200, 200, 200, 200, 100, 100, 100, 100, 100, 160, 160)


class SequenceCNN(nn.Module):
  """D_phi: embedding, one convolution per filter width over the whole sequence (ReLU, max over time), a highway
  layer, dropout, and two logits (fake, real) (Yu et al. 2017, Appendix; Kim 2014's text CNN; the official
  discriminator.py). Initializations are the official code's: embedding U(-1, 1), convolutions and output truncated
  normal 0.1 with biases 0.1; the highway's layers Glorot-uniform (TensorFlow's default) with zero biases."""

  vocab_size: int
  embedding_dim: int = 64
  filter_sizes: tuple[int, ...] = DEFAULT_FILTER_SIZES
  num_filters: tuple[int, ...] = DEFAULT_NUM_FILTERS
  dropout_keep: float = 0.75

  @nn.compact
  def __call__(self, tokens: jax.Array, train: bool = False) -> jax.Array:
    embedding = self.param("embedding", nn.initializers.uniform(2.0), (self.vocab_size, self.embedding_dim))
    x = embedding[tokens] - 1.0  # uniform(2) draws from [0, 2): shifted to the official U(-1, 1)
    conv_init, bias_init = nn.initializers.truncated_normal(0.1), nn.initializers.constant(0.1)
    pooled = []
    for width, count in zip(self.filter_sizes, self.num_filters):
      h = nn.Conv(count, (width,), padding="VALID", kernel_init=conv_init, bias_init=bias_init,
                  name=f"conv{width}")(x)
      pooled.append(jnp.max(nn.relu(h), axis=1))
    x = jnp.concatenate(pooled, axis=-1)
    size = x.shape[-1]
    g = nn.relu(nn.Dense(size, name="highway_lin")(x))
    t = jax.nn.sigmoid(nn.Dense(size, name="highway_gate")(x))  # the official highway(..., bias=0)
    x = t * g + (1.0 - t) * x
    x = nn.Dropout(rate=1.0 - self.dropout_keep, deterministic=not train)(x)
    return nn.Dense(2, kernel_init=conv_init, bias_init=bias_init, name="output")(x)


def real_probability(logits: jax.Array) -> jax.Array:
  """D's probability that each sequence is real (the official `ypred_for_auc[:, 1]`): the reward."""
  return jax.nn.softmax(logits, axis=-1)[..., 1]


def output_l2(params: Any) -> jax.Array:
  """The official discriminator's L2 term: tf.nn.l2_loss (sum of squares / 2) of the output layer's W and b."""
  out = params["output"]
  return 0.5 * (jnp.sum(jnp.square(out["kernel"])) + jnp.sum(jnp.square(out["bias"])))
