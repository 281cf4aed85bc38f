"""The content loss's offline feature network: a small convnet the project trains itself by predicting rotations.

No pretrained VGG can be downloaded here, so SRGAN's content loss (Ledig et al. 2017, Eq. 5) offline reads the
features of a network trained on the same training images without labels, by the rotation pretext task of Gidaris,
Singh and Komodakis 2018 ("Unsupervised Representation Learning by Predicting Image Rotations", arXiv:1803.07728):
each image is rotated by 0, 90, 180 or 270 degrees and the network predicts which (Sec. 3.1, Eq. 1-3: the
cross-entropy over the four rotations). To tell them apart it must learn where objects' tops, edges and textures
lie, features that serve a perceptual loss. It is a substitute for VGG, not VGG, and is never named so.

`RotationNet`: per stage two 3x3 convolutions with ReLU, a 2x2 max-pool between stages; `head=False` gives the last
stage's ReLU feature map (the content features, as VGG54 is VGG19's last convolution before its last pool),
`head=True` four rotation logits. `train_feature_net` trains it (Adam) and returns a
`jgan.superres.features.FeatureExtractor`; `save_feature_net` / `load_feature_net` keep it as msgpack parameters
beside a JSON record of the architecture and of how it was made.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import pathlib
import time
import warnings
from typing import Any, Sequence

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgan.data import to_unit_range
from jgan.models import layers
from jgan.superres.features import FeatureExtractor

ROTATIONS = 4  # 0, 90, 180, 270 degrees: jnp.rot90 by k, label k
DEFAULT_FEATURES = (32, 64, 128)
EVAL_CHUNK = 256  # images per forward pass when scoring rotation accuracy (bounds memory on large sets)
UNLEARNT_ACCURACY = 0.3  # training rotation accuracy below which `train_feature_net` warns (chance: 0.25)


class RotationNet(nn.Module):
  """Stages of two 3x3 convolutions (padding 1) with ReLU, each stage but the last followed by a 2x2 max-pool.

  images (N, H, W, C) in [-1, 1], C whatever it was trained on; `head=False`: the last stage's ReLU map
  (N, H / 2^(S-1), W / 2^(S-1), features[-1]); `head=True`: 4 rotation logits from global average pooling and a
  dense layer (as Gidaris et al.'s classifiers on top of conv features).
  """

  features: Sequence[int] = DEFAULT_FEATURES

  @nn.compact
  def __call__(self, images: jax.Array, *, head: bool) -> jax.Array:
    x = images
    for stage, width in enumerate(self.features, start=1):
      for conv in (1, 2):
        x = nn.relu(layers.Conv(width, (3, 3), padding=1, name=f"conv{stage}_{conv}")(x))
      if stage < len(self.features):
        x = nn.max_pool(x, (2, 2), strides=(2, 2))
    if not head:
      return x
    return nn.Dense(ROTATIONS, name="rotation")(jnp.mean(x, axis=(1, 2)))


def stage_name(features: Sequence[int]) -> str:
  """The extractor's name: which map of which net ('rotation-net/conv3_2' for three stages)."""
  return f"rotation-net/conv{len(features)}_2"


@dataclasses.dataclass(frozen=True)
class _ContentFeatures:
  """`FeatureExtractor.apply_fn` of a RotationNet: the head-free forward pass. A frozen dataclass, so equal
  configurations compare (and hash) equal and jitted functions taking an extractor are not traced again."""

  features: tuple[int, ...]
  channels: int

  def __call__(self, variables: Any, images: jax.Array) -> jax.Array:
    if images.shape[-1] != self.channels:
      raise ValueError(f"this rotation net was trained on {self.channels}-channel images, got shape {images.shape}")
    return RotationNet(self.features).apply(variables, images, head=False)


def _extractor(params: Any, features: Sequence[int], channels: int) -> FeatureExtractor:
  features = tuple(int(f) for f in features)
  return FeatureExtractor(params=params, apply_fn=_ContentFeatures(features, channels), name=stage_name(features))


def _config(extractor: FeatureExtractor) -> _ContentFeatures:
  if not isinstance(extractor.apply_fn, _ContentFeatures):
    raise ValueError(f"extractor {extractor.name!r} is not a rotation net of jgan.superres.feature_net")
  return extractor.apply_fn


def _as_square_images(images: np.ndarray, what: str) -> np.ndarray:
  images = np.asarray(images)
  if images.ndim == 3:
    images = images[..., None]
  if images.dtype != np.uint8 or images.ndim != 4 or len(images) == 0:
    raise ValueError(f"{what} must be non-empty uint8 (N, H, W[, C]) images, got {images.dtype} {images.shape}")
  if images.shape[1] != images.shape[2]:
    # A quarter turn of a non-square image changes its shape: the rotations would not batch, and the aspect ratio
    # alone would give the answer away.
    raise ValueError(f"{what} must be square to be rotated by quarter turns, got {images.shape[1]}x{images.shape[2]}")
  return images


def rotate(images: jax.Array, k: jax.Array) -> jax.Array:
  """Square images (N, S, S, C) each turned by its own k[n] quarter turns (jnp.rot90, counter-clockwise)."""
  # rot90 wants a static k: compute the four turns and pick each image's (the batch is small, the cost 4 copies).
  turned = jnp.stack([jnp.rot90(images, r, axes=(1, 2)) for r in range(ROTATIONS)])
  return turned[k, jnp.arange(images.shape[0])]


def rotation_batch(rng: jax.Array, images: jax.Array, batch_size: int) -> tuple[jax.Array, jax.Array]:
  """(rotated images in [-1, 1], rotation labels): `batch_size` images drawn uniformly (with replacement) from the
  uint8 set, each turned by a uniformly drawn k in 0..3, its label."""
  index_rng, rotation_rng = jax.random.split(rng)
  index = jax.random.randint(index_rng, (batch_size,), 0, images.shape[0])
  labels = jax.random.randint(rotation_rng, (batch_size,), 0, ROTATIONS)
  return rotate(to_unit_range(images[index]), labels), labels


@functools.cache
def _correct_fn(features: tuple[int, ...]):
  """Jitted (params, uint8 chunk, mask) -> how many of the chunk's (image, turn) pairs, over all four turns, the
  net gets right; cached per architecture, and fed fixed-size chunks, so it compiles once."""
  model = RotationNet(features)

  @jax.jit
  def correct(params, chunk, mask):
    x = to_unit_range(chunk)
    total = jnp.zeros((), jnp.int32)
    for k in range(ROTATIONS):
      logits = model.apply({"params": params}, jnp.rot90(x, k, axes=(1, 2)), head=True)
      total = total + jnp.sum((jnp.argmax(logits, axis=-1) == k) & mask)
    return total

  return correct


def _rotation_accuracy(params: Any, features: tuple[int, ...], images: np.ndarray) -> float:
  """Fraction of the 4 N (image, rotation) pairs whose rotation is predicted: every image in all four turns, as
  Gidaris et al. evaluate (no sampling, so the figure is exact for the set)."""
  correct_fn = _correct_fn(features)
  size = min(EVAL_CHUNK, len(images))
  correct = 0
  for start in range(0, len(images), size):
    chunk = images[start:start + size]
    mask = np.arange(size) < len(chunk)
    chunk = np.concatenate([chunk, np.zeros((size - len(chunk),) + chunk.shape[1:], np.uint8)])  # one shape
    correct += int(correct_fn(params, chunk, mask))
  return correct / (ROTATIONS * len(images))


def rotation_accuracy(extractor: FeatureExtractor, images: np.ndarray) -> float:
  """Rotation accuracy of a trained rotation net on uint8 square images, each scored in all four turns (chance
  0.25)."""
  config = _config(extractor)
  return _rotation_accuracy(extractor.params, config.features, _as_square_images(images, "images"))


def train_feature_net(images_uint8: np.ndarray, *, steps: int = 2000, batch_size: int = 64,
                      learning_rate: float = 1e-3, seed: int = 0, validation: np.ndarray | None = None,
                      features: Sequence[int] = DEFAULT_FEATURES) -> tuple[FeatureExtractor, dict]:
  """Trains a `RotationNet` from `seed` on the rotation task over `images_uint8` (N, S, S, C) uint8, C 1 or 3.

  Adam at a constant `learning_rate`; each of the `steps` batches draws `batch_size` images and their rotations
  from a key folded from the seed and the step (`rotation_batch`) inside one jitted step, the images kept on the
  device. Returns the `FeatureExtractor` of its head-free features (name 'rotation-net/conv<S>_2', parameters
  frozen by the extractor) and the metrics: the loss's mean over the first and last tenth of the steps, rotation
  accuracy on up to 1,000 training images and, where `validation` (uint8, same size and channels) is given, on
  those held-out images; both score each image in all four turns.
  """
  images = _as_square_images(images_uint8, "images")
  if steps < 1 or batch_size < 1:
    raise ValueError(f"steps and batch_size must be positive, got {steps} and {batch_size}")
  if validation is not None:
    validation = _as_square_images(validation, "validation")
    if validation.shape[1:] != images.shape[1:]:
      raise ValueError(f"validation images {validation.shape[1:]} differ from training images {images.shape[1:]}")
  features = tuple(int(f) for f in features)
  channels = images.shape[-1]
  model = RotationNet(features)
  init_rng, step_rng = jax.random.split(jax.random.PRNGKey(seed))
  params = model.init(init_rng, jnp.zeros((1,) + images.shape[1:], jnp.float32), head=True)["params"]
  tx = optax.adam(learning_rate)
  opt_state = tx.init(params)
  device_images = jnp.asarray(images)  # uint8 on the device: batches are gathered inside the step

  def loss_fn(params, rotated, labels):
    logits = model.apply({"params": params}, rotated, head=True)
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()

  # The images are an argument, not a closed-over constant: a constant would be copied into the compiled program.
  @jax.jit
  def step(params, opt_state, device_images, rng):
    rotated, labels = rotation_batch(rng, device_images, batch_size)
    loss, grads = jax.value_and_grad(loss_fn)(params, rotated, labels)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss

  start = time.perf_counter()
  losses = []
  for i in range(steps):
    params, opt_state, loss = step(params, opt_state, device_images, jax.random.fold_in(step_rng, i))
    losses.append(loss)  # device scalars: no wait for the step here
  losses = np.asarray(jnp.stack(losses))
  seconds = time.perf_counter() - start
  tenth = max(1, steps // 10)
  metrics = {"task": "rotation prediction (Gidaris et al. 2018), 4 classes", "steps": steps,
             "batch_size": batch_size, "learning_rate": learning_rate, "seed": seed, "features": list(features),
             "channels": channels, "image_size": int(images.shape[1]), "train_images": len(images),
             "loss_first_tenth": float(np.mean(losses[:tenth])), "loss_last_tenth": float(np.mean(losses[-tenth:])),
             "train_rotation_accuracy": _rotation_accuracy(params, features, images[:1000]),
             "seconds": round(seconds, 1)}
  if validation is not None:
    metrics["validation_rotation_accuracy"] = _rotation_accuracy(params, features, validation)
    metrics["validation_images"] = len(validation)
  if metrics["train_rotation_accuracy"] < UNLEARNT_ACCURACY:
    # Where the images give no cue to their orientation (small crops of texture), the net lowers its loss to log 4
    # by silencing its ReLUs: the features then go mostly to 0 and a content loss on them measures little.
    warnings.warn(f"the rotation feature net did not learn its task (training rotation accuracy "
                  f"{metrics['train_rotation_accuracy']:.3f}, chance 0.25, after {steps} steps): its features may "
                  f"carry little for a content loss; try more steps or larger images", RuntimeWarning, stacklevel=2)
  return _extractor(params, features, channels), metrics


def _sidecar(path: pathlib.Path) -> pathlib.Path:
  return path.with_suffix(".json")


def save_feature_net(path: str | pathlib.Path, extractor: FeatureExtractor, metadata: dict) -> None:
  """Writes the extractor's parameters to `path` (flax.serialization msgpack) and beside it `path` with suffix
  .json: the architecture (features, channels), name, scale and `metadata` (JSON-serialisable)."""
  path = pathlib.Path(path)
  config = _config(extractor)
  record = {"module": "jgan.superres.feature_net.RotationNet", "features": list(config.features),
            "channels": config.channels, "name": extractor.name, "scale": extractor.scale, "metadata": metadata}
  text = json.dumps(record, indent=2) + "\n"  # serialise first: bad metadata must not leave half a pair behind
  path.parent.mkdir(parents=True, exist_ok=True)
  path.write_bytes(flax.serialization.to_bytes(extractor.params))
  _sidecar(path).write_text(text)


def load_feature_net(path: str | pathlib.Path) -> FeatureExtractor:
  """The `FeatureExtractor` saved by `save_feature_net` at `path`; ValueError naming the file when the weights or
  their JSON record are missing, unreadable, or do not match the recorded architecture."""
  path = pathlib.Path(path)
  sidecar = _sidecar(path)
  for file in (path, sidecar):
    if not file.is_file():
      raise ValueError(f"{file}: no such file (a rotation feature net is saved as {path.name} and {sidecar.name})")
  try:
    record = json.loads(sidecar.read_text())
    features, channels = tuple(int(f) for f in record["features"]), int(record["channels"])
    name, scale = str(record.get("name", stage_name(features))), float(record.get("scale", 1.0))
  except (ValueError, KeyError, TypeError) as error:
    raise ValueError(f"{sidecar}: not a rotation feature net record ({error})") from error
  # The expected tree, by shape only (no initialisation compute).
  side = 2 ** (len(features) - 1)
  template = jax.eval_shape(lambda: RotationNet(features).init(
      jax.random.PRNGKey(0), jnp.zeros((1, side, side, channels)), head=True))["params"]
  try:
    stored = flax.serialization.msgpack_restore(path.read_bytes())
  except Exception as error:  # msgpack's own exceptions: truncated or not msgpack at all
    raise ValueError(f"{path}: unreadable feature net weights ({type(error).__name__}: {error})") from error
  if not isinstance(stored, dict) or (jax.tree_util.tree_structure(stored)
                                      != jax.tree_util.tree_structure(template)):
    raise ValueError(f"{path}: the weights do not have the parameters of a RotationNet{features} on {channels} "
                     f"channels recorded in {sidecar.name}")
  for (key, value), expected in zip(jax.tree_util.tree_leaves_with_path(stored), jax.tree_util.tree_leaves(template)):
    if np.shape(value) != expected.shape:
      raise ValueError(f"{path}: parameter {jax.tree_util.keystr(key)} has shape {np.shape(value)}, the recorded "
                       f"architecture needs {expected.shape}")
  params = jax.tree_util.tree_map(lambda value, expected: jnp.asarray(value, expected.dtype), stored, template)
  return _extractor(params, features, channels).replace(name=name, scale=scale)
