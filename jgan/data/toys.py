"""Toy distributions of the GAN literature, drawn fresh from a PRNG key (jit-compatible; `name` is static).

* `normal1d` — the 1-D task of the GAN lectures: N(4, 1.25^2), which a generator learns to make from z ~ U(0, 1).
* `ring8` — 8 Gaussians with means on the unit circle at angles 2 pi k / 8, k = 0..7, std 0.01 (the mode-collapse
  benchmark of VEEGAN, Srivastava et al. 2017, and PacGAN, Lin et al. 2018).
* `grid25` — 25 Gaussians with means {-4, -2, 0, 2, 4}^2, std 0.05 (same papers).
* `swissroll` — the 2-D swiss roll of the WGAN-GP toy code: scikit-learn's `make_swiss_roll(noise=0.25)` keeping
  coordinates (x, z), divided by 7.5.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

TOYS = ("normal1d", "ring8", "grid25", "swissroll")
MIXTURES = ("ring8", "grid25")  # the toys with known modes, scored by `jgan.eval.mode_coverage`
NORMAL1D_MEAN, NORMAL1D_STD = 4.0, 1.25


def _check(name: str) -> None:
  if name not in TOYS:
    raise ValueError(f"unknown toy distribution {name!r}; expected one of {TOYS}")


def dim(name: str) -> int:
  """Dimension of the points of toy `name`: 1 for normal1d, 2 otherwise."""
  _check(name)
  return 1 if name == "normal1d" else 2


def latent_distribution(name: str) -> str:
  """The noise the literature feeds generators of this toy: U(0, 1) for the 1-D task, N(0, I) otherwise.

  Returns a latent name of `jgan.games` ("unit_uniform" is U(0, 1); its "uniform" is U(-1, 1)).
  """
  _check(name)
  return "unit_uniform" if name == "normal1d" else "normal"


def modes(name: str) -> np.ndarray:
  """The (M, 2) means of a mixture toy (ring8, grid25)."""
  if name == "ring8":
    angles = 2 * np.pi * np.arange(8) / 8  # not linspace(0, 2 pi, 8): its end point repeats the first mode
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)
  if name == "grid25":
    axis = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
    return np.stack(np.meshgrid(axis, axis, indexing="ij"), axis=-1).reshape(-1, 2)
  raise ValueError(f"toy {name!r} has no modes; expected one of {MIXTURES}")


def mode_std(name: str) -> float:
  """The standard deviation of each component of a mixture toy (ring8, grid25)."""
  if name == "ring8":
    return 0.01
  if name == "grid25":
    return 0.05
  raise ValueError(f"toy {name!r} has no modes; expected one of {MIXTURES}")


def sample(name: str, rng: jax.Array, n: int) -> jax.Array:
  """`n` points of toy `name`, float32 (n, dim(name))."""
  _check(name)
  if name == "normal1d":
    return NORMAL1D_MEAN + NORMAL1D_STD * jax.random.normal(rng, (n, 1))
  if name == "swissroll":
    t_rng, noise_rng = jax.random.split(rng)
    t = 1.5 * jnp.pi * (1 + 2 * jax.random.uniform(t_rng, (n,)))
    points = jnp.stack([t * jnp.cos(t), t * jnp.sin(t)], axis=1)
    return (points + 0.25 * jax.random.normal(noise_rng, (n, 2))) / 7.5
  component_rng, noise_rng = jax.random.split(rng)
  means = jnp.asarray(modes(name), jnp.float32)
  component = jax.random.randint(component_rng, (n,), 0, len(means))
  return means[component] + mode_std(name) * jax.random.normal(noise_rng, (n, 2))
