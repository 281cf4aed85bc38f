"""Improved GAN training (issue 10): each trick on values worked out by hand, then one-step determinism and short
real trainings in which the trick's metric moves.

Salimans et al. 2016 (arXiv:1606.03498): feature matching, minibatch discrimination, historical averaging,
one-sided label smoothing, virtual batch norm, the K + 1 semi-supervised GAN; Gulrajani et al. 2017
(arXiv:1704.00028): WGAN-GP; Miyato et al. 2018 (arXiv:1802.05957): spectral normalization.
"""

import dataclasses
import functools

import chex
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jgan import checkpoint, games, models, steps, testing, train, transforms
from jgan.configs import sngan as sngan_config
from jgan.configs import ssgan as ssgan_config
from jgan.configs.base import Config, validate
from jgan.data import labeled
from jgan.games.gan import feature_matching
from jgan.games.ssgan import error_rate, real_fake_logit
from jgan.games.wgan_gp import gradient_penalty, safe_norm
from jgan.models.layers_improved import MinibatchDiscrimination, VirtualBatchNorm, spectral
from jgan.state import PlayerState

E1, E2 = np.exp(-1.0), np.exp(-2.0)


# --- Minibatch discrimination (Sec. 3.2). ---

def test_minibatch_discrimination_matches_hand_computation():
  """f = rows (1, 0), (0, 1), (1, 1); T[0] = [[1, 0], [0, 1]], T[1] = [[0, 1], [1, 1]] (A = B = C = 2).

  M_1 = T[0], M_2 = T[1], M_3 = T[0] + T[1] = [[1, 1], [1, 2]].
  Kernel b = 0, rows (1, 0), (0, 1), (1, 1): L1 distances d12 = 2, d13 = 1, d23 = 1.
  Kernel b = 1, rows (0, 1), (1, 1), (1, 2): d12 = 1, d13 = 2, d23 = 1.
  o_b(x_i) = sum_j exp(-d_ij) with d_ii = 0.
  """
  f = jnp.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
  tensor = jnp.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 1.0]]])
  out = MinibatchDiscrimination(kernels=2, kernel_dim=2).apply({"params": {"T": tensor}}, f)
  expected_o = np.array([[1 + E2 + E1, 1 + E1 + E2],
                         [E2 + 1 + E1, E1 + 1 + E1],
                         [E1 + E1 + 1, E2 + E1 + 1]])
  np.testing.assert_allclose(out, np.concatenate([f, expected_o], axis=1), rtol=1e-6)


def test_minibatch_discrimination_random_input_matches_numpy():
  rng = np.random.default_rng(0)
  f, tensor = rng.normal(size=(5, 4)), rng.normal(size=(4, 3, 2))
  out = MinibatchDiscrimination(kernels=3, kernel_dim=2).apply({"params": {"T": jnp.asarray(tensor, jnp.float32)}},
                                                                jnp.asarray(f, jnp.float32))
  m = np.einsum("na,abc->nbc", f, tensor)
  o = np.array([[sum(np.exp(-np.abs(m[i, b] - m[j, b]).sum()) for j in range(5)) for b in range(3)]
                for i in range(5)])
  np.testing.assert_allclose(out[:, 4:], o, rtol=1e-5)


# --- Historical averaging (Sec. 3.3). ---

def test_historical_averaging_matches_hand_computation():
  """SGD lr 0.1, lambda 0.5 (so the added gradient is theta - mean), gradient (1, 0) at every step, theta0 = (1, -2).

  t = 1: mean = 1.0;                        update 1 + 0          -> 0.9
  t = 2: mean = (1 + 0.9) / 2 = 0.95;       update 1 - 0.05       -> 0.805
  t = 3: mean = 2.705 / 3 = 0.9016667;      update 1 - 0.0966667  -> 0.7146667
  The second coordinate never moves: no gradient and theta equals its mean.
  """
  tx = optax.chain(transforms.historical_averaging(0.5), optax.sgd(0.1))
  params = jnp.array([1.0, -2.0])
  state = tx.init(params)
  expected = [(0.9, 1.0), (0.805, 0.95), (0.7146667, 2.705 / 3)]
  for step, (theta, mean) in enumerate(expected, start=1):
    updates, state = tx.update(jnp.array([1.0, 0.0]), state, params)
    params = optax.apply_updates(params, updates)
    averaging = state[0]
    assert isinstance(averaging, transforms.HistoricalAveragingState)
    assert int(averaging.count) == step
    np.testing.assert_allclose(averaging.mean, [mean, -2.0], rtol=1e-6)
    np.testing.assert_allclose(params, [theta, -2.0], rtol=1e-6)


def test_historical_averaging_zero_weight_keeps_updates_and_needs_params():
  tx = transforms.historical_averaging(0.0)
  params = {"w": jnp.array([3.0])}
  updates, state = tx.update({"w": jnp.array([0.25])}, tx.init(params), params)
  np.testing.assert_array_equal(updates["w"], [0.25])
  np.testing.assert_array_equal(state.mean["w"], [3.0])
  with pytest.raises(ValueError, match="needs the current params"):
    tx.update(params, state)
  with pytest.raises(ValueError, match="weight must be >= 0"):
    transforms.historical_averaging(-1.0)


# --- One-sided label smoothing (Sec. 3.4). ---

