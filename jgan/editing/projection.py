"""Projecting real images onto a generator's manifold (Zhu et al. 2016, iGAN, Sec. 3).

z* = argmin_z L(G(z), x), L = pixel MSE + feature_weight * feature MSE (`jgan.editing.features`), by the paper's
three solvers:

  * 'optimize': gradient-based optimisation of z from several random starts, keeping the best; Adam
    or L-BFGS (`optax.lbfgs` with its zoom line search; the paper used L-BFGS-B);
  * 'encoder': one forward pass of a network trained to invert G (`jgan.editing.encoder`);
  * 'hybrid': the encoder's guess refined by the optimisation; the paper's choice.

Every image is an independent problem; problems (images x starts) are batched with `jax.vmap` over one compiled
optimiser step, so projecting 64 images costs about one projection's number of steps, not 64 of them
(experiments/editing/benchmark.py). The step loop runs on the host: XLA:CPU runs convolutions inside `lax.scan` /
`fori_loop` many times slower than outside them, and a step is one dispatch.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgan import data
from jgan.editing import features as feature_nets
from jgan.editing.generators import LatentGenerator

SOLVERS = ("optimize", "encoder", "hybrid")
OPTIMIZERS = ("adam", "lbfgs", "lbfgs_zoom")


@dataclasses.dataclass(frozen=True)
class ProjectionConfig:
  """How to project. Defaults: the settings chosen on the validation digits (experiments/editing/README.md)."""

  solver: str = "optimize"
  optimizer: str = "adam"
  steps: int = 200
  starts: int = 4  # random starts per image ('optimize'); 'hybrid' starts from the encoder's guess only
  learning_rate: float = 0.05  # Adam's; 'lbfgs' scales its line search's trial steps by it (use 1)
  feature_weight: float = 0.01
  seed: int = 0

  def __post_init__(self):
    if self.solver not in SOLVERS:
      raise ValueError(f"solver must be one of {SOLVERS}, got {self.solver!r}")
    if self.optimizer not in OPTIMIZERS:
      raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
    for name in ("steps", "starts"):
      if getattr(self, name) < 1:
        raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
    if self.learning_rate <= 0:
      raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")
    if self.feature_weight < 0:
      raise ValueError(f"feature_weight must be >= 0, got {self.feature_weight}")


@dataclasses.dataclass
class Projection:
  """Projected codes and their images, with the loss terms of each image (all numpy, one row per image)."""

  free: np.ndarray  # (N, free_dim)
  labels: np.ndarray  # (N,) int32 (zeros for unconditional generators)
  images: np.ndarray  # (N, H, W, C) in [-1, 1], the generator's shape
  pixel: np.ndarray  # (N,) pixel MSE to the target, in [-1, 1] units
  feature: np.ndarray  # (N,) feature MSE (zeros without a feature network)
  seconds: float  # wall time of the whole batch (compilation included unless warmed up)


# ---------------------------------------------------------------------------------------------------------------------
# Input images.
# ---------------------------------------------------------------------------------------------------------------------

def prepare_images(images: np.ndarray, generator: LatentGenerator) -> np.ndarray:
  """uint8 images (N, H, W[, C]) of the generator's source or output shape -> float32 (N, *image_shape) in [-1, 1].

  Images of the training data's shape (28x28 digits) are brought to the generator's side as training did (centred
  padding); ValueError naming both allowed shapes otherwise.
  """
  images = np.asarray(images)
  height, width, channels = generator.image_shape
  if images.ndim == 3 and channels == 1:
    images = images[..., None]
  allowed = {tuple(generator.source_shape), tuple(generator.image_shape)}
  if images.ndim != 4 or tuple(images.shape[1:]) not in allowed:
    raise ValueError(f"images must have shape (N, H, W, C) with (H, W, C) one of {sorted(allowed)} (this "
                     f"generator's), got {images.shape}")
  if images.dtype != np.uint8:
    raise ValueError(f"images must be uint8 pixels, got {images.dtype}")
  if images.shape[1:3] != (height, width):
    images = data.resize_images(images, height, "pad")
  return images.astype(np.float32) / 127.5 - 1.0  # data.to_unit_range, in numpy: nothing compiles here


def to_source(images: np.ndarray, generator: LatentGenerator) -> np.ndarray:
  """Generator-shaped images in [-1, 1] -> uint8 in the training data's shape (the padding cropped off)."""
  pixels = data.to_uint8(images)
  height, width = generator.source_shape[:2]
  top, left = (pixels.shape[1] - height) // 2, (pixels.shape[2] - width) // 2
  return pixels[:, top:top + height, left:left + width]


