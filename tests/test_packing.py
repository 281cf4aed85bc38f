"""PacGAN's packing (Lin et al. 2018) in the shared game code, its config validation, and PacGAN's 2-D nets."""

import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jgan import games, train
from jgan.configs.base import Config, validate
from jgan.games.base import Packed, pack
from jgan.models import pacgan


class Recorder:
  """A player that records the inputs it is given and returns a fixed linear function of each (flattened) input."""

  def __init__(self, with_pair: bool = False):
    self.inputs = []
    if with_pair:
      self.pair = lambda a, b: (self(a), self(b))

  def __call__(self, x):
    self.inputs.append(x)
    flat = x.reshape(x.shape[0], -1)
    return flat @ (0.1 * jnp.arange(1, flat.shape[1] + 1, dtype=jnp.float32))


def _points(n: int, seed: int) -> jax.Array:
  return jax.random.normal(jax.random.PRNGKey(seed), (n, 2))


def test_pack_concatenates_consecutive_examples_along_channels():
  x = jnp.arange(12 * 2, dtype=jnp.float32).reshape(12, 2)
  packed = pack(x, 4)
  chex.assert_shape(packed, (3, 8))
  np.testing.assert_array_equal(packed[1], np.concatenate([x[4], x[5], x[6], x[7]]))
  images = jnp.arange(6 * 3 * 3 * 2, dtype=jnp.float32).reshape(6, 3, 3, 2)
  packed = pack(images, 3)
  chex.assert_shape(packed, (2, 3, 3, 6))
  np.testing.assert_array_equal(packed[1, ..., 2:4], images[4])  # pack 1, slot 1 = example 1 * 3 + 1
  assert pack(x, 1) is x
  with pytest.raises(ValueError, match="packing 5 needs a batch .* multiple of 5, got shape \\(12, 2\\)"):
    pack(x, 5)


@pytest.mark.parametrize("game_cls", [games.GAN, games.WGAN])
def test_packing_one_passes_the_player_untouched(game_cls):
  game = game_cls(latent_dim=2)
  player = Recorder(with_pair=True)
  assert game.packing == 1 and game.packed(player) is player
  real, fake = _points(8, 0), _points(8, 1)
  game.discriminator_loss(game.packed(player), {"x": real}, fake, {})
  assert [x.shape for x in player.inputs] == [(8, 2), (8, 2)]  # the player saw the samples themselves


def test_gan_discriminator_and_generator_losses_on_packs_by_hand():
  m, real, fake = 4, _points(12, 0), _points(12, 1)
  game = games.GAN(latent_dim=2, packing=m)
  player = Recorder()
  loss, metrics = game.discriminator_loss(game.packed(player), {"x": real}, fake, {})
  assert [x.shape for x in player.inputs] == [(3, 8), (3, 8)]  # 12 samples -> 3 packs of 4 x 2 coordinates
  w = 0.1 * np.arange(1, 9)
  real_logits, fake_logits = np.asarray(pack(real, m)) @ w, np.asarray(pack(fake, m)) @ w
  softplus = lambda v: np.log1p(np.exp(v))
  expected = np.mean(softplus(-real_logits)) + np.mean(softplus(fake_logits))
  np.testing.assert_allclose(float(loss), expected, rtol=1e-5)
  np.testing.assert_allclose(float(metrics["d_fake"]), np.mean(1 / (1 + np.exp(-fake_logits))), rtol=1e-5)
  g_loss, _ = game.generator_loss(game.packed(Recorder()), fake, {}, None)
  np.testing.assert_allclose(float(g_loss), np.mean(softplus(-fake_logits)), rtol=1e-5)


def test_wgan_losses_on_packs_use_the_players_pair_once():
  m, real, fake = 2, _points(8, 0), _points(8, 1)
  player = Recorder(with_pair=True)
  game = games.WGAN(latent_dim=2, packing=m)
  loss, _ = game.discriminator_loss(game.packed(player), {"x": real}, fake, {})
  assert [x.shape for x in player.inputs] == [(4, 4), (4, 4)]
  w = 0.1 * np.arange(1, 5)
  expected = np.mean(np.asarray(pack(fake, m)) @ w) - np.mean(np.asarray(pack(real, m)) @ w)
  np.testing.assert_allclose(float(loss), expected, rtol=1e-5)


