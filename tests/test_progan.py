"""ProGAN (jgan.progan): equalised learning rate, pixel norm, minibatch stddev and fade-in against hand values, the
schedule, validation, stacked digits' mode counting, one compile per stage, and a resume in the middle of a fade."""

from __future__ import annotations

import dataclasses
import math

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jgan.progan import nets, progan
from jgan.progan.config import ProGANConfig, validate
from jgan.progan.schedule import Schedule


def test_equalized_layers_scale_by_he_constant_at_run_time():
  x = jnp.array([[1.0, 2.0, 3.0]])
  dense = nets.EqualizedDense(2)
  params = {"kernel": jnp.ones((3, 2)), "bias": jnp.array([0.5, -0.5])}
  out = dense.apply({"params": params}, x)
  np.testing.assert_allclose(out, [[6 * math.sqrt(2 / 3) + 0.5, 6 * math.sqrt(2 / 3) - 0.5]], rtol=1e-6)
  # The stored kernel is N(0, 1) (the constant is not folded into the initialisation).
  init = nets.EqualizedDense(256).init(jax.random.PRNGKey(0), jnp.zeros((1, 512)))["params"]["kernel"]
  assert abs(float(jnp.std(init)) - 1.0) < 0.01
  # A 3x3 conv: fan_in = 9 C; with all-one weights and input, an interior pixel sums 9 C ones.
  conv = nets.EqualizedConv(1, 3, gain=1.0)
  params = {"kernel": jnp.ones((3, 3, 2, 1)), "bias": jnp.zeros((1,))}
  out = conv.apply({"params": params}, jnp.ones((1, 5, 5, 2)))
  np.testing.assert_allclose(out[0, 2, 2, 0], 18 / math.sqrt(18), rtol=1e-6)
  np.testing.assert_allclose(out[0, 0, 0, 0], 8 / math.sqrt(18), rtol=1e-6)  # corner: 4 pixels x 2 channels


def test_pixel_norm_hand_values():
  out = nets.pixel_norm(jnp.array([[[[3.0, 4.0]]]]))
  np.testing.assert_allclose(out[0, 0, 0], [3 / math.sqrt(12.5), 4 / math.sqrt(12.5)], rtol=1e-6)
  np.testing.assert_allclose(jnp.mean(jnp.square(nets.pixel_norm(jax.random.normal(jax.random.PRNGKey(0),
                                                                                    (2, 3, 3, 7)))), -1), 1.0,
                             rtol=1e-5)


def test_minibatch_stddev_per_group():
  # Groups of 2 among 4 examples: example n is in group n mod 2 -> {0, 2} and {1, 3}.
  x = jnp.stack([jnp.zeros((2, 2, 3)), jnp.full((2, 2, 3), 5.0), jnp.full((2, 2, 3), 2.0),
                 jnp.full((2, 2, 3), 5.0)])
  out = nets.minibatch_stddev(x, group_size=2)
  chex.assert_shape(out, (4, 2, 2, 4))
  np.testing.assert_allclose(out[..., :3], x)
  np.testing.assert_allclose(out[0, ..., 3], 1.0, rtol=1e-6)  # population std of {0, 2}
  np.testing.assert_allclose(out[2, ..., 3], 1.0, rtol=1e-6)
  np.testing.assert_allclose(out[1, ..., 3], 1e-4, rtol=1e-3)  # sqrt(0 + 1e-8)
  with pytest.raises(ValueError, match="not divisible"):
    nets.minibatch_stddev(jnp.zeros((6, 2, 2, 1)), group_size=4)


def _tiny(**kwargs) -> ProGANConfig:
  values = dict(dataset="digits", image_size=8, latent_dim=8, feature_base=16, feature_max=8, fade_images=8,
                stable_images=8, batch_size=4, steps=8, sample_every=100, checkpoint_every=100, num_samples=4)
  return ProGANConfig(**{**values, **kwargs})


