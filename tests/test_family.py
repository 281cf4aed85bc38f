"""The classic GAN family (GAN, DCGAN, cGAN, AC-GAN, InfoGAN): each game's losses on hand-worked values, its latent
codes and net inputs, one-step determinism, short trainings that must beat the untrained generator, the optimal
discriminator of the 1-D task, the maxout discriminator, the papers' recipes, and the latent-space tools.

Hand-worked values use logits log 3 and -log 3, i.e. probabilities 3/4 and 1/4, so every term is log(3/4) or
log(1/4). Fake discriminators read their logits off their inputs.
"""

import dataclasses
import functools
import math

import chex
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.scipy.stats import norm

from jgan import data, games, latent, models, steps, testing, train
from jgan.configs import acgan, base, cgan, dcgan, gan, infogan
from jgan.data.source import Source
from jgan.state import GANState, PlayerState

L3 = math.log(3.0)
LOG_34, LOG_14 = math.log(0.75), math.log(0.25)


def logit_and_head(x: jax.Array, width: int):
  """A fake two-headed discriminator: logit = first input feature, head = the next `width` features."""
  x = x.reshape(len(x), -1)
  return x[:, 0], x[:, 1:1 + width]


# --- Losses on hand-worked values. ---

@pytest.mark.parametrize("g_loss, real_label", [("non_saturating", 1.0), ("minimax", 1.0), ("non_saturating", 0.9)])
def test_gan_losses_by_hand(g_loss: str, real_label: float):
  game = games.GAN(latent_dim=2, g_loss=g_loss, real_label=real_label)
  real, fake = {"x": jnp.array([[L3, 5.0], [L3, -5.0]])}, jnp.array([[-L3, 1.0], [-L3, 2.0]])
  first = lambda x: x[:, 0]
  loss, metrics = game.discriminator_loss(first, real, fake, {})
  expected = -(real_label * LOG_34 + (1 - real_label) * LOG_14) - LOG_34
  np.testing.assert_allclose(loss, expected, rtol=1e-6)
  np.testing.assert_allclose([metrics["d_real"], metrics["d_fake"]], [0.75, 0.25], rtol=1e-6)
  g, _ = game.generator_loss(first, fake, {}, None)
  np.testing.assert_allclose(g, -LOG_14 if g_loss == "non_saturating" else LOG_34, rtol=1e-6)


def test_cgan_losses_by_hand_and_the_label_reaches_the_discriminator():
  """D(x, y) = x + log 3 [y = 1] - log 3 [y = 2]: real labels (1, 2) give logits (log 3, -log 3), generated
  labels (2, 0) give (-log 3, 0)."""
  game = games.ConditionalGAN(latent_dim=2, num_classes=3)
  discriminator = lambda inputs: inputs[:, 0] + L3 * (inputs[:, 2] - inputs[:, 3])  # [x, onehot(y)]
  real = {"x": jnp.zeros((2, 1)), "label": jnp.array([1, 2])}
  fake, codes = jnp.zeros((2, 1)), {"z": jnp.zeros((2, 2)), "label": jnp.array([2, 0])}
  loss, _ = game.discriminator_loss(discriminator, real, fake, codes)
  np.testing.assert_allclose(loss, (-LOG_34 - LOG_14) / 2 + (-LOG_34 + math.log(2)) / 2, rtol=1e-6)
  g, _ = game.generator_loss(discriminator, fake, codes, None)
  np.testing.assert_allclose(g, (-LOG_14 + math.log(2)) / 2, rtol=1e-6)


def test_acgan_losses_by_hand():
  """Both players maximize the class log-likelihood: the real class term enters D only, the generated one both."""
  game = games.ACGAN(latent_dim=2, num_classes=2, aux_weight=0.5)
  discriminator = functools.partial(logit_and_head, width=2)
  real = {"x": jnp.array([[L3, L3, 0.0]]), "label": jnp.array([0])}  # D = 3/4, p(class 0) = 3/4: right
  fake, codes = jnp.array([[-L3, 0.0, L3]]), {"z": jnp.zeros((1, 2)), "label": jnp.array([0])}  # p(class 0) = 1/4
  loss, metrics = game.discriminator_loss(discriminator, real, fake, codes)
  np.testing.assert_allclose(loss, -LOG_34 - LOG_34 + 0.5 * (-LOG_34 - LOG_14), rtol=1e-6)
  assert (float(metrics["class_accuracy_real"]), float(metrics["class_accuracy_fake"])) == (1.0, 0.0)
  g, g_metrics = game.generator_loss(discriminator, fake, codes, None)
  np.testing.assert_allclose(g, -LOG_14 + 0.5 * -LOG_14, rtol=1e-6)
  np.testing.assert_allclose(g_metrics["g_class_loss"], -LOG_14, rtol=1e-6)


