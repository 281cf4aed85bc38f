"""What a GAN variant is, to the shared training step: its latent code, what each net sees, and its two losses.

A `Game` is a frozen (hashable, so compiled steps can close over it) dataclass. The step in `jgan.steps` draws a
real batch and a latent code, runs the generator, and asks the game for the discriminator's loss; then draws a new
code and asks for the generator's loss. The game calls the discriminator through a `Player` (a function of the
net's input that keeps batch-norm statistics current across calls), so penalties that differentiate the
discriminator (WGAN-GP) or read its features fit the same interface. `real_and_fake` asks it for the outputs on the
real and the fake batch together, which the step's player computes in one call where the net allows.

Packing (PacGAN, Lin et al. 2018, arXiv:1712.04086, Sec. 3): with `packing` m > 1 the discriminator judges packs
of m samples, all real or all generated, concatenated along the channel (last) axis: a batch of B examples becomes
B / m inputs (`pack`). It is done once for every game: the step (`jgan.steps`) hands each loss
`game.packed(player)`, the player wrapped in `Packed`, so a game's losses are written per discriminator output and
never see the packing. With `packing` 1 the player is passed through untouched (the same game as
without the option). The reference code (github.com/fjxmlzn/PacGAN, `pacgan/bricks.py`) concatenates m generated
batches along features; consecutive examples of one i.i.d. batch, as here, are packs of the same distribution.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, ClassVar

import jax
import jax.numpy as jnp

from jgan.transforms import clip_to_box

Batch = dict[str, jax.Array]  # {'x': samples in the model's range, 'label': int classes if known}
Latent = dict[str, jax.Array]  # {'z': noise, and whatever codes the game adds}
Metrics = dict[str, jax.Array]
Player = Callable[[jax.Array], Any]  # net input -> net output, in training mode


@dataclasses.dataclass(frozen=True)
class Game:
  """The unconditional base: z ~ N(0, I) (or uniform) is the generator's input; the nets see samples only."""

  latent_dim: int
  latent: str = "normal"  # "normal": N(0, I); "uniform": U(-1, 1); "unit_uniform": U(0, 1) per coordinate
  clip_value: float = 0.0  # > 0: clamp the discriminator's weights to [-c, c] before each of its steps (WGAN)
  packing: int = 1  # m: the discriminator judges packs of m samples (PacGAN); 1: single samples

  plot_metric: ClassVar[str] = "d_loss"  # the curve drawn to <workdir>/<plot_metric>.png
  plot_label: ClassVar[str] = "discriminator loss"
  uses_labels: ClassVar[bool] = False  # whether the real batch must carry labels
  extra_outputs: ClassVar[int] = 0  # width of the discriminator's extra head (AC-GAN, InfoGAN)
  condition_dim: ClassVar[int] = 0  # width of the condition `generator_input` appends to z (cGAN's onehot(y))
  uses_real_in_generator_step: ClassVar[bool] = False  # e.g. feature matching compares with real features

  def sample_latent(self, rng: jax.Array, batch_size: int) -> Latent:
    shape = (batch_size, self.latent_dim)
    if self.latent == "uniform":
      return {"z": jax.random.uniform(rng, shape, minval=-1.0, maxval=1.0)}
    if self.latent == "unit_uniform":
      return {"z": jax.random.uniform(rng, shape)}
    return {"z": jax.random.normal(rng, shape)}

  def fixed_latent(self, rng: jax.Array, num: int) -> Latent:
    """The codes of the sample grids (drawn once per run)."""
    return self.sample_latent(rng, num)

  def grid_columns(self, num: int) -> int | None:
    """Columns of the sample grid (None: square)."""
    del num
    return None

  def generator_input(self, latent: Latent) -> jax.Array:
    return latent["z"]

  def packed(self, discriminator: Player) -> Player:
    """The player that packs its input (`Packed`) when `packing` > 1; `discriminator` itself otherwise."""
    if self.packing == 1 or isinstance(discriminator, Packed):
      return discriminator
    return Packed(discriminator, self.packing)

  def discriminator_input(self, x: jax.Array, label: jax.Array | None) -> jax.Array:
    """What the discriminator is given for examples `x`: `x` itself, or with packing its packs. A batch of one
    example (what `jgan.train.create_state` builds the net on) is packed with m copies of itself, so the net is
    built for the packed input's shape."""
    del label
    if self.packing > 1 and x.shape[0] == 1:
      x = jnp.repeat(x, self.packing, axis=0)
    return pack(x, self.packing)

  def constrain_discriminator(self, params: Any) -> Any:
    return clip_to_box(params, self.clip_value) if self.clip_value > 0 else params

  def discriminator_loss(self, discriminator: Player, real: Batch, fake: jax.Array,
                         latent: Latent) -> tuple[jax.Array, Metrics]:
    raise NotImplementedError

  def generator_loss(self, discriminator: Player, fake: jax.Array, latent: Latent,
                     real: Batch | None) -> tuple[jax.Array, Metrics]:
    raise NotImplementedError