@pytest.mark.parametrize("game", ["gan", "cgan", "acgan", "infogan", "ssgan"])
def test_every_cross_entropy_game_smooths_real_labels(game: str):
  """-a log s(l_real) - (1 - a) log s(-l_real) - log s(-l_fake), a = 0.9; fake targets stay 0."""
  config = dataclasses.replace(Config(game=game, labels=100 if game == "ssgan" else 0), real_label=0.9)
  built = games.from_config(config)
  assert built.real_label == 0.9
  real, fake = jnp.array([2.0, -1.0, 0.5]), jnp.array([-3.0, 1.0, 0.0])
  loss, _ = built.adversarial_discriminator_loss(real, fake)
  sigmoid = lambda v: 1 / (1 + np.exp(-np.asarray(v, np.float64)))
  expected = np.mean(-0.9 * np.log(sigmoid(real)) - 0.1 * np.log(sigmoid(-real)) - np.log(sigmoid(-fake)))
  np.testing.assert_allclose(loss, expected, rtol=1e-6)


# --- Virtual batch normalization (Sec. 3.4). ---

def _vbn_numpy(h: np.ndarray, n: int, eps: float = 1e-5) -> np.ndarray:
  ref, x = h[:n], h[n:]
  ref_mean, ref_sq = ref.mean(axis=(0, 1, 2)), (ref ** 2).mean(axis=(0, 1, 2))
  out = [(ref - ref_mean) / np.sqrt(ref_sq - ref_mean ** 2 + eps)]
  for example in x:
    mean = example.mean(axis=(0, 1)) / (n + 1) + ref_mean * n / (n + 1)
    sq = (example ** 2).mean(axis=(0, 1)) / (n + 1) + ref_sq * n / (n + 1)
    out.append(((example - mean) / np.sqrt(sq - mean ** 2 + eps))[None])
  return np.concatenate(out)


def test_virtual_batch_norm_matches_numpy_and_ignores_batch_mates():
  h = np.random.default_rng(0).normal(1.0, 2.0, size=(7, 3, 3, 2))  # 4 reference rows, 3 examples
  layer = VirtualBatchNorm(reference_size=4)
  variables = layer.init(jax.random.PRNGKey(0), jnp.asarray(h, jnp.float32))
  out = layer.apply(variables, jnp.asarray(h, jnp.float32))
  np.testing.assert_allclose(out, _vbn_numpy(h, 4), rtol=1e-4, atol=1e-5)
  # An example's output depends on the reference batch and itself only.
  alone = layer.apply(variables, jnp.asarray(h[:5], jnp.float32))
  np.testing.assert_allclose(alone[4], out[4], rtol=1e-5, atol=1e-6)


