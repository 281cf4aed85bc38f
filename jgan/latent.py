"""Latent-space tools for every jgan generator: interpolation and latent vector arithmetic, written as PNG grids.

Radford, Metz and Chintala 2015 (DCGAN, arXiv:1511.06434): Sec. 6.1 walks the latent space between codes to show
that the generator has not memorized images (smooth transitions, Fig. 4); Sec. 6.3 does vector arithmetic on the
mean codes of groups of samples ("smiling woman" - "neutral woman" + "neutral man", Fig. 7), averaging the codes of
three exemplars per concept and decoding the result with uniform noise of +-0.25 added to show variants. Spherical
interpolation (Shoemake's slerp, advocated for GAN codes by White 2016, "Sampling Generative Networks",
arXiv:1609.04468) follows the great circle between two codes: high-dimensional Gaussian codes concentrate near a
sphere, and the straight line between two of them passes through the improbable region near the origin.

Arithmetic works on the generator's input vectors (`game.generator_input`: z, with the one-hot class of a
conditional generator or InfoGAN's codes appended), so the mean of a group is the mean of what the generator saw.

    python -m jgan.latent --checkpoint RUN_DIR --out DIR [--mode interpolate|arithmetic|codes]
    python -m jgan.latent --pretrained dcgan-digits --out DIR    # a generator shipped with jgan (jgan.pretrained)

* `interpolate`: rows of `--steps` images along the path between two codes (`--method slerp|lerp`); conditional
  generators keep the start's class and InfoGAN its codes, so only z moves.
* `arithmetic`: `--expression` over groups of generated samples, e.g. "digit7 - thin + thick": `thin` / `thick`
  are the 10% of samples with the least / most ink, `digitK` those the project's digit classifier
  (`jgan.eval.digits`, when present) calls K with probability > 0.9, `all` every sample. One row per group (its
  mean code decoded, then variants with noise), and the result last.
* `codes` (InfoGAN): `c1.png` with one row per category of c1 (columns: other z), and for every continuous code
  `cJ.png` with one row per category of c1 and that code going from -range to +range across the columns, z and the
  other codes fixed.
"""

from __future__ import annotations

import argparse
import functools
import pathlib
import re
import sys
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from jgan import cli, data, pretrained, sample, train
from jgan import images as image_io
from jgan.configs.base import Config

METHODS = ("slerp", "lerp")
MODES = ("interpolate", "arithmetic", "codes")


# ---------------------------------------------------------------------------------------------------------------------
# Paths between codes.
# ---------------------------------------------------------------------------------------------------------------------

def lerp(a: jax.Array, b: jax.Array, t: jax.Array | float) -> jax.Array:
  """(1 - t) a + t b; `t` broadcasts against the leading axes of a and b (vectors on the last axis)."""
  t = jnp.asarray(t, jnp.float32)[..., None]
  return (1 - t) * a + t * b


def slerp(a: jax.Array, b: jax.Array, t: jax.Array | float, *, eps: float = 1e-4) -> jax.Array:
  """Spherical interpolation: sin((1 - t) w) / sin w * a + sin(t w) / sin w * b, w the angle between a and b.

  Vectors on the last axis. Equal-norm endpoints keep their norm along the path; the angle to `a` grows as t w.
  Where a and b are nearly parallel or antiparallel (sin w < eps) the formula is 0/0 and the great circle
  undefined: the result is then the linear interpolation (which it approaches as w -> 0).
  """
  t = jnp.asarray(t, jnp.float32)[..., None]
  unit = lambda v: v / jnp.maximum(jnp.linalg.norm(v, axis=-1, keepdims=True), 1e-12)
  cosine = jnp.clip(jnp.sum(unit(a) * unit(b), axis=-1, keepdims=True), -1.0, 1.0)
  degenerate = 1.0 - cosine ** 2 < eps ** 2  # sin w < eps
  # arccos has an infinite slope at +-1: the unused branch gets a harmless angle, so gradients stay finite.
  omega = jnp.arccos(jnp.where(degenerate, 0.0, cosine))
  spherical = (jnp.sin((1 - t) * omega) * a + jnp.sin(t * omega) * b) / jnp.sin(omega)
  return jnp.where(degenerate, (1 - t) * a + t * b, spherical)


