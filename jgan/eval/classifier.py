"""The digit classifier that scores generated digits: jgan's own "Inception network" for 28x28 / 32x32 digits.

A small CNN trained on 8,000 of the embedded digits (`python -m jgan.eval.train_classifier`), its weights shipped as
`digit_classifier.msgpack` and its held-out accuracy recorded in `digit_classifier.json`. Its penultimate layer (128
ReLU units) plays the role of Inception's pool features for the Frechet distance, its softmax the role of Inception's
class probabilities (`jgan.eval.digits`).

The same network with C input channels (`DigitCNN(channels=C)`) scores the other image domains
(`jgan.eval.domain_classifiers`); the channel count of a set of parameters is that of its first kernel.
"""

from __future__ import annotations

import pathlib

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jgan import data

WEIGHTS = pathlib.Path(__file__).with_name("digit_classifier.msgpack")
RECORD = pathlib.Path(__file__).with_name("digit_classifier.json")
IMAGE_SIZE, NUM_CLASSES, FEATURES = 32, 10, 128
SPLIT_SEED, NUM_HELDOUT = 0, 2000


def architecture(channels: int = 1) -> str:
  """`DigitCNN(channels=channels)` in words (for the records written beside the weights)."""
  return (f"input 32x32x{channels} in [-1, 1], mapped to [0, 1]; conv 3x3 16 ReLU; max-pool 2; conv 3x3 32 ReLU; "
          "max-pool 2; dense 128 ReLU (features); dropout 0.25 (training only); dense 10 (logits)")


ARCHITECTURE = architecture(1)


class DigitCNN(nn.Module):
  """The classifier of `ARCHITECTURE` on (N, 32, 32, `channels`) images: returns (features (N, 128), logits (N, 10)).

  `channels` only shapes the first kernel (1: the shipped digit classifier, whose weights load unchanged).
  """

  dropout_rate: float = 0.25
  channels: int = 1

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool = False) -> tuple[jax.Array, jax.Array]:
    if x.shape[-1] != self.channels:
      raise ValueError(f"DigitCNN(channels={self.channels}) got images of {x.shape[-1]} channels")
    x = (x + 1.0) / 2.0  # background 0: it adds nothing to the convolutions, and the net learns a little faster
    # Narrow convolutions (16, 32): a training step costs a third of (32, 64)'s on a CPU.
    x = nn.max_pool(nn.relu(nn.Conv(16, (3, 3))(x)), (2, 2), strides=(2, 2))
    x = nn.max_pool(nn.relu(nn.Conv(32, (3, 3))(x)), (2, 2), strides=(2, 2))
    features = nn.relu(nn.Dense(FEATURES)(x.reshape(x.shape[0], -1)))
    logits = nn.Dense(NUM_CLASSES)(nn.Dropout(self.dropout_rate, deterministic=not train)(features))
    return features, logits


def init_params(rng: jax.Array, channels: int = 1) -> dict:
  """Fresh parameters of `DigitCNN(channels=channels)` (the template that `flax.serialization.from_bytes` fills)."""
  return DigitCNN(channels=channels).init(rng, jnp.zeros((1, IMAGE_SIZE, IMAGE_SIZE, channels)))["params"]


def param_channels(params: dict) -> int:
  """The number of input channels that `params` of a `DigitCNN` take (the depth of its first kernel)."""
  return int(params["Conv_0"]["kernel"].shape[2])


def preprocess(images: np.ndarray | jax.Array, channels: int = 1) -> jax.Array:
  """Images as the classifier sees them: (N, 32, 32, channels) float32 in [-1, 1].

  Accepts (N, H, W, channels) images of side 28 or 32 (also (N, H, W) when channels is 1), either uint8 pixels or
  floats in [-1, 1] (what generators output). 28x28 images are centred on a 32x32 background exactly as the training
  digits are (`data.resize_images(images, 32, "pad")` then `data.to_unit_range`): zero pixels for uint8, -1 for floats.
  """
  if images.ndim == 3 and channels == 1:
    images = images[..., None]
  if images.ndim != 4 or images.shape[-1] != channels or images.shape[1:3] not in ((28, 28), (IMAGE_SIZE, IMAGE_SIZE)):
    expected = "(N, 28|32, 28|32[, 1])" if channels == 1 else f"(N, 28|32, 28|32, {channels})"
    raise ValueError(f"digit images must be {expected}, got shape {images.shape}")
  if images.dtype == np.uint8:
    return data.to_unit_range(jnp.asarray(data.resize_images(np.asarray(images), IMAGE_SIZE, "pad")))
  if not jnp.issubdtype(images.dtype, jnp.floating):
    raise ValueError(f"digit images must be uint8 or float in [-1, 1], got {images.dtype}")
  margin = (IMAGE_SIZE - images.shape[1]) // 2
  return jnp.pad(jnp.asarray(images, jnp.float32), ((0, 0), (margin, margin), (margin, margin), (0, 0)),
                 constant_values=-1.0)


@jax.jit
def _forward(params: dict, images: jax.Array) -> tuple[jax.Array, jax.Array]:
  return DigitCNN(channels=images.shape[-1]).apply({"params": params}, images)


def forward(params: dict, images: np.ndarray | jax.Array, *, batch_size: int = 500) -> tuple[np.ndarray, np.ndarray]:
  """(features, logits) of any number of images, in batches of a fixed size (one compilation for every count).

  The images must have the channel count of `params` (`param_channels`).
  """
  x = preprocess(images, param_channels(params))
  num = x.shape[0]
  padded = jnp.pad(x, ((0, -num % batch_size), (0, 0), (0, 0), (0, 0)), constant_values=-1.0)
  outputs = [_forward(params, padded[i:i + batch_size]) for i in range(0, padded.shape[0], batch_size)]
  features, logits = (np.concatenate([np.asarray(o[k]) for o in outputs])[:num] for k in (0, 1))
  return features, logits


def heldout_split(num_examples: int, *, seed: int = SPLIT_SEED,
                  num_heldout: int = NUM_HELDOUT) -> tuple[np.ndarray, np.ndarray]:
  """(train, held-out) indices: a seeded permutation of the examples, its last `num_heldout` held out."""
  permutation = np.random.default_rng(seed).permutation(num_examples)
  return np.sort(permutation[:-num_heldout]), np.sort(permutation[-num_heldout:])
