"""The two domains of an adaptation run on the device: labelled source images and target images, each its own
stream of shuffled epochs (`jgan.data.batch_indices`), so batch p of each is a pure function of the key and p."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from jgan import parallel
from jgan.data import batch_indices, to_unit_range


class DomainPairSource(struct.PyTreeNode):
  """`source` (N_s, H, W, C_s) and `target` (N_t, H, W, C_t) uint8 with their int32 labels (the target's are read
  only by the steps that may: scoring, and DANN's target-only upper bound)."""

  source: jax.Array
  source_labels: jax.Array
  target: jax.Array
  target_labels: jax.Array

  @classmethod
  def from_arrays(cls, source: np.ndarray, source_labels: np.ndarray, target: np.ndarray,
                  target_labels: np.ndarray) -> "DomainPairSource":
    return cls(source=jnp.asarray(source), source_labels=jnp.asarray(source_labels, jnp.int32),
               target=jnp.asarray(target), target_labels=jnp.asarray(target_labels, jnp.int32))

  def batch(self, rng: jax.Array, position: jax.Array, batch_size: int,
            axis_name: str | None = None) -> dict[str, jax.Array]:
    """This device's rows of batch `position` of each domain (`batch_size` each): {'source', 'source_label',
    'target', 'target_label'}, images float32 in [-1, 1]."""
    out = {}
    for stream, name in enumerate(("source", "target")):
      images, labels = getattr(self, name), getattr(self, f"{name}_labels")
      index = parallel.local_slice(batch_indices(jax.random.fold_in(rng, stream), position, images.shape[0],
                                                 batch_size), axis_name)
      out[name], out[f"{name}_label"] = to_unit_range(images[index]), labels[index]
    return out


def with_channels(images: np.ndarray | jax.Array, channels: int):
  """Images with `channels` channels: grey repeated to 3 (how DANN's reference codes feed MNIST to an MNIST-M net),
  colour averaged to grey; unchanged when they already have `channels`."""
  xp = jnp if isinstance(images, jax.Array) else np
  have = images.shape[-1]
  if have == channels:
    return images
  if have == 1 and channels == 3:
    return xp.repeat(images, 3, axis=-1)
  if have == 3 and channels == 1:
    mean = xp.mean(images.astype(xp.float32), axis=-1, keepdims=True)
    return xp.round(mean).astype(images.dtype) if images.dtype == xp.uint8 else mean.astype(images.dtype)
  raise ValueError(f"cannot bring {have}-channel images to {channels} channels")


def training_domains(source: str, target: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
  """(source images, labels, target images, labels) of the 'train' split at 32x32; from disjoint examples when both
  domains are made of the same digits (digits and mnist_m: `jgan.data.tasks.unpaired` halves the split)."""
  from jgan.data import tasks
  pair = tasks.unpaired(source, target, "train")
  return pair.a, pair.labels_a, pair.b, pair.labels_b


def domain_split(domain: str, split: str) -> tuple[np.ndarray, np.ndarray]:
  """(images (N, 32, 32, C) uint8, labels) of the whole `split` of `domain` (to score: these are never trained on)."""
  from jgan.eval.domain_classifiers import domain_split as split_of
  return split_of(domain, split)


def in_batches(fn, images: np.ndarray, batch_size: int = 250):
  """`fn` (a jitted function of float images in [-1, 1]) over uint8 `images` in batches of one fixed size (one
  compilation for any count; the last batch padded with zeros, whose outputs are dropped); its outputs (a pytree of
  arrays) concatenated on the host."""
  num = len(images)
  padded = np.concatenate([images, np.zeros((-num % batch_size, *images.shape[1:]), images.dtype)])
  outs = [fn(to_unit_range(jnp.asarray(padded[i:i + batch_size]))) for i in range(0, len(padded), batch_size)]
  return jax.tree.map(lambda *parts: np.concatenate([np.asarray(p) for p in parts])[:num], *outs)