def test_vbn_generator_keeps_its_reference_batch_from_the_seed():
  config = Config(game="gan", arch="dcgan", generator_features=8, critic_features=8, latent_dim=6, batch_size=4,
                  generator_norm="virtual")
  state = train.create_state(config, (8, 8, 1))
  reference = state.generator.batch_stats["vbn_reference"]
  game = train.make_game(config)
  expected = game.sample_latent(jax.random.fold_in(train.run_keys(config.seed)["init"], 2), 4)["z"]
  np.testing.assert_array_equal(reference, expected)
  # Inference outputs do not depend on batch-mates (no batch statistics), and match training mode.
  z = jax.random.normal(jax.random.PRNGKey(3), (3, 6))
  together = state.generator(z, train=False)[0]
  alone = state.generator(z[1:2], train=False)[0]
  np.testing.assert_allclose(alone[0], together[1], rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(state.generator(z, train=True)[0], together, rtol=1e-5, atol=1e-6)


# --- WGAN-GP. ---

class _Critic:
  """A critic with known input gradients, standing in for `jgan.steps._Training`."""

  def __init__(self, fn):
    self.fn = fn

  def __call__(self, x):
    return self.fn(x)

  stateless = __call__


def test_gradient_penalty_of_a_linear_critic():
  """f(x) = <w, x>: grad f = w everywhere, ||w|| = 3, so the penalty is (3 - 1)^2 = 4 whatever x_hat."""
  w = jnp.array([1.8, 2.4, 0.0, 0.0])
  x_hat = jax.random.normal(jax.random.PRNGKey(0), (5, 4))
  penalty, norm = gradient_penalty(lambda x: x @ w, x_hat)
  np.testing.assert_allclose([penalty, norm], [4.0, 3.0], rtol=1e-6)


def test_gradient_penalty_is_per_example():
  """f(x) = ||x||^2 / 2: grad f(x_i) = x_i, so the penalty is mean_i (||x_i|| - 1)^2 (norms 5, 1, 0)."""
  x_hat = jnp.array([[3.0, 4.0], [0.6, 0.8], [0.0, 0.0]])
  penalty, norm = gradient_penalty(lambda x: 0.5 * jnp.sum(x ** 2, axis=-1), x_hat)
  np.testing.assert_allclose([penalty, norm], [(16 + 0 + 1) / 3, 2.0], rtol=1e-6)


def test_gradient_penalty_has_no_nan_at_zero_gradient():
  """At w = 0 the input gradient is 0 and d||w||/dw = w/||w|| is 0/0: a plain norm gives NaN, the safe one 0."""
  x_hat = jnp.ones((2, 3))
  penalty_of = lambda w: gradient_penalty(lambda x: x @ w, x_hat)[0]
  w = jnp.zeros(3)
  np.testing.assert_allclose(penalty_of(w), 1.0)
  np.testing.assert_array_equal(jax.grad(penalty_of)(w), 0.0)
  plain = lambda w: jnp.mean((jnp.linalg.norm(jax.grad(lambda x: jnp.sum(x @ w))(x_hat), axis=-1) - 1) ** 2)
  assert np.isnan(np.asarray(jax.grad(plain)(w))).all()
  np.testing.assert_array_equal(safe_norm(jnp.zeros((2, 2, 2))), [0.0, 0.0])


def test_wgan_gp_critic_loss_by_hand():
  """Loss = E f(G(z)) - E f(x) + lambda (||w|| - 1)^2 for f(x) = <w, x>, ||w|| = 2; x_hat mixes by epsilon."""
  game = games.WGANGP(latent_dim=2, gp_weight=10.0)
  w = jnp.array([0.0, 2.0])
  real, fake = {"x": jnp.array([[1.0, 1.0], [2.0, 0.0]])}, jnp.array([[0.0, -1.0], [1.0, 3.0]])
  latent = game.sample_latent(jax.random.PRNGKey(0), 2)
  assert latent["epsilon"].shape == (2,) and bool(jnp.all((latent["epsilon"] >= 0) & (latent["epsilon"] < 1)))
  loss, metrics = game.discriminator_loss(_Critic(lambda x: x @ w), real, fake, latent)
  # f(real) = (2, 0), f(fake) = (-2, 6): E f(fake) - E f(real) = 2 - 1 = 1; penalty (2 - 1)^2 = 1.
  np.testing.assert_allclose([loss, metrics["wasserstein"], metrics["gradient_penalty"]], [11.0, -1.0, 1.0],
                             rtol=1e-6)


# --- The K + 1 semi-supervised GAN (Sec. 5). ---

def test_k_plus_one_logit_is_logsumexp():
  """D = Z / (Z + 1), Z = sum exp(l): sigmoid(logsumexp(l)) is the same number; stable for huge logits."""
  logits = np.array([[0.5, -1.0, 2.0], [3.0, 3.0, -4.0]])
  z = np.exp(logits).sum(axis=1)
  np.testing.assert_allclose(jax.nn.sigmoid(real_fake_logit(jnp.asarray(logits))), z / (z + 1), rtol=1e-6)
  huge = real_fake_logit(jnp.array([[1000.0, 0.0], [-1000.0, -1000.0]]))
  np.testing.assert_allclose(huge, [1000.0, -1000.0 + np.log(2)], rtol=1e-6)


def test_ssgan_losses_by_hand():
  """Supervised cross-entropy plus half of -log D(x) - log(1 - D(G(z))), D = Z / (Z + 1), in float64."""
  game = games.SSGAN(latent_dim=2, num_classes=3)
  assert game.uses_real_in_generator_step and game.extra_outputs == 3
  rng = np.random.default_rng(0)
  labeled_x, unlabeled, fake = (rng.normal(size=(4, 3)) for _ in range(3))
  labels = np.array([0, 2, 1, 2])
  identity = _Critic(lambda x: (jnp.zeros(len(x)), x))  # the input rows are the logits
  real = {"x": jnp.asarray(unlabeled, jnp.float32), "labeled_x": jnp.asarray(labeled_x, jnp.float32),
          "labeled_label": jnp.asarray(labels)}
  loss, metrics = game.discriminator_loss(identity, real, jnp.asarray(fake, jnp.float32), {})
  z = lambda logits: np.exp(logits).sum(axis=1)
  supervised = np.mean(np.log(z(labeled_x)) - labeled_x[np.arange(4), labels])
  unsupervised = 0.5 * (np.mean(-np.log(z(unlabeled) / (z(unlabeled) + 1))) + np.mean(np.log(z(fake) + 1)))
  np.testing.assert_allclose([metrics["supervised_loss"], metrics["unsupervised_loss"], loss],
                             [supervised, unsupervised, supervised + unsupervised], rtol=1e-5)
  # The authors' code's form: -0.5 mean lse(l_unl) + 0.5 mean softplus(lse(l_unl)) + 0.5 mean softplus(lse(l_gen)).
  lse, softplus = lambda v: np.log(z(v)), lambda v: np.log1p(np.exp(v))
  theirs = -0.5 * np.mean(lse(unlabeled)) + 0.5 * np.mean(softplus(lse(unlabeled))) + 0.5 * np.mean(softplus(lse(fake)))
  np.testing.assert_allclose(metrics["unsupervised_loss"], theirs, rtol=1e-5)
  big = game.unsupervised_loss(jnp.full((2, 3), 500.0), jnp.full((2, 3), -500.0))[0]
  assert np.isfinite(float(big)) and float(big) < 1e-6


# --- Feature matching (Sec. 3.1). ---

class _FeatureCritic(_Critic):
  def features(self, x):
    return self.fn(x), (2.0 * x, x ** 2)


def test_feature_matching_loss_by_hand():
  """Layer -1 is x^2: E real^2 = (2.5, 1), E fake^2 = (0.5, 4); ||.||^2 = 4 + 9 = 13. Layer 0 is 2x: 2^2 + 2^2."""
  real = {"x": jnp.array([[1.0, 1.0], [2.0, -1.0]])}
  fake = jnp.array([[1.0, 2.0], [0.0, -2.0]])
  critic = _FeatureCritic(lambda x: jnp.sum(x, axis=-1))
  last = games.GAN(latent_dim=2, g_loss="feature_matching")
  assert last.uses_real_in_generator_step and not games.GAN(latent_dim=2).uses_real_in_generator_step
  np.testing.assert_allclose(last.generator_loss(critic, fake, {}, real)[0], 13.0, rtol=1e-6)
  first = games.GAN(latent_dim=2, g_loss="feature_matching", feature_layer=0)
  # E real = (1.5, 0) -> (3, 0); E fake = (0.5, 0) -> (1, 0).
  np.testing.assert_allclose(first.generator_loss(critic, fake, {}, real)[0], 4.0, rtol=1e-6)
  np.testing.assert_allclose(feature_matching(jnp.ones((3, 2, 2)), jnp.zeros((5, 2, 2))), 4.0)
  same = jax.random.normal(jax.random.PRNGKey(0), (6, 3, 4))
  assert float(feature_matching(same, same)) == 0.0  # identical batches
  assert float(feature_matching(same, same[::-1])) < 1e-12  # same batch, other order: the means agree
  with pytest.raises(ValueError, match="feature_layer 2 is not among the discriminator's 2 sown layers"):
    games.GAN(latent_dim=2, g_loss="feature_matching", feature_layer=2).generator_loss(critic, fake, {}, real)


@pytest.mark.parametrize("arch, expected", [("mlp", [(4, 8), (4, 8)]),
                                            ("dcgan", [(4, 8, 8, 8), (4, 4, 4, 16)])])
def test_critics_sow_their_layers_for_the_step(arch: str, expected):
  _, critic = models.build(arch, shape=(16, 16, 1), generator_features=8, critic_features=8, mlp_layers=2)
  player = PlayerState.create(critic, optax.identity(), jax.random.PRNGKey(0), jnp.zeros((1, 16, 16, 1)))
  training = steps._Training(player, player.params, jax.random.PRNGKey(1))
  out, features = training.features(jnp.zeros((4, 16, 16, 1)))
  assert out.shape == (4,) and [f.shape for f in features] == expected


# --- Spectral normalization. ---

def test_spectral_norm_power_iteration_state_is_carried():
  """In training mode u and sigma advance: after 30 calls sigma is the kernel's top singular value; in
  inference mode they are read, not written."""
  _, critic = models.build("mlp", shape=(4,), generator_features=8, critic_features=6, mlp_layers=1,
                           spectral_norm=1)
  x = jnp.ones((2, 4))
  variables = critic.init(jax.random.PRNGKey(0), x, train=False)
  stats = variables["batch_stats"]
  for _ in range(30):
    _, mutated = critic.apply({**variables, "batch_stats": stats}, x, train=True, mutable=["batch_stats"])
    stats = mutated["batch_stats"]
  for layer in ("TorchLinear_0", "TorchLinear_1"):  # the hidden layer and the output
    kernel = np.asarray(variables["params"][layer]["Dense_0"]["kernel"])
    sigma = [v for k, v in jax.tree_util.tree_leaves_with_path(stats) if f"{layer}/Dense_0/kernel/sigma" in str(k)]
    np.testing.assert_allclose(sigma, [np.linalg.svd(kernel, compute_uv=False)[0]], rtol=1e-4)
  _, unchanged = critic.apply({**variables, "batch_stats": stats}, x, train=False, mutable=["batch_stats"])
  assert testing.tree_equal(unchanged["batch_stats"], stats)


class _SpectralLayer(nn.Module):
  """One bias-free layer through `layers_improved.spectral`, as the critics wrap theirs."""

  layer: str
  power_iterations: int = 1

  @nn.compact
  def __call__(self, x, train: bool):
    layer = nn.Dense(5, use_bias=False) if self.layer == "dense" else nn.Conv(5, (3, 3), padding="SAME", use_bias=False)
    return spectral(layer, self.power_iterations, train)(x)


@pytest.mark.parametrize("layer", ["dense", "conv"])
def test_spectral_norm_forward_divides_by_the_top_singular_value(layer: str):
  """The normalized forward pass (Miyato et al. 2018, Eq. 8): once the power iteration has converged the layer
  computes x -> x (W / sigma(W)), so the effective kernel's largest singular value is 1, and scaling W by any c
  leaves the output unchanged (sigma scales by c too); an unnormalized layer fails both."""
  module = _SpectralLayer(layer)
  x = jax.random.normal(jax.random.key(0), (2, 6) if layer == "dense" else (2, 4, 4, 3))
  variables = module.init(jax.random.key(1), x, train=False)
  stats = variables["batch_stats"]
  for _ in range(50):  # one power-iteration step per training call, as in training
    _, mutated = module.apply({**variables, "batch_stats": stats}, x, train=True, mutable=["batch_stats"])
    stats = mutated["batch_stats"]
  kernel = variables["params"][next(iter(variables["params"]))]["kernel"]
  matrix = np.asarray(kernel).reshape(-1, kernel.shape[-1])  # (fan_in, fan_out), as the normalization sees it
  out = module.apply({**variables, "batch_stats": stats}, x, train=False)
  plain = module.clone(power_iterations=0).apply({"params": variables["params"]}, x, train=False)
  np.testing.assert_allclose(out, plain / np.linalg.svd(matrix, compute_uv=False)[0], rtol=1e-4, atol=1e-6)
  if layer == "dense":  # the effective kernel is the response to the identity
    effective = module.apply({**variables, "batch_stats": stats}, jnp.eye(6), train=False)
    np.testing.assert_allclose(np.linalg.svd(np.asarray(effective), compute_uv=False)[0], 1.0, rtol=1e-4)
  scaled = jax.tree.map(lambda w: 7.0 * w, variables["params"])
  np.testing.assert_allclose(module.apply({"params": scaled, "batch_stats": stats}, x, train=False), out,
                             rtol=1e-5, atol=1e-6)


def test_sngan_recipe_normalizes_every_critic_layer():
  """The SN-GAN experiment: the paper's setting C (Adam 2e-4, betas (0.5, 0.999), one D step), no batch norm in
  the critic, and a power-iteration vector for each of its layers (3 convolutions and the output at 32x32)."""
  config = sngan_config.get_config()
  validate(config)
  assert (config.game, config.g_loss, config.spectral_norm, config.norm) == ("gan", "non_saturating", 1, "none")
  assert (config.optimizer, config.learning_rate, config.beta1, config.beta2, config.n_critic) == (
      "adam", 2e-4, 0.5, 0.999, 1)
  state = train.create_state(dataclasses.replace(config, generator_features=8, critic_features=8), (32, 32, 1))
  paths = [jax.tree_util.keystr(k) for k, _ in jax.tree_util.tree_leaves_with_path(state.discriminator.batch_stats)]
  assert len([p for p in paths if p.endswith("/u']")]) == 4, paths
  assert not any("BatchNorm" in p for p in paths), paths


# --- Options reach the state and its checkpoint. ---

def test_state_with_every_option_survives_a_checkpoint(tmp_path):
  """Spectral-norm vectors, the VBN reference batch and the historical means are in the state Orbax saves."""
  config = Config(game="wgan_gp", arch="dcgan", norm="layer", generator_norm="virtual", spectral_norm=1,
                  historical_averaging=0.1, generator_features=8, critic_features=8, latent_dim=6, batch_size=4,
                  clip_value=0.0, image_size=8)
  validate(config)
  state = train.create_state(config, (8, 8, 1))
  assert "vbn_reference" in state.generator.batch_stats
  critic_stats = jax.tree_util.tree_leaves_with_path(state.discriminator.batch_stats)
  assert any("kernel/u" in str(path) for path, _ in critic_stats)
  for player in (state.generator, state.discriminator):
    assert isinstance(player.opt_state[0], transforms.HistoricalAveragingState)
  moved = state.replace(discriminator=state.discriminator.replace(
      opt_state=(state.discriminator.opt_state[0]._replace(count=jnp.array(7, jnp.int32)),
                 *state.discriminator.opt_state[1:])))
  mngr = checkpoint.manager(tmp_path)
  checkpoint.save(mngr, 1, moved, {"config": {}})
  mngr.wait_until_finished()
  mngr.close()
  _, _, restored = checkpoint.restore(tmp_path, train.create_state(config, (8, 8, 1)))
  assert testing.tree_equal(restored, moved) and int(restored.discriminator.opt_state[0].count) == 7
  _, _, from_abstract = checkpoint.restore(
      tmp_path, checkpoint.abstract_target(lambda: train.create_state(config, (8, 8, 1))))
  assert testing.tree_equal(from_abstract, moved)


@pytest.mark.parametrize("overrides, message", [
    (dict(game="ssgan", labels=15), "multiple of num_classes"),
    (dict(game="gan", labels=100), "for game 'ssgan'"),
    (dict(game="wgan_gp", arch="dcgan", norm="batch"), "batch norm couples"),
    (dict(game="wgan_gp", arch="mlp", minibatch_kernels=4), "minibatch discrimination couples"),
    (dict(game="cgan", g_loss="feature_matching"), "implemented for games 'gan' and 'ssgan'"),
    (dict(game="gan", arch="mlp", generator_norm="virtual"), "needs the dcgan generator"),
    (dict(game="gan", arch="maxout", spectral_norm=1), "arch 'maxout' is a paper's fixed nets"),
    (dict(game="gan", arch="maxout", g_loss="feature_matching"), "not maxout"),
    (dict(game="infogan", arch="infogan", spectral_norm=1), "spectral_norm=1: only the dcgan and mlp"),
    (dict(game="ssgan", labels=100, arch="ssgan_mlp", minibatch_kernels=4), "arch 'ssgan_mlp'"),
    (dict(game="gan", dataset="ring8", arch="pacgan", compute_dtype="bfloat16"), "compute_dtype='bfloat16'"),
    (dict(minibatch_kernel_dim=0), "minibatch_kernel_dim must be >= 1"),
    (dict(historical_averaging=-0.5), "historical_averaging must be"),
])
def test_validation_refuses_options_where_they_do_not_apply(overrides, message):
  with pytest.raises(ValueError, match=message):
    validate(Config(**overrides))


# --- One step is deterministic; short trainings move each trick's metric. ---

RING = dict(dataset="ring8", arch="mlp", latent_dim=4, generator_features=32, critic_features=32, mlp_layers=2,
            batch_size=64, warmup_steps=0, clip_value=0.0, optimizer="adam")
CONFIGS = {
    "wgan_gp": Config(game="wgan_gp", learning_rate=1e-3, beta1=0.0, beta2=0.9, n_critic=5, warmup_n_critic=5,
                      **RING),
    "gan_improved": Config(game="gan", g_loss="feature_matching", minibatch_kernels=8, minibatch_kernel_dim=4,
                           historical_averaging=0.01, real_label=0.9, spectral_norm=1, learning_rate=2e-3,
                           n_critic=1, warmup_n_critic=1, **RING),
    # The K + 1 game on small MLPs (the recipe's own nets and initialization: the tests of the Sec. 5 recipe below).
    "ssgan": dataclasses.replace(ssgan_config.get_config(), arch="mlp", mlp_layers=2, mlp_output="tanh",
                                 generator_features=64, critic_features=64, latent_dim=16, batch_size=50,
                                 learning_rate=3e-3, eval_every=0),
}


@functools.cache
def _setup(name: str):
  """(config, source, fresh state, compiled iteration) of CONFIGS[name], built once per session."""
  config = CONFIGS[name]
  validate(config)
  source, _ = train.load_source(config)
  # unroll=1: the critic steps run in a fori_loop, so one critic step is compiled, not n_critic.
  iteration = jax.jit(functools.partial(steps.generator_iteration, n_critic=config.n_critic, unroll=1,
                                        game=train.make_game(config), batch_size=config.batch_size))
  return config, source, train.create_state(config, source.shape), iteration


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_one_iteration_is_deterministic(name: str):
  config, source, state, iteration = _setup(name)
  first, metrics = iteration(state, source)
  second, _ = iteration(state, source)
  assert testing.tree_equal(first, second)
  assert not testing.tree_equal(first.generator.params, state.generator.params)
  other = train.create_state(dataclasses.replace(config, seed=1), source.shape)
  assert not testing.tree_equal(iteration(other, source)[0].generator.params, first.generator.params)
  assert float(metrics["d_nonfinite"]) == float(metrics["g_nonfinite"]) == 0.0


def _train(name: str, iterations: int):
  _, source, state, iteration = _setup(name)
  history = []
  for _ in range(iterations):
    state, metrics = iteration(state, source)
    history.append({k: float(v) for k, v in metrics.items()})
  return state, history


def _ring_distance(name: str, state) -> float:
  from jgan.data import toys
  from jgan.eval.distances import wasserstein_2d
  config, _, _, _ = _setup(name)
  game = train.make_game(config)
  samples = train.generate(state, game, game.sample_latent(jax.random.PRNGKey(6), 500))
  return wasserstein_2d(np.asarray(samples), np.asarray(toys.sample("ring8", jax.random.PRNGKey(5), 500)))


def test_wgan_gp_drives_the_critic_gradient_norm_to_one():
  _, history = _train("wgan_gp", 60)
  assert history[0]["gradient_penalty"] > 0.3 and history[0]["gradient_norm"] < 0.5  # a fresh critic is flat
  late = history[-20:]
  assert np.mean([h["gradient_penalty"] for h in late]) < 0.1
  assert abs(np.mean([h["gradient_norm"] for h in late]) - 1.0) < 0.2


def test_wgan_gp_runs_1000_iterations_on_the_ring_with_no_non_finite_value():
  """The issue's long-run check: 1,000 generator iterations (5,000 penalized critic steps) on the 8-ring."""
  state, history = _train("wgan_gp", 1000)
  assert len(history) == 1000
  assert all(h["d_nonfinite"] == h["g_nonfinite"] == 0.0 for h in history)
  assert all(np.isfinite(list(h.values())).all() for h in history)
  assert all(np.isfinite(np.asarray(leaf)).all() for leaf in jax.tree.leaves(state))
  assert abs(np.mean([h["gradient_norm"] for h in history[-100:]]) - 1.0) < 0.2  # the penalty still holds


def test_feature_matching_with_minibatch_discrimination_learns_the_ring():
  """Feature matching + minibatch discrimination + historical averaging + label smoothing + spectral norm.

  The 2-D Wasserstein distance to the ring falls from 0.94 to about 0.69 in 400 iterations (0.41 without spectral
  norm, which slows this small critic down); the power-iteration state moves with the steps.
  """
  fresh = _setup("gan_improved")[2]
  start = _ring_distance("gan_improved", fresh)
  state, history = _train("gan_improved", 400)
  assert _ring_distance("gan_improved", state) < 0.85 * start
  averaging = state.discriminator.opt_state[0]
  assert int(averaging.count) == 400 and all(np.isfinite(h["feature_distance"]) for h in history)
  assert not testing.tree_equal(state.discriminator.batch_stats, fresh.discriminator.batch_stats)


def test_ssgan_with_100_labels_learns_to_classify_held_out_digits():
  config, source, fresh, _ = _setup("ssgan")
  assert source.labeled_images.shape[0] == 100 and source.images.shape[0] == 8000
  assert np.bincount(np.asarray(source.labeled_labels), minlength=10).tolist() == [10] * 10
  from jgan import data
  dataset = data.load("digits")
  _, (images, labels) = labeled.split_heldout(dataset.images, dataset.labels, config.heldout)
  before = error_rate(fresh, images, labels)
  state, history = _train("ssgan", 150)
  after = error_rate(state, images, labels)
  assert before > 0.7 and after < 0.5, (before, after)
  assert history[-1]["labeled_accuracy"] > 0.9


def test_labeled_and_unlabeled_streams_have_unrelated_keys(monkeypatch):
  """Each stream its own key: `batch_indices` folds the epoch into the key it is given, so neither stream's key
  may be the other's key of some epoch (the labeled stream once used fold_in(rng, 1), the unlabeled stream's
  key of epoch 1)."""
  images = np.zeros((40, 4, 4, 1), np.uint8)
  source = labeled.SemiSupervisedSource.create(images, np.arange(40) % 10, np.arange(20), batch_size=8)
  keys = []
  real_batch_indices = labeled.batch_indices

  def recording(data_rng, *args):
    keys.append(np.asarray(jax.random.key_data(data_rng)))
    return real_batch_indices(data_rng, *args)
  monkeypatch.setattr("jgan.data.source.batch_indices", recording)
  monkeypatch.setattr(labeled, "batch_indices", recording)
  source.batch(jax.random.key(0), jnp.asarray(0), 8)
  unlabeled, labeled_key = (jax.random.wrap_key_data(k) for k in keys)
  for epoch in range(100):
    for a, b in ((unlabeled, labeled_key), (labeled_key, unlabeled)):
      assert not np.array_equal(jax.random.key_data(jax.random.fold_in(a, epoch)), jax.random.key_data(b)), epoch
  assert not np.array_equal(keys[0], keys[1])


def test_wgan_gp_with_spectral_norm_is_the_same_on_eight_devices(one_device_mesh, eight_device_mesh):
  """The penalty is per example and eps is sliced with the batch: 1 device and 8 devices (2 examples each) agree,
  spectral norm's power-iteration state included."""
  from jgan import parallel
  # Plain SGD: Adam's first step moves each parameter by about lr * sign(g), which turns float rounding in a
  # near-zero gradient into a full step of either sign.
  config = dataclasses.replace(CONFIGS["wgan_gp"], spectral_norm=1, n_critic=1, warmup_n_critic=1, batch_size=16,
                               generator_features=8, critic_features=8, optimizer="sgd", momentum=0.0,
                               learning_rate=0.05)
  source, _ = train.load_source(config)
  host_state = jax.device_get(train.create_state(config, source.shape))
  results = []
  for mesh in (one_device_mesh, eight_device_mesh):
    state, metrics = train.Stepper(config, mesh, "host").iteration(1)(parallel.replicate(host_state, mesh),
                                                                      parallel.replicate(source, mesh))
    results.append(jax.device_get((state, metrics)))
  (one, one_metrics), (eight, eight_metrics) = results
  for key in ("d_loss", "gradient_penalty", "g_loss"):
    np.testing.assert_allclose(eight_metrics[key], one_metrics[key], rtol=1e-4, atol=1e-6, err_msg=key)
  for a, b in zip(jax.tree.leaves((one.generator, one.discriminator)),
                  jax.tree.leaves((eight.generator, eight.discriminator))):
    np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)
  assert not testing.tree_equal(one.discriminator.batch_stats, host_state.discriminator.batch_stats)


