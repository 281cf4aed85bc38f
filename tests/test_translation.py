"""pix2pix and CycleGAN: losses by hand, the schedule, the step's wiring, resume, devices, learning and the CLI."""

from __future__ import annotations

import dataclasses
import functools
import json

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jgan import losses, parallel, transforms
from jgan.data import paired
from jgan.data.source import PairedSource, UnpairedSource
from jgan.state import MultiNetState, Phase
from jgan.testing import tree_equal, with_sgd
from jgan.translation import CycleGANConfig, Pix2PixConfig, cyclegan, experiment, pix2pix
from jgan.translation.config import validate

TINY = dict(image_size=8, load_size=10, batch_size=4, generator_features=4, discriminator_features=4,
            discriminator_layers=1, log_every=2, sample_every=2, checkpoint_every=2, num_samples=2)
REAL, FAKE = jnp.array([-5.0, 1.4, 12.5, 2.7]), jnp.array([10.0, 4.4, -5.5, 3.6])  # TF-GAN's fixed outputs


def tiny_pix2pix(**overrides) -> Pix2PixConfig:
  return dataclasses.replace(Pix2PixConfig(**TINY), **overrides)


def tiny_cyclegan(**overrides) -> CycleGANConfig:
  return dataclasses.replace(CycleGANConfig(**TINY, generator_blocks=1, pool_size=3), **overrides)


def _images(n: int, size: int, channels: int, seed: int) -> np.ndarray:
  return np.random.default_rng(seed).integers(0, 256, (n, size, size, channels), dtype=np.uint8)


# --- Losses and schedule by hand. ---

def test_least_squares_losses_by_hand():
  d = losses.least_squares_discriminator_loss(REAL, FAKE)
  expected = 0.5 * ((np.array(REAL) - 1) ** 2 + np.array(FAKE) ** 2)
  np.testing.assert_allclose(d, expected, rtol=1e-6)
  # (36 + .16 + 132.25 + 2.89 + 100 + 19.36 + 30.25 + 12.96) / 2 / 4
  np.testing.assert_allclose(float(jnp.mean(d)), 41.73375, rtol=1e-6)
  g = losses.least_squares_generator_loss(FAKE)
  np.testing.assert_allclose(float(jnp.mean(g)), (81 + 11.56 + 42.25 + 6.76) / 4, rtol=1e-6)


def test_constant_then_linear_decay():
  schedule = transforms.constant_then_linear_decay(2e-4, constant_steps=100, decay_steps=100)
  np.testing.assert_allclose([float(schedule(t)) for t in (0, 99, 100, 150, 200, 250)],
                             [2e-4, 2e-4, 2e-4, 1e-4, 0.0, 0.0], atol=1e-12)
  assert transforms.constant_then_linear_decay(2e-4, constant_steps=10, decay_steps=0) == 2e-4
  config = tiny_cyclegan(steps=40, decay_steps=10)
  assert float(config.learning_rate_schedule()(35)) == pytest.approx(config.learning_rate / 2)


def test_pix2pix_discriminator_loss_is_half_the_cross_entropy():
  """Eq. 1 as a loss, halved (Sec. 3.3), from logits: by hand for one real and one fake logit."""
  real, fake = jnp.array([2.0]), jnp.array([-1.0])
  by_hand = 0.5 * (-np.log(1 / (1 + np.exp(-2.0))) - np.log(1 - 1 / (1 + np.exp(1.0))))
  assert 0.5 * float(losses.minimax_discriminator_loss(real, fake)[0]) == pytest.approx(by_hand, rel=1e-6)


# --- Configuration. ---