def test_infogan_losses_by_hand():
  """-L_I = cross-entropy of c1 + half the squared error of the continuous codes (unit-variance Gaussian Q)."""
  game = games.InfoGAN(latent_dim=2, categorical_codes=2, continuous_codes=1, info_weight=0.5)
  discriminator = functools.partial(logit_and_head, width=3)
  real = {"x": jnp.array([[L3, 9.0, 9.0, 9.0]])}  # Q's output on real data plays no part
  fake = jnp.array([[-L3, L3, 0.0, 0.5]])  # Q: p(c1 = 0) = 3/4, c2 predicted 0.5
  codes = {"z": jnp.zeros((1, 2)), "cat": jnp.array([0]), "cont": jnp.array([[-0.5]])}
  info = -LOG_34 + 0.5 * 1.0 ** 2
  loss, metrics = game.discriminator_loss(discriminator, real, fake, codes)
  np.testing.assert_allclose(loss, -LOG_34 - LOG_34 + 0.5 * info, rtol=1e-6)
  np.testing.assert_allclose([metrics["info_loss"], metrics["q_accuracy"]], [info, 1.0], rtol=1e-6)
  g, g_metrics = game.generator_loss(discriminator, fake, codes, None)
  np.testing.assert_allclose(g, -LOG_14 + 0.5 * info, rtol=1e-6)
  np.testing.assert_allclose(g_metrics["g_info_loss"], info, rtol=1e-6)


# --- Latent codes and what each net sees. ---

def _game(name: str, **overrides) -> games.Game:
  config = base.Config(game=name, latent_dim=5, num_classes=10, categorical_codes=10, continuous_codes=2,
                       **overrides)
  return games.from_config(config, latent="normal")


@pytest.mark.parametrize("name, input_width, image_channels", [
    ("gan", 5, 1), ("cgan", 15, 11), ("acgan", 15, 1), ("infogan", 17, 1)])
def test_latent_codes_and_net_inputs(name: str, input_width: int, image_channels: int):
  game = _game(name)
  codes = game.sample_latent(jax.random.PRNGKey(0), 600)
  assert codes["z"].shape == (600, 5) and codes["z"].dtype == jnp.float32
  inputs = game.generator_input(codes)
  assert inputs.shape == (600, input_width)
  np.testing.assert_array_equal(inputs[:, :5], codes["z"])
  labels = jnp.arange(4) % 3
  seen = game.discriminator_input(jnp.zeros((4, 8, 8, 1)), labels)
  assert seen.shape == (4, 8, 8, image_channels)
  if name == "cgan":  # the label as constant one-hot feature maps
    np.testing.assert_array_equal(seen[:, 3, 5, 1:], jax.nn.one_hot(labels, 10))
    np.testing.assert_array_equal(seen[:, :, :, 1:], jnp.broadcast_to(seen[:, :1, :1, 1:], (4, 8, 8, 10)))
  if "label" in codes:
    np.testing.assert_array_equal(inputs[:, 5:], jax.nn.one_hot(codes["label"], 10))
    assert set(np.unique(codes["label"])) == set(range(10))
  if name == "infogan":
    np.testing.assert_array_equal(inputs[:, 5:15], jax.nn.one_hot(codes["cat"], 10))
    np.testing.assert_array_equal(inputs[:, 15:], codes["cont"])
    assert set(np.unique(codes["cat"])) == set(range(10))
    assert float(jnp.min(codes["cont"])) >= -1 and float(jnp.max(codes["cont"])) <= 1
    assert float(jnp.std(codes["cont"])) == pytest.approx(1 / math.sqrt(3), abs=0.03)  # U(-1, 1)


@pytest.mark.parametrize("name", ["cgan", "acgan", "infogan"])
def test_sample_grids_have_one_row_per_class(name: str):
  game = _game(name)
  codes = game.fixed_latent(jax.random.PRNGKey(0), 30)
  classes = codes["cat" if name == "infogan" else "label"]
  np.testing.assert_array_equal(classes, np.repeat(np.arange(10), 3))
  assert game.grid_columns(30) == 3 and game.grid_columns(25) is None
  if name == "infogan":  # rows differ by c1 only
    np.testing.assert_array_equal(codes["cont"], 0.0)


# --- One step: determinism. ---

def _tiny(name: str, **overrides) -> base.Config:
  fields = dict(game=name, arch="mlp", clip_value=0.0, optimizer="adam", learning_rate=1e-3, beta1=0.5, n_critic=1,
                warmup_steps=0, warmup_n_critic=1, mlp_layers=2, mlp_output="tanh", continuous_codes=1)
  return testing.tiny_config(**{**fields, **overrides})


