"""The claims of GAN theory, computed: optimal discriminators, divergences, Earth-Mover distances and a toy game.

Densities live on a uniform 1-D grid with spacing `dx`, and integrals are Riemann sums over it (accurate to float
rounding for smooth densities that vanish at the grid's ends). Trained discriminators and critics are small Flax
MLPs fitted against a FIXED generator, so that their optimum is the analytic one of the papers:

* Goodfellow et al. 2014 (arXiv:1406.2661): D* = p_data / (p_data + p_g) (Prop. 1) and
  C(G) = max_D V(D, G) = -log 4 + 2 JSD(p_data || p_g) (Thm. 1).
* Arjovsky, Chintala and Bottou 2017 (arXiv:1701.07875): the Earth-Mover distance, the parallel lines of
  Example 1, and the saturating discriminator vs the linear critic of Figure 2.
* The bilinear game min_x max_y x y, where simultaneous gradient steps spiral away from the equilibrium.
"""

from __future__ import annotations

from collections.abc import Callable
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgan.losses import minimax_discriminator_loss, wasserstein_discriminator_loss
from jgan.models.mlp import Critic
from jgan.transforms import clip_params, clip_to_box, rmsprop_torch

Sampler = Callable[[jax.Array, int], jax.Array]  # (key, n) -> n samples of shape (n,)
ScalarField = Callable[[jax.Array], jax.Array]  # points (n,) -> values (n,)


# --- Goodfellow et al. 2014, Sec. 4: the optimal discriminator and the virtual training criterion -------------------

def gaussian_density(x: jax.Array, mean: float, std: float) -> jax.Array:
  """The density of N(mean, std^2) at x."""
  return jnp.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2.0 * math.pi))


def gaussian_sampler(mean: float, std: float) -> Sampler:
  """A sampler (key, n) -> n draws of N(mean, std^2): a fixed 'generator' mean + std * z with z ~ N(0, 1)."""
  return lambda key, n: mean + std * jax.random.normal(key, (n,))


def optimal_discriminator(p_data: jax.Array, p_g: jax.Array) -> jax.Array:
  """D*(x) = p_data(x) / (p_data(x) + p_g(x)), elementwise: Goodfellow et al. 2014, Prop. 1.

  Where both densities are 0 any D is optimal (V does not see it); 1/2 is returned there.
  """
  total = p_data + p_g
  return jnp.where(total > 0, p_data / jnp.where(total > 0, total, 1.0), 0.5)


def value_function(d: jax.Array, p_data: jax.Array, p_g: jax.Array, dx: float) -> jax.Array:
  """V(D, G) = E_pdata log D(x) + E_pg log(1 - D(x)) by quadrature on a grid: Goodfellow et al. 2014, Eq. 1.

  `d`, `p_data` and `p_g` are D and the two densities at the grid points. 0 log 0 counts as 0, and D is kept inside
  [eps, 1 - eps] of its float type: D* = p_data / (p_data + p_g) rounds to exactly 1 where p_g is merely tiny next
  to p_data, and log(1 - D) would turn that negligible mass into -inf.
  """
  eps = jnp.finfo(jnp.result_type(d, jnp.float32)).eps
  d = jnp.clip(d, eps, 1.0 - eps)
  return dx * jnp.sum(jax.scipy.special.xlogy(p_data, d) + jax.scipy.special.xlogy(p_g, 1.0 - d))


def kl_divergence(p: jax.Array, q: jax.Array, dx: float) -> jax.Array:
  """KL(p || q) = integral p log(p / q) on a grid; +inf where p has mass and q has none."""
  return dx * jnp.sum(jax.scipy.special.rel_entr(p, q))


def jensen_shannon(p: jax.Array, q: jax.Array, dx: float) -> jax.Array:
  """JSD(p || q) = KL(p || m) / 2 + KL(q || m) / 2 with m = (p + q) / 2, in nats: 0 iff p = q, log 2 if disjoint."""
  m = 0.5 * (p + q)
  return 0.5 * kl_divergence(p, m, dx) + 0.5 * kl_divergence(q, m, dx)


def virtual_training_criterion(p_data: jax.Array, p_g: jax.Array, dx: float) -> jax.Array:
  """C(G) = max_D V(D, G) = V(D*, G), by quadrature: the virtual training criterion of Goodfellow et al. 2014, Sec. 4.1.

  Thm. 1 says this equals -log 4 + 2 JSD(p_data || p_g), with its minimum -log 4 iff p_g = p_data; computing both
  sides separately (`jensen_shannon`) checks it.
  """
  return value_function(optimal_discriminator(p_data, p_g), p_data, p_g, dx)


# --- A discriminator and a critic trained against a fixed generator ----------------------------------------------