@pytest.mark.parametrize("make, overrides, match", [
    (tiny_pix2pix, dict(l1_weight=0.0, gan_weight=0.0), "no objective"),
    (tiny_pix2pix, dict(dataset="no_such_task"), "paired dataset 'no_such_task'"),
    (tiny_pix2pix, dict(load_size=6), "load_size must be >= image_size"),
    (tiny_pix2pix, dict(image_size=12, load_size=12), "power of two"),
    (tiny_pix2pix, dict(discriminator_layers=3), "discriminator_layers 3 leaves no output on 8x8"),
    (tiny_pix2pix, dict(dropout=1.0), r"dropout must be in \[0, 1\)"),
    (tiny_cyclegan, dict(gan_weight=0.0, cycle="none"), "no objective"),
    (tiny_cyclegan, dict(dataset="digits+nothing"), "nothing"),
    (tiny_cyclegan, dict(cycle="sideways"), "cycle must be one of"),
    (tiny_cyclegan, dict(decay_steps=1000, steps=10), "decay_steps"),
])
def test_bad_configs_are_refused_naming_the_field(make, overrides, match):
  with pytest.raises(ValueError, match=match):
    validate(make(**overrides))


def test_bad_config_stops_a_run_before_anything_is_written(tmp_path, one_device_mesh):
  with pytest.raises(ValueError, match="no objective"):
    experiment.run(tiny_pix2pix(l1_weight=0.0, gan_weight=0.0), tmp_path / "run", mesh=one_device_mesh,
                   progress=False)
  assert not (tmp_path / "run").exists()


# --- The steps' wiring. ---

def _abstract_state(config, channels):
  """The state's structure and shapes, traced without running (or compiling) an initializer."""
  return jax.eval_shape(lambda: experiment.create_state(config, channels))


def test_pix2pix_ablations_build_what_they_use():
  full = _abstract_state(tiny_pix2pix(), (1, 1))
  assert set(full.nets) == {"generator", "discriminator"} and {p.name for p in full.phases} == {"generator",
                                                                                                   "discriminator"}
  assert full.nets["discriminator"].params["conv_0"]["kernel"].shape[-2] == 2  # sees (input, output)
  unconditional = _abstract_state(tiny_pix2pix(conditional=False), (1, 3))
  assert unconditional.nets["discriminator"].params["conv_0"]["kernel"].shape[-2] == 3  # sees the output only
  l1_only = _abstract_state(tiny_pix2pix(gan_weight=0.0), (1, 1))
  assert set(l1_only.nets) == {"generator"} and [p.name for p in l1_only.phases] == ["generator"]


def _run_steps(config, state, source, n, mesh=None):
  model = experiment.model_of(config)
  if mesh is None:
    step = jax.jit(functools.partial(model.train_step, config=config))
  else:
    step = jax.jit(parallel.data_parallel(functools.partial(model.train_step, config=config,
                                                            axis_name=parallel.AXIS), mesh))
    state, source = parallel.replicate(state, mesh), parallel.replicate(source, mesh)
  rows = []
  for _ in range(n):
    state, metrics = step(state, source)
    rows.append(metrics)
  return state, rows


def test_l1_only_pix2pix_generator_gradient_is_the_l1_gradient():
  """With gan_weight 0, one SGD step moves the generator by -lr * d mean|G(x) - y| / d theta, nothing else."""
  config = tiny_pix2pix(gan_weight=0.0, flip=False, load_size=8, dropout=0.0)
  state = experiment.create_state(config, (1, 1))
  sgd = (Phase("generator", ("generator",), optax.sgd(0.1)),)
  state = MultiNetState.create(state.nets, sgd, state.rng)
  source = PairedSource.from_arrays(_images(8, 8, 1, 0), _images(8, 8, 1, 1))
  a, b = pix2pix.jittered_batch(state, source, config, None)
  net = state.nets["generator"]
  # compiled: op by op, the U-Net's backward pass takes longer than compiling it
  grad = jax.jit(jax.grad(lambda p: config.l1_weight * jnp.mean(jnp.abs(net(a, params=p, train=True)[0] - b))))(
      net.params)
  expected = jax.tree.map(lambda p, g: p - 0.1 * g, net.params, grad)
  after, _ = _run_steps(config, state, source, 1)
  for x, y in zip(jax.tree.leaves(after.nets["generator"].params), jax.tree.leaves(expected)):
    np.testing.assert_allclose(x, y, atol=1e-6)


