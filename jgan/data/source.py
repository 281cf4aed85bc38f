"""Where a training step's real examples come from: a data set held on the device, or a toy distribution.

A `Source` is a pytree (its arrays are leaves, so it is passed to compiled steps like any argument) whose
`batch(rng, position, ...)` returns batch number `position` of an endless, reproducible stream: a pure function of
the key and the position, so runs resume exactly. Image sets are kept whole on the device as uint8 and gathered
inside the step (`jgan.data.batch_indices`); toy distributions are drawn fresh from `fold_in(rng, position)`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from jgan import parallel
from jgan.data import batch_indices, to_unit_range


class Source(struct.PyTreeNode):
  """`images` (N, ...) uint8 and `labels` (N,) int32 or None on the device; or `toy`, the name of a toy."""

  images: jax.Array | None = None
  labels: jax.Array | None = None
  toy: str = struct.field(pytree_node=False, default="")

  @classmethod
  def from_arrays(cls, images: np.ndarray, labels: np.ndarray | None = None) -> "Source":
    return cls(images=jnp.asarray(images), labels=None if labels is None else jnp.asarray(labels, jnp.int32))

  @property
  def shape(self) -> tuple[int, ...]:
    """Shape of one example (what the generator must produce)."""
    if self.toy:
      from jgan.data import toys
      return (toys.dim(self.toy),)
    return tuple(self.images.shape[1:])

  def batch(self, rng: jax.Array, position: jax.Array, batch_size: int,
            axis_name: str | None = None) -> dict[str, jax.Array]:
    """This device's slice of global batch `position`: {'x': float32 in the model's range, 'label' if known}.

    The global batch depends only on the key and the position; the device at index i of the axis takes rows
    [i b, (i + 1) b) of it (b = batch_size / devices). On a mesh ordered by process (`parallel.make_mesh`), each
    process thus gathers one contiguous, disjoint share, whatever the number of processes.
    """
    if self.toy:
      from jgan.data import toys
      x = toys.sample(self.toy, jax.random.fold_in(rng, position), batch_size)
      return {"x": parallel.local_slice(x, axis_name)}
    # Only this device's indices are gathered: the global batch is never materialized on one device.
    index = parallel.local_slice(batch_indices(rng, position, self.images.shape[0], batch_size), axis_name)
    batch = {"x": to_unit_range(self.images[index])}
    if self.labels is not None:
      batch["label"] = self.labels[index]
    return batch


class PairedSource(struct.PyTreeNode):
  """Aligned pairs on the device, `a` (N, H, W, Ca) and `b` (N, H, W, Cb) uint8: batch p holds the same rows of
  both, an endless stream of shuffled epochs as `Source` (`jgan.data.batch_indices`)."""

  a: jax.Array
  b: jax.Array

  @classmethod
  def from_arrays(cls, a: np.ndarray, b: np.ndarray) -> "PairedSource":
    if len(a) != len(b):
      raise ValueError(f"pairs need as many A images as B images, got {len(a)} and {len(b)}")
    return cls(a=jnp.asarray(a), b=jnp.asarray(b))

  def batch(self, rng: jax.Array, position: jax.Array, batch_size: int,
            axis_name: str | None = None) -> dict[str, jax.Array]:
    """This device's rows of global batch `position`: {'a', 'b'} as float32 in [-1, 1]."""
    index = parallel.local_slice(batch_indices(rng, position, self.a.shape[0], batch_size), axis_name)
    return {"a": to_unit_range(self.a[index]), "b": to_unit_range(self.b[index])}


class UnpairedSource(struct.PyTreeNode):
  """Two domains on the device with no correspondence: each side is its own stream of shuffled epochs, drawn from
  its own key, so batch p of A and batch p of B are unrelated (CycleGAN's unaligned data)."""

  a: jax.Array
  b: jax.Array

  @classmethod
  def from_arrays(cls, a: np.ndarray, b: np.ndarray) -> "UnpairedSource":
    return cls(a=jnp.asarray(a), b=jnp.asarray(b))

  def batch(self, rng: jax.Array, position: jax.Array, batch_size: int,
            axis_name: str | None = None) -> dict[str, jax.Array]:
    """This device's rows of global batch `position` of each domain: {'a', 'b'} as float32 in [-1, 1]."""
    out = {}
    for stream, name in enumerate(("a", "b")):
      images = getattr(self, name)
      index = batch_indices(jax.random.fold_in(rng, stream), position, images.shape[0], batch_size)
      out[name] = to_unit_range(images[parallel.local_slice(index, axis_name)])
    return out
