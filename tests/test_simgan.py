"""SimGAN: the history buffer's sampling, the simulated digits, the losses, the K_g / K_d schedule and a short run."""

from __future__ import annotations

import dataclasses
import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jgan import loop
from jgan.adaptation import experiment, simgan
from jgan.adaptation.config import SimGANConfig, validate
from jgan.data import simulated_digits
from jgan.models import image_pool
from jgan.testing import tree_equal
from jgan.updates import phase_update, stream_key


def _batch(start: float, n: int = 4) -> jax.Array:
  """n 1x1 images whose values are their identities: start, start + 1, ..."""
  return jnp.arange(start, start + n, dtype=jnp.float32).reshape(n, 1, 1, 1)


def test_history_fills_first_then_gives_half_of_each_batch():
  pool = image_pool.ImagePool.create(8, (1, 1, 1))
  out, pool = image_pool.half_from_history(pool, _batch(0), jax.random.PRNGKey(0))
  np.testing.assert_array_equal(np.asarray(out), np.asarray(_batch(0)))  # filling: the batch as it is
  out, pool = image_pool.half_from_history(pool, _batch(4), jax.random.PRNGKey(1))
  assert int(pool.count) == 8
  np.testing.assert_array_equal(np.sort(np.asarray(pool.images).ravel()), np.arange(8))
  before = set(np.asarray(pool.images).ravel().tolist())
  for i in range(20):
    new = _batch(100 + 10 * i)
    out, after = image_pool.half_from_history(pool, new, jax.random.PRNGKey(2 + i))
    out = np.asarray(out).ravel()
    np.testing.assert_array_equal(out[:2], np.asarray(new).ravel()[:2])  # the current refiner's half
    assert set(out[2:].tolist()) <= before  # the other half from the history
    stored = np.asarray(after.images).ravel()
    # Exactly b/2 distinct slots refreshed with the current half, every other slot unchanged.
    changed = np.flatnonzero(stored != np.asarray(pool.images).ravel())
    assert len(changed) == 2 and sorted(stored[changed].tolist()) == np.asarray(new).ravel()[:2].tolist()
    pool, before = after, set(stored.tolist())


def test_history_draws_are_uniform_over_the_buffer():
  pool = image_pool.ImagePool(images=jnp.arange(8, dtype=jnp.float32).reshape(8, 1, 1, 1), count=jnp.int32(8))
  draws = [np.asarray(image_pool.half_from_history(pool, _batch(100, 8), jax.random.PRNGKey(i))[0]).ravel()[4:]
           for i in range(300)]
  counts = np.bincount(np.concatenate(draws).astype(int), minlength=8)
  assert counts.min() > 0.75 * 150 and counts.max() < 1.25 * 150  # 1,200 draws over 8 slots


def test_no_history_leaves_the_batch_unchanged():
  pool = image_pool.ImagePool.create(0, (1, 1, 1))
  out, same = image_pool.half_from_history(pool, _batch(0), jax.random.PRNGKey(0))
  np.testing.assert_array_equal(np.asarray(out), np.asarray(_batch(0)))
  assert same.size == 0


def test_simulated_digits_have_known_labels_and_a_real_classifier_reads_them():
  images, labels = simulated_digits.load_simulated_digits("validation")
  assert images.shape == (1000, 32, 32, 1) and images.dtype == np.uint8
  np.testing.assert_array_equal(np.bincount(labels), np.full(10, 100))
  from jgan.translation.evaluate import scorer
  assert scorer("digits").accuracy(images[::5], labels[::5]) > 0.6  # the labels are the rendered digits


def test_local_discriminator_gives_a_probability_per_patch_and_the_losses_are_as_written():
  config = SimGANConfig()
  state = simgan.create_state(config)
  x = jnp.zeros((2, 32, 32, 1))
  logits = state.nets["discriminator"](x, train=False)[0]
  assert logits.shape == (2, 8, 8, 2)
  logits = jnp.asarray(np.random.default_rng(0).normal(size=(2, 3, 3, 2)), jnp.float32)
  p_real = np.asarray(jax.nn.softmax(logits))[..., simgan.REAL]
  np.testing.assert_allclose(float(simgan.patch_loss(logits, simgan.REAL)), -np.log(p_real).mean(), rtol=1e-5)
  np.testing.assert_allclose(float(simgan.patch_loss(logits, simgan.FAKE)), -np.log(1 - p_real).mean(), rtol=1e-5)
  assert float(simgan.self_regularization(x + 0.5, x)) == pytest.approx(0.5)


@pytest.mark.parametrize("overrides, match", [
    (dict(history_size=3), "history_size"), (dict(generator_steps=0), "generator_steps"),
    (dict(self_regularization=-1.0), "self_regularization"), (dict(refiner_output="relu"), "refiner_output"),
    (dict(refiner_pretrain=-1), "refiner_pretrain"),
])
def test_bad_configs_are_refused_naming_the_field(overrides, match):
  with pytest.raises(ValueError, match=match):
    validate(dataclasses.replace(SimGANConfig(), **overrides))


TINY = dict(batch_size=8, steps=2, log_every=1, sample_every=1, checkpoint_every=1, eval_every=1, eval_samples=8,
            num_samples=2, refiner_blocks=1, refiner_features=4, discriminator_features=4, history_size=8,
            refiner_pretrain=0, discriminator_pretrain=0)