def pack(x: jax.Array, m: int) -> jax.Array:
  """(B, *shape[:-1], C) -> (B / m, *shape[:-1], m C): example k * m + j fills channels j C .. (j + 1) C - 1 of
  pack k (PacGAN's concatenation; for 2-D points (B, 2) -> (B / m, 2 m)). m = 1 returns `x` unchanged."""
  if m == 1:
    return x
  if x.ndim < 2 or x.shape[0] % m:
    raise ValueError(f"packing {m} needs a batch of examples whose size is a multiple of {m}, got shape {x.shape}")
  packs = x.reshape(x.shape[0] // m, m, *x.shape[1:])
  return jnp.moveaxis(packs, 1, -2).reshape(x.shape[0] // m, *x.shape[1:-1], m * x.shape[-1])


class Packed:
  """A player (`jgan.steps`) that packs every batch it is given before its discriminator sees it: the outputs are
  one per pack. Offers the player's `pair`, `features` and `stateless` the same way."""

  def __init__(self, player: Player, m: int):
    self.player, self.m = player, m

  def __call__(self, x: jax.Array) -> Any:
    return self.player(pack(x, self.m))

  def pair(self, a: jax.Array, b: jax.Array) -> tuple[Any, Any]:
    return real_and_fake(self.player, pack(a, self.m), pack(b, self.m))

  def features(self, x: jax.Array) -> tuple[Any, tuple[jax.Array, ...]]:
    return self.player.features(pack(x, self.m))

  def stateless(self, x: jax.Array) -> Any:
    return self.player.stateless(pack(x, self.m))


def real_and_fake(discriminator: Player, real_x: jax.Array, fake: jax.Array) -> tuple[Any, Any]:
  """`(discriminator(real_x), discriminator(fake))`, in one call where the player offers it (`pair`, see
  `jgan.steps`: for nets whose examples do not interact)."""
  pair = getattr(discriminator, "pair", None)
  return pair(real_x, fake) if pair is not None else (discriminator(real_x), discriminator(fake))


def one_hot_channels(x: jax.Array, onehot: jax.Array) -> jax.Array:
  """Appends a one-hot vector to every example: as constant feature maps for images, as features otherwise."""
  if x.ndim == 2:
    return jnp.concatenate([x, onehot], axis=-1)
  maps = jnp.broadcast_to(onehot[:, None, None, :], (*x.shape[:-1], onehot.shape[-1]))
  return jnp.concatenate([x, maps.astype(x.dtype)], axis=-1)


def class_blocks(num: int, num_classes: int) -> jax.Array:
  """Labels for a grid with one row (or block of rows) per class: 0, 0, ..., 1, 1, ..., in `num` samples."""
  return (jnp.arange(num) * num_classes // num).astype(jnp.int32)