def interpolate(a: jax.Array, b: jax.Array, steps: int, method: str = "slerp") -> jax.Array:
  """`steps` points from a to b (both included), stacked on a new leading axis: (steps, *a.shape)."""
  if method not in METHODS:
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")
  if steps < 2:
    raise ValueError(f"steps must be >= 2 (the two end points), got {steps}")
  t = jnp.linspace(0.0, 1.0, steps).reshape((steps,) + (1,) * (a.ndim - 1))
  return (slerp if method == "slerp" else lerp)(a[None], b[None], t)


# ---------------------------------------------------------------------------------------------------------------------
# Vector arithmetic.
# ---------------------------------------------------------------------------------------------------------------------

_TERM = re.compile(r"\s*([+-])?\s*(?:(\d+(?:\.\d*)?|\.\d+)\s*\*\s*)?([A-Za-z_]\w*)\s*")


def parse_expression(expression: str) -> list[tuple[float, str]]:
  """'a - b + 0.5 * c' -> [(1.0, 'a'), (-1.0, 'b'), (0.5, 'c')]: a signed sum of optionally scaled names."""
  terms, position = [], 0
  while position < len(expression):
    match = _TERM.match(expression, position)
    if not match or match.end() == position or (terms and not match.group(1)):
      raise ValueError(f"cannot read expression {expression!r} at position {position}: expected terms like "
                       "'a - b + 0.5 * c'")
    sign = -1.0 if match.group(1) == "-" else 1.0
    terms.append((sign * float(match.group(2) or 1.0), match.group(3)))
    position = match.end()
  if not terms:
    raise ValueError("empty expression")
  return terms


def combine(groups: dict[str, jax.Array], expression: str) -> jax.Array:
  """The expression evaluated on the groups' mean vectors: e.g. mean(a) - mean(b) + mean(c).

  `groups` maps names to (n, d) arrays of codes (n may differ between groups). Returns a (d,) vector.
  """
  terms = parse_expression(expression)
  missing = sorted({name for _, name in terms} - set(groups))
  if missing:
    raise ValueError(f"expression {expression!r} names unknown groups {missing}; known: {sorted(groups)}")
  return sum(weight * jnp.mean(jnp.asarray(groups[name], jnp.float32), axis=0) for weight, name in terms)


def arithmetic(decode: Callable[[jax.Array], jax.Array], groups: dict[str, jax.Array], expression: str, *,
               rng: jax.Array | None = None, variants: int = 0, noise: float = 0.25,
               noise_dims: int | None = None) -> dict[str, jax.Array]:
  """Decoded rows of a latent vector arithmetic, as DCGAN's Fig. 7.

  Returns {name: images} for every group in the expression and 'result': each row is the decoded mean code (or
  the result of the expression) followed by `variants` decodings of it with U(-noise, noise) added to its first
  `noise_dims` coordinates (default: all; give the size of z to leave class codes alone). `decode` maps (n, d)
  codes to images.
  """
  rows = {name: jnp.mean(jnp.asarray(groups[name], jnp.float32), axis=0)
          for _, name in parse_expression(expression)}
  rows["result"] = combine(groups, expression)
  out = {}
  for i, (name, vector) in enumerate(rows.items()):
    codes = vector[None]
    if variants:
      if rng is None:
        raise ValueError("variants need an rng")
      dims = vector.shape[-1] if noise_dims is None else noise_dims
      jitter = jax.random.uniform(jax.random.fold_in(rng, i), (variants, dims), minval=-noise, maxval=noise)
      codes = jnp.concatenate([codes, vector[None] + jnp.pad(jitter, ((0, 0), (0, vector.shape[-1] - dims)))])
    out[name] = decode(codes)
  return out


# ---------------------------------------------------------------------------------------------------------------------
# Writing grids.
# ---------------------------------------------------------------------------------------------------------------------

def save_rows(path: str | pathlib.Path, rows: np.ndarray) -> None:
  """Writes uint8 images (rows, columns, H, W, C) as one PNG grid, row by row."""
  rows = np.asarray(rows)
  image_io.save_grid(path, rows.reshape(-1, *rows.shape[2:]), columns=rows.shape[1])


