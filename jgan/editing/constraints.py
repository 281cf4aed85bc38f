"""Editing under user constraints on the learned manifold (Zhu et al. 2016, iGAN, Sec. 4).

z_edit = argmin_z  sum_g w_g f_g(G(z), v_g) + w_reg ||z - z0||^2, z0 the projection of the real image: the
constraints v_g come from the user's strokes, given as images of the generator's size:

  * colour strokes: an RGBA (or grey + alpha) image; alpha > 0 marks the pixels, their colour is the target;
    f = masked MSE between G(z) and the colours (iGAN's colour constraint).
  * edge / sketch strokes: an image whose drawn pixels (alpha > 0, or non-zero where there is no alpha channel) are
    a line drawing; f = MSE between the edge map of G(z) and that of the drawing, on the drawing dilated by one
    pixel (its two sides). iGAN matches HOG features of the sketch; a Sobel magnitude is the differentiable edge
    map here (`edge_map`).
  * the regulariser keeps z near z0 (their "manifold" term is G itself; the penalty is their ||z - z0||^2 term,
    which keeps the edit close to the original outside the strokes).

iGAN then shows the edit as a sequence from the original (their Sec. 4 interpolates in z): `sequence`.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from jgan import latent
from jgan.editing import projection
from jgan.editing.generators import LatentGenerator

SOBEL_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], np.float32)
# A step from -1 to +1 (the whole range) gives |gx| = 8: the map is divided by 8 so such an edge has magnitude 1.
SOBEL_SCALE = 8.0
EDGE_EPS = 1e-3
SATISFIED_TOLERANCE = 0.25  # a constraint pixel is satisfied within 0.25 of the [-1, 1] range (32 grey levels)


def edge_map(images: jax.Array) -> jax.Array:
  """Sobel gradient magnitude of the grey level, (N, H, W, C) in [-1, 1] -> (N, H, W, 1), divided by 8.

  Borders replicate the edge pixels (a constant image has no edges anywhere). sqrt(gx^2 + gy^2 + eps^2) - eps keeps
  the gradient finite on flat regions (eps = 1e-3; the map is exact to within eps).
  """
  grey = jnp.mean(images, axis=-1, keepdims=True)
  padded = jnp.pad(grey, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="edge")
  kernels = jnp.stack([SOBEL_X, SOBEL_X.T], axis=-1)[:, :, None, :]  # HWIO: (3, 3, 1, 2) = (gx, gy)
  # lax.conv is a cross-correlation: gx = I(x+1) - I(x-1) with SOBEL_X as written.
  gradients = jax.lax.conv_general_dilated(padded, kernels, (1, 1), "VALID",
                                           dimension_numbers=("NHWC", "HWIO", "NHWC")) / SOBEL_SCALE
  return jnp.sqrt(jnp.sum(jnp.square(gradients), axis=-1, keepdims=True) + EDGE_EPS ** 2) - EDGE_EPS


def masked_mse(values: jax.Array, targets: jax.Array, mask: jax.Array) -> jax.Array:
  """Per-image mean squared error over the masked pixels (N,); mask (N, H, W, 1) in {0, 1}; 0 where nothing is
  masked."""
  squared = jnp.mean(jnp.square(values - targets), axis=-1, keepdims=True) * mask
  return jnp.sum(squared, axis=(1, 2, 3)) / jnp.maximum(jnp.sum(mask, axis=(1, 2, 3)), 1.0)


def color_loss(images: jax.Array, colors: jax.Array, mask: jax.Array) -> jax.Array:
  """iGAN's colour constraint: masked MSE between the images and the strokes' colours (N,)."""
  return masked_mse(images, colors, mask)


def edge_loss(images: jax.Array, target_edges: jax.Array, mask: jax.Array) -> jax.Array:
  """The sketch constraint: masked MSE between the images' edge maps and the target edge maps (N,)."""
  return masked_mse(edge_map(images), target_edges, mask)


def dilate(mask: jax.Array) -> jax.Array:
  """A (N, H, W, 1) mask grown by one pixel (3x3 maximum)."""
  return jax.lax.reduce_window(mask, 0.0, jax.lax.max, (1, 3, 3, 1), (1, 1, 1, 1), "SAME")


