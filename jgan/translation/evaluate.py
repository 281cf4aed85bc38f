"""Scoring translations: full-reference quality against the targets, and a target-domain classifier's accuracy.

pix2pix scores its Cityscapes photo -> labels outputs with an FCN trained on real images (Isola et al. 2017,
Sec. 4.2, "FCN-score": per-pixel accuracy 0.80 on real photos, Table 1); jgan scores digit outputs the same way,
with a classifier trained on real images of the target domain (`jgan.eval.domain_classifiers`): accuracy of the
class kept through the translation. Paired outputs are also compared with their targets (L1, PSNR, SSIM,
`jgan.eval.image_quality`); CycleGAN's cycle reconstructions with their inputs.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from jgan import data
from jgan.eval import image_quality
from jgan.state import MultiNetState

# The domain of each side of the built-in tasks (jgan.data.tasks): whose classifier scores images of that side.
TASK_DOMAINS = {"edges2digits": (None, "digits"), "digits2mnist_m": ("digits", "mnist_m")}
SCORED_DOMAINS = ("digits", "mnist_m", "uci_digits")


def domains(dataset: str) -> tuple[str | None, str | None]:
  """(domain of A, domain of B) where a classifier of real images exists, else None on that side."""
  if dataset in TASK_DOMAINS:
    return TASK_DOMAINS[dataset]
  if "+" in dataset:
    a, b = dataset.split("+", 1)
    return (a if a in SCORED_DOMAINS else None), (b if b in SCORED_DOMAINS else None)
  return None, None


@functools.lru_cache(maxsize=None)
def scorer(domain: str):
  """The classifier of real `domain` images (loaded once per process)."""
  from jgan.eval import domain_classifiers
  return domain_classifiers.load_domain_scorer(domain)


def translate_all(translate_fn, state: MultiNetState, images: np.ndarray, rng: jax.Array, *, direction: str,
                  batch_size: int, chunks_per_call: int = 64) -> np.ndarray:
  """`translate_fn(state, batch, rng, direction)` over uint8 `images` in test batches of `batch_size` (pix2pix's
  batch norm uses each test batch's statistics), many batches per compiled call; returns floats in [-1, 1].

  A final partial batch is completed with copies of the first images, which are then dropped.
  """
  num = len(images)
  padded = np.concatenate([images, images[:(-num) % batch_size]]) if num % batch_size else images
  groups = padded.reshape(-1, batch_size, *images.shape[1:])
  outputs = []
  for start in range(0, len(groups), chunks_per_call):
    group = groups[start:start + chunks_per_call]
    if len(group) < chunks_per_call and start:  # the same shape as the other calls: no second compilation
      group = np.concatenate([group, groups[:chunks_per_call - len(group)]])
    rngs = jax.random.split(jax.random.fold_in(rng, start), len(group))
    outputs.append(np.asarray(_translate_groups(translate_fn, state, jnp.asarray(group), rngs, direction)))
  return np.concatenate(outputs).reshape(-1, *outputs[0].shape[2:])[:num]


@functools.partial(jax.jit, static_argnames=("translate_fn", "direction"))
def _translate_groups(translate_fn, state: MultiNetState, groups: jax.Array, rngs: jax.Array,
                      direction: str) -> jax.Array:
  """`translate_fn` on each test batch of `groups` (uint8 (G, B, H, W, C)) with its own key, in one program."""
  return jax.vmap(lambda batch, key: translate_fn(state, data.to_unit_range(batch), key, direction))(groups, rngs)


def classifier_accuracy(domain: str | None, images: np.ndarray, labels: np.ndarray | None) -> float | None:
  """The accuracy of `domain`'s classifier on `images` (None where the domain or the labels are unknown)."""
  if domain is None or labels is None:
    return None
  return float(scorer(domain).accuracy(images, labels))


def frechet_distance(domain: str | None, images: np.ndarray, real: np.ndarray) -> float | None:
  """FD between `images` and real `domain` images in its classifier's feature space: how much the outputs look like
  the target domain, where the accuracy asks only whether they keep their class (None where no classifier)."""
  if domain is None:
    return None
  return float(scorer(domain).digit_scores(images, real)["fd"])


def paired_scores(translate_fn, state: MultiNetState, dataset, *, domain_b: str | None, batch_size: int,
                  rng: jax.Array) -> dict[str, float]:
  """{'l1', 'psnr', 'ssim', 'accuracy', 'fd'}: outputs against targets, and the target classifier on the outputs
  (accuracy, and FD to the real targets)."""
  outputs = translate_all(translate_fn, state, dataset.a, rng, direction="AtoB", batch_size=batch_size)
  scores = image_quality.full_reference(outputs, dataset.b)
  accuracy = classifier_accuracy(domain_b, outputs, dataset.labels)
  if accuracy is None:
    return scores
  return {**scores, "accuracy": accuracy, "fd": frechet_distance(domain_b, outputs, dataset.b)}


def unpaired_scores(translate_fn, state: MultiNetState, dataset, *, domain_a: str | None, domain_b: str | None,
                    batch_size: int, rng: jax.Array) -> dict[str, float]:
  """Per direction: the target classifier's accuracy on the translations (is the class kept?), their FD to the
  real target-domain images (do they look like the target domain?) and the cycle reconstruction's L1 error to the
  input ({'accuracy_ab', 'fd_ab', 'cycle_l1_a', 'accuracy_ba', 'fd_ba', 'cycle_l1_b'})."""
  scores = {}
  for source, domain, labels, forward, back, name, target in (
      (dataset.a, domain_b, dataset.labels_a, "AtoB", "BtoA", "a", dataset.b),
      (dataset.b, domain_a, dataset.labels_b, "BtoA", "AtoB", "b", dataset.a)):
    translated = translate_all(translate_fn, state, source, rng, direction=forward, batch_size=batch_size)
    back_again = translate_all(translate_fn, state, data.to_uint8(translated), rng, direction=back,
                               batch_size=batch_size)
    scores[f"cycle_l1_{name}"] = float(np.mean(image_quality.l1(back_again, source)))
    accuracy = classifier_accuracy(domain, translated, labels)
    if accuracy is not None:
      scores[f"accuracy_{'ab' if name == 'a' else 'ba'}"] = accuracy
    if domain is not None:
      scores[f"fd_{'ab' if name == 'a' else 'ba'}"] = frechet_distance(domain, translated, target)
  return scores
