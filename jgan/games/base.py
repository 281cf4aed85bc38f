"""What a GAN variant is, to the shared training step: its latent code, what each net sees, and its two losses.

A `Game` is a frozen (hashable, so compiled steps can close over it) dataclass. The step in `jgan.steps` draws a
real batch and a latent code, runs the generator, and asks the game for the discriminator's loss; then draws a new
code and asks for the generator's loss. The game calls the discriminator through a `Player` (a function of the
net's input that keeps batch-norm statistics current across calls), so penalties that differentiate the
discriminator (WGAN-GP) or read its features fit the same interface. `real_and_fake` asks it for the outputs on the
real and the fake batch together, which the step's player computes in one call where the net allows.
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

  plot_metric: ClassVar[str] = "d_loss"  # the curve drawn to <workdir>/<plot_metric>.png
  plot_label: ClassVar[str] = "discriminator loss"
  uses_labels: ClassVar[bool] = False  # whether the real batch must carry labels
  extra_outputs: ClassVar[int] = 0  # width of the discriminator's extra head (AC-GAN, InfoGAN)
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

  def discriminator_input(self, x: jax.Array, label: jax.Array | None) -> jax.Array:
    del label
    return x

  def constrain_discriminator(self, params: Any) -> Any:
    return clip_to_box(params, self.clip_value) if self.clip_value > 0 else params

  def discriminator_loss(self, discriminator: Player, real: Batch, fake: jax.Array,
                         latent: Latent) -> tuple[jax.Array, Metrics]:
    raise NotImplementedError

  def generator_loss(self, discriminator: Player, fake: jax.Array, latent: Latent,
                     real: Batch | None) -> tuple[jax.Array, Metrics]:
    raise NotImplementedError


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