@dataclasses.dataclass(frozen=True)
class Constraints:
  """Arrays of one batch of edits, in the generator's shape: (N, H, W, C) colours and (N, H, W, 1) masks, edge
  targets and their masks. An all-zero mask switches its constraint off."""

  colors: np.ndarray
  color_mask: np.ndarray
  edges: np.ndarray
  edge_mask: np.ndarray

  @classmethod
  def empty(cls, num: int, image_shape: tuple[int, int, int]) -> "Constraints":
    height, width, channels = image_shape
    zeros = np.zeros((num, height, width, 1), np.float32)
    return cls(np.zeros((num, height, width, channels), np.float32), zeros, zeros, zeros)

  def stroke_mask(self) -> np.ndarray:
    """Pixels any constraint touches (N, H, W, 1), each dilated by one pixel: 'outside the strokes' is the rest."""
    return np.asarray(dilate(jnp.maximum(jnp.asarray(self.color_mask), jnp.asarray(self.edge_mask))))


def from_strokes(color_strokes: np.ndarray | None, edge_strokes: np.ndarray | None,
                 generator: LatentGenerator) -> Constraints:
  """Constraints for ONE image from stroke images (uint8 (H, W, C)), each of the generator's output or source size.

  Colour strokes need an alpha channel (alpha > 0 marks the strokes: grey + alpha or RGBA); edge strokes mark
  their lines by alpha > 0 or, without alpha, by non-zero pixels. ValueError
  naming the shapes allowed, before anything is compiled.
  """
  height, width, channels = generator.image_shape
  result = Constraints.empty(1, generator.image_shape)
  colors, color_mask, edges, edge_mask = (np.array(a) for a in dataclasses.astuple(result))
  if color_strokes is not None:
    pixels, alpha = _split_alpha(color_strokes, generator, "colour strokes", True)
    colors[0] = pixels.astype(np.float32) / 127.5 - 1.0
    color_mask[0] = (alpha > 0).astype(np.float32)
  if edge_strokes is not None:
    pixels, alpha = _split_alpha(edge_strokes, generator, "edge strokes", False)
    drawn = (alpha > 0) if alpha is not None else np.any(pixels > 0, axis=-1, keepdims=True)
    drawing = np.where(drawn, 1.0, -1.0).astype(np.float32)[None]  # white lines on black
    edges[0] = np.asarray(edge_map(drawing))[0]
    edge_mask[0] = np.asarray(dilate(jnp.asarray(drawn[None], jnp.float32)))[0]
  return Constraints(colors, color_mask, edges, edge_mask)


def _split_alpha(strokes: np.ndarray, generator: LatentGenerator, what: str,
                 need_alpha: bool) -> tuple[np.ndarray, np.ndarray | None]:
  """(pixels (H, W, C) in the generator's channels, alpha (H, W, 1) or None), brought to the generator's side by
  centred padding. Grey, grey + alpha, RGB and RGBA are read (RGB turned grey for 1-channel generators)."""
  strokes = np.asarray(strokes)
  if strokes.ndim == 2:
    strokes = strokes[..., None]
  height, width, channels = generator.image_shape
  sides = sorted({tuple(generator.image_shape[:2]), tuple(generator.source_shape[:2])})
  allowed = (2, 4) if need_alpha else (1, 2, 3, 4)
  if strokes.ndim != 3 or tuple(strokes.shape[:2]) not in sides or strokes.shape[2] not in allowed:
    raise ValueError(f"{what} must be (H, W, C) with (H, W) one of {sides} (the image's) and C in {allowed}"
                     f"{' (the last channel alpha, marking the strokes)' if need_alpha else ''}, got "
                     f"{strokes.shape}")
  if strokes.dtype != np.uint8:
    raise ValueError(f"{what} must be uint8 pixels, got {strokes.dtype}")
  if strokes.shape[:2] != (height, width):  # centred on the generator's canvas, as the image itself is
    top, left = (height - strokes.shape[0]) // 2, (width - strokes.shape[1]) // 2
    strokes = np.pad(strokes, ((top, height - strokes.shape[0] - top), (left, width - strokes.shape[1] - left),
                               (0, 0)))
  has_alpha = strokes.shape[2] in (2, 4)
  pixels, alpha = (strokes[..., :-1], strokes[..., -1:]) if has_alpha else (strokes, None)
  if pixels.shape[-1] != channels:
    pixels = (np.round(pixels.mean(axis=-1, keepdims=True)).astype(np.uint8) if channels == 1
              else np.repeat(pixels, channels, axis=-1))
  return pixels, alpha


# ---------------------------------------------------------------------------------------------------------------------
# The edit.
# ---------------------------------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class EditConfig:
  """Weights of the edit's objective and the optimiser (Adam: the strokes' losses are tiny regions, L-BFGS works as well)."""

  color_weight: float = 1.0
  edge_weight: float = 1.0
  reg_weight: float = 0.01  # of the mean squared change of the free code
  steps: int = 150
  learning_rate: float = 0.05
  optimizer: str = "adam"

  def __post_init__(self):
    for name in ("color_weight", "edge_weight", "reg_weight"):
      if getattr(self, name) < 0:
        raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
    if self.steps < 1 or self.learning_rate <= 0:
      raise ValueError(f"steps must be >= 1 and learning_rate > 0, got {self.steps}, {self.learning_rate}")
    if self.optimizer not in projection.OPTIMIZERS:
      raise ValueError(f"optimizer must be one of {projection.OPTIMIZERS}, got {self.optimizer!r}")


