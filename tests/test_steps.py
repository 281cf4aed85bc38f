"""The shared step, with the WGAN game: schedule, clipping order, counters, determinism, loop forms, and data-parallel equivalence."""

import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jgan import data, games, models, parallel, steps, testing, train, updates
from jgan.data.source import Source
from jgan.state import PlayerState
from jgan.transforms import clip_to_box

BATCH, LATENT, CLIP = 8, 8, 0.01
STEP_KWARGS = dict(game=games.WGAN(latent_dim=LATENT, clip_value=CLIP), batch_size=BATCH)
IMAGES = jnp.asarray(testing.fake_images(64, 8))
SOURCE = Source.from_arrays(IMAGES)


@pytest.fixture(scope="module")
def state():
  """A small MLP pair on 8x8 images; learning rate 1e-3 so that a few steps visibly move the parameters."""
  return testing.tiny_state("mlp", image_size=8, features=16, latent_dim=LATENT, learning_rate=1e-3)


@functools.cache
def _iteration(n_critic: int, unroll: int):
  return jax.jit(functools.partial(steps.generator_iteration, n_critic=n_critic, unroll=unroll, **STEP_KWARGS))


def _critic_with_sgd(state):
  """`state` with its critic on plain SGD, which moves parameters by the gradient itself (RMSProp's normalization
  would hide a scale and magnify the rounding of near-zero gradients)."""
  sgd = optax.sgd(0.1)
  critic = state.discriminator
  return state.replace(discriminator=critic.replace(tx=sgd, opt_state=sgd.init(critic.params)))


def _assert_trees_close(a, b, rtol=1e-5, atol=1e-6):
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
    np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol)


# --- Schedule. ---

@pytest.mark.parametrize("step, expected", [(0, 100), (1, 100), (24, 100), (25, 5), (26, 5), (499, 5), (500, 100),
                                            (501, 5), (1000, 100), (1001, 5)])
def test_critic_iterations_schedule(step: int, expected: int):
  assert steps.critic_iterations(step) == expected


def test_critic_iterations_traced_equals_python():
  positions = np.arange(1002)
  traced = jax.jit(jax.vmap(steps.critic_iterations))(jnp.asarray(positions))
  np.testing.assert_array_equal(traced, [steps.critic_iterations(int(p)) for p in positions])
  assert int(np.sum(traced == 100)) == 25 + 2  # steps 0..24, 500 and 1000
  custom = dict(n_critic=2, warmup_steps=3, warmup_n_critic=7, every=4)
  traced = jax.jit(jax.vmap(functools.partial(steps.critic_iterations, **custom)))(jnp.arange(9))
  np.testing.assert_array_equal(traced, [7, 7, 7, 2, 7, 2, 2, 2, 7])


# --- One critic step, one generator step. ---

def test_critic_step_clips_before_the_gradient(state):
  """new = clip(old) + RMSProp update of the gradient taken at clip(old), worked out here step by step."""
  big = jax.tree.map(lambda p: 50.0 * p, state.discriminator.params)  # mostly far outside [-0.01, 0.01]
  start = state.replace(discriminator=state.discriminator.replace(params=big))
  new_state, metrics = jax.jit(functools.partial(steps.discriminator_step, **STEP_KWARGS))(start, SOURCE)

  @jax.jit
  def by_hand(state):
    critic, clipped = state.discriminator, clip_to_box(state.discriminator.params, CLIP)
    index = data.batch_indices(steps.stream_key(state.rng, steps._DATA, 0), state.critic_steps, len(IMAGES), BATCH)
    real = data.to_unit_range(IMAGES[index])
    z = jax.random.normal(steps.stream_key(state.rng, steps._CRITIC_NOISE, state.critic_steps), (BATCH, LATENT))
    fake = state.generator.apply_fn({"params": state.generator.params}, z, train=True)
    # One call on both batches, as the step makes for this MLP critic (`steps._Training.pair`): RMSProp's first
    # step, lr * g / sqrt(0.01 g^2), turns the rounding of a near-zero gradient into a visible move, so the sums
    # here must be the step's.
    def loss(p):
      out = critic.apply_fn({"params": p}, jnp.concatenate([real, fake]), train=True)
      return jnp.mean(out[BATCH:] - out[:BATCH])
    value, grads = jax.value_and_grad(loss)(clipped)
    updates, _ = critic.tx.update(grads, critic.opt_state, clipped)
    return clipped, optax.apply_updates(clipped, updates), value

  clipped, expected, loss = by_hand(start)
  _assert_trees_close(new_state.discriminator.params, expected, rtol=1e-5, atol=1e-8)
  np.testing.assert_allclose(metrics["d_loss"], loss, rtol=1e-5)
  np.testing.assert_allclose(metrics["wasserstein"], -loss, rtol=1e-5)
  # The first RMSProp step moves a weight by at most lr / sqrt(0.01) = 10 lr = 0.01 off its clipped value, so
  # weights on the box's edge leave it: the clamp comes before the step, not after it.
  moves = np.abs(np.concatenate([np.ravel(n - c) for n, c in zip(
      jax.tree.leaves(new_state.discriminator.params), jax.tree.leaves(clipped))]))
  assert np.max(moves) <= 1.0001e-2 and np.mean(moves > 1e-3) > 0.2
  assert max(float(jnp.max(jnp.abs(p))) for p in jax.tree.leaves(new_state.discriminator.params)) > 1.5 * CLIP
  assert int(new_state.critic_steps) == 1 and int(new_state.step) == 0