@pytest.mark.parametrize("name", ["gan", "cgan", "acgan", "infogan"])
def test_one_step_is_deterministic(name: str):
  config = _tiny(name, arch="maxout" if name in ("gan", "cgan") else "mlp")  # maxout: dropout keys too
  images = testing.fake_images(32, 8)
  source = Source.from_arrays(images, np.arange(32) % 10)
  state = train.create_state(config, (8, 8, 1))
  step = jax.jit(functools.partial(steps.generator_iteration, n_critic=1, game=train.make_game(config),
                                   batch_size=config.batch_size))
  a, metrics_a = step(state, source)
  b, metrics_b = step(state, source)
  assert testing.tree_equal(a, b) and testing.tree_equal(metrics_a, metrics_b)
  c, _ = step(state.replace(rng=jax.random.PRNGKey(7)), source)
  assert not testing.tree_equal(a.generator.params, c.generator.params)
  assert all(bool(jnp.isfinite(v)) for v in jax.tree.leaves(metrics_a))


def test_max_col_norm_holds_the_discriminators_columns_and_only_them():
  """create_state puts the constraint last in the discriminator's chain: after an SGD step of rate 1 on a gradient
  of -1 everywhere, every column of its kernels has norm <= 0.01 (without the constraint they pass it); the
  generator's chain has no constraint."""
  norms = {}
  for max_norm in (0.0, 0.01):
    state = train.create_state(_tiny("cgan", arch="maxout", optimizer="sgd", learning_rate=1.0, momentum=0.0,
                                     max_col_norm=max_norm), (8, 8, 1))
    column_norms = lambda player: [
        float(jnp.max(jnp.linalg.norm(k, axis=0))) for k in jax.tree.leaves(
            player.apply_gradients(jax.tree.map(lambda p: -jnp.ones_like(p), player.params)).params) if k.ndim == 2]
    norms[max_norm] = column_norms(state.discriminator), column_norms(state.generator)
  assert max(norms[0.01][0]) <= 0.01 * (1 + 1e-5) < min(norms[0.0][0])
  assert norms[0.01][1] == norms[0.0][1] and min(norms[0.01][1]) > 0.01  # the generator is not constrained


# --- Short trainings on the digits: the samples must beat the untrained generator's. ---

NUM = 500
TRAININGS = {  # ~5-20 s each on a CPU core; maxout keeps the conditional discriminator's input small
    "gan": dict(arch="maxout", critic_features=32, steps=150),
    "cgan": dict(arch="maxout", critic_features=32, steps=250),  # SWD 0.18 at 150, 0.15 at 250
    "acgan": dict(steps=150),
    "infogan": dict(steps=250),
}


@pytest.fixture(scope="module")
def real_digits() -> np.ndarray:
  images = data.load("digits", image_size=32).images
  return images[np.random.default_rng(0).choice(len(images), NUM, replace=False)]


@functools.cache
def _trained(name: str, workdir: str, mesh, **overrides) -> tuple[base.Config, GANState, GANState]:
  config = _tiny(name, **{**dict(generator_features=128, critic_features=128, latent_dim=16, batch_size=64,
                                 log_every=50, sample_every=1000, checkpoint_every=1000, num_samples=20),
                          **TRAININGS.get(name, {}), **overrides})
  untrained = train.create_state(config, (32, 32, 1))
  return config, untrained, train.run(config, workdir, progress=False, mesh=mesh)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, one_device_mesh):
  """(name, **overrides) -> (config, untrained state, trained state, run directory), trained once per module."""
  root = tmp_path_factory.mktemp("family")

  def get(name: str, **overrides):
    workdir = root / "_".join([name, *(f"{k}{v}" for k, v in sorted(overrides.items()))])
    return (*_trained(name, str(workdir), one_device_mesh, **overrides), workdir)
  return get


def _samples(config: base.Config, state: GANState) -> tuple[np.ndarray, dict]:
  game = train.make_game(config)
  codes = game.sample_latent(jax.random.PRNGKey(123), NUM)  # not the run's noise
  return data.to_uint8(jax.jit(train.generate, static_argnums=1)(state, game, codes)), codes


def _swd(a: np.ndarray, b: np.ndarray) -> float:
  return testing.sliced_wasserstein(a / 255.0, b / 255.0)


@pytest.fixture(scope="module")
def mean_digit(real_digits) -> float:
  """The distance of the mean training digit, repeated, to the real digits: ~0.18, the baseline to beat."""
  images = data.load("digits", image_size=32).images
  mean = np.round(images.mean(axis=0)).astype(np.uint8)
  return _swd(np.broadcast_to(mean, real_digits.shape), real_digits)