# ---------------------------------------------------------------------------------------------------------------------
# From a checkpoint.
# ---------------------------------------------------------------------------------------------------------------------

class Model:
  """A trained generator with its game: draws latent dicts, turns them into generator inputs and into images."""

  def __init__(self, run_dir: str | pathlib.Path):
    self.state, self.config, self.meta = sample.load_generator(run_dir)
    if not isinstance(self.config, Config):
      raise ValueError(f"{run_dir} is an autoencoder's decoder; the latent tools walk a GAN generator's codes")
    if data.is_toy(self.config.dataset):
      raise ValueError(f"{run_dir} is a generator of points ({self.config.dataset}); the latent tools draw images")
    self.game = train.make_game(self.config)
    self._generate_raw = functools.partial(sample.generate_raw, self.state, self.config)
    self._decode = jax.jit(lambda state, inputs: state.generator(inputs, train=False)[0])

  def latent(self, num: int, seed: int) -> dict[str, jax.Array]:
    return self.game.sample_latent(jax.random.PRNGKey(seed), num)

  def images(self, latent: dict[str, jax.Array]) -> np.ndarray:
    """uint8 images of latent dicts (through `jgan.sample.generate_raw`)."""
    return data.to_uint8(self._generate_raw(latent))

  def decode(self, inputs: jax.Array) -> np.ndarray:
    """uint8 images of generator input vectors."""
    return data.to_uint8(self._decode(self.state, jnp.asarray(inputs, jnp.float32)))


def interpolation_rows(model: Model, rows: int, steps: int, method: str, seed: int) -> np.ndarray:
  """(rows, steps, H, W, C) images: z moves from one draw to another; every other code keeps the start's value."""
  start, end = model.latent(rows, seed), model.latent(rows, seed + 1)
  path = interpolate(start["z"], end["z"], steps, method)  # (steps, rows, latent_dim)
  latent = {k: jnp.repeat(v[:, None], steps, axis=1).reshape(rows * steps, *v.shape[1:]) for k, v in start.items()}
  latent["z"] = jnp.swapaxes(path, 0, 1).reshape(rows * steps, -1)
  return model.images(latent).reshape(rows, steps, *model.meta["shape"])


def sample_groups(model: Model, num: int, seed: int, *, fraction: float = 0.1,
                  confidence: float = 0.9) -> dict[str, jax.Array]:
  """Groups of generator inputs from `num` samples: 'all'; 'digitK', the samples the digit classifier
  (`jgan.eval.digits`, when present) calls K with probability > `confidence`; 'thin' / 'thick', the `fraction` with
  the least / most ink, measured against samples of the same predicted digit when the classifier is there (else a
  '1' is simply thinner than a '0', and the groups would differ by digit, not by stroke)."""
  latent = model.latent(num, seed)
  inputs = model.game.generator_input(latent)
  images = model.images(latent)
  ink = images.reshape(num, -1).mean(axis=1)
  groups = {"all": inputs}
  scorer = _digit_scorer() if model.meta["source_shape"][-1] == 1 else None
  if scorer is not None:
    probs = scorer.probs(_to_source_shape(model, images))
    predicted = np.argmax(probs, axis=1)
    for k in range(probs.shape[1]):
      members = np.flatnonzero((predicted == k) & (probs.max(axis=1) > confidence))
      if len(members):
        groups[f"digit{k}"] = inputs[members]
      same = predicted == k
      if same.sum() > 1:  # ink as a z-score within the predicted digit
        ink[same] = (ink[same] - ink[same].mean()) / (ink[same].std() + 1e-6)
  order = np.argsort(ink)
  count = max(1, int(fraction * num))
  return {**groups, "thin": inputs[order[:count]], "thick": inputs[order[-count:]]}


def _digit_scorer():
  try:
    from jgan.eval import digits
    return digits.load_digit_scorer()
  except (ImportError, FileNotFoundError, AttributeError):
    return None


def _to_source_shape(model: Model, images: np.ndarray) -> np.ndarray:
  return sample._to_source_shape(images, model.meta["source_shape"], model.config.resize)


