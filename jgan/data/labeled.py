"""Semi-supervised data: every training image unlabeled, plus N of them with their labels (`--labels N`).

The setting of Salimans et al. 2016 (arXiv:1606.03498, Sec. 5): the classifier sees N labels, N / K per class,
and all training images as unlabeled data. A `SemiSupervisedSource` keeps the unlabeled images as a `Source`
without labels (so no game can read labels it should not have) and the labeled examples beside them; each batch
holds both streams, drawn from independent keys.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from jgan import parallel
from jgan.data import batch_indices, to_unit_range
from jgan.data.source import Source

# Folded into the data key, one per stream, before `batch_indices` folds in the epoch: fold_in(rng, 1) alone would
# also be the unlabeled stream's key of epoch 1, so the two streams' keys were related.
_UNLABELED_STREAM, _LABELED_STREAM = 0, 1


def balanced_labels(labels: np.ndarray, num_labeled: int, num_classes: int, rng: jax.Array) -> np.ndarray:
  """Indices of `num_labeled` examples, `num_labeled / num_classes` of each class, drawn at random from `rng`."""
  if num_labeled % num_classes:
    raise ValueError(f"labels ({num_labeled}) must be a multiple of num_classes ({num_classes})")
  per_class = num_labeled // num_classes
  order = np.asarray(jax.random.permutation(rng, len(labels)))
  chosen = []
  for k in range(num_classes):
    members = order[labels[order] == k]
    if len(members) < per_class:
      raise ValueError(f"class {k} has {len(members)} examples, fewer than the {per_class} labels asked for")
    chosen.append(members[:per_class])
  return np.sort(np.concatenate(chosen))


class SemiSupervisedSource(Source):
  """Unlabeled `images` (labels None) and `labeled_images`, `labeled_labels` (the N labeled examples, repeated
  to at least one batch, as the authors' code tiles them). `batch` adds 'labeled_x' and 'labeled_label'."""

  labeled_images: jax.Array | None = None
  labeled_labels: jax.Array | None = None

  @classmethod
  def create(cls, images: np.ndarray, labels: np.ndarray, labeled_index: np.ndarray,
             batch_size: int) -> "SemiSupervisedSource":
    repeats = math.ceil(batch_size / len(labeled_index))
    index = np.tile(labeled_index, repeats)
    return cls(images=jnp.asarray(images), labels=None, labeled_images=jnp.asarray(images[index]),
               labeled_labels=jnp.asarray(labels[index], jnp.int32))

  def batch(self, rng: jax.Array, position: jax.Array, batch_size: int,
            axis_name: str | None = None) -> dict[str, jax.Array]:
    batch = super().batch(jax.random.fold_in(rng, _UNLABELED_STREAM), position, batch_size, axis_name)
    index = batch_indices(jax.random.fold_in(rng, _LABELED_STREAM), position, self.labeled_images.shape[0],
                          batch_size)
    index = parallel.local_slice(index, axis_name)
    return {**batch, "labeled_x": to_unit_range(self.labeled_images[index]),
            "labeled_label": self.labeled_labels[index]}


Examples = tuple[np.ndarray, np.ndarray | None]  # (images, labels or None)


def split_heldout(images: np.ndarray, labels: np.ndarray | None, num_heldout: int) -> tuple[Examples, Examples]:
  """((train images, labels), (held-out images, labels)): the split of `jgan.eval.classifier.heldout_split` (a
  permutation seeded once for the project, its last `num_heldout` held out), so that with 2,000 of the embedded
  digits the held-out set is the digit classifier's."""
  from jgan.eval.classifier import heldout_split  # plain numpy; imported here to keep jgan.data free of jgan.eval
  if not 0 < num_heldout < len(images):
    raise ValueError(f"heldout must be in (0, {len(images)}) for a set of {len(images)} images, got {num_heldout}")
  train, test = heldout_split(len(images), num_heldout=num_heldout)
  pick = lambda index: (images[index], None if labels is None else labels[index])
  return pick(train), pick(test)
