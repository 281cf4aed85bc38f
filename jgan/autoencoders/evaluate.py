"""What a trained autoencoder is judged by, on held-out images (Makhzani et al. 2015, Secs. 3, 5, 6): the
validation split during training (curves, choices), the test split once per reported number.

* `reconstruction`: the mean reconstruction error of held-out images (the config's: Bernoulli -log p(x|z) in nats,
  or half the squared Euclidean error);
* `w1_codes`: how far the aggregated posterior q(z) of held-out images is from p(z): the exact 2-D
  Wasserstein-1 distance (POT) for 2-D codes, the sliced one otherwise, between the codes and as many prior draws;
* `classification_error` (semi-supervised): the error of argmax q(y|x) on held-out digits (Table 2);
* `cluster_error` (clustering, Sec. 6's protocol): category i takes the label of the validation digit x_n that
  maximizes q(y_i | x_n); the held-out digits are classified through their category argmax q(y|x) (Table 3);
  `cluster_error_majority`: the same with each category's majority label among the validation digits in it;
* generation: the digit-scorer figures of decoded prior samples (FD, IS, class coverage; `jgan.eval.digits`) and
  the Parzen-window log-likelihood of held-out digits (`parzen`, Table 1's protocol; slow, so on demand).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from jgan import data
from jgan.autoencoders import steps
from jgan.state import MultiNetState
from jgan.configs.aae import AAEConfig
from jgan.data import priors
from jgan.models.autoencoder import pixels, with_onehot


def _batches(fn, arrays: tuple, batch_size: int = 500) -> dict | np.ndarray:
  n = len(arrays[0])
  parts = [jax.device_get(fn(*(a[i:i + batch_size] for a in arrays))) for i in range(0, n, batch_size)]
  return jax.tree.map(lambda *p: np.concatenate(p), *parts)


@functools.partial(jax.jit, static_argnames="config")
def _encode(state: MultiNetState, images: jax.Array, config: AAEConfig) -> dict[str, jax.Array]:
  x = data.to_unit_range(images)
  return state.nets["encoder"](x, train=False)[0]


def encode(state: MultiNetState, config: AAEConfig, images: np.ndarray) -> dict[str, np.ndarray]:
  """The encoder's outputs for uint8 images: {'z' (the posterior mean for a Gaussian encoder), 'logits', ...}."""
  return _batches(lambda x: _encode(state, x, config), (images,))


@functools.partial(jax.jit, static_argnames="config")
def _decode(state: MultiNetState, code: jax.Array, config: AAEConfig) -> jax.Array:
  return pixels(state.nets["decoder"](code, train=False)[0])


def decode(state: MultiNetState, config: AAEConfig, z: np.ndarray | jax.Array,
           onehot: np.ndarray | jax.Array | None = None) -> np.ndarray:
  """Images in [-1, 1] decoded from codes z, with the one-hot label or y appended where the decoder takes one."""
  code = with_onehot(jnp.asarray(z), None if onehot is None else jnp.asarray(onehot))
  return _batches(lambda c: _decode(state, c, config), (code,))


def _extra_onehot(config: AAEConfig, n: int) -> np.ndarray | None:
  """The label / y one-hot of sample i of a generated set: class i mod K, so every class has its share."""
  k = config.num_classes if config.mode == "supervised" else config.categorical
  return np.eye(k, dtype=np.float32)[np.arange(n) % k] if k else None


def generate(state: MultiNetState, config: AAEConfig, rng: jax.Array, n: int) -> np.ndarray:
  """n images decoded from p(z) (with classes / categories in equal shares where the decoder takes them)."""
  z = priors.sample(config.prior, rng, n, config.code_dim, k=config.num_classes)
  return decode(state, config, z, _extra_onehot(config, n))


