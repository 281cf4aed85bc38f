"""Any jgan generator as a pure function `(free code, class) -> image`: what projection and editing optimise over.

iGAN (Zhu et al. 2016, Sec. 3) works with the generator as a differentiable map G(z) from the latent space to the
image manifold. jgan's generators take a game's generator input (`Game.generator_input`): z alone (gan, dcgan, wgan,
wgan_gp), z with a one-hot class (cgan, acgan, ssgan), or z with InfoGAN's codes. Here the *free* code is what an
edit may change, and the *class* is what the user fixes:

  * unconditional games: free = z;
  * cgan / acgan / ssgan: free = z, class = the label (projection of a real digit is given its class);
  * infogan: free = [z, continuous codes], class = the categorical code c1.

Box priors (uniform in [-1, 1], unit uniform in [0, 1], InfoGAN's continuous codes in [-1, 1]) are kept by
optimising an unconstrained u with free = low + (high - low) * sigmoid(2u) (for [-1, 1]: tanh(u)), so Adam and
L-BFGS never leave the prior's support (iGAN clips z to [-1, 1]; L-BFGS needs a smooth map). Gaussian codes are
optimised directly.
"""

from __future__ import annotations

import pathlib
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from jgan import data, sample, train


class LatentGenerator(struct.PyTreeNode):
  """A trained generator as a pytree (its variables are leaves: pass it to jitted functions as an argument).

  `__call__(free, label)` maps free codes (N, free_dim) and classes (N,) int32 to images (N, H, W, C) in [-1, 1], in
  inference mode (batch norm with its running statistics). `low` / `high` bound each free dimension (None: Gaussian).
  """

  net: Any  # jgan.state.Net of the generator (params and batch_stats are leaves)
  latent_dim: int = struct.field(pytree_node=False)
  free_dim: int = struct.field(pytree_node=False)
  num_classes: int = struct.field(pytree_node=False)  # 0: unconditional
  class_kind: str = struct.field(pytree_node=False)  # "" | "label" | "cat"
  continuous_codes: int = struct.field(pytree_node=False)
  prior: str = struct.field(pytree_node=False)  # "normal" | "uniform" | "unit_uniform"
  image_shape: tuple[int, int, int] = struct.field(pytree_node=False)
  source_shape: tuple[int, int, int] = struct.field(pytree_node=False)
  name: str = struct.field(pytree_node=False, default="generator")

  @property
  def conditional(self) -> bool:
    return self.num_classes > 0

  def bounds(self) -> tuple[np.ndarray, np.ndarray] | None:
    """(low, high) of each free dimension, or None where z is Gaussian (then codes are unbounded)."""
    if self.prior == "normal" and not self.continuous_codes:
      return None
    low, high = {"uniform": (-1.0, 1.0), "unit_uniform": (0.0, 1.0), "normal": (-np.inf, np.inf)}[self.prior]
    lows = np.concatenate([np.full(self.latent_dim, low), -np.ones(self.continuous_codes)]).astype(np.float32)
    highs = np.concatenate([np.full(self.latent_dim, high), np.ones(self.continuous_codes)]).astype(np.float32)
    return lows, highs

  def to_free(self, u: jax.Array) -> jax.Array:
    """Unconstrained u -> free code inside the prior's support (identity on Gaussian dimensions)."""
    bounds = self.bounds()
    if bounds is None:
      return u
    low, high = (jnp.asarray(b) for b in bounds)
    finite = jnp.isfinite(low)
    boxed = jnp.where(finite, low, 0.0) + jnp.where(finite, high - low, 1.0) * jax.nn.sigmoid(2.0 * u)
    return jnp.where(finite, boxed, u)

  def to_unconstrained(self, free: jax.Array, *, margin: float = 1e-3) -> jax.Array:
    """The inverse of `to_free` (codes on the box's faces moved `margin` inside it, where the inverse is finite)."""
    bounds = self.bounds()
    if bounds is None:
      return free
    low, high = (jnp.asarray(b) for b in bounds)
    finite = jnp.isfinite(low)
    width = jnp.where(finite, high - low, 1.0)
    p = jnp.clip((free - jnp.where(finite, low, 0.0)) / width, margin, 1.0 - margin)
    return jnp.where(finite, 0.5 * jnp.log(p / (1.0 - p)), free)

  def sample_free(self, rng: jax.Array, num: int) -> jax.Array:
    """`num` free codes from the prior (the random starts of projection, the encoder's training codes)."""
    z_rng, c_rng = jax.random.split(rng)
    shape = (num, self.latent_dim)
    if self.prior == "uniform":
      z = jax.random.uniform(z_rng, shape, minval=-1.0, maxval=1.0)
    elif self.prior == "unit_uniform":
      z = jax.random.uniform(z_rng, shape)
    else:
      z = jax.random.normal(z_rng, shape)
    cont = jax.random.uniform(c_rng, (num, self.continuous_codes), minval=-1.0, maxval=1.0)
    return jnp.concatenate([z, cont], axis=-1)

  def sample_labels(self, rng: jax.Array, num: int) -> jax.Array:
    if not self.conditional:
      return jnp.zeros((num,), jnp.int32)
    return jax.random.randint(rng, (num,), 0, self.num_classes)

  def inputs(self, free: jax.Array, label: jax.Array) -> jax.Array:
    """The generator's input vectors: what `Game.generator_input` builds from the latent dict."""
    z, cont = free[..., :self.latent_dim], free[..., self.latent_dim:]
    parts = [z]
    if self.conditional:
      parts.append(jax.nn.one_hot(label, self.num_classes))
    if self.continuous_codes:
      parts.append(cont)
    return jnp.concatenate(parts, axis=-1)

  def __call__(self, free: jax.Array, label: jax.Array | None = None) -> jax.Array:
    if label is None:
      label = jnp.zeros(free.shape[:-1], jnp.int32)
    return self.net(self.inputs(free, label), train=False)[0]