def _fit_1d(rng: jax.Array, sample_data: Sampler, sample_generator: Sampler, loss_fn: Callable, *, steps: int,
            batch_size: int, features: int, layers: int, optimizer: optax.GradientTransformation,
            project: Callable = lambda p: p) -> tuple[Critic, optax.Params]:
  """Minimizes mean loss_fn(f(x), f(G(z))) over an MLP f, drawing fresh real and generated samples every step."""
  model = Critic(features=features, layers=layers)
  init_key, loop_key = jax.random.split(rng)
  params = project(model.init(init_key, jnp.zeros((1, 1)), train=False))

  def loss(params, real, fake):
    return jnp.mean(loss_fn(model.apply(params, real[:, None], train=False),
                            model.apply(params, fake[:, None], train=False)))

  def step(carry, key):
    params, opt_state = carry
    real_key, fake_key = jax.random.split(key)
    grads = jax.grad(loss)(params, sample_data(real_key, batch_size), sample_generator(fake_key, batch_size))
    updates, opt_state = optimizer.update(grads, opt_state, params)
    return (optax.apply_updates(params, updates), opt_state), None

  @jax.jit
  def fit(params, loop_key):
    (params, _), _ = jax.lax.scan(step, (params, optimizer.init(params)), jax.random.split(loop_key, steps))
    return params

  return model, fit(params, loop_key)


def train_discriminator_1d(rng: jax.Array, sample_data: Sampler, sample_generator: Sampler, *, steps: int = 1500,
                           batch_size: int = 512, features: int = 32, layers: int = 2,
                           learning_rate: float = 3e-3) -> ScalarField:
  """Trains D(x) = sigmoid(l(x)) to maximize V(D, G) of Goodfellow et al. 2014 (Eq. 1) with G fixed; returns x -> D(x).

  The loss is -log D(x) - log(1 - D(G(z))) written from the logit l as -log_sigmoid(l(x)) - log_sigmoid(-l(G(z)))
  (`jgan.losses.minimax_discriminator_loss`), finite however confident D gets. Adam, a small ReLU MLP, fresh
  samples each step: the inner loop of Algorithm 1 run to convergence, so D approaches D* of Prop. 1. The learning
  rate decays to 0 on a cosine so that the last steps average out the sampling noise instead of chasing it.
  """
  optimizer = optax.adam(optax.cosine_decay_schedule(learning_rate, steps))
  model, params = _fit_1d(rng, sample_data, sample_generator, minimax_discriminator_loss, steps=steps,
                          batch_size=batch_size, features=features, layers=layers, optimizer=optimizer)
  return jax.jit(lambda x: jax.nn.sigmoid(model.apply(params, x[:, None], train=False)))


def train_critic_1d(rng: jax.Array, sample_data: Sampler, sample_generator: Sampler, *, steps: int = 500,
                    batch_size: int = 512, features: int = 32, layers: int = 1, learning_rate: float = 1e-3,
                    clip_value: float = 0.01) -> ScalarField:
  """Trains a WGAN critic f to maximize E f(x) - E f(G(z)) with G fixed (Arjovsky et al. 2017, Algorithm 1).

  Weights clipped to [-c, c] after every RMSProp update keep f K-Lipschitz for some K, so f estimates K W(P_r, P_g)
  (their Eq. 3) and cannot saturate. Returns x -> f(x). The learning rate is above the paper's 5e-5 so that the
  1-D critic reaches the corners of its weight box in a few hundred steps. One hidden layer by default: a unit
  whose input weight w sits at +-c has its kink at -b / w in [-1, 1] (|b| <= c), so once the weights saturate f is
  exactly linear away from there, as in Figure 2 (deeper clipped critics also bend, mildly, elsewhere).
  """
  optimizer = optax.chain(rmsprop_torch(learning_rate), clip_params(clip_value))
  model, params = _fit_1d(rng, sample_data, sample_generator, wasserstein_discriminator_loss, steps=steps,
                          batch_size=batch_size, features=features, layers=layers, optimizer=optimizer,
                          project=lambda p: clip_to_box(p, clip_value))
  return jax.jit(lambda x: model.apply(params, x[:, None], train=False))


def value_and_slope(f: ScalarField, x: jax.Array) -> tuple[jax.Array, jax.Array]:
  """(f(x), f'(x)) at every point of x for a pointwise f, the quantities plotted in Arjovsky et al. 2017, Figure 2.

  The gradient of sum f(x) is each point's own derivative because f acts on every point separately.
  """
  return f(x), jax.grad(lambda x: jnp.sum(f(x)))(x)


# --- Arjovsky et al. 2017, Sec. 2: the Earth-Mover distance and the parallel lines ---------------------------------

def earth_movers_distance_histograms(p: jax.Array, q: jax.Array) -> jax.Array:
  """Earth-Mover cost of reshaping pile p into pile q (equal totals) on positions 1, 2, ... with unit spacing.

  In 1-D the optimal plan never moves earth both ways across a gap, so exactly |P(k) - Q(k)| units cross the gap
  between positions k and k + 1, where P and Q are cumulative sums: W = sum_k |P(k) - Q(k)|. This is the total
  mass times W1 of the normalized distributions.
  """
  p, q = jnp.asarray(p), jnp.asarray(q)
  return jnp.sum(jnp.abs(jnp.cumsum(p - q)))