def edit_terms(generator: LatentGenerator, free: jax.Array, labels: jax.Array, start: jax.Array,
               constraints: tuple) -> dict[str, jax.Array]:
  """The terms of the edit's objective for a batch: colour, edge (N,) and the code penalty (N,), and the images."""
  colors, color_mask, edges, edge_mask = constraints
  images = generator(free, labels)
  return {"images": images, "color": color_loss(images, colors, color_mask),
          "edge": edge_loss(images, edges, edge_mask), "reg": jnp.mean(jnp.square(free - start), axis=-1)}


def _edit_objective(u, shared, label, start, colors, color_mask, edges, edge_mask):
  generator, weights = shared
  batch = lambda a: a[None]
  terms = edit_terms(generator, generator.to_free(u)[None], label[None], start[None],
                     tuple(map(batch, (colors, color_mask, edges, edge_mask))))
  return (weights["color"] * terms["color"] + weights["edge"] * terms["edge"] + weights["reg"] * terms["reg"])[0]


def edit(generator: LatentGenerator, start: np.ndarray, labels: np.ndarray, constraints: Constraints,
         config: EditConfig = EditConfig()) -> np.ndarray:
  """The edited free codes (N, free_dim), from the projected codes `start` under `constraints` (one per row)."""
  start = jnp.asarray(start, jnp.float32)
  weights = {"color": jnp.float32(config.color_weight), "edge": jnp.float32(config.edge_weight),
             "reg": jnp.float32(config.reg_weight)}
  arrays = tuple(jnp.asarray(a, jnp.float32) for a in dataclasses.astuple(constraints))
  if any(a.shape[0] != start.shape[0] for a in arrays):
    raise ValueError(f"{start.shape[0]} codes but constraints for {[a.shape[0] for a in arrays]} images")
  u, _ = projection.minimize(_edit_objective, generator.to_unconstrained(start), (generator, weights),
                             (jnp.asarray(labels, jnp.int32), start, *arrays), optimizer=config.optimizer,
                             steps=config.steps, learning_rate=config.learning_rate)
  return np.asarray(generator.to_free(u))


def sequence(generator: LatentGenerator, start: np.ndarray, end: np.ndarray, labels: np.ndarray,
             steps: int = 8) -> np.ndarray:
  """Images along the straight line from `start` to `end` codes: (N, steps, H, W, C) in [-1, 1] (iGAN Sec. 4)."""
  path = latent.interpolate(jnp.asarray(start), jnp.asarray(end), steps, "lerp")  # (steps, N, d)
  num = start.shape[0]
  codes = jnp.swapaxes(path, 0, 1).reshape(num * steps, -1)
  images = _decode(generator, codes, jnp.repeat(jnp.asarray(labels, jnp.int32), steps))
  return np.asarray(images).reshape(num, steps, *generator.image_shape)


@jax.jit
def _decode(generator, free, labels):
  return generator(free, labels)


def satisfaction(generator: LatentGenerator, free: np.ndarray, labels: np.ndarray, constraints: Constraints,
                 reference: np.ndarray, tolerance: float = SATISFIED_TOLERANCE) -> dict[str, np.ndarray]:
  """Per image: the fraction of colour / edge constraint pixels within `tolerance` (NaN where there are none), and
  the mean absolute difference from `reference` images outside the dilated strokes."""
  images = np.asarray(_decode(generator, jnp.asarray(free, jnp.float32), jnp.asarray(labels, jnp.int32)))
  color_ok = np.all(np.abs(images - constraints.colors) < tolerance, axis=-1, keepdims=True)
  edge_ok = np.abs(np.asarray(edge_map(images)) - constraints.edges) < tolerance

  def fraction(ok, mask):
    total = mask.sum(axis=(1, 2, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
      return np.where(total > 0, (ok * mask).sum(axis=(1, 2, 3)) / total, np.nan)

  outside = 1.0 - constraints.stroke_mask()
  difference = np.mean(np.abs(images - reference), axis=-1, keepdims=True)
  return {"color_satisfied": fraction(color_ok, constraints.color_mask),
          "edge_satisfied": fraction(edge_ok, constraints.edge_mask),
          "outside_l1": (difference * outside).sum(axis=(1, 2, 3)) / np.maximum(outside.sum(axis=(1, 2, 3)), 1.0),
          "images": images}