def test_generator_step_leaves_the_critic_alone(state):
  new_state, metrics = jax.jit(functools.partial(steps.generator_step, **STEP_KWARGS))(state, SOURCE)
  assert testing.tree_equal(new_state.discriminator.params, state.discriminator.params)
  assert testing.tree_equal(new_state.discriminator.opt_state, state.discriminator.opt_state)
  assert not testing.tree_equal(new_state.generator.params, state.generator.params)
  assert int(new_state.step) == 1 and int(new_state.critic_steps) == 0
  assert metrics["g_loss"].shape == ()


# --- Generator iterations. ---

def test_iteration_counters_and_metrics(state):
  first, metrics = _iteration(2, 2)(state, SOURCE)
  second, _ = _iteration(2, 2)(first, SOURCE)
  assert (int(first.step), int(first.critic_steps)) == (1, 2)
  assert (int(second.step), int(second.critic_steps)) == (2, 4)
  assert {"d_loss", "wasserstein", "g_loss"} <= set(metrics)
  np.testing.assert_allclose(metrics["wasserstein"], -metrics["d_loss"], rtol=1e-6)
  assert not testing.tree_equal(second.discriminator.params, first.discriminator.params)


def test_same_seed_same_parameters_other_seed_differs(state):
  a, metrics_a = _iteration(2, 2)(testing.tiny_state("mlp", image_size=8, features=16, learning_rate=1e-3), SOURCE)
  b, metrics_b = _iteration(2, 2)(testing.tiny_state("mlp", image_size=8, features=16, learning_rate=1e-3), SOURCE)
  assert testing.tree_equal(a, b) and testing.tree_equal(metrics_a, metrics_b)
  # Same initial parameters, another run key: other batches and noise, so other parameters.
  c, _ = _iteration(2, 2)(state.replace(rng=jax.random.PRNGKey(1)), SOURCE)
  assert testing.tree_equal(state.generator.params, testing.tiny_state(
      "mlp", image_size=8, features=16, learning_rate=1e-3).generator.params)
  assert not testing.tree_equal(a.generator.params, c.generator.params)
  assert not testing.tree_equal(a.discriminator.params, c.discriminator.params)


def test_fori_loop_and_unrolled_iterations_agree(state):
  unrolled, unrolled_metrics = _iteration(2, 2)(state, SOURCE)
  looped, looped_metrics = _iteration(2, 1)(state, SOURCE)  # a fori_loop of 2 single critic steps
  assert int(looped.critic_steps) == 2
  _assert_trees_close(looped, unrolled)
  _assert_trees_close(looped_metrics, unrolled_metrics)
  assert not testing.tree_equal(looped.discriminator.params, state.discriminator.params)


def test_train_iterations_follows_the_schedule(state):
  schedule = dict(n_critic=1, warmup_steps=2, warmup_n_critic=2, every=4)
  run = jax.jit(functools.partial(steps.train_iterations, num_iterations=5, schedule=schedule, **STEP_KWARGS))
  final, stacked = run(state, SOURCE)
  np.testing.assert_array_equal(stacked["n_critic"], [2, 2, 1, 1, 2])
  assert (int(final.step), int(final.critic_steps)) == (5, 8)
  # The same as one generator_iteration call per iteration.
  manual, rows = state, []
  for n_critic in [2, 2, 1, 1, 2]:
    manual, metrics = _iteration(n_critic, n_critic)(manual, SOURCE)
    rows.append(metrics)
  _assert_trees_close(final, manual)
  for key in rows[0]:
    np.testing.assert_allclose(stacked[key], [r[key] for r in rows], rtol=1e-5, atol=1e-6, err_msg=key)


