"""The image history buffer of Shrivastava et al. 2017 (arXiv:1612.07828, Sec. 2.3), as CycleGAN uses it (Zhu et
al. 2017, arXiv:1703.10593, Sec. 4; the reference code's `util/image_pool.py`): the discriminator is updated on
generated images drawn partly from a pool of earlier generators' outputs rather than the latest generator's only,
which damps the oscillation of the two players.

Per image of a batch, in order (the reference's `ImagePool.query`): while the pool holds fewer than `size` images,
the image is stored and returned; once it is full, with probability 1/2 a uniformly chosen stored image is returned
and the new one takes its place, else the new image is returned and the pool is unchanged. `size` 0 turns it off.

Here the pool is an explicit pytree state and `query` a pure function (a `lax.scan` over the batch), so it runs
inside a jitted training step and is checkpointed with the rest of the state. The random draws are made up front
(`draw`) for every image, also those the rule ignores (the reference draws only when the pool is full): the
decisions have the reference's distribution, and a test can replay them (`apply_draws`).

`half_from_history` is SimGAN's own rule for the same pool (half of each discriminator batch from the history, b/2
random slots refreshed per iteration); `query` stays CycleGAN's.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct


class ImagePool(struct.PyTreeNode):
  """A pool of up to `size` images: `images` (size, H, W, C) float32, of which the first `count` are stored."""

  images: jax.Array
  count: jax.Array  # int32 scalar: how many images are stored (the pool is full when count == size)

  @classmethod
  def create(cls, size: int, shape: tuple[int, ...]) -> "ImagePool":
    """An empty pool for `size` images of `shape` (H, W, C)."""
    return cls(images=jnp.zeros((size, *shape), jnp.float32), count=jnp.zeros((), jnp.int32))

  @property
  def size(self) -> int:
    return self.images.shape[0]


def draw(rng: jax.Array, batch_size: int, size: int) -> tuple[jax.Array, jax.Array]:
  """The random decisions for a batch: per image, whether a full pool swaps it for a stored one (probability 1/2)
  and which stored image (uniform over 0 .. size - 1). Returns (swap bool (batch,), index int32 (batch,))."""
  coin_key, index_key = jax.random.split(rng)
  swap = jax.random.uniform(coin_key, (batch_size,)) < 0.5
  index = jax.random.randint(index_key, (batch_size,), 0, max(size, 1), jnp.int32)
  return swap, index


def apply_draws(pool: ImagePool, batch: jax.Array, swap: jax.Array,
                index: jax.Array) -> tuple[jax.Array, ImagePool]:
  """`query` with the decisions given: (images for the discriminator, same shape and dtype as batch; new pool)."""
  if pool.size == 0:
    return batch, pool
  # The reference stores detached images: nothing flows back from the discriminator into the generator through it.
  batch = jax.lax.stop_gradient(batch)

  def step(state, inputs):
    images, count = state
    image, swap, index = inputs
    image = image.astype(images.dtype)
    filling = count < images.shape[0]
    # Filling: store at `count`, return the image. Full and swapping: return the stored image at `index`, store the
    # new one there. Full and not swapping: return the image, store nothing (the slot is rewritten unchanged).
    slot = jnp.where(filling, count, index)
    stored = images[slot]
    from_history = ~filling & swap
    images = images.at[slot].set(jnp.where(filling | swap, image, stored))
    out = jnp.where(from_history, stored, image)
    return (images, count + filling.astype(count.dtype)), out

  (images, count), out = jax.lax.scan(step, (pool.images, pool.count), (batch, swap, index))
  return out.astype(batch.dtype), pool.replace(images=images, count=count)


def query(pool: ImagePool, batch: jax.Array, rng: jax.Array) -> tuple[jax.Array, ImagePool]:
  """Images for the discriminator from a batch of generated images (N, H, W, C), and the updated pool."""
  return apply_draws(pool, batch, *draw(rng, batch.shape[0], pool.size))


def half_from_history(pool: ImagePool, batch: jax.Array, rng: jax.Array) -> tuple[jax.Array, ImagePool]:
  """SimGAN's use of the buffer (Shrivastava et al. 2017, Sec. 2.3 and Algorithm 1), another rule than `query`'s:
  the discriminator's batch of b refined images is b/2 of the current refiner's (the first half of `batch`) and b/2
  drawn uniformly from the buffer; then b/2 random slots of the buffer (distinct) take the current half.

  The paper does not say how the buffer starts; here it fills first: while it holds fewer than `size` images the
  whole batch is returned unchanged and stored in the next free slots (those past `size` are dropped). `size` 0:
  the batch unchanged (no history, the paper's ablation). Returns (images for the discriminator, the new pool).
  """
  if pool.size == 0:
    return batch, pool
  batch = jax.lax.stop_gradient(batch)
  n, half = batch.shape[0], batch.shape[0] // 2
  read_key, write_key = jax.random.split(rng)
  full = pool.count >= pool.size
  history = pool.images[jax.random.randint(read_key, (n - half,), 0, pool.size)].astype(batch.dtype)
  out = jnp.where(full, jnp.concatenate([batch[:half], history]), batch)
  # Full: the current half into `half` distinct random slots, the other half nowhere (index `size` is dropped).
  # Filling: every image into the next free slot.
  slots = jax.random.choice(write_key, pool.size, (half,), replace=False).astype(jnp.int32)
  when_full = jnp.concatenate([slots, jnp.full((n - half,), pool.size, jnp.int32)])
  when_filling = pool.count + jnp.arange(n, dtype=jnp.int32)
  index = jnp.where(full, when_full, when_filling)
  images = pool.images.at[index].set(batch.astype(pool.images.dtype), mode="drop")
  count = jnp.minimum(pool.count + jnp.where(full, 0, n), pool.size).astype(pool.count.dtype)
  return out, pool.replace(images=images, count=count)