# --- The paper's semi-supervised MNIST recipe (Sec. 5; their train_mnist_feature_matching.py). ---

def _paper_nets():
  return models.build("ssgan_mlp", shape=(28, 28, 1), generator_features=1, critic_features=1, extra_outputs=10)


def test_ssgan_recipe_nets_shapes_and_layers():
  """Shapes only (`jax.eval_shape`: traced, nothing computed), so the paper's full-size nets cost no time here."""
  generator, critic = _paper_nets()
  z = jax.ShapeDtypeStruct((6, 100), jnp.float32)
  g_vars = jax.eval_shape(lambda z: generator.init(jax.random.PRNGKey(1), z, train=False), z)
  images, _ = jax.eval_shape(lambda v, z: generator.apply(v, z, train=True, mutable=["batch_stats"]), g_vars, z)
  chex.assert_shape(images, (6, 28, 28, 1))
  chex.assert_shape([g_vars["params"]["W"], g_vars["params"]["W_scale"]], [(500, 784), (784,)])
  assert set(g_vars["params"]["BatchNorm_0"]) == {"bias"}  # their batch_norm(..., g=None): no scale
  rngs = {"params": jax.random.PRNGKey(2), "dropout": jax.random.PRNGKey(3)}
  d_vars = jax.eval_shape(lambda x: critic.init(rngs, x, train=True), images)
  (lse, logits), state = jax.eval_shape(
      lambda v, x: critic.apply(v, x, train=True, rngs={"dropout": jax.random.PRNGKey(4)},
                                mutable=["intermediates"]), d_vars, images)
  chex.assert_shape([lse, logits], [(6,), (6, 10)])
  chex.assert_shape(list(state["intermediates"]["features"]), [(6, 1000), (6, 500), (6, 250), (6, 250), (6, 250)])
  chex.assert_shape([d_vars["params"]["WeightNormDense_0"]["V"], d_vars["params"]["logits"]["V"]],
                    [(784, 1000), (250, 10)])
  # Hidden scales are fixed state (their train_scale=False), the output layer's a parameter.
  assert set(d_vars["batch_stats"]) == {f"WeightNormDense_{i}" for i in range(5)}
  assert set(d_vars["params"]["logits"]) == {"V", "g", "b"}