def check_labels(labels: np.ndarray | None, num: int, generator: LatentGenerator) -> np.ndarray:
  """Classes for `num` images: required (in 0..K-1) for conditional generators, ignored (zeros) otherwise."""
  if not generator.conditional:
    return np.zeros(num, np.int32)
  if labels is None:
    raise ValueError(f"this generator is conditional ({generator.num_classes} classes): give each image its class")
  labels = np.asarray(labels).reshape(-1)
  if len(labels) != num or labels.min() < 0 or labels.max() >= generator.num_classes:
    raise ValueError(f"labels must be {num} classes in 0..{generator.num_classes - 1}, got {labels.tolist()[:10]}")
  return labels.astype(np.int32)


# ---------------------------------------------------------------------------------------------------------------------
# The batched minimiser shared by projection and editing.
# ---------------------------------------------------------------------------------------------------------------------

Objective = Callable[..., jax.Array]  # objective(u, shared, *problem) -> scalar, for ONE problem


# Step sizes the batched line search of 'lbfgs' tries along the L-BFGS direction, times the learning rate.
LINE_SEARCH_STEPS = (1.0, 0.5, 0.2, 0.05, 0.01)


@functools.cache
def _transformation(optimizer: str, learning_rate: float) -> optax.GradientTransformationExtraArgs:
  if optimizer == "adam":
    return optax.adam(learning_rate)
  if optimizer == "lbfgs":  # the direction only; the step size comes from the batched line search in _step
    return optax.scale_by_lbfgs(memory_size=10)
  return optax.lbfgs(memory_size=10)  # optax's zoom line search (strong Wolfe conditions): a while_loop


@functools.partial(jax.jit, static_argnames=("objective", "optimizer", "learning_rate"))
def _step(u, opt_state, shared, problems, *, objective: Objective, optimizer: str, learning_rate: float):
  """One optimiser step on every problem at once (vmap over the leading axis of u, opt_state and problems).

  'lbfgs' takes the L-BFGS direction (optax.scale_by_lbfgs: two-loop recursion over the last 10 steps) and moves
  to the best of `LINE_SEARCH_STEPS` along it or along the gradient (a descent step where the L-BFGS direction
  climbs), all trial points evaluated in one batched forward pass: optax's own
  zoom line search ('lbfgs_zoom') is a while_loop, in which XLA:CPU runs the generator's convolutions ~80x slower
  than here (measured: 4 s against 0.05 s a step for 32 problems; experiments/editing/README.md).
  """
  tx = _transformation(optimizer, learning_rate)

  def one(u, opt_state, problem):
    value_fn = lambda v: objective(v, shared, *problem)
    if optimizer == "lbfgs_zoom":  # the line search's last evaluation is kept in its state: no second forward pass
      value, grad = optax.value_and_grad_from_state(value_fn)(u, state=opt_state)
      updates, opt_state = tx.update(grad, opt_state, u, value=value, grad=grad, value_fn=value_fn)
      return optax.apply_updates(u, updates), opt_state, value
    value, grad = jax.value_and_grad(value_fn)(u)
    updates, opt_state = tx.update(grad, opt_state, u)
    if optimizer == "adam":
      return optax.apply_updates(u, updates), opt_state, value
    # Trial points along the L-BFGS direction and, where its curvature estimate is poor and every step along it
    # climbs, along the gradient: the best of both, so the search does not move uphill while a descent step exists.
    directions = jnp.stack([updates, grad]).reshape(2, 1, *u.shape)
    sizes = jnp.asarray(LINE_SEARCH_STEPS).reshape(1, -1, *([1] * u.ndim))
    trials = (u - learning_rate * sizes * directions).reshape(-1, *u.shape)
    values = jax.vmap(value_fn)(trials)
    return trials[jnp.argmin(values)], opt_state, value

  return jax.vmap(one)(u, opt_state, problems)


@functools.partial(jax.jit, static_argnames=("objective",))
def _values(u, shared, problems, *, objective: Objective):
  return jax.vmap(lambda v, problem: objective(v, shared, *problem))(u, problems)


def minimize(objective: Objective, u0: jax.Array, shared: Any, problems: tuple, *, optimizer: str, steps: int,
             learning_rate: float) -> tuple[jax.Array, jax.Array]:
  """Minimises `objective(u, shared, *problem)` for each row of u0 / problems independently: (u, final values).

  `objective` must be a module-level function (it is a static argument of the compiled step: a fresh lambda would
  compile again); `shared` (the generator, weights) is a pytree passed to every problem.
  """
  u = jnp.asarray(u0, jnp.float32)
  opt_state = jax.vmap(_transformation(optimizer, learning_rate).init)(u)
  for _ in range(steps):
    u, opt_state, _ = _step(u, opt_state, shared, problems, objective=objective, optimizer=optimizer,
                            learning_rate=learning_rate)
  return u, _values(u, shared, problems, objective=objective)


