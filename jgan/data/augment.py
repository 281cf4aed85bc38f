"""Random jitter of image batches inside the compiled step, drawn from a key (Isola et al. 2017, Sec. 6.2).

pix2pix and CycleGAN resize each training image to `load_size` (286), crop a random `crop_size` (256) window and
flip it left-right with probability 1/2. The draws are made for the whole global batch from the step's key and each
device keeps its rows, so the jitter is the same whatever the number of devices and a resumed run repeats it.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jgan import parallel


def random_jitter(rng: jax.Array, images: jax.Array, *, batch_size: int, load_size: int, crop_size: int,
                  flip: bool, axis_name: str | None = None) -> jax.Array:
  """This device's rows of the jittered global batch: `images` (n, H, W, C) floats, n = batch_size / devices, are
  resized to `load_size` (bicubic, as the reference code's PIL resize), cropped to `crop_size` at a random offset
  and, with `flip`, mirrored left-right with probability 1/2. Pairs get one jitter: concatenate them on channels."""
  n, height, width, channels = images.shape
  if (height, width) != (load_size, load_size):
    images = jax.image.resize(images, (n, load_size, load_size, channels), "bicubic")
  crop_rng, flip_rng = jax.random.split(rng)
  offsets = parallel.local_slice(jax.random.randint(crop_rng, (batch_size, 2), 0, load_size - crop_size + 1),
                                 axis_name)
  crop = jax.vmap(lambda image, o: jax.lax.dynamic_slice(image, (o[0], o[1], 0), (crop_size, crop_size, channels)))
  images = crop(images, offsets)
  if flip:
    mirrored = parallel.local_slice(jax.random.bernoulli(flip_rng, 0.5, (batch_size,)), axis_name)
    images = jnp.where(mirrored[:, None, None, None], images[:, :, ::-1], images)
  return images