def histogram_to_samples(counts: np.ndarray, positions: np.ndarray | None = None) -> np.ndarray:
  """One point per unit of earth: position k repeated counts[k] times (positions default to 1, 2, ...)."""
  counts = np.asarray(counts)
  positions = np.arange(1, len(counts) + 1) if positions is None else np.asarray(positions)
  return np.repeat(positions, counts).astype(np.float32)


def parallel_lines_divergences(theta: float) -> dict[str, float]:
  """Distances between P_0 = {0} x U(0, 1) and P_theta = {theta} x U(0, 1): Arjovsky et al. 2017, Example 1.

  W = |theta| (move every point straight sideways), but for theta != 0 the two segments are disjoint, so
  JS = log 2, KL = +inf and total variation = 1 whatever theta: only W tells a near miss from a far one.
  """
  same = theta == 0
  return {"w": abs(float(theta)), "js": 0.0 if same else math.log(2.0), "kl": 0.0 if same else math.inf,
          "tv": 0.0 if same else 1.0}


def thick_parallel_lines_divergences(theta: float, width: float) -> dict[str, float]:
  """The distances of `parallel_lines_divergences` computed from the distributions themselves, not from a formula.

  Each segment is thickened to N(x0, width^2) x U(0, 1), which tends to the segment as width -> 0. The two share
  their U(0, 1) factor, so JS, KL and total variation are those of the two x-densities (the y-integral is 1),
  found by quadrature in float64 on a grid of 40 points per width over +-12 widths around both lines; W1 is that
  of the x-marginals too (a shift moves every point by |theta|, and no plan does better since the x-means differ
  by theta), the integral of |F_0 - F_theta| of the two quadrature CDFs. As width -> 0 these tend to the closed
  forms: JS -> log 2 and TV -> 1 for theta != 0, KL = theta^2 / (2 width^2) grows without bound, W1 = |theta|.
  """
  theta, width = float(theta), float(width)
  if not width > 0:
    raise ValueError(f"width must be > 0, got {width}")
  lo, hi = min(0.0, theta) - 12 * width, max(0.0, theta) + 12 * width
  points = int(40 * (hi - lo) / width) + 1
  x, dx = np.linspace(lo, hi, points), (hi - lo) / (points - 1)
  log_p, log_q = (-0.5 * ((x - m) / width) ** 2 - math.log(width * math.sqrt(2 * math.pi)) for m in (0.0, theta))
  p, q = np.exp(log_p), np.exp(log_q)
  # From the log-densities: where one density has mass the other (and half of a denormal) can underflow to 0.
  log_m = np.logaddexp(log_p, log_q) - math.log(2.0)
  return {"w": float(np.sum(np.abs(np.cumsum(p - q) * dx)) * dx),
          "js": float(0.5 * np.sum(p * (log_p - log_m) + q * (log_q - log_m)) * dx),
          "kl": float(np.sum(p * (log_p - log_q)) * dx),
          "tv": float(0.5 * np.sum(np.abs(p - q)) * dx)}


def sample_parallel_line(rng: jax.Array, theta: float, n: int) -> jax.Array:
  """n points (theta, y) with y ~ U(0, 1): samples of P_theta, shape (n, 2)."""
  y = jax.random.uniform(rng, (n,))
  return jnp.stack([jnp.full_like(y, theta), y], axis=-1)


def vertical_lines_wasserstein(a: jax.Array, b: jax.Array) -> jax.Array:
  """Exact W1 between equally many points on two vertical lines (a[:, 0] and b[:, 0] each constant).

  Moving (s, y) to (t, y') costs h(y - y') = sqrt((s - t)^2 + (y - y')^2), a convex function of y - y', and for
  such costs the monotone (sorted) matching is optimal in 1-D; so W1 is the mean cost of the y-sorted matching.
  """
  if a.shape != b.shape:
    raise ValueError(f"vertical_lines_wasserstein needs equally many points, got {a.shape} and {b.shape}")
  a, b = a[jnp.argsort(a[:, 1])], b[jnp.argsort(b[:, 1])]
  return jnp.mean(jnp.linalg.norm(a - b, axis=-1))


# --- The bilinear game min_x max_y x y ----------------------------------------------------------------------------

def xy_game(x0: float, y0: float, *, lr: float, steps: int, alternating: bool) -> jax.Array:
  """Gradient descent on x and ascent on y for V(x, y) = x y; returns the trajectory, shape (steps + 1, 2).

  Simultaneous steps (x, y) <- (x - lr y, y + lr x) multiply the distance to the equilibrium (0, 0) by exactly
  sqrt(1 + lr^2) every step: the iterates spiral outward. Alternating steps (y sees the new x) form a map of
  determinant 1 with eigenvalues on the unit circle for lr < 2, so the iterates circle the equilibrium on a fixed
  ellipse, bounded but never converging.
  """
  def step(xy, _):
    x, y = xy
    x_new = x - lr * y
    y_new = y + lr * (x_new if alternating else x)
    return (x_new, y_new), jnp.stack([x_new, y_new])

  start = (jnp.asarray(x0, jnp.float32), jnp.asarray(y0, jnp.float32))
  _, path = jax.lax.scan(step, start, None, length=steps)
  return jnp.concatenate([jnp.stack(start)[None], path])
