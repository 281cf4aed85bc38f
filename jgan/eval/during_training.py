"""Scores a generator while it trains (`--eval-every`), with the metrics that fit its data.

* `normal1d`: the exact 1-D Wasserstein-1 distance to the target (`w1`).
* `ring8`, `grid25`: the exact 2-D Wasserstein-1 distance (POT) and the VEEGAN/PacGAN mode coverage (`modes`,
  `high_quality`, `mode_kl`); `swissroll`: the exact 2-D distance.
* digit images (28x28 single-channel sets such as the embedded `digits` or TFDS `mnist`): the project-trained
  digit classifier's Frechet distance (`fd`), Inception score (`is`), class coverage and class KL; for conditional
  generators also how often the classifier recognizes the requested class (`class_accuracy`).
* any other images: the sliced Wasserstein distance to real images (`swd`, pixels in [0, 1]).

Every evaluation uses the same latent codes and the same real reference (drawn once from the run's seed), so
successive values differ only by the generator.
"""

from __future__ import annotations

import functools
from typing import Callable

import jax
import numpy as np

from jgan import data

# The metric drawn to <workdir>/eval.png, by kind of data.
HEADLINE = {"normal1d": "w1", "ring8": "w1", "grid25": "w1", "swissroll": "w1", "digits": "fd", "images": "swd"}


def _generate_all(state, game, latent, batch_size: int = 500) -> np.ndarray:
  from jgan import train
  generate = jax.jit(functools.partial(train.generate, game=game))
  num = len(latent["z"])
  return np.concatenate([np.asarray(generate(state, latent=jax.tree.map(lambda v: v[i:i + batch_size], latent)))
                         for i in range(0, num, batch_size)])


def is_digit_like(shape: tuple[int, ...] | list[int]) -> bool:
  return tuple(shape) in ((28, 28, 1), (28, 28))


class Evaluator:
  """`evaluator(state) -> {name: value}`; `headline` names the value to plot."""

  def __init__(self, config, game, *, images: np.ndarray | None, source_shape: list[int], rng: jax.Array):
    self.config, self.game, self.source_shape = config, game, list(source_shape)
    latent_rng, data_rng, swd_rng = jax.random.split(rng, 3)
    self.latent = game.sample_latent(latent_rng, config.eval_samples)
    if "label" in self.latent:  # classes in equal shares, so class coverage is meaningful
      self.latent["label"] = jax.numpy.arange(config.eval_samples) % config.num_classes
    self.swd_rng = swd_rng
    if data.is_toy(config.dataset):
      from jgan.data import toys
      self.kind = config.dataset
      self.reference = np.asarray(toys.sample(config.dataset, data_rng, config.eval_samples))
    else:
      self.kind = "digits" if is_digit_like(source_shape) else "images"
      pick = np.asarray(jax.random.permutation(data_rng, len(images)))[:config.eval_samples]
      self.reference = images[pick]  # uint8, at the training resolution
    self.headline = HEADLINE[self.kind]
    self.scorer = self.real_statistics = None
    if self.kind == "digits":  # the classifier and the real features, loaded and computed once per run
      from jgan.eval import digits
      self.scorer = digits.load_digit_scorer()
      self.real_statistics = self.scorer.statistics(self.reference)

  def __call__(self, state) -> dict[str, float]:
    return self.score(_generate_all(state, self.game, self.latent))

  def score(self, samples: np.ndarray) -> dict[str, float]:
    """The metrics of generator outputs `samples` (in the model's range) made from `self.latent`."""
    if self.kind == "normal1d":
      from jgan.eval.distances import wasserstein_1d
      return {"w1": float(wasserstein_1d(samples[:, 0], self.reference[:, 0]))}
    if self.kind in ("ring8", "grid25", "swissroll"):
      return self._points(samples)
    images = data.to_uint8(samples)
    if self.kind == "digits":
      return self._digits(images)
    from jgan.eval.distances import sliced_wasserstein
    n = min(len(images), len(self.reference))
    swd = sliced_wasserstein(images[:n] / 255.0, self.reference[:n] / 255.0, self.swd_rng)
    return {"swd": float(swd)}

  def _points(self, samples: np.ndarray) -> dict[str, float]:
    from jgan.data import toys
    from jgan.eval.coverage import mode_coverage
    from jgan.eval.distances import wasserstein_2d
    scores = {"w1": wasserstein_2d(samples, self.reference)}
    if self.kind in ("ring8", "grid25"):
      coverage = mode_coverage(samples, toys.modes(self.kind), toys.mode_std(self.kind))
      scores.update(modes=float(coverage["modes"]), high_quality=coverage["high_quality"])
      if coverage["kl"] is not None:  # undefined without a high-quality sample: left out of the row, not faked
        scores["mode_kl"] = coverage["kl"]
    return scores

  def _digits(self, images: np.ndarray) -> dict[str, float]:
    scores = self.scorer.digit_scores(images, real_statistics=self.real_statistics)
    scores = {{"inception_score": "is"}.get(k, k): float(v) for k, v in scores.items()}
    if "label" in self.latent:
      scores["class_accuracy"] = self.scorer.accuracy(images, np.asarray(self.latent["label"]))
    return scores


def make_evaluator(config, game, source, source_shape: list[int], rng: jax.Array) -> Callable | None:
  """The run's evaluator, or None when `config.eval_every` is 0."""
  if not config.eval_every:
    return None
  images = None if source.toy else np.asarray(source.images)
  return Evaluator(config, game, images=images, source_shape=source_shape, rng=rng)