def test_ssgan_critic_logit_is_logsumexp_and_noise_only_in_training_mode():
  from jgan.models.layers_improved import GaussianNoise, SemiSupervisedCritic
  x = jnp.ones((400, 50))
  noisy = jax.jit(lambda x: GaussianNoise(0.5).apply({}, x, train=True, rngs={"dropout": jax.random.PRNGKey(0)}))(x)
  np.testing.assert_allclose(float(jnp.std(noisy - x)), 0.5, rtol=0.03)
  np.testing.assert_array_equal(GaussianNoise(0.5).apply({}, x, train=False), x)
  critic = SemiSupervisedCritic(hidden=(16, 8), extra_outputs=10)  # the paper's layers, narrow
  images = jax.random.uniform(jax.random.PRNGKey(1), (8, 28, 28, 1), minval=-1, maxval=1)

  @jax.jit
  def outputs(images):
    variables = critic.init({"params": jax.random.PRNGKey(2), "dropout": jax.random.PRNGKey(3)}, images, train=True)
    variables = {"params": variables["params"], "batch_stats": variables["batch_stats"]}
    run = lambda key: critic.apply(variables, images, train=True, rngs={"dropout": jax.random.PRNGKey(key)})
    return (critic.apply(variables, images, train=False), critic.apply(variables, images, train=False), run(5),
            run(5), run(6))

  (lse, inference), (_, again), (_, first), (_, same), (_, other) = outputs(images)
  np.testing.assert_allclose(lse, jax.nn.logsumexp(inference, axis=-1), rtol=1e-6)  # the fake class's logit is 0
  np.testing.assert_array_equal(inference, again)  # inference: no noise
  np.testing.assert_array_equal(first, same)  # training: noise from the key alone
  assert not np.allclose(first, other) and not np.allclose(first, inference)