# ---------------------------------------------------------------------------------------------------------------------
# Projection.
# ---------------------------------------------------------------------------------------------------------------------

def reconstruction_terms(generator: LatentGenerator, extractor, free: jax.Array, labels: jax.Array,
                         targets: jax.Array, target_features: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
  """(images, pixel MSE (N,), feature MSE (N,)) of codes `free` against `targets` (iGAN's two terms)."""
  images = generator(free, labels)
  pixel = jnp.mean(jnp.square(images - targets), axis=(1, 2, 3))
  return images, pixel, feature_nets.distance(extractor, images, target_features)


def _projection_objective(u, shared, label, target, target_features):
  generator, extractor, feature_weight = shared
  _, pixel, feature = reconstruction_terms(generator, extractor, generator.to_free(u)[None], label[None],
                                           target[None], target_features[None])
  return pixel[0] + feature_weight * feature[0]


@jax.jit
def _evaluate(generator, extractor, free, labels, targets, target_features):
  return reconstruction_terms(generator, extractor, free, labels, targets, target_features)


def project(generator: LatentGenerator, targets: np.ndarray, labels: np.ndarray | None = None, *,
            config: ProjectionConfig = ProjectionConfig(), extractor=None, encoder=None,
            initial: np.ndarray | None = None) -> Projection:
  """Projects `targets` ((N, *generator.image_shape) floats in [-1, 1]; `prepare_images` makes them) onto G.

  `extractor`: the feature network (`features.load(...)`; None: pixels only). `encoder`: a trained
  `jgan.editing.encoder.TrainedEncoder`, required by the 'encoder' and 'hybrid' solvers. `initial`: the starts of
  'optimize' as free codes (N, starts, free_dim) (default: drawn from the prior with `config.seed`).
  """
  targets = jnp.asarray(targets, jnp.float32)
  if targets.ndim != 4 or tuple(targets.shape[1:]) != tuple(generator.image_shape):
    raise ValueError(f"targets must be (N, {', '.join(map(str, generator.image_shape))}), got {targets.shape}; "
                     "prepare_images brings uint8 images there")
  num = targets.shape[0]
  labels = jnp.asarray(check_labels(labels, num, generator))
  if config.solver != "optimize" and encoder is None:
    raise ValueError(f"solver {config.solver!r} needs a trained encoder (jgan.editing.encoder.train)")
  start = time.perf_counter()
  target_features = feature_nets.features(extractor, targets)
  if config.solver in ("encoder", "hybrid"):
    free = encoder.predict(targets, labels)
    if config.solver == "hybrid":
      free = _optimize(generator, extractor, generator.to_unconstrained(free), labels, targets, target_features,
                       config)[0]
  else:
    starts = config.starts
    if initial is None:
      initial = generator.sample_free(jax.random.PRNGKey(config.seed), num * starts)
    elif tuple(np.shape(initial)) != (num, starts, generator.free_dim):
      raise ValueError(f"initial codes must be (N, starts, free_dim) = {(num, starts, generator.free_dim)}, got "
                       f"{np.shape(initial)}")
    u0 = generator.to_unconstrained(jnp.reshape(jnp.asarray(initial, jnp.float32), (num * starts, -1)))
    repeat = lambda a: jnp.repeat(a, starts, axis=0)
    u, values = _optimize(generator, extractor, u0, repeat(labels), repeat(targets), repeat(target_features),
                          config)
    best = jnp.argmin(values.reshape(num, starts), axis=1)
    free = u.reshape(num, starts, -1)[jnp.arange(num), best]
  images, pixel, feature = _evaluate(generator, extractor, free, labels, targets, target_features)
  images = np.asarray(images)
  return Projection(free=np.asarray(free), labels=np.asarray(labels), images=images, pixel=np.asarray(pixel),
                    feature=np.asarray(feature), seconds=time.perf_counter() - start)


def _optimize(generator, extractor, u0, labels, targets, target_features, config: ProjectionConfig):
  """(free codes, final objective values) of the optimisation from unconstrained starts u0."""
  shared = (generator, extractor, jnp.float32(config.feature_weight))
  u, values = minimize(_projection_objective, u0, shared, (labels, targets, target_features),
                       optimizer=config.optimizer, steps=config.steps, learning_rate=config.learning_rate)
  return generator.to_free(u), values