@pytest.mark.slow  # compiles the SimGAN step twice over: about a minute on 2 cores
def test_resume_is_bit_identical_and_the_buffer_is_restored(tmp_path, one_device_mesh):
  # One iteration of each phase (R's pre-training, D's, the game); the resumed run restarts inside the pre-training.
  config = SimGANConfig(**dict(TINY, refiner_pretrain=1, discriminator_pretrain=1, steps=3))
  straight = experiment.run(config, tmp_path / "straight", mesh=one_device_mesh, progress=False)
  assert int(straight.buffers["history"].count) == 8  # D's two updates, 4 refined images each, filled it
  experiment.run(dataclasses.replace(config, steps=1), tmp_path / "resumed", mesh=one_device_mesh, progress=False)
  resumed = experiment.run(config, tmp_path / "resumed", resume=True, mesh=one_device_mesh, progress=False)
  assert tree_equal(straight, resumed)
  scores = experiment.final_scores(tmp_path / "straight", "validation")
  assert 0.0 <= scores["label_agreement"] <= 1.0
  # Without history (the ablation) the state holds no buffer, and it checkpoints.
  ablation = experiment.run(dataclasses.replace(config, history_size=0, steps=1), tmp_path / "no_history",
                            mesh=one_device_mesh, progress=False)
  assert ablation.buffers == {}



def _scheduled_steps(config: SimGANConfig):
  """The run's iterations one at a time, as the experiment calls them (`loop.call_scheduled_iterations` over
  `simgan.schedule`, each phase its own jitted step)."""
  source, _ = simgan.training_source(config)
  phases = tuple((end, jax.jit(functools.partial(step, config=config))) for end, step in simgan.schedule(config))

  def one(state):
    state, rows = loop.call_scheduled_iterations(phases, state, (source, None), int(state.step), 1, lambda: False)
    return state, rows[0]

  return source, one


def test_pretraining_updates_the_refiner_on_self_regularization_then_the_discriminator_then_both():
  """Sec. 3.1's pre-training: the first iterations move R alone, each by Adam's step on ||R(x) - x||_1 of its batch
  with no realism term (its self-regularization falls, D untouched, the history untouched), the next move D alone
  (R untouched, the history filling), then the game moves both; every phase reports the same metrics."""
  config = SimGANConfig(**dict(TINY, refiner_pretrain=3, discriminator_pretrain=1, steps=5, learning_rate=1e-2))
  assert [end for end, _ in simgan.schedule(config)] == [3, 4, None]
  assert [end for end, _ in simgan.schedule(dataclasses.replace(config, discriminator_pretrain=0))] == [3, None]
  state = simgan.create_state(config)
  source, step = _scheduled_steps(config)
  seen = []
  for _ in range(config.steps):
    before = state
    state, metrics = step(state)
    moved = {net: not tree_equal(before.nets[net].params, state.nets[net].params) for net in state.nets}
    seen.append((moved, int(state.buffers["history"].count), sorted(metrics), float(metrics["g_self_regularization"])))
    if int(before.step) == 0:  # the first update, against one made by hand on the self-regularization alone
      simulated = source.batch(stream_key(before.rng, simgan._DATA, 0), before.step, config.batch_size // 2,
                               None)["source"]

      def self_regularization_only(params, start=before):
        refined = start.nets["refiner"](simulated, params=params["refiner"], train=True)[0]
        return simgan.self_regularization(refined, simulated), {}

      expected, _ = jax.jit(lambda start: phase_update(start, "refiner", self_regularization_only, axis_name=None,
                                                       prefix="g"))(before)  # compiled: faster than op by op
      chex.assert_trees_all_close(state.nets["refiner"].params, expected.nets["refiner"].params, rtol=1e-5,
                                  atol=1e-7)
  assert [m for m, *_ in seen] == [{"refiner": True, "discriminator": False}] * 3 + [
      {"refiner": False, "discriminator": True}] + [{"refiner": True, "discriminator": True}]
  assert [count for _, count, *_ in seen] == [0, 0, 0, 4, 8]  # half a batch of refined images per D update
  assert all(keys == seen[0][2] for _, _, keys, _ in seen) and "d_loss" in seen[0][2]
  regular = [r for *_, r in seen[:3]]
  assert regular[2] < regular[1] < regular[0]  # measured before each update: R approaches the identity


def test_scheduled_iterations_pick_each_phase_by_iteration_and_stop_when_asked():
  calls = []
  phases = tuple((end, lambda state, tag=tag: (calls.append(tag) or state + 1, {"phase": tag}))
                 for end, tag in ((2, "r"), (3, "d"), (None, "game")))
  state, rows = loop.call_scheduled_iterations(phases, 1, (), 1, 4, lambda: False)
  assert calls == ["r", "d", "game", "game"] and state == 5 and [r["phase"] for r in rows] == calls
  calls.clear()
  loop.call_scheduled_iterations(phases, 3, (), 3, 2, lambda: False)  # resumed after the pre-training
  assert calls == ["game", "game"]
  calls.clear()
  _, rows = loop.call_scheduled_iterations(phases, 0, (), 0, 5, lambda: True)  # a stop request: one iteration
  assert calls == ["r"] and len(rows) == 1