@pytest.mark.parametrize("name", sorted(TRAININGS))
def test_short_training_beats_the_untrained_generator_and_the_mean_digit(name: str, trained, real_digits,
                                                                         mean_digit):
  """Sliced Wasserstein distance to real digits (pixels in [0, 1]): ~0.37 untrained, below the mean digit
  repeated (~0.18) after the short training."""
  config, untrained, state, _ = trained(name)
  before, after = _swd(_samples(config, untrained)[0], real_digits), _swd(_samples(config, state)[0], real_digits)
  assert 0.15 < mean_digit < 0.2 and before > 0.3, (mean_digit, before)  # the yardsticks are what they should be
  assert after < 0.7 * before and after < mean_digit, (before, after, mean_digit)


def _information_bound(config: base.Config, state: GANState) -> tuple[float, float]:
  """(Q's accuracy on c1, the mutual-information lower bound H(c1) - CE(c1, Q(c1 | G(z, c)))) in nats, on fresh
  codes: Chen et al. 2016, Eq. 4, for the categorical code."""
  game = train.make_game(config)
  codes = game.sample_latent(jax.random.PRNGKey(321), NUM)
  _, q = state.discriminator(train.generate(state, game, codes), train=False)[0]
  logits = q[:, :config.categorical_codes]
  cross_entropy = float(jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, codes["cat"])))
  accuracy = float(jnp.mean(jnp.argmax(logits, axis=-1) == codes["cat"]))
  return accuracy, math.log(config.categorical_codes) - cross_entropy


@pytest.mark.slow
def test_infogan_learns_its_categorical_code_and_not_without_the_information_term(trained):
  """After 800 iterations Q reads c1 back from G(z, c) (measured: accuracy 1.0, bound 2.25 of H(c1) = log 10 =
  2.30 nats; 0.16 and 0.14 after 250); the same training with lambda = 0, where Q gets no gradient, leaves it at
  chance (0.07)."""
  config, untrained, state, _ = trained("infogan", steps=800)
  before, after = _information_bound(config, untrained), _information_bound(config, state)
  config0, _, state0, _ = trained("infogan", steps=800, info_weight=0.0)
  without = _information_bound(config0, state0)
  assert before[0] < 0.2 and without[0] < 0.2 and without[1] < 0.1, (before, without)
  assert after[0] > 0.8 and after[1] > 0.7 * math.log(10) and after[1] > before[1] + 1.0, (before, after)


@pytest.fixture(scope="module")
def scorer():
  from jgan.eval import digits
  return digits.load_digit_scorer()  # the weights ship in the package: missing weights are a failure


# The conditional runs recorded in experiments/family/README.md (DCGAN nets of width 32): 3-5 minutes of CPU each.
RECORDED = {
    "cgan": (cgan, dict(arch="dcgan", image_size=32, generator_features=32, critic_features=32, optimizer="adam",
                        learning_rate=2e-4, generator_learning_rate=2e-4, beta1=0.5, latent="normal", steps=500)),
    "acgan": (acgan, dict(generator_features=32, critic_features=32, steps=800)),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(RECORDED))
def test_conditional_samples_obey_the_label(name: str, scorer, tmp_path, one_device_mesh):
  """The digit classifier calls the requested class far above chance (10%): 0.45 (cgan) and 0.80 (acgan) in the
  recorded runs, where the untrained generator is at chance."""
  module, overrides = RECORDED[name]
  config = dataclasses.replace(module.get_config(), **overrides, log_every=100, sample_every=1000,
                               checkpoint_every=1000)
  untrained = train.create_state(config, (32, 32, 1))
  state = train.run(config, tmp_path, progress=False, mesh=one_device_mesh)
  accuracy = [scorer.accuracy(images, np.asarray(codes["label"]))
              for images, codes in (_samples(config, untrained), _samples(config, state))]
  assert accuracy[0] < 0.2 and accuracy[1] > 0.35, accuracy


# DCGAN nets at width 16 with Adam 2e-4 (beta1 0.5).
CONVOLUTIONAL = dict(arch="dcgan", generator_features=16, critic_features=16, learning_rate=2e-4, latent="normal",
                     steps=300, loop="auto")


@pytest.mark.slow
def test_dcgan_learns_digits(trained, real_digits, scorer):
  """The DCGAN game and nets: the sliced Wasserstein distance halves and the classifier's Frechet distance falls."""
  config, untrained, state, _ = trained("gan", **CONVOLUTIONAL)
  (before, _), (after, _) = _samples(config, untrained), _samples(config, state)
  assert _swd(after, real_digits) < 0.5 * _swd(before, real_digits)
  fd = [scorer.digit_scores(images, real_digits)["fd"] for images in (before, after)]
  assert fd[1] < 0.7 * fd[0], fd