def test_weight_norm_dense_normalizes_columns_and_initializes_on_data():
  from jgan.models.layers_improved import WeightNormDense
  x = jax.random.normal(jax.random.PRNGKey(0), (200, 7)) * 3.0 + 1.0
  layer = WeightNormDense(5, trainable_scale=True)

  @jax.jit
  def check(x):
    variables = layer.init(jax.random.PRNGKey(1), x)
    scaled = {"params": {**variables["params"], "V": 4.0 * variables["params"]["V"]}}
    flat = WeightNormDense(5).init(jax.random.PRNGKey(1), jnp.zeros((1, 7)))
    return variables["params"], layer.apply(variables, x), layer.apply(scaled, x), flat

  params, y, y_scaled, flat = check(x)
  # Data-dependent init: every unit has zero mean and unit root-mean-square deviation on the init batch.
  np.testing.assert_allclose(jnp.mean(y, axis=0), 0.0, atol=1e-5)
  np.testing.assert_allclose(jnp.sqrt(jnp.mean(y ** 2, axis=0)), 1.0, rtol=1e-5)
  # The weight is g V / ||V||: scaling V changes nothing, and each effective column has norm g.
  np.testing.assert_allclose(y_scaled, y, rtol=1e-5, atol=1e-5)
  w = np.asarray(params["V"]) / np.linalg.norm(params["V"], axis=0) * np.asarray(params["g"])
  np.testing.assert_allclose(np.linalg.norm(w, axis=0), params["g"], rtol=1e-5)
  np.testing.assert_allclose(y[:3], np.asarray(x[:3]) @ w + np.asarray(params["b"]), rtol=1e-4, atol=1e-4)
  # No spread to learn from (one example, or the zero placeholder): scale 1, bias 0, no division by zero.
  np.testing.assert_array_equal(flat["batch_stats"]["g"], 1.0)
  np.testing.assert_array_equal(flat["params"]["b"], 0.0)