def test_iteration_does_not_retrace(state):
  @jax.jit
  @chex.assert_max_traces(n=1)
  def iteration(state, source):
    return steps.generator_iteration(state, source, n_critic=2, unroll=2, **STEP_KWARGS)

  first, _ = iteration(state, SOURCE)
  second, _ = iteration(first, SOURCE)  # new values, same shapes: a retrace would raise
  assert iteration._cache_size() == 1 and int(second.step) == 2


# --- Data parallelism. ---

def test_eight_devices_match_one_device(one_device_mesh, eight_device_mesh):
  """DCGAN with batch norm, global batch 16: 1 device, and 8 devices with 2 examples each, agree."""
  config = testing.tiny_config(arch="dcgan", image_size=16, generator_features=8, critic_features=8,
                               latent_dim=LATENT, batch_size=16, n_critic=1)
  host_state = jax.device_get(testing.tiny_state("dcgan", image_size=16, features=8, latent_dim=LATENT,
                                                 learning_rate=config.learning_rate, axis_name=parallel.AXIS))
  images = testing.fake_images(64, 16)
  results = []
  for mesh in (one_device_mesh, eight_device_mesh):
    stepper = train.Stepper(config, mesh, "host")
    state, rows = parallel.replicate(host_state, mesh), []  # a fresh copy: the compiled step donates it
    for _ in range(2):
      state, metrics = stepper.iteration(1)(state, parallel.replicate(Source.from_arrays(images), mesh))
      rows.append(jax.device_get(metrics))
    assert stepper.iteration(1)._cache_size() == 1  # the second iteration reused the compiled step
    results.append((jax.device_get(state), rows))
  (one, one_rows), (eight, eight_rows) = results
  assert (int(eight.step), int(eight.critic_steps)) == (2, 2)
  for r1, r8 in zip(one_rows, eight_rows):
    for key in ("d_loss", "wasserstein", "g_loss"):
      np.testing.assert_allclose(r8[key], r1[key], rtol=1e-4, atol=1e-5, err_msg=key)
  for player in ("generator", "discriminator"):
    _assert_trees_close(getattr(eight, player).params, getattr(one, player).params, rtol=1e-4, atol=1e-5)
    _assert_trees_close(getattr(eight, player).batch_stats, getattr(one, player).batch_stats, rtol=1e-4, atol=1e-5)
  assert not testing.tree_equal(one.generator.params, host_state.generator.params)
  assert len(jax.tree.leaves(one.discriminator.batch_stats)) == 2  # the critic has a batch norm: it is covered


def test_gradients_are_averaged_over_devices(one_device_mesh, eight_device_mesh):
  """With plain SGD (no normalization to hide a scale) a critic step moves the parameters alike on 1 and 8 devices."""
  state = jax.device_get(_critic_with_sgd(
      testing.tiny_state("mlp", image_size=8, features=16, latent_dim=LATENT, axis_name=parallel.AXIS)))
  step = functools.partial(steps.discriminator_step, game=games.WGAN(latent_dim=LATENT, clip_value=1.0),
                           batch_size=16, axis_name=parallel.AXIS)
  moved = []
  for mesh in (one_device_mesh, eight_device_mesh):
    new_state, _ = jax.jit(parallel.data_parallel(step, mesh))(parallel.replicate(state, mesh),
                                                               parallel.replicate(SOURCE, mesh))
    moved.append(jax.tree.map(lambda new, old: np.asarray(new) - old, jax.device_get(new_state.discriminator.params),
                              state.discriminator.params))
  assert max(np.abs(leaf).max() for leaf in jax.tree.leaves(moved[0])) > 1e-4
  _assert_trees_close(moved[1], moved[0], rtol=1e-4, atol=1e-8)


def test_one_device_step_has_no_all_reduce(one_device_mesh, eight_device_mesh):
  """On one device the gradient mean is the gradient itself: no all-reduce is compiled (XLA:CPU would copy the
  gradients through one); on eight there is one."""
  state = testing.tiny_state("mlp", image_size=8, features=16, latent_dim=LATENT, axis_name=parallel.AXIS)
  step = functools.partial(steps.discriminator_step, **STEP_KWARGS, axis_name=parallel.AXIS)
  for mesh in (one_device_mesh, eight_device_mesh):
    hlo = jax.jit(parallel.data_parallel(step, mesh)).lower(state, SOURCE).compile().as_text()
    assert ("all-reduce" in hlo) == (mesh.size > 1), mesh.size


# --- Finite checks. ---