def test_fade_in_is_old_path_at_alpha_0_and_new_at_alpha_1():
  config = _tiny()
  state = progan.create_state(config, 1, jax.random.PRNGKey(0))
  schedule = Schedule(config)
  stable4, fade8, stable8 = schedule.stages
  generate = jax.jit(progan.generate, static_argnums=2)  # eager Flax dispatches op by op: slow
  critic = jax.jit(progan.critic, static_argnums=3)
  z = jax.random.normal(jax.random.PRNGKey(1), (4, 8))
  old = nets.upscale(generate(state, z, stable4, 1.0))
  new = generate(state, z, stable8, 1.0)
  np.testing.assert_allclose(generate(state, z, fade8, 0.0), old, atol=1e-6)
  np.testing.assert_allclose(generate(state, z, fade8, 1.0), new, atol=1e-6)
  assert float(jnp.max(jnp.abs(old - new))) > 1e-3  # the two paths differ, so the checks above say something
  mid = generate(state, z, fade8, 0.25)
  np.testing.assert_allclose(mid, 0.75 * old + 0.25 * new, atol=1e-5)
  images = jax.random.normal(jax.random.PRNGKey(2), (4, 8, 8, 1))
  d_params = state.nets["discriminator"].params
  d_old = critic(state, d_params, nets.downscale(images), stable4, 1.0)
  d_new = critic(state, d_params, images, stable8, 1.0)
  np.testing.assert_allclose(critic(state, d_params, images, fade8, 0.0), d_old, atol=1e-5)
  np.testing.assert_allclose(critic(state, d_params, images, fade8, 1.0), d_new, atol=1e-5)
  # Reals fade too: at alpha 0 the blocky upsampled half-resolution image, at alpha 1 the image itself.
  np.testing.assert_allclose(progan.real_images(images, fade8, 0.0), nets.upscale(nets.downscale(images)), atol=1e-6)
  np.testing.assert_allclose(progan.real_images(images, fade8, 1.0), images, atol=1e-6)


def test_schedule_stages_alpha_costs_and_names():
  config = _tiny(image_size=16, fade_images=40, stable_images=20, batch_sizes="4:4,8:8,16:2", steps=100)
  schedule = Schedule(config)
  assert [(s.name, s.start, s.length, s.batch_size) for s in schedule.stages] == [
      ("stable 4x4", 0, 5, 4), ("fade-in 8x8", 5, 5, 8), ("stable 8x8", 10, 3, 8), ("fade-in 16x16", 13, 20, 2),
      ("stable 16x16", 33, 67, 2)]
  assert [schedule.alpha(s) for s in (5, 6, 9, 10)] == [0.0, 0.2, 0.8, 1.0]
  costs = schedule.iteration_costs(np.arange(100))
  assert costs[0] < costs[5] and costs[5] == costs[12] and costs.max() == 1.0
  stages = schedule.stages  # batch x MACs: 16x16 at batch 2 against 8x8 at batch 8
  assert costs[-1] / costs[5] == pytest.approx(schedule.cost(stages[-1]) / schedule.cost(stages[1]))
  assert schedule.cost(stages[-1]) / 2 > schedule.cost(stages[1]) / 8  # a 16x16 example costs more than an 8x8
  assert Schedule(dataclasses.replace(config, progressive=False)).stages[0].name == "stable 16x16"


@pytest.mark.parametrize("change, message", [
    (dict(image_size=24), "power of two"),
    (dict(batch_sizes="3:4"), "not one of the schedule"),
    (dict(batch_sizes="4-4"), "RESOLUTION:BATCH"),
    (dict(batch_size=6), "mbstd_group"),
    (dict(start_size=16), "start_size"),
    (dict(drift=-1.0), "drift"),
])
def test_bad_flags_are_named_before_any_work(change, message):
  with pytest.raises(ValueError, match=message):
    validate(_tiny(**change))


@pytest.mark.parametrize("size", [64, 256])
def test_generates_and_scores_colour_images_at_larger_powers_of_two(size):
  """The accelerator sizes (64-256, three channels) build and run to the last stage: shapes only, nothing compiled
  (`jax.eval_shape`), so the default suite stays fast."""
  config = _tiny(image_size=size, feature_base=64, feature_max=16)
  state = jax.eval_shape(lambda key: progan.create_state(config, 3, key), jax.random.PRNGKey(0))
  last = Schedule(config).stages[-1]
  z = jax.ShapeDtypeStruct((2, config.latent_dim), jnp.float32)
  images = jax.eval_shape(lambda s, z: progan.generate(s, z, last, 1.0), state, z)
  chex.assert_shape(images, (2, size, size, 3))
  scores = jax.eval_shape(lambda s, x: progan.critic(s, s.nets["discriminator"].params, x, last, 1.0), state, images)
  chex.assert_shape(scores, (2,))
  assert f"to_rgb_{size}" in state.nets["generator"].params and f"from_rgb_{size}" in state.nets["discriminator"].params


def test_every_block_is_in_the_state_from_the_start():
  state = progan.create_state(_tiny(), 1, jax.random.PRNGKey(0))
  g, d = state.nets["generator"].params, state.nets["discriminator"].params
  assert {"to_rgb_4", "to_rgb_8", "conv0_8", "conv1_8", "dense_4"} <= set(g)
  assert {"from_rgb_4", "from_rgb_8", "conv0_8", "conv1_8", "dense_out"} <= set(d)