def test_ssgan_feature_matching_is_the_mean_over_features_as_their_code():
  """Layer -1 is x^2: E real^2 = (2.5, 1), E fake^2 = (0.5, 4): mean((2, -3)^2) = 13 / 2 (the GAN game: 13)."""
  real = {"x": jnp.array([[1.0, 1.0], [2.0, -1.0]])}
  fake = jnp.array([[1.0, 2.0], [0.0, -2.0]])
  critic = _FeatureCritic(lambda x: (jnp.sum(x, axis=-1), x))
  loss, metrics = games.SSGAN(latent_dim=2).generator_loss(critic, fake, {}, real)
  np.testing.assert_allclose([loss, metrics["feature_distance"]], [6.5, 6.5], rtol=1e-6)


def test_their_adam_has_epsilon_inside_the_root():
  """Two steps of the authors' nn.adam_updates (lr 0.003, mom1 0.5), in numpy, on a tiny gradient."""
  from jgan.experiments.ssgan import their_adam
  tx = their_adam(3e-3, ssgan_config.get_config())
  params = jnp.array([1.0, -2.0])
  grads = [np.array([1e-4, -3e-5]), np.array([2e-4, 1e-5])]
  state, p = tx.init(params), params
  v, mg, expected = np.zeros(2), np.zeros(2), np.asarray(params, np.float64)
  for t, g in enumerate(grads, start=1):
    updates, state = tx.update(jnp.asarray(g, jnp.float32), state, p)
    p = optax.apply_updates(p, updates)
    v, mg = 0.5 * v + 0.5 * g, 0.999 * mg + 0.001 * g ** 2
    expected = expected - 3e-3 * (v / (1 - 0.5 ** t)) / np.sqrt(mg / (1 - 0.999 ** t) + 1e-8)
  np.testing.assert_allclose(p, expected, rtol=1e-5)