def code_rows(model: Model, code: int, columns: int, seed: int, value_range: float = 1.0) -> np.ndarray:
  """InfoGAN: (K, columns, H, W, C) images, one row per category of c1. `code` 0: columns are other draws of z;
  `code` j >= 1: one z for the whole grid and continuous code j going from -range to +range across the columns."""
  game = model.game
  k, num = game.categorical_codes, game.categorical_codes * columns
  latent = model.latent(num, seed)
  latent["cat"] = jnp.repeat(jnp.arange(k), columns)
  latent["cont"] = jnp.zeros((num, game.continuous_codes))
  if code >= 1:
    latent["z"] = jnp.broadcast_to(latent["z"][:1], latent["z"].shape)
    values = jnp.tile(jnp.linspace(-value_range, value_range, columns), k)
    latent["cont"] = latent["cont"].at[:, code - 1].set(values)
  return model.images(latent).reshape(k, columns, *model.meta["shape"])


def main(argv: list[str] | None = None) -> int:
  parser = argparse.ArgumentParser(prog="python -m jgan.latent", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  source = parser.add_mutually_exclusive_group(required=True)
  source.add_argument("--checkpoint", help="run directory (or its checkpoints/ folder)")
  source.add_argument("--pretrained", metavar="NAME", help="a GAN shipped with jgan (jgan.pretrained), e.g. "
                                                         "dcgan-digits")
  parser.add_argument("--out", required=True, help="output directory for the PNG grids")
  parser.add_argument("--mode", choices=MODES, default="interpolate")
  parser.add_argument("--method", choices=METHODS, default="slerp", help="interpolate: path between codes")
  parser.add_argument("--rows", type=int, default=8, help="interpolate: pairs of end points")
  parser.add_argument("--steps", type=int, default=10, help="interpolate: images per row; codes: columns")
  parser.add_argument("--expression", default="digit7 - thin + thick", help="arithmetic: over group names")
  parser.add_argument("--samples", type=int, default=2000, help="arithmetic: samples the groups are drawn from")
  parser.add_argument("--variants", type=int, default=7, help="arithmetic: noisy decodings beside each mean")
  parser.add_argument("--code-range", type=float, default=1.0, help="codes: continuous codes go from -R to R")
  parser.add_argument("--seed", type=int, default=0)
  cli.add_compilation_cache_flags(parser)
  args = parser.parse_args(argv)
  try:
    cli.enable_compilation_cache(args)
    if min(args.rows, args.samples) < 1 or args.steps < 2 or args.variants < 0:
      raise ValueError("--rows and --samples must be >= 1, --steps >= 2 and --variants >= 0")
    model = Model(args.checkpoint or pretrained.model_dir(args.pretrained))
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = _run_mode(model, args, out)
  except ValueError as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  for path in written:
    print(f"wrote {path}")
  return 0


def _run_mode(model: Model, args: argparse.Namespace, out: pathlib.Path) -> list[pathlib.Path]:
  if args.mode == "interpolate":
    path = out / f"interpolate_{args.method}.png"
    save_rows(path, interpolation_rows(model, args.rows, args.steps, args.method, args.seed))
    return [path]
  if args.mode == "arithmetic":
    groups = sample_groups(model, args.samples, args.seed)
    decoded = arithmetic(model.decode, groups, args.expression, rng=jax.random.PRNGKey(args.seed),
                         variants=args.variants, noise_dims=model.config.latent_dim)
    path = out / "arithmetic.png"
    save_rows(path, np.stack([np.asarray(images) for images in decoded.values()]))
    (out / "arithmetic.txt").write_text(f"{args.expression}\nrows: {', '.join(decoded)}\n" + "".join(
        f"{name}: {len(groups[name])} samples\n" for name in decoded if name != "result"))
    return [path, out / "arithmetic.txt"]
  if model.config.game != "infogan" or not model.game.categorical_codes:
    raise ValueError(f"--mode codes needs an InfoGAN generator with a categorical code; this one is "
                     f"{model.config.game!r}")
  paths = []
  for code in range(model.game.continuous_codes + 1):
    paths.append(out / f"c{code + 1}.png")
    save_rows(paths[-1], code_rows(model, code, args.steps, args.seed, args.code_range))
  return paths


if __name__ == "__main__":
  sys.exit(main())