@pytest.mark.slow  # over 30 s on 2 cores: -m slow, to keep the default suite under CI's 15 minutes
def test_resume_in_the_middle_of_a_fade_is_bit_identical_and_each_stage_compiles_once(tmp_path):
  from jgan.progan import experiment
  # 16 examples over the tests' 8 devices (2 each, one stddev group of 2): the data-parallel step.
  config = _tiny(steps=7, batch_size=16, fade_images=32, stable_images=32)  # stable 4x4: 0-1, fade-in 8x8: 2-3
  whole = experiment.ProGANExperiment(config)
  from jgan import loop
  straight = loop.run(whole, tmp_path / "straight", progress=False)
  assert sorted(whole.compiled) == [(4, False), (8, False), (8, True)]
  assert all(step._cache_size() == 1 for step in whole.compiled.values())
  first = experiment.run(dataclasses.replace(config, steps=3), tmp_path / "resumed", progress=False)
  assert Schedule(config).stage_at(int(first.step)).name == "fade-in 8x8" and Schedule(config).alpha(3) == 0.5
  resumed = experiment.run(config, tmp_path / "resumed", resume=True, progress=False)
  chex.assert_trees_all_equal(jax.tree.leaves(jax.device_get(straight)), jax.tree.leaves(jax.device_get(resumed)))
  assert int(resumed.step) == 7


def test_optimizer_state_restarts_at_a_new_stage():
  config = _tiny()
  state = progan.create_state(config, 1, jax.random.PRNGKey(0))
  bumped = state.replace(opt_states=jax.tree.map(lambda x: x + 1, state.opt_states))
  kept = progan._restart_optimizers(bumped, jnp.asarray(False))
  fresh = progan._restart_optimizers(bumped, jnp.asarray(True))
  chex.assert_trees_all_equal(kept.opt_states, bumped.opt_states)
  chex.assert_trees_all_equal(fresh.opt_states, state.opt_states)


def test_stacked_digits_modes_and_their_counting():
  from jgan.data import stacked_digits
  images, modes = stacked_digits.stacked_digits("validation", 300, seed=0)
  chex.assert_shape(images, (300, 32, 32, 3))
  assert images.dtype == np.uint8 and modes.min() >= 0 and modes.max() < 1000
  np.testing.assert_array_equal(stacked_digits.stacked_digits("validation", 300, seed=0)[1], modes)
  # The classifier reads each channel: real stacked digits are labelled as built (3 digits right, ~0.99^3).
  assert np.mean(stacked_digits.classify_modes(images) == modes) > 0.9
  every = stacked_digits.mode_scores(np.arange(1000).repeat(3))
  assert every["modes_covered"] == 1000 and abs(every["kl_to_uniform"]) < 1e-12
  one = stacked_digits.mode_scores(np.full(50, 7))
  assert one["modes_covered"] == 1 and one["kl_to_uniform"] == pytest.approx(math.log(1000))
  two = stacked_digits.mode_scores(np.array([0, 0, 0, 1]))  # p = (3/4, 1/4)
  assert two["kl_to_uniform"] == pytest.approx(0.75 * math.log(750) + 0.25 * math.log(250))


def test_sample_command_draws_from_a_progan_run_at_its_stage(tmp_path, one_device_mesh):
  from jgan import sample
  from jgan.progan import evaluate, experiment
  config = _tiny(steps=2)  # two iterations of the 4x4 stable stage: samples upsampled to the final 8x8
  state = experiment.run(config, tmp_path / "run", progress=False, mesh=one_device_mesh)
  assert sample.main(["--checkpoint", str(tmp_path / "run"), "--num", "6", "--seed", "3",
                      "--out", str(tmp_path / "s.npz"), "--grid", str(tmp_path / "s.png")]) == 0
  images = np.load(tmp_path / "s.npz")["images"]
  chex.assert_shape(images, (6, 8, 8, 1))
  assert images.dtype == np.uint8 and (tmp_path / "s.png").is_file()
  z = np.asarray(jax.random.normal(jax.random.PRNGKey(3), (6, config.latent_dim)))
  stage = Schedule(config).stage_at(2)
  np.testing.assert_array_equal(images, evaluate.sample(state, stage, Schedule(config).alpha(2), z, 8))
  np.testing.assert_array_equal(images[:, ::2, ::2], images[:, 1::2, 1::2])  # the 4x4 stage, upsampled nearest
  assert sample.main(["--checkpoint", str(tmp_path / "run"), "--grid", str(tmp_path / "t.png"), "--label", "1"]) == 2
