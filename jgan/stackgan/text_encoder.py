"""The text encoder: a caption's word ids -> an embedding, trained once at the start of Stage I, then fixed.

StackGAN takes its text embeddings from a pre-trained, fixed encoder (Reed et al. 2016's char-CNN-RNN, trained to
match captions with images of their class; Zhang et al. 2017, Sec. 4). No such encoder exists for the digits'
captions and none can be downloaded, so one is trained here, as small as the captions need: the mean of learned word
vectors (a bag of words: the templates carry no meaning in their order), then two dense layers to the embedding
(layer-normalized without a learned scale, so that its scale is fixed),
trained to read back what its caption states - the class and each attribute's level, or that it is unsaid
(`jgan.stackgan.captions`) - with one softmax head per fact. The embedding is then what the caption says, synonyms
mapped together, and the GAN is conditioned on it, never on the labels themselves. It is trained on the training
split's captions only, for `text_encoder_steps` Adam steps, checked on the validation split's captions (its
accuracies go to config.json), and kept in the state (`nets['text_encoder']`, in no training phase) so that Stage II
and `jgan.generate` use the very same one.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgan.stackgan import captions

HEADS = {"label": 10, **{a: len(captions.LEVELS[a]) + 1 for a in captions.ATTRIBUTES}}  # + 1: unsaid


class TextEncoder(nn.Module):
  """ids (N, L) int32 (0 pads) -> embedding (N, `features`); with `heads`, also {fact: logits}."""

  vocabulary_size: int
  word_features: int = 64
  features: int = 128

  @nn.compact
  def __call__(self, ids: jax.Array, *, train: bool = False, heads: bool = False):
    del train  # no dropout or batch statistics: the same function in training and use
    vectors = nn.Embed(self.vocabulary_size + 1, self.word_features, name="words")(ids)
    present = (ids > 0).astype(jnp.float32)[..., None]
    bag = jnp.sum(vectors * present, axis=1) / jnp.maximum(jnp.sum(present, axis=1), 1.0)
    hidden = nn.relu(nn.Dense(2 * self.features, name="hidden")(bag))
    # Normalized (zero mean, unit variance over its dims, no learned scale): the embedding's scale is fixed, so the
    # conditioning augmentation's mu and sigma start near N(0, I) whatever the words' vectors grew to.
    embedding = nn.LayerNorm(use_bias=False, use_scale=False, name="norm")(nn.Dense(self.features, name="embedding")(
        hidden))
    if not heads:
      return embedding
    return embedding, {fact: nn.Dense(n, name=f"head_{fact}")(nn.relu(embedding)) for fact, n in HEADS.items()}


def targets(said: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
  """Head targets from `generate_captions`' levels: the class, and each attribute's level with unsaid as the last
  class."""
  out = {"label": said["label"]}
  for attribute in captions.ATTRIBUTES:
    level = said[attribute]
    out[attribute] = np.where(level == captions.UNSAID, len(captions.LEVELS[attribute]), level)
  return out


def fact_accuracy(module: TextEncoder, params, ids: np.ndarray, facts: dict[str, np.ndarray]) -> dict[str, float]:
  """Per fact, the fraction of captions whose head reads it right."""
  _, logits = module.apply({"params": params}, jnp.asarray(ids), heads=True)
  return {fact: float(np.mean(np.argmax(np.asarray(logits[fact]), axis=-1) == facts[fact])) for fact in HEADS}


def train(ids: np.ndarray, facts: dict[str, np.ndarray], *, features: int, word_features: int, steps: int, seed: int,
          batch_size: int = 256, learning_rate: float = 3e-3) -> tuple[TextEncoder, dict, float]:
  """A `TextEncoder` trained to read `facts` ({fact: (N,) int}) from `ids` (N, L): (module, params with heads,
  the last batch's loss).
  Deterministic given `seed`."""
  module = TextEncoder(len(captions.vocabulary()), word_features, features)
  key = jax.random.PRNGKey(seed)
  params = module.init(jax.random.fold_in(key, 0), jnp.asarray(ids[:1]), heads=True)["params"]
  tx = optax.adam(learning_rate)
  ids_d, facts_d = jnp.asarray(ids), {k: jnp.asarray(v) for k, v in facts.items()}

  @jax.jit
  def step(params, opt_state, i):
    index = jax.random.randint(jax.random.fold_in(key, i + 1), (batch_size,), 0, ids_d.shape[0])

    def loss_fn(p):
      _, logits = module.apply({"params": p}, ids_d[index], heads=True)
      return sum(jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits[f], facts_d[f][index]))
                 for f in HEADS)

    loss, grads = jax.value_and_grad(loss_fn)(params)
    updates, opt_state = tx.update(grads, opt_state)
    return optax.apply_updates(params, updates), opt_state, loss

  opt_state = tx.init(params)
  loss = jnp.nan
  for i in range(steps):
    params, opt_state, loss = step(params, opt_state, i)
  return module, params, float(loss)