# --- The optimal discriminator of the 1-D task (Goodfellow et al. 2014, Prop. 1 and Thm. 1). ---

class Affine(nn.Module):
  """A fixed generator G(z) = mean + std z, z ~ N(0, 1): p_g = N(mean, std^2)."""

  mean: float
  std: float

  @nn.compact
  def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
    del train
    return self.param("mean", nn.initializers.constant(self.mean), ()) + self.std * z


GAME_1D = games.GAN(latent_dim=1, latent="normal")
DATA_MEAN, DATA_STD = 4.0, 1.25  # the normal1d toy


@functools.partial(jax.jit, static_argnums=(0, 1, 2))
def _train_discriminator(mean: float, std: float, num_steps: int) -> GANState:
  """jgan's GAN game and discriminator step, the generator fixed: only D learns (Adam, batch 256)."""
  g_rng, d_rng, rng = jax.random.split(jax.random.PRNGKey(0), 3)
  generator = PlayerState.create(Affine(mean, std), optax.set_to_zero(), g_rng, jnp.zeros((1, 1)))
  discriminator = PlayerState.create(models.mlp.Critic(features=32, layers=2), optax.adam(3e-3), d_rng,
                                     jnp.zeros((1, 1)))
  body = lambda _, s: steps.discriminator_step(s, Source(toy="normal1d"), game=GAME_1D, batch_size=256)[0]
  return jax.lax.fori_loop(0, num_steps, body, GANState.create(generator, discriminator, rng))


def _value(state: GANState, mean: float, std: float, num: int = 200_000) -> float:
  """V(D, G) = E log D(x) + E log(1 - D(G(z))), by Monte Carlo on fresh draws."""
  rng = jax.random.PRNGKey(42)
  real = DATA_MEAN + DATA_STD * jax.random.normal(rng, (num, 1))
  fake = mean + std * jax.random.normal(jax.random.fold_in(rng, 1), (num, 1))
  logits = lambda x: state.discriminator(x, train=False)[0]
  return float(jnp.mean(jax.nn.log_sigmoid(logits(real))) + jnp.mean(jax.nn.log_sigmoid(-logits(fake))))


