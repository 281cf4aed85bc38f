"""Priors p(z) of the adversarial autoencoder (Makhzani et al. 2015, arXiv:1511.05644), as functions of a key.

* `gaussian`: N(0, I) in any dimension (Figs. 2a, 3).
* `mixture`: 10 (any K) 2-D Gaussians arranged radially (Figs. 2b, 4a): component k is centred at radius
  `MIXTURE_RADIUS` on the angle 2 pi k / K, elongated along its radius (std `MIXTURE_STD[0]`) and narrow across
  it (std `MIXTURE_STD[1]`), so the components touch only near the centre.
* `swissroll`: a 2-D spiral (Fig. 4c): u ~ U(0, 1), angle 3 pi sqrt(u) + pi / 2 and radius 2 sqrt(u), plus small
  isotropic noise; class k of K owns the segment u in [k / K, (k + 1) / K).
* `categorical`: one-hot Cat(K) (the semi-supervised y, Sec. 5).

With `labels` (one int per example) the label picks the component or segment, as when "incorporating label
information" (Sec. 2.3); a label of K or more (the extra "unlabeled" class) draws from the whole prior.
The paper gives the shapes in its figures, not their constants; the constants here are jgan's, chosen so that
each prior has a spread of order one, as N(0, I) has.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

PRIORS = ("gaussian", "mixture", "swissroll")
MIXTURE_RADIUS = 2.0
MIXTURE_STD = (0.5, 0.1)  # (along the radius, across it)
SWISSROLL_RADIUS = 2.0
SWISSROLL_NOISE = 0.05


def gaussian(rng: jax.Array, n: int, dim: int) -> jax.Array:
  """n codes from N(0, I_dim)."""
  return jax.random.normal(rng, (n, dim))


def _components(rng: jax.Array, n: int, k: int, labels: jax.Array | None) -> jax.Array:
  """The component of each example: its label when below k, else drawn uniformly."""
  drawn = jax.random.randint(rng, (n,), 0, k)
  return drawn if labels is None else jnp.where(labels < k, labels, drawn)


def mixture_angles(k: int) -> np.ndarray:
  return 2 * np.pi * np.arange(k) / k


def mixture(rng: jax.Array, n: int, *, k: int = 10, labels: jax.Array | None = None) -> jax.Array:
  """n 2-D codes from the radial mixture of k Gaussians (component = label where given)."""
  component_rng, noise_rng = jax.random.split(rng)
  component = _components(component_rng, n, k, labels)
  along, across = (jax.random.normal(noise_rng, (2, n)) * jnp.asarray(MIXTURE_STD)[:, None])
  angle = jnp.asarray(mixture_angles(k), jnp.float32)[component]
  radial = jnp.stack([jnp.cos(angle), jnp.sin(angle)], axis=-1)
  tangent = jnp.stack([-jnp.sin(angle), jnp.cos(angle)], axis=-1)
  return (MIXTURE_RADIUS + along)[:, None] * radial + across[:, None] * tangent


def mixture_log_density(z: jax.Array, *, k: int = 10) -> jax.Array:
  """log p(z) of the radial mixture: log (1/k) sum_j N(R_j^T (z - mu_j); 0, diag(MIXTURE_STD^2)), per code."""
  angles = jnp.asarray(mixture_angles(k), jnp.float32)
  radial = jnp.stack([jnp.cos(angles), jnp.sin(angles)], axis=-1)  # (k, 2)
  tangent = jnp.stack([-jnp.sin(angles), jnp.cos(angles)], axis=-1)
  offset = z[:, None, :] - MIXTURE_RADIUS * radial[None]  # (n, k, 2)
  along = jnp.sum(offset * radial[None], axis=-1) / MIXTURE_STD[0]
  across = jnp.sum(offset * tangent[None], axis=-1) / MIXTURE_STD[1]
  log_normal = -0.5 * (along ** 2 + across ** 2) - jnp.log(2 * jnp.pi * MIXTURE_STD[0] * MIXTURE_STD[1])
  return jax.nn.logsumexp(log_normal, axis=1) - jnp.log(k)


def gaussian_log_density(z: jax.Array) -> jax.Array:
  """log N(z; 0, I), per code."""
  return -0.5 * jnp.sum(z ** 2 + jnp.log(2 * jnp.pi), axis=-1)


def swissroll(rng: jax.Array, n: int, *, k: int = 10, labels: jax.Array | None = None) -> jax.Array:
  """n 2-D codes on the swiss roll (segment = label where given)."""
  position_rng, segment_rng, noise_rng = jax.random.split(rng, 3)
  segment = _components(segment_rng, n, k, labels)
  u = (segment + jax.random.uniform(position_rng, (n,))) / k  # uniform over [0, 1) when the segment is drawn
  angle = 3 * jnp.pi * jnp.sqrt(u) + jnp.pi / 2
  radius = SWISSROLL_RADIUS * jnp.sqrt(u)
  points = radius[:, None] * jnp.stack([jnp.cos(angle), jnp.sin(angle)], axis=-1)
  return points + SWISSROLL_NOISE * jax.random.normal(noise_rng, (n, 2))


def categorical(rng: jax.Array, n: int, k: int) -> jax.Array:
  """n one-hot vectors of Cat(k), uniform."""
  return jax.nn.one_hot(jax.random.randint(rng, (n,), 0, k), k)


def sample(name: str, rng: jax.Array, n: int, dim: int, *, k: int = 10,
           labels: jax.Array | None = None) -> jax.Array:
  """n codes of prior `name` (dimension `dim`; the mixture and the swiss roll are 2-D)."""
  if name == "gaussian":
    return gaussian(rng, n, dim)
  if name not in PRIORS:
    raise ValueError(f"prior must be one of {PRIORS}, got {name!r}")
  if dim != 2:
    raise ValueError(f"prior {name!r} is 2-D, got dim {dim}")
  return (mixture if name == "mixture" else swissroll)(rng, n, k=k, labels=labels)


def log_density(name: str, z: jax.Array, *, k: int = 10) -> jax.Array:
  """log p(z) per code, for the priors with a density (the VAE's KL term needs it)."""
  if name == "gaussian":
    return gaussian_log_density(z)
  if name == "mixture":
    return mixture_log_density(z, k=k)
  raise ValueError(f"prior {name!r} has no density here; use 'gaussian' or 'mixture'")