def test_ssgan_recipe_state_initializes_on_data_and_restores_as_any_gan_run():
  from jgan.experiments.ssgan import create_state
  config = ssgan_config.get_config()
  validate(config)
  assert (config.steps, config.arch, config.latent, config.learning_rate, config.beta1) == (
      24000, "ssgan_mlp", "unit_uniform", 3e-3, 0.5)
  images = np.random.default_rng(0).integers(0, 256, (600, 28, 28, 1), dtype=np.uint8)
  # Traced, not run (the data-dependent values are checked in the slow training test and on the layer above).
  state = jax.eval_shape(lambda: create_state(config, (28, 28, 1), images))
  plain = jax.eval_shape(lambda: train.create_state(config, (28, 28, 1)))
  # The leaves of the generic state, by path, shape and dtype: jgan's loaders restore these checkpoints.
  leaves = lambda tree: [(jax.tree_util.keystr(path), leaf.shape, leaf.dtype)
                         for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]]
  assert leaves(state) == leaves(plain)
  with pytest.raises(ValueError, match="needs 500 training images"):
    create_state(config, (28, 28, 1), images[:499])


def test_ssgan_recipe_trains_on_the_split_train_digits_only():
  """The run's 8,000 training digits (heldout 2,000) are exactly jgan.data.splits' 'train': validation and test
  are never trained on."""
  from jgan.data import splits
  index = np.arange(10000)
  (train_index, _), (heldout_index, _) = labeled.split_heldout(index, None, 2000)
  np.testing.assert_array_equal(train_index, splits.split_indices("digits", "train"))
  assert set(heldout_index) == set(splits.split_indices("digits", "validation")) | set(
      splits.split_indices("digits", "test"))


@pytest.mark.slow
def test_ssgan_recipe_run_beats_its_start_in_400_updates(tmp_path, one_device_mesh):
  """The experiment end to end (the paper's nets, data-dependent initialization, losses and Adam; the validation
  error as the run's evaluation): in 400 updates the validation error falls from the initialized net's (about 90%)
  below 40%, and `test-error` chooses a checkpoint on validation."""
  import json

  from jgan.experiments import ssgan as experiment
  config = dataclasses.replace(ssgan_config.get_config(), steps=400, eval_every=400, checkpoint_every=200,
                               sample_every=400, log_every=100)
  experiment.run(config, tmp_path / "run", progress=False, mesh=one_device_mesh)
  rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
  errors = {r["step"]: r["eval_validation_error"] for r in rows if "eval_validation_error" in r}
  assert errors[0] > 0.6 and errors[400] < 0.4, errors
  assert all(r["d_nonfinite"] == r["g_nonfinite"] == 0.0 for r in rows if "d_nonfinite" in r)
  result = experiment.test_error(tmp_path / "run", split="validation")
  assert result["step"] in (200, 400) and result["error"] == result["validation_error"] < 0.4