def _jensen_shannon(mean: float, std: float) -> float:
  """JSD(p_data || p_g) by a Riemann sum on a fine grid, in float64 (numpy)."""
  grid = np.linspace(-15.0, 20.0, 400_001)
  density = lambda mu, sigma: np.exp(-0.5 * ((grid - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
  p, q = density(DATA_MEAN, DATA_STD), density(mean, std)
  m = (p + q) / 2
  kl = lambda a: np.sum(a * np.log(np.maximum(a, 1e-300) / np.maximum(m, 1e-300))) * (grid[1] - grid[0])
  return float((kl(p) + kl(q)) / 2)


def test_trained_discriminator_approaches_the_optimal_one():
  """p_g = N(2.5, 1): D approaches D*(x) = p_data / (p_data + p_g) where the densities live, and its value
  approaches V(D*, G) = -log 4 + 2 JSD(p_data || p_g), from below (D* maximizes V)."""
  mean, std = 2.5, 1.0
  state = _train_discriminator(mean, std, 1500)
  x = jnp.linspace(0.0, 8.0, 161)
  p_data, p_g = norm.pdf(x, DATA_MEAN, DATA_STD), norm.pdf(x, mean, std)
  d = jax.nn.sigmoid(state.discriminator(x[:, None], train=False)[0])
  where = (p_data + p_g) / 2 > 0.02
  error = np.abs(np.asarray(d - p_data / (p_data + p_g)))[np.asarray(where)]
  assert error.max() < 0.06, error.max()
  optimum = -math.log(4) + 2 * _jensen_shannon(mean, std)
  assert optimum - 0.02 < _value(state, mean, std) < optimum + 0.005


def test_value_at_the_optimum_is_minus_log_4():
  """p_g = p_data: D* = 1/2 everywhere and V(D*, G) = -log 4 = -2 log 2 (Theorem 1)."""
  state = _train_discriminator(DATA_MEAN, DATA_STD, 500)
  assert _jensen_shannon(DATA_MEAN, DATA_STD) < 1e-9
  d = jax.nn.sigmoid(state.discriminator(jnp.linspace(1.0, 7.0, 61)[:, None], train=False)[0])
  np.testing.assert_allclose(d, 0.5, atol=0.03)
  np.testing.assert_allclose(_value(state, DATA_MEAN, DATA_STD), -2 * math.log(2), atol=0.01)


# --- The maxout discriminator (Goodfellow et al. 2014; Mirza and Osindero 2014). ---

def _count(tree) -> int:
  return sum(int(np.prod(leaf.shape)) for leaf in jax.tree.leaves(tree))


def _critic_params(critic, x):
  return jax.eval_shape(functools.partial(critic.init, train=False), jax.random.PRNGKey(0), x)["params"]


def test_maxout_discriminator_layout():
  """784 -> 240 x 5 -> 240 x 5 -> 1: (785 + 241) x 1200 + 241 parameters; with a 10-class condition the label
  gets its own 50 x 5 layer and the joint layer has 4 pieces."""
  _, critic = models.build("maxout", shape=(28, 28, 1), generator_features=1200, critic_features=240, mlp_layers=2)
  assert _count(_critic_params(critic, jnp.zeros((1, 28, 28, 1)))) == 1_231_441
  params = _critic_params(critic, jnp.zeros((1, 28, 28, 11)))
  assert params["x_path"]["Dense_0"]["kernel"].shape == (784, 1200)
  assert params["y_path"]["Dense_0"]["kernel"].shape == (10, 250)
  assert params["Maxout_0"]["Dense_0"]["kernel"].shape == (290, 960)


def test_conditional_maxout_generator_layout_and_label_path():
  """Mirza and Osindero's generator: z (100) -> 200, y (10) -> 1000, [both] -> 1200 -> 784; the cGAN game gives the
  maxout arch this generator and the plain GAN keeps the MLP one. Outputs lie in [-1, 1] (a sigmoid, rescaled),
  the label changes them, and dropout acts in training only."""
  game = games.ConditionalGAN(latent_dim=100, num_classes=10)
  generator, _ = models.build("maxout", shape=(28, 28, 1), generator_features=1200, critic_features=240,
                              mlp_layers=2, condition_dim=game.condition_dim)
  assert isinstance(generator, models.maxout.ConditionalGenerator)
  plain, _ = models.build("maxout", shape=(28, 28, 1), generator_features=1200, critic_features=240, mlp_layers=2,
                          condition_dim=games.GAN(latent_dim=100).condition_dim)
  assert isinstance(plain, models.mlp.Generator)
  latent_codes = game.sample_latent(jax.random.PRNGKey(0), 6)
  variables = generator.init(jax.random.PRNGKey(1), game.generator_input(latent_codes), train=False)
  shapes = {name: layer["Dense_0"]["kernel"].shape for name, layer in variables["params"].items()}
  assert shapes == {"z_path": (100, 200), "y_path": (10, 1000), "joint": (1200, 1200), "output": (1200, 784)}
  run = lambda label, **kw: generator.apply(variables, game.generator_input({**latent_codes, "label": label}), **kw)
  out = run(jnp.zeros(6, jnp.int32), train=False)
  chex.assert_shape(out, (6, 28, 28, 1))
  assert float(jnp.min(out)) >= -1.0 and float(jnp.max(out)) <= 1.0
  assert not np.allclose(out, run(jnp.full(6, 7), train=False))
  np.testing.assert_array_equal(out, run(jnp.zeros(6, jnp.int32), train=False))
  np.testing.assert_array_equal(out, run(jnp.zeros(6, jnp.int32), train=True))  # no dropout by default
  dropping = generator.clone(hidden_keep=0.5)
  dropped = lambda key: dropping.apply(variables, game.generator_input(latent_codes), train=True,
                                       rngs={"dropout": jax.random.PRNGKey(key)})
  assert not np.allclose(dropped(0), dropped(1))
  with pytest.raises(ValueError, match="10-wide condition, got inputs of width 10"):
    generator.apply(variables, jnp.zeros((2, 10)), train=False)


def test_maxout_is_the_max_of_its_pieces():
  layer = models.maxout.Maxout(features=2, pieces=3)
  kernel = jnp.array([[1.0, 2.0, -1.0, 0.5, -3.0, 0.0]])
  out = layer.apply({"params": {"Dense_0": {"kernel": kernel, "bias": jnp.zeros(6)}}}, jnp.array([[2.0], [-1.0]]))
  np.testing.assert_allclose(out, [[4.0, 1.0], [1.0, 3.0]])


def test_maxout_dropout_only_in_training_and_the_label_is_read():
  _, critic = models.build("maxout", shape=(4, 4, 1), generator_features=8, critic_features=8, mlp_layers=2)
  x = jnp.asarray(np.random.default_rng(0).normal(size=(6, 4, 4, 1)), jnp.float32)
  variables = critic.init(jax.random.PRNGKey(0), x, train=False)
  run = lambda key: critic.apply(variables, x, train=True, rngs={"dropout": jax.random.PRNGKey(key)})
  assert not np.allclose(run(0), run(1))
  np.testing.assert_array_equal(critic.apply(variables, x, train=False), critic.apply(variables, x, train=False))
  game = games.ConditionalGAN(latent_dim=2, num_classes=3)
  labelled = lambda y: game.discriminator_input(x, jnp.full((6,), y))
  variables = critic.init(jax.random.PRNGKey(0), labelled(0), train=False)
  outputs = [critic.apply(variables, labelled(y), train=False) for y in range(3)]
  assert not np.allclose(outputs[0], outputs[1]) and not np.allclose(outputs[1], outputs[2])


# --- The recipes. ---

RECIPES = {
    "gan": (gan, dict(game="gan", arch="maxout", optimizer="sgd", learning_rate=0.05, generator_learning_rate=0.1,
                      momentum=0.5, momentum_final=0.7, lr_decay=1.000004, batch_size=100, n_critic=1,
                      latent_dim=100, generator_features=1200, critic_features=240, mlp_layers=2)),
    "dcgan": (dcgan, dict(game="gan", arch="dcgan", optimizer="adam", learning_rate=2e-4, beta1=0.5, batch_size=128,
                          n_critic=1, latent="uniform", latent_dim=100)),
    "cgan": (cgan, dict(game="cgan", arch="maxout", optimizer="sgd", learning_rate=0.05, generator_learning_rate=0.1,
                        lr_decay=1.00004,
                        momentum=0.5, momentum_final=0.7, batch_size=100, latent="normal", max_col_norm=1.9365)),
    "acgan": (acgan, dict(game="acgan", optimizer="adam", learning_rate=2e-4, beta1=0.5, batch_size=100)),
    "infogan": (infogan, dict(game="infogan", latent_dim=62, categorical_codes=10, continuous_codes=2,
                              info_weight=1.0, learning_rate=2e-4, generator_learning_rate=1e-3, beta1=0.5,
                              batch_size=128, latent="uniform")),
}


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_recipes_are_the_papers(name: str):
  module, expected = RECIPES[name]
  config = module.get_config()
  base.validate(config)
  assert {k: getattr(config, k) for k in expected} == expected
  assert config.clip_value == 0.0 and config.warmup_n_critic == 1  # no WGAN leftovers


def test_sgd_schedules_of_goodfellow_et_al():
  """Learning rate divided by 1.000004 per update; momentum 0.5 -> 0.7 linearly over 125,000 updates."""
  config = gan.get_config()
  tx = train.make_optimizer(config)
  params = {"w": jnp.zeros(3)}
  state = tx.init(params)
  for _ in range(3):
    _, state = tx.update({"w": jnp.ones(3)}, state, params)
  # The hyperparameters the third update used: those of update count 2.
  np.testing.assert_allclose(state.hyperparams["learning_rate"], 0.05 / 1.000004 ** 2, rtol=1e-7)
  np.testing.assert_allclose(state.hyperparams["momentum"], 0.5 + 0.2 * 2 / 125_000, rtol=1e-7)
  plain = train.make_optimizer(base.Config(optimizer="sgd", learning_rate=0.1, momentum=0.5))
  assert not hasattr(plain.init(params), "hyperparams")  # no schedule: plain optax.sgd


@pytest.mark.parametrize("field, value", [("lr_decay", 0.9), ("momentum_final", 1.0), ("momentum_ramp_steps", -1),
                                          ("max_col_norm", -1.0), ("max_col_norm", float("nan"))])
def test_schedule_fields_are_validated(field: str, value):
  with pytest.raises(ValueError, match=field):
    base.validate(base.Config(**{field: value}))


# --- Latent-space tools. ---

def test_lerp_midpoint_and_endpoints():
  a, b = jnp.array([1.0, -2.0, 4.0]), jnp.array([3.0, 2.0, 0.0])
  np.testing.assert_allclose(latent.lerp(a, b, 0.5), [2.0, 0.0, 2.0])
  path = latent.interpolate(a, b, 5, "lerp")
  assert path.shape == (5, 3)
  np.testing.assert_allclose(path[jnp.array([0, -1])], jnp.stack([a, b]))


def test_slerp_endpoints_norm_and_angle():
  rng = np.random.default_rng(0)
  a, b = rng.normal(size=(4, 64)), rng.normal(size=(4, 64))
  b = b / np.linalg.norm(b, axis=1, keepdims=True) * np.linalg.norm(a, axis=1, keepdims=True)  # equal norms
  a, b = jnp.asarray(a, jnp.float32), jnp.asarray(b, jnp.float32)
  path = latent.interpolate(a, b, 9, "slerp")  # (9, 4, 64)
  np.testing.assert_allclose(path[0], a, atol=1e-5)
  np.testing.assert_allclose(path[-1], b, atol=1e-5)
  np.testing.assert_allclose(jnp.linalg.norm(path, axis=-1), jnp.broadcast_to(jnp.linalg.norm(a, axis=-1), (9, 4)),
                             rtol=1e-5)
  cosine = lambda u, v: jnp.sum(u * v, -1) / (jnp.linalg.norm(u, axis=-1) * jnp.linalg.norm(v, axis=-1))
  omega = jnp.arccos(cosine(a, b))
  angles = jnp.arccos(jnp.clip(cosine(path, a[None]), -1, 1))
  np.testing.assert_allclose(angles, jnp.linspace(0, 1, 9)[:, None] * omega[None], atol=2e-3)  # constant speed
  # The middle of a slerp between unit vectors at 90 degrees is their normalized sum; lerp's is shorter.
  e1, e2 = jnp.array([1.0, 0.0]), jnp.array([0.0, 1.0])
  np.testing.assert_allclose(latent.slerp(e1, e2, 0.5), [math.sqrt(0.5)] * 2, rtol=1e-6)


@pytest.mark.parametrize("b", [[1.0, 1e-7, 0.0], [2.0, 0.0, 0.0], [-1.0, 0.0, 0.0]])
def test_slerp_nearly_parallel_vectors_fall_back_to_lerp(b):
  a, b = jnp.array([1.0, 0.0, 0.0]), jnp.array(b)
  path = latent.slerp(a, b, jnp.linspace(0, 1, 5))
  assert bool(jnp.all(jnp.isfinite(path)))
  np.testing.assert_allclose(path, latent.lerp(a, b, jnp.linspace(0, 1, 5)), atol=1e-5)
  assert bool(jnp.all(jnp.isfinite(jax.grad(lambda v: jnp.sum(latent.slerp(a, v, 0.3)))(b))))


def test_arithmetic_on_hand_values():
  groups = {"a": jnp.array([[1.0, 0.0], [3.0, 2.0]]), "b": jnp.array([[1.0, 1.0]]), "c": jnp.array([[0.0, 4.0]])}
  np.testing.assert_allclose(latent.combine(groups, "a - b + c"), [1.0, 4.0])  # (2, 1) - (1, 1) + (0, 4)
  np.testing.assert_allclose(latent.combine(groups, "-0.5 * a + 2*c"), [-1.0, 7.5])
  assert latent.parse_expression(" a-b +c ") == [(1.0, "a"), (-1.0, "b"), (1.0, "c")]
  for bad in ("a b", "a + ", "a * b", ""):
    with pytest.raises(ValueError):
      latent.combine(groups, bad)
  with pytest.raises(ValueError, match="unknown groups"):
    latent.combine(groups, "a - d")
  rows = latent.arithmetic(lambda v: v, groups, "a - b + c", rng=jax.random.PRNGKey(0), variants=3, noise=0.25,
                           noise_dims=1)
  assert list(rows) == ["a", "b", "c", "result"]
  np.testing.assert_allclose(rows["result"][0], [1.0, 4.0])
  np.testing.assert_allclose(rows["a"][0], [2.0, 1.0])
  jitter = rows["result"][1:] - rows["result"][:1]
  assert rows["result"].shape == (4, 2) and float(jnp.max(jnp.abs(jitter[:, 0]))) <= 0.25
  np.testing.assert_array_equal(jitter[:, 1], 0.0)  # noise on the first noise_dims coordinates only


def test_latent_cli_writes_grids(trained, tmp_path):
  """Interpolation and arithmetic on a trained GAN; code grids on a trained InfoGAN."""
  *_, gan_dir = trained("gan")
  *_, info_dir = trained("infogan")
  out = tmp_path / "latent"
  assert latent.main(["--checkpoint", str(gan_dir), "--out", str(out), "--rows", "3", "--steps", "4"]) == 0
  assert latent.main(["--checkpoint", str(gan_dir), "--out", str(out), "--mode", "arithmetic", "--samples", "200",
                      "--expression", "all - thin + thick", "--variants", "2"]) == 0
  assert latent.main(["--checkpoint", str(info_dir), "--out", str(out), "--mode", "codes", "--steps", "5"]) == 0
  assert sorted(p.name for p in out.iterdir()) == ["arithmetic.png", "arithmetic.txt", "c1.png", "c2.png",
                                                   "interpolate_slerp.png"]
  assert latent.main(["--checkpoint", str(gan_dir), "--out", str(out), "--mode", "codes"]) == 2  # not an InfoGAN
  rows = latent.interpolation_rows(latent.Model(gan_dir), 2, 4, "lerp", seed=0)
  assert rows.shape == (2, 4, 32, 32, 1) and rows.dtype == np.uint8