def test_cyclegan_discriminators_see_pooled_fakes_and_pools_fill():
  config = tiny_cyclegan(pool_size=6)
  state = experiment.create_state(config, (1, 1))
  source = UnpairedSource.from_arrays(_images(8, 10, 1, 0), _images(8, 10, 1, 1))
  state, rows = _run_steps(config, state, source, 2)
  assert int(state.buffers["pool_a"].count) == 6 and int(state.buffers["pool_b"].count) == 6  # 2 batches of 4, cap 6
  for key in ("g_gan_ab", "g_gan_ba", "cycle_a", "cycle_b", "identity_a", "identity_b", "d_a_loss", "d_b_loss"):
    assert np.isfinite(float(rows[-1][key])), key


@pytest.mark.parametrize("cycle, present, absent", [
    ("forward", {"cycle_a"}, {"cycle_b"}), ("backward", {"cycle_b"}, {"cycle_a"}),
    ("none", set(), {"cycle_a", "cycle_b"})])
def test_cyclegan_ablations_switch_their_terms(cycle, present, absent):
  config = tiny_cyclegan(cycle=cycle, identity_weight=0.0)
  source = UnpairedSource.from_arrays(_images(8, 10, 1, 0), _images(8, 10, 1, 1))
  _, metrics = jax.eval_shape(functools.partial(cyclegan.train_step, config=config), _abstract_state(config, (1, 1)),
                              source)  # the metrics the step returns, traced without compiling
  assert present <= set(metrics) and not absent & set(metrics) and "identity_a" not in metrics


def test_cycle_alone_trains_no_discriminator():
  config = tiny_cyclegan(gan_weight=0.0)
  state = _abstract_state(config, (1, 1))
  assert set(state.nets) == {"g_ab", "g_ba"} and state.buffers == {}


# --- Devices: with SGD a gradient summed over devices instead of averaged would show. ---

# CycleGAN's variants take a minute each on 2 cores: `slow` (the default suite keeps pix2pix's, which run the same
# MultiNetState, phase updates and device averaging).
@pytest.mark.parametrize("make, source_cls, channels", [
    (tiny_pix2pix, PairedSource, (1, 3)),
    pytest.param(tiny_cyclegan, UnpairedSource, (3, 3), marks=pytest.mark.slow)])
def test_four_devices_match_one_device(make, source_cls, channels, one_device_mesh):
  config = make(dropout=0.0) if make is tiny_pix2pix else make()
  four = parallel.make_mesh(jax.devices()[:4])
  source = source_cls.from_arrays(_images(8, 10, channels[0], 0), _images(8, 10, channels[1], 1))
  results = []
  for mesh in (one_device_mesh, four):
    state = with_sgd(experiment.create_state(config, channels, parallel.AXIS))
    results.append(_run_steps(config, state, source, 2, mesh))
  (one, rows1), (many, rows4) = results
  for x, y in zip(jax.tree.leaves(one), jax.tree.leaves(many)):
    np.testing.assert_allclose(np.asarray(x), np.asarray(y), atol=2e-5, rtol=2e-4)
  for key in rows1[-1]:
    np.testing.assert_allclose(float(rows1[-1][key]), float(rows4[-1][key]), rtol=2e-4, atol=2e-5)


# --- Runs: determinism, resume, outputs, learning. ---

@pytest.mark.parametrize("make, dataset", [(tiny_pix2pix, "edges2digits"),
                                           pytest.param(tiny_cyclegan, "uci_digits+digits", marks=pytest.mark.slow)])
def test_resume_is_bit_identical(make, dataset, tmp_path, one_device_mesh):
  config = make(dataset=dataset, steps=4)
  straight = experiment.run(config, tmp_path / "straight", mesh=one_device_mesh, progress=False)
  experiment.run(dataclasses.replace(config, steps=2), tmp_path / "resumed", mesh=one_device_mesh, progress=False)
  resumed = experiment.run(config, tmp_path / "resumed", resume=True, mesh=one_device_mesh, progress=False)
  assert tree_equal(straight, resumed)  # nets, both optimizer states, the image pools, counters
  rows = lambda d: [json.loads(line) for line in (tmp_path / d / "metrics.jsonl").read_text().splitlines()]
  strip = lambda rs: [{k: v for k, v in r.items() if k != "time"} for r in rs if "g_loss" in r]
  assert strip(rows("straight")) == strip(rows("resumed"))
  assert (tmp_path / "straight" / "samples" / "step_000004.png").is_file()