def test_a_packed_player_is_not_packed_twice():
  game = games.GAN(latent_dim=2, packing=2)
  once = game.packed(Recorder())
  assert isinstance(once, Packed) and game.packed(once) is once


def _config(**overrides) -> Config:
  recipe = dict(dataset="ring8", arch="pacgan", game="gan", latent_dim=2, generator_features=16, critic_features=8,
                batch_size=8, packing=4, optimizer="adam", clip_value=0.0, n_critic=1, warmup_steps=0,
                warmup_n_critic=1, steps=2, log_every=1, sample_every=2, checkpoint_every=2, num_samples=16)
  return Config(**{**recipe, **overrides})


@pytest.mark.parametrize("overrides, message", [
    (dict(packing=0), "packing must be an integer >= 1, got 0"),
    (dict(packing=3), "packing 3 must divide the batch of samples on each device: batch_size 8 over 1 device"),
    (dict(game="wgan_gp"), "packing 4 is for games 'gan' and 'wgan', not 'wgan_gp'"),
    (dict(arch="maxout"), "packing 4 needs a discriminator that takes packed inputs"),
])
def test_config_refuses_bad_packing(overrides, message):
  validate(_config())
  with pytest.raises(ValueError, match=message):
    validate(_config(**overrides))


def test_config_packing_divides_each_devices_batch():
  validate(_config(batch_size=16), num_devices=2)
  with pytest.raises(ValueError, match="batch_size 8 over 2 device\\(s\\) is 4"):
    validate(_config(packing=8, batch_size=8), num_devices=2)


@pytest.mark.parametrize("arch, first_kernel", [("pacgan", (8, 40)), ("mlp", (8, 8))])
def test_the_discriminator_is_built_for_packs_and_a_step_runs(arch, first_kernel):
  from jgan import steps
  from jgan.data.source import Source
  config = _config(arch=arch)
  state = train.create_state(config, (2,))
  kernels = [v.shape for v in jax.tree.leaves(state.discriminator.params) if v.ndim == 2]
  assert kernels[0] == first_kernel  # 4 packed samples of 2 coordinates in; pacgan: 8 maxout units x 5 pieces
  if arch == "pacgan":  # its generator's batch norm averages over the data-parallel axis: stepped in the runs
    return
  game = train.make_game(config)
  compiled = lambda fn: jax.jit(functools.partial(fn, game=game, batch_size=8))  # faster than op by op
  state, metrics = compiled(steps.discriminator_step)(state, Source(toy="ring8"))
  state, g_metrics = compiled(steps.generator_step)(state, Source(toy="ring8"))
  assert np.isfinite(float(metrics["d_loss"])) and np.isfinite(float(g_metrics["g_loss"]))


def test_pacgan_nets_shapes_and_reference_settings():
  generator = pacgan.Generator(features=16)
  z = jax.random.normal(jax.random.PRNGKey(0), (10, 2))
  variables = generator.init(jax.random.PRNGKey(1), z, train=False)
  dense = [k for k in variables["params"] if k.startswith("Dense")]
  assert len(dense) == 5 and all("bias" not in variables["params"][k] for k in dense[:4])  # BN follows them
  assert "bias" in variables["params"][dense[4]]
  out, mutated = generator.apply(variables, z, train=True, mutable=["batch_stats"])
  chex.assert_shape(out, (10, 2))
  old = variables["batch_stats"]["BatchNorm_0"]["mean"]
  new = mutated["batch_stats"]["BatchNorm_0"]["mean"]
  h = z @ variables["params"]["Dense_0"]["kernel"]
  np.testing.assert_allclose(new, 0.95 * old + 0.05 * h.mean(axis=0), rtol=1e-4, atol=1e-7)
  critic = pacgan.Critic(features=6)
  x = jnp.ones((3, 8))
  params = critic.init(jax.random.PRNGKey(2), x, train=True)
  chex.assert_shape(critic.apply(params, x, train=True), (3,))
  chex.assert_shape(params["params"]["Dense_0"]["kernel"], (8, 30))  # 6 units x 5 pieces
  assert abs(float(jnp.std(pacgan.Critic(features=200).init(jax.random.PRNGKey(3), x, train=True)["params"]
                            ["Dense_1"]["kernel"])) - 0.02) < 0.001  # N(0, 0.02)