@pytest.mark.parametrize("bad, expected", [(None, 0.0), (np.nan, 1.0), (np.inf, 1.0), (-np.inf, 1.0), (3e38, 0.0)])
def test_nonfinite_flags_nan_and_infinities_only(bad, expected):
  # Large finite values whose plain sum would overflow to infinity must not count as non-finite.
  tree = {"w": jnp.full((4, 3), 3e38, jnp.float32), "b": jnp.zeros(5, jnp.bfloat16)}
  if bad is not None:
    tree["b"] = tree["b"].at[2].set(bad)
  assert float(jax.jit(updates.nonfinite)(jnp.float32(-2.0), tree)) == expected
  assert float(updates.nonfinite(jnp.float32(np.nan), {"w": jnp.zeros(3)})) == 1.0  # the loss is checked too


# --- Real and fake batches in one call. ---

def _critic_player(critic, rng=jax.random.PRNGKey(1)):
  return steps._Training(PlayerState.create(critic, optax.identity(), rng, jnp.zeros((1, 8, 8, 1))), None, rng)


def test_pair_stacks_batches_for_a_critic_whose_examples_do_not_interact():
  x, y = (jnp.asarray(testing.fake_images(6, 8, seed=s), jnp.float32) / 255.0 for s in (1, 2))
  for critic in (models.mlp.Critic(features=16), models.mlp.Critic(features=16, extra_outputs=3)):
    player = _critic_player(critic)
    assert player.player.examples_independent
    real_out, fake_out = player.pair(x, y)
    assert player.calls == 1  # one pass over both batches
    separate = _critic_player(critic)
    _assert_trees_close((real_out, fake_out), (separate(x), separate(y)), rtol=1e-6, atol=1e-7)
    chex.assert_trees_all_equal_shapes((real_out, fake_out), (separate(x), separate(y)))


def test_pair_keeps_two_calls_where_examples_interact():
  """Batch norm (statistics per batch, updated by each call), minibatch discrimination and spectral normalization
  (a power iteration per call) keep one call per batch, bit for bit as two calls."""
  x, y = (jnp.asarray(testing.fake_images(6, 8, seed=s), jnp.float32) / 255.0 for s in (1, 2))
  for critic in (models.dcgan.Critic(features=8), models.mlp.Critic(features=16, minibatch_kernels=4),
                 models.mlp.Critic(features=16, spectral_norm=1)):
    player, separate = _critic_player(critic), _critic_player(critic)
    assert not player.player.examples_independent
    outputs = player.pair(x, y)
    assert player.calls == 2
    chex.assert_trees_all_equal(outputs, (separate(x), separate(y)))
    chex.assert_trees_all_equal(player.player.batch_stats, separate.player.batch_stats)


def test_critic_step_on_stacked_batches_matches_two_calls(state):
  """The MLP critic's WGAN step, real and fake stacked, equals the step with two calls to float tolerance (with
  SGD: RMSProp's first step would magnify the rounding of near-zero gradients)."""
  state = _critic_with_sgd(state)
  two_calls = state.replace(discriminator=state.discriminator.replace(examples_independent=False))
  step = jax.jit(functools.partial(steps.discriminator_step, **STEP_KWARGS))
  (stacked, stacked_metrics), (separate, separate_metrics) = step(state, SOURCE), step(two_calls, SOURCE)
  _assert_trees_close(stacked.discriminator.params, separate.discriminator.params)
  _assert_trees_close(stacked_metrics, separate_metrics)
  assert not testing.tree_equal(stacked.discriminator.params, state.discriminator.params)


# --- Simultaneous updates (Config.updates="simultaneous"). ---

def _both_players_with_sgd(state, learning_rate=0.1):
  """`state` with both players on plain SGD: an update is then -learning_rate times the gradient itself."""
  sgd = optax.sgd(learning_rate)
  return state.replace(**{name: getattr(state, name).replace(tx=sgd, opt_state=sgd.init(getattr(state, name).params))
                          for name in ("generator", "discriminator")})