@pytest.mark.slow  # over 30 s on 2 cores: -m slow, to keep the default suite under CI's 15 minutes
def test_pix2pix_learns_edges_to_digits_past_the_untrained_net(tmp_path, one_device_mesh):
  """A short run on the real task: held-out L1 to the targets and the digit classifier's accuracy on the outputs
  both beat the untrained generator's (accuracy 0.1 is chance)."""
  config = Pix2PixConfig(dataset="edges2digits", image_size=32, load_size=32, flip=False, batch_size=16,
                         generator_features=8, discriminator_features=8, discriminator_layers=1, steps=150,
                         learning_rate=1e-3, sample_every=150, checkpoint_every=150, eval_every=150,
                         eval_samples=200)
  experiment.run(config, tmp_path / "run", mesh=one_device_mesh, progress=False)
  evals = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
           if "eval_l1" in line]
  before, after = evals[0], evals[-1]
  assert (before["step"], after["step"]) == (0, 150)
  assert after["eval_l1"] < 0.5 * before["eval_l1"]
  assert after["eval_accuracy"] > 0.5 > before["eval_accuracy"] + 0.2


@pytest.mark.slow  # 27 s: two trainings; the shared loop's overwrite is tested on the GAN (test_train.py)
def test_overwrite_starts_over(tmp_path, one_device_mesh):
  config = tiny_pix2pix(steps=4)
  experiment.run(config, tmp_path / "run", mesh=one_device_mesh, progress=False)
  experiment.run(dataclasses.replace(config, steps=2), tmp_path / "run", overwrite=True, mesh=one_device_mesh,
                 progress=False)
  state, _, _ = experiment.load(tmp_path / "run")
  assert int(state.step) == 2  # not the earlier run's checkpoint 4


# --- Commands. ---

def test_translate_command_keeps_each_image_size(tmp_path, one_device_mesh):
  from PIL import Image
  from jgan import translate
  experiment.run(tiny_pix2pix(steps=2), tmp_path / "run", mesh=one_device_mesh, progress=False)
  inputs = tmp_path / "in"
  inputs.mkdir()
  Image.fromarray(_images(1, 19, 1, 0)[0, ..., 0]).resize((27, 19)).save(inputs / "a.png")
  Image.fromarray(_images(1, 16, 3, 1)[0]).save(inputs / "b.jpg")
  assert translate.main(["--checkpoint", str(tmp_path / "run"), "--input", str(inputs), "--out",
                         str(tmp_path / "out"), "--no-compilation-cache"]) == 0
  assert Image.open(tmp_path / "out" / "a.png").size == (27, 19)
  assert Image.open(tmp_path / "out" / "b.png").size == (16, 16)
  assert translate.main(["--checkpoint", str(tmp_path / "run"), "--input", str(inputs), "--out",
                         str(tmp_path / "out"), "--direction", "BtoA", "--no-compilation-cache"]) == 2
  assert translate.main(["--checkpoint", str(tmp_path / "run"), "--input", str(tmp_path / "missing"), "--out",
                         str(tmp_path / "out"), "--no-compilation-cache"]) == 2


def test_experiment_help_shows_only_its_model_flags_grouped(capsys):
  from jgan.experiments import cyclegan as command
  with pytest.raises(SystemExit):
    command.main(["--help"])
  text = capsys.readouterr().out
  assert "--cycle-weight" in text and "--pool-size" in text and "--l1-weight" not in text
  assert "--info-weight" not in text and "--clip-value" not in text
  for title in ("run:", "optimizer:", "nets:", "data:", "CycleGAN:"):
    assert title in text


def test_paired_and_unpaired_tasks_have_the_shapes_the_models_need():
  pairs = paired.load_paired("digits2mnist_m", "validation")
  assert pairs.a.shape[1:] == (32, 32, 1) and pairs.b.shape[1:] == (32, 32, 3) and len(pairs.labels) == len(pairs.a)
  config = CycleGANConfig(dataset="digits+mnist_m", image_size=32, load_size=32)
  domains = experiment.load_data(config, "validation")
  assert domains.a.shape[-1] == domains.b.shape[-1] == 3  # the grey side widened for the identity loss