def reconstruct(state: MultiNetState, config: AAEConfig, images: np.ndarray,
                labels: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
  """(reconstructions in [-1, 1], per-image reconstruction error in nats) of uint8 images, from the codes' means."""
  encoded = encode(state, config, images)
  label = None if labels is None else jnp.asarray(labels)
  code = steps.decoder_input(jnp.asarray(encoded["z"]), jax.tree.map(jnp.asarray, encoded), label, config)
  logits = _batches(lambda c: state.nets["decoder"](c, train=False)[0], (code,))
  error = np.asarray(steps.reconstruction_error(jnp.asarray(logits), data.to_unit_range(images), config))
  return np.asarray(pixels(jnp.asarray(logits))), error


def code_distance(codes: np.ndarray, config: AAEConfig, rng: jax.Array) -> float:
  """W1 between codes and as many draws of p(z): exact in 2-D, sliced otherwise."""
  from jgan.eval.distances import sliced_wasserstein, wasserstein_2d
  prior_rng, slice_rng = jax.random.split(rng)
  prior = np.asarray(priors.sample(config.prior, prior_rng, len(codes), config.code_dim, k=config.num_classes))
  if config.code_dim == 2:
    return float(wasserstein_2d(codes, prior))
  return float(sliced_wasserstein(jnp.asarray(codes), jnp.asarray(prior), slice_rng))


def classification_error(state: MultiNetState, config: AAEConfig, images: np.ndarray, labels: np.ndarray) -> float:
  """Error of argmax q(y|x) (semi-supervised classification)."""
  predicted = np.argmax(encode(state, config, images)["logits"], axis=-1)
  return float(np.mean(predicted != labels))


def cluster_error(state: MultiNetState, config: AAEConfig, reference: tuple[np.ndarray, np.ndarray],
                  scored: tuple[np.ndarray, np.ndarray]) -> dict[str, float]:
  """Unsupervised clustering error (Sec. 6): category i is labelled with the label of the `reference` image that
  maximizes q(y_i|x) (the paper's protocol, with the validation digits as reference), and the `scored` images are
  classified through their category argmax q(y|x). Also the error when each category takes the majority label of
  the reference images in it (a category holding none keeps the paper's label), and how many categories hold any
  reference image."""
  reference_probs = jax.nn.softmax(jnp.asarray(encode(state, config, reference[0])["logits"]), axis=-1)
  reference_clusters = np.asarray(jnp.argmax(reference_probs, axis=-1))
  scored_clusters = np.argmax(encode(state, config, scored[0])["logits"], axis=-1)
  paper = reference[1][np.asarray(jnp.argmax(reference_probs, axis=0))]  # per category: its most probable image's
  labels = int(max(reference[1].max(), scored[1].max())) + 1
  counts = np.zeros((config.categorical, labels), np.int64)
  np.add.at(counts, (reference_clusters, reference[1]), 1)
  used = counts.sum(axis=1) > 0
  majority = np.where(used, np.argmax(counts, axis=1), paper)
  return {"cluster_error": float(np.mean(paper[scored_clusters] != scored[1])),
          "cluster_error_majority": float(np.mean(majority[scored_clusters] != scored[1])),
          "clusters_used": float(np.sum(used))}


def parzen(state: MultiNetState, config: AAEConfig, validation: np.ndarray, test: np.ndarray, *, num_samples: int = 10000,
           seed: int = 0) -> dict[str, float]:
  """Parzen-window log-likelihood of `test` under `num_samples` decoded prior samples, sigma chosen on
  `validation` (pixels in [0, 1]; Goodfellow et al. 2014's protocol, the AAE paper's Table 1)."""
  from jgan.eval.parzen import parzen_evaluate
  samples = (generate(state, config, jax.random.PRNGKey(seed), num_samples) + 1.0) / 2.0
  return parzen_evaluate(samples, validation.astype(np.float32) / 255.0, test.astype(np.float32) / 255.0)


class Evaluator:
  """`evaluator(state) -> {name: value}` on the `scored` split (validation in training, test once at the end);
  the clustering labels come from `reference` (the validation split, as the paper's protocol); `headline` names the
  value to plot."""

  def __init__(self, config: AAEConfig, *, scored: tuple[np.ndarray, np.ndarray | None],
               reference: tuple[np.ndarray, np.ndarray | None], rng: jax.Array):
    self.config, self.scored, self.reference = config, scored, reference
    self.rng = rng
    self.headline = {"semi_supervised": "classification_error", "clustering": "cluster_error"}.get(config.mode,
                                                                                                   "w1_codes")
    self.scorer = self.real_statistics = None
    from jgan.eval.during_training import is_digit_like
    if is_digit_like(scored[0].shape[1:]):
      from jgan.eval import digits
      self.scorer = digits.load_digit_scorer()
      self.real_statistics = self.scorer.statistics(scored[0])

  def __call__(self, state: MultiNetState) -> dict[str, float]:
    config, (images, labels) = self.config, self.scored
    code_rng, sample_rng = jax.random.split(self.rng)
    _, errors = reconstruct(state, config, images, labels)
    scores = {"reconstruction": float(np.mean(errors)),
              "w1_codes": code_distance(encode(state, config, images)["z"], config, code_rng)}
    if config.mode == "semi_supervised":
      scores["classification_error"] = classification_error(state, config, images, labels)
    if config.mode == "clustering" and labels is not None and self.reference[1] is not None:
      scores.update(cluster_error(state, config, self.reference, self.scored))
    if self.scorer is not None:
      generated = data.to_uint8(generate(state, config, sample_rng, config.eval_samples))
      digit = self.scorer.digit_scores(generated, real_statistics=self.real_statistics)
      scores.update({{"inception_score": "is"}.get(k, k): float(v) for k, v in digit.items()})
      if _extra_onehot(config, 1) is not None and config.mode == "supervised":
        scores["class_accuracy"] = self.scorer.accuracy(generated, np.arange(len(generated)) % config.num_classes)
    return scores