def from_state(state: Any, config: Any, meta: dict, *, name: str = "generator") -> LatentGenerator:
  """The generator of a GAN-Config run (`jgan.sample.load_generator`'s triple)."""
  if not hasattr(config, "game"):
    raise ValueError(f"the run is a {type(config).__name__} model, not a GAN generator: projection and editing "
                     "support the GAN-Config families (gan, dcgan, wgan, wgan_gp, cgan, acgan, infogan, ssgan)")
  if data.is_toy(config.dataset):
    raise ValueError(f"the run's generator makes points ({config.dataset}), not images: nothing to project or edit")
  game = train.make_game(config)
  if config.game in ("cgan", "acgan", "ssgan"):
    num_classes, kind, cont = config.num_classes, "label", 0
  elif config.game == "infogan":
    num_classes, kind, cont = config.categorical_codes, "cat" if config.categorical_codes else "", \
        config.continuous_codes
  else:
    num_classes, kind, cont = 0, "", 0
  shape = tuple(meta.get("shape", meta.get("image_shape")))
  return LatentGenerator(net=state.generator, latent_dim=config.latent_dim, free_dim=config.latent_dim + cont,
                         num_classes=num_classes, class_kind=kind, continuous_codes=cont, prior=game.latent,
                         image_shape=shape, source_shape=tuple(meta.get("source_shape", shape)), name=name)


def load(run_dir: str | pathlib.Path) -> LatentGenerator:
  """The generator of the newest checkpoint in `run_dir` (any family `jgan.sample.load_generator` reads)."""
  state, config, meta = sample.load_generator(run_dir)
  return from_state(state, config, meta, name=pathlib.Path(run_dir).name)


def resolve_run_dir(checkpoint: str | None, pretrained: str | None) -> pathlib.Path:
  """The run directory from `--checkpoint DIR`, or the folder of `--pretrained NAME` (`jgan.pretrained`), both read
  by `jgan.sample.load_generator`."""
  if (checkpoint is None) == (pretrained is None):
    raise ValueError("give exactly one of a checkpoint directory or a pretrained model's name")
  if checkpoint is not None:
    return pathlib.Path(checkpoint)
  from jgan import pretrained as pretrained_models
  return pretrained_models.model_dir(pretrained)  # ValueError naming the models there are


def decode_fn(generator: LatentGenerator) -> Callable[[jax.Array, jax.Array], jax.Array]:
  """A jitted `(free, label) -> images` for host code (sequences, figures)."""
  apply = jax.jit(lambda g, f, l: g(f, l))
  return lambda free, label: apply(generator, jnp.asarray(free, jnp.float32), jnp.asarray(label, jnp.int32))