def test_simultaneous_step_takes_both_gradients_at_the_same_parameters():
  """Goodfellow et al.'s and PacGAN's code: D moves by its gradient on (real, G(z)) and G by the gradient of
  -log D(G(z)) for the same z, both at the parameters before the update. The discriminator's half equals jgan's
  discriminator step (same keys); the generator's is computed here by hand against the old discriminator."""
  game = games.GAN(latent_dim=LATENT)
  state = _both_players_with_sgd(testing.tiny_state("mlp", image_size=8, features=16, latent_dim=LATENT))
  new, metrics = jax.jit(functools.partial(steps.simultaneous_step, game=game, batch_size=BATCH))(state, SOURCE)
  assert (int(new.step), int(new.critic_steps)) == (1, 1)
  assert {"d_loss", "g_loss", "d_real", "d_fake", "d_nonfinite", "g_nonfinite"} <= set(metrics)

  d_only, _ = jax.jit(functools.partial(steps.discriminator_step, game=game, batch_size=BATCH))(state, SOURCE)
  _assert_trees_close(new.discriminator.params, d_only.discriminator.params)

  z = game.sample_latent(updates.stream_key(state.rng, steps._CRITIC_NOISE, 0), BATCH)["z"]
  g_rng = jax.random.split(updates.stream_key(state.rng, steps._CRITIC_DROPOUT, 0))[0]

  @jax.jit
  def generator_update(g_params, d_params):
    """The generator's SGD step on -log D(G(z)) with the discriminator's `d_params` (the MLP has no dropout)."""
    def loss(params):
      fake, _ = state.generator(z, params=params, train=True, rng=g_rng)
      logits, _ = state.discriminator(fake, params=d_params, train=True, rng=jax.random.PRNGKey(0))
      return jnp.mean(jax.nn.softplus(-logits))
    value, grads = jax.value_and_grad(loss)(g_params)
    return value, jax.tree.map(lambda p, g: p - 0.1 * g, g_params, grads)

  g_loss, expected = generator_update(state.generator.params, state.discriminator.params)
  _assert_trees_close(new.generator.params, expected)
  np.testing.assert_allclose(metrics["g_loss"], g_loss, rtol=1e-6)
  # The same step against the updated discriminator (what an alternating order would use) lands elsewhere.
  _, after_d = generator_update(state.generator.params, d_only.discriminator.params)
  assert not testing.tree_equal(after_d, new.generator.params)


def test_shared_calls_run_the_discriminator_once_per_input():
  """Both losses of a simultaneous update read one pass over the generated batch: `pair(real, fake)` then a call on
  the same `fake` array computes nothing more; a new array is computed."""
  calls = []
  def player(x):
    calls.append(x.shape)
    return x.sum(axis=1)
  shared = steps._SharedCalls(player)
  real, fake = jnp.ones((3, 2)), jnp.zeros((3, 2))
  out_real, out_fake = shared.pair(real, fake)
  assert calls == [(3, 2), (3, 2)]
  assert shared(fake) is out_fake and shared(real) is out_real and len(calls) == 2
  shared(fake + 1.0)
  assert len(calls) == 3


def test_simultaneous_updates_match_on_one_and_eight_devices(one_device_mesh, eight_device_mesh):
  """The Stepper's simultaneous iteration (`Config.updates`) with SGD on both players: the parameters move alike on
  1 device and on 8 with 2 examples each (gradients summed over devices would move them 8 times as far)."""
  config = testing.tiny_config(game="gan", arch="mlp", image_size=8, generator_features=16, critic_features=16,
                               latent_dim=LATENT, batch_size=16, n_critic=1, warmup_n_critic=1,
                               updates="simultaneous")
  host_state = jax.device_get(_both_players_with_sgd(
      testing.tiny_state("mlp", image_size=8, features=16, latent_dim=LATENT, axis_name=parallel.AXIS)))
  moved = []
  for mesh in (one_device_mesh, eight_device_mesh):
    state = parallel.replicate(host_state, mesh)
    state, metrics = train.Stepper(config, mesh, "host").iteration(1)(state, parallel.replicate(SOURCE, mesh))
    state = jax.device_get(state)
    assert (int(state.step), int(state.critic_steps)) == (1, 1) and "g_loss" in metrics
    moved.append(jax.tree.map(lambda new, old: np.asarray(new) - old, (state.generator.params,
                              state.discriminator.params), (host_state.generator.params,
                                                            host_state.discriminator.params)))
  assert max(np.abs(leaf).max() for leaf in jax.tree.leaves(moved[0])) > 1e-4
  _assert_trees_close(moved[1], moved[0], rtol=1e-4, atol=1e-8)


def test_simultaneous_updates_need_one_discriminator_step():
  from jgan.configs.base import validate
  with pytest.raises(ValueError, match="n_critic and warmup_n_critic must be 1, got 5 and 100"):
    validate(testing.tiny_config(game="gan", updates="simultaneous", n_critic=5, warmup_n_critic=100))
  with pytest.raises(ValueError, match="updates must be one of"):
    validate(testing.tiny_config(game="gan", updates="together"))
