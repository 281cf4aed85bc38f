"""Trains the digit classifier of `jgan.eval.classifier` and writes its weights and record next to it.

`python -m jgan.eval.train_classifier`: Adam on 8,000 of the embedded digits under random affine distortions,
held-out accuracy printed after each epoch on the other 2,000 (a seeded split, `classifier.heldout_split`). Writes
`digit_classifier.msgpack` (`flax.serialization.to_bytes` of the parameters) and `digit_classifier.json`.
On 8,000 digits the undistorted net stops near 97.5% held out; with the distortions it reaches 98.6%.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import flax
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgan import data
from jgan.eval import classifier

MAX_DEGREES, MAX_SCALE, MAX_SHIFT = 12.0, 0.1, 2.0
AUGMENTATION = (f"random affine: rotation <= {MAX_DEGREES:g} deg, scale 1 +- {MAX_SCALE:g}, shift <= {MAX_SHIFT:g} px, "
                "bilinear, background -1")


def _warp(image: jax.Array, angle: jax.Array, scale: jax.Array, shift: jax.Array) -> jax.Array:
  """One (H, W, 1) image rotated by `angle` and scaled about its centre, then shifted (bilinear, background -1)."""
  height, width = image.shape[:2]
  centre = jnp.array([(height - 1) / 2, (width - 1) / 2])
  grid = jnp.stack(jnp.meshgrid(jnp.arange(height), jnp.arange(width), indexing="ij")) - centre[:, None, None]
  grid = grid - shift[:, None, None]
  cos, sin = jnp.cos(angle), jnp.sin(angle)
  # Each output pixel reads the input at the inverse transform of its position.
  source = jnp.stack([cos * grid[0] - sin * grid[1], sin * grid[0] + cos * grid[1]]) / scale + centre[:, None, None]
  return jax.scipy.ndimage.map_coordinates(image[..., 0], list(source), order=1, mode="constant", cval=-1.0)[..., None]


def augment(rng: jax.Array, images: jax.Array) -> jax.Array:
  """Random affine distortions of a batch (N, H, W, 1) in [-1, 1] (the usual remedy for few MNIST examples)."""
  angle_rng, scale_rng, shift_rng = jax.random.split(rng, 3)
  num = images.shape[0]
  angles = jnp.deg2rad(jax.random.uniform(angle_rng, (num,), minval=-MAX_DEGREES, maxval=MAX_DEGREES))
  scales = jax.random.uniform(scale_rng, (num,), minval=1 - MAX_SCALE, maxval=1 + MAX_SCALE)
  shifts = jax.random.uniform(shift_rng, (num, 2), minval=-MAX_SHIFT, maxval=MAX_SHIFT)
  return jax.vmap(_warp)(images, angles, scales, shifts)


def make_train_step(tx: optax.GradientTransformation):
  """One Adam step on the mean cross-entropy of a distorted batch, with dropout."""
  def loss_fn(params, images, labels, dropout_rng):
    _, logits = classifier.DigitCNN().apply({"params": params}, images, train=True, rngs={"dropout": dropout_rng})
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()

  @jax.jit
  def step(params, opt_state, images, labels, rng):
    augment_rng, dropout_rng = jax.random.split(rng)
    loss, grads = jax.value_and_grad(loss_fn)(params, augment(augment_rng, images), labels, dropout_rng)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss

  return step


def accuracy(params: dict, images: np.ndarray, labels: np.ndarray) -> float:
  """Fraction of `images` whose argmax logit is the label."""
  _, logits = classifier.forward(params, images)
  return float(np.mean(np.argmax(logits, axis=1) == labels))


def train(*, epochs: int, batch_size: int, learning_rate: float, seed: int) -> tuple[dict, dict]:
  """Trains from `seed`; returns the parameters and the record written beside them."""
  digits = data.load("digits")
  train_index, heldout_index = classifier.heldout_split(len(digits))
  images = np.asarray(classifier.preprocess(digits.images))
  steps_per_epoch = len(train_index) // batch_size
  # Cosine decay to 0: the last epochs settle instead of bouncing around at the initial rate.
  tx = optax.adam(optax.cosine_decay_schedule(learning_rate, epochs * steps_per_epoch))
  init_rng, step_rng = jax.random.split(jax.random.PRNGKey(seed))
  params = classifier.init_params(init_rng)
  opt_state, step = tx.init(params), make_train_step(tx)
  order_rng = np.random.default_rng(seed)
  start = time.perf_counter()
  for epoch in range(epochs):
    order = order_rng.permutation(train_index)
    for i in range(steps_per_epoch):
      batch = order[i * batch_size:(i + 1) * batch_size]
      params, opt_state, loss = step(params, opt_state, images[batch], digits.labels[batch],
                                     jax.random.fold_in(step_rng, epoch * steps_per_epoch + i))
    heldout = accuracy(params, images[heldout_index], digits.labels[heldout_index])
    print(f"epoch {epoch + 1}/{epochs}: loss {float(loss):.4f}, held-out accuracy {heldout:.4f} "
          f"({time.perf_counter() - start:.0f} s)", flush=True)
  record = {
      "architecture": classifier.ARCHITECTURE,
      "data": "jgan.data.load('digits'): 10,000 MNIST digits, padded to 32x32, scaled to [-1, 1]",
      "split": {"seed": classifier.SPLIT_SEED, "train": len(train_index), "heldout": len(heldout_index),
                "how": "jgan.eval.classifier.heldout_split"},
      "training": {"epochs": epochs, "batch_size": batch_size, "optimizer": "adam, cosine decay",
                   "learning_rate": learning_rate, "seed": seed, "augmentation": AUGMENTATION,
                   "seconds": round(time.perf_counter() - start, 1)},
      "heldout_accuracy": heldout,
      "train_accuracy": accuracy(params, images[train_index], digits.labels[train_index]),
      "versions": {"jax": jax.__version__, "flax": flax.__version__, "optax": optax.__version__},
  }
  return params, record


def main(argv: list[str] | None = None) -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--epochs", type=int, default=20)
  parser.add_argument("--batch-size", type=int, default=128)
  parser.add_argument("--learning-rate", type=float, default=3e-3)
  parser.add_argument("--seed", type=int, default=0)
  argv = sys.argv[1:] if argv is None else argv
  args = parser.parse_args(argv)
  params, record = train(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
                         seed=args.seed)
  record["command"] = " ".join(["python -m jgan.eval.train_classifier", *argv])
  classifier.WEIGHTS.write_bytes(flax.serialization.to_bytes(params))
  classifier.RECORD.write_text(json.dumps(record, indent=2) + "\n")
  print(f"wrote {classifier.WEIGHTS} and {classifier.RECORD}: held-out accuracy {record['heldout_accuracy']:.4f}")


if __name__ == "__main__":
  main()
