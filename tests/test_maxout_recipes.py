"""The maxout recipes of Goodfellow et al. 2014 and Mirza and Osindero 2014 (issue 36): their budgets and data, the
Parzen estimator on hand-computed values, and the scoring tools of experiments/maxout/run.py."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
import pathlib

import numpy as np
import pytest

from jgan.configs import cgan, gan
from jgan.eval import parzen

RUN_PY = pathlib.Path(__file__).resolve().parents[1] / "experiments" / "maxout" / "run.py"


@pytest.fixture(scope="module")
def runner():
  spec = importlib.util.spec_from_file_location("maxout_run", RUN_PY)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


# --- The Parzen window on hand-computed values. ---

def test_parzen_by_hand_one_dimension():
  """Kernels at 0 and 2, a point at 1, sigma 1: p(1) = (N(1; 0, 1) + N(1; 2, 1)) / 2 = N(1; 0, 1)."""
  got = float(parzen.parzen_log_likelihood(np.array([[0.0], [2.0]]), np.array([[1.0]]), 1.0)[0])
  assert got == pytest.approx(-0.5 - 0.5 * math.log(2 * math.pi), abs=1e-6)  # -1.4189385
  # sigma 0.5 at the same place: N(1; 0, 0.25) = exp(-2) / (0.5 sqrt(2 pi)).
  got = float(parzen.parzen_log_likelihood(np.array([[0.0], [2.0]]), np.array([[1.0]]), 0.5)[0])
  assert got == pytest.approx(-2.0 - math.log(0.5 * math.sqrt(2 * math.pi)), abs=1e-6)


def test_parzen_by_hand_two_dimensions_and_all_widths_at_once():
  """A single kernel at the origin, points at distance 0 and 1 in 2-D: log p = -d^2 / (2 s^2) - 2 log(s sqrt(2 pi)).
  `log_likelihoods_by_sigma` (one distance matrix for every width) equals the one-width estimator."""
  samples, points = np.zeros((1, 2)), np.array([[0.0, 0.0], [0.6, 0.8]])
  sigmas = np.array([0.25, 0.5, 1.0])
  table = parzen.log_likelihoods_by_sigma(samples, points, sigmas, batch_size=1)
  expected = np.array([[-d2 / (2 * s ** 2) - 2 * math.log(s * math.sqrt(2 * math.pi)) for d2 in (0.0, 1.0)]
                       for s in sigmas])
  np.testing.assert_allclose(table, expected, atol=1e-5)
  rng = np.random.default_rng(0)
  many, test = rng.uniform(size=(53, 7)), rng.uniform(size=(9, 7))
  table = parzen.log_likelihoods_by_sigma(many, test, parzen.SIGMAS, batch_size=4)  # 3 chunks, one padded
  for row, sigma in zip(table, parzen.SIGMAS):
    np.testing.assert_allclose(row, parzen.parzen_log_likelihood(many, test, sigma), rtol=1e-5, atol=1e-4)


# --- The recipes: data and budgets. ---

def test_recipes_train_on_the_8000_training_digits_only():
  from jgan import train
  from jgan.data import splits
  for module in (gan, cgan):
    config = module.get_config()
    assert config.heldout == 2000
    source, shape = train.load_source(config)
    expected = splits.load_split("digits", "train")
    assert shape == [28, 28, 1] and source.images.shape == (8000, 28, 28, 1)
    np.testing.assert_array_equal(np.asarray(source.images), expected.images)
    if module is cgan:
      np.testing.assert_array_equal(np.asarray(source.labels), expected.labels)


def test_budgets_are_the_papers_schedules_in_updates():
  # Goodfellow et al.: the 250-epoch momentum ramp of 500-update epochs.
  assert gan.get_config().steps == gan.get_config().momentum_ramp_steps == 250 * 500
  # Mirza and Osindero: the learning rate 0.1 / 1.00004^t reaches its 1e-6 floor at the last update.
  steps, decay = cgan.get_config().steps, cgan.get_config().lr_decay
  assert 0.1 / decay ** (steps - 1) > 1e-6 >= 0.1 / decay ** steps
  for module in (gan, cgan):  # a checkpoint per MNIST epoch (500 updates), as their code saved every epoch
    assert module.get_config().checkpoint_every == 500


# --- experiments/maxout/run.py. ---

def test_wall_times_continue_across_a_resume(runner, tmp_path):
  rows = [{"step": 1, "time": 5.0}, {"step": 2, "time": 7.0}, {"eval_fd": 3.0, "step": 2},
          {"step": 3, "time": 2.0}, {"step": 4, "time": 4.0}]  # resumed after step 2: the clock restarts
  (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
  assert runner.wall_times(tmp_path) == {1: 5.0, 2: 7.0, 3: 9.0, 4: 11.0}


def test_gaussian_baseline_matches_the_training_moments(runner):
  rng = np.random.default_rng(1)
  digits = (rng.uniform(size=(400, 4, 4, 1)) ** 2 * 255).astype(np.uint8)
  draws = runner.gaussian_samples(digits, 20000, seed=3)
  assert draws.shape == (20000, 4, 4, 1) and draws.min() >= 0 and draws.max() <= 1
  x = digits.reshape(400, -1) / 255.0
  # Clipping at [0, 1] moves the mean a little; the unclipped middle of the distribution keeps it close.
  np.testing.assert_allclose(draws.reshape(20000, -1).mean(0), x.mean(0), atol=0.03)


@pytest.mark.slow  # a short training run: ~10 s of CPU
def test_restore_reads_each_checkpoint_of_a_run(runner, tmp_path, one_device_mesh):
  """`restore(run, step)` gives that step's generator (the evaluation of a learning curve reads every one)."""
  import jax
  from jgan import sample, train
  config = dataclasses.replace(gan.get_config(), generator_features=8, critic_features=4, latent_dim=4, batch_size=10,
                               steps=4, checkpoint_every=2, sample_every=4, keep_checkpoints=5, log_every=2)
  train.run(config, tmp_path / "run", progress=False, mesh=one_device_mesh)
  assert runner.checkpoint_steps(tmp_path / "run") == [2, 4]
  early, _, _ = runner.restore(tmp_path / "run", 2)
  late, late_config, _ = runner.restore(tmp_path / "run", 4)
  latest, _, _ = sample.load_generator(tmp_path / "run")
  same = jax.tree.map(np.array_equal, late.generator.params, latest.generator.params)
  assert all(jax.tree.leaves(same)) and late_config == config
  assert not all(jax.tree.leaves(jax.tree.map(np.array_equal, early.generator.params, late.generator.params)))


# --- Goodfellow et al.'s generator as their code initializes it (generator_init='goodfellow'). ---

def test_output_bias_from_marginals_by_hand():
  from jgan.models import maxout
  images = np.zeros((4, 1, 4, 1), np.uint8)  # pixel 0 always black, 1 always white, 2 half white, 3 a quarter
  images[:, 0, 1] = 255
  images[:2, 0, 2] = 255
  images[:1, 0, 3] = 255
  bias = maxout.output_bias_from_marginals(images)
  edge = math.log(1e-7 / (1 - 1e-7))  # pylearn2 clips the means to [1e-7, 1 - 1e-7]
  np.testing.assert_allclose(bias, [edge, -edge, 0.0, math.log(1 / 3)], rtol=1e-5, atol=1e-6)


def test_goodfellow_generator_starts_at_the_training_marginals(one_device_mesh):
  """Weights in U(-0.05, 0.05), hidden biases 0, output biases the logits of the 8,000 training digits' pixel means,
  so the fresh generator's mean sample is close to the mean training digit (the torch-initialized one is not)."""
  import jax
  from jgan import train
  from jgan.models import maxout
  from jgan.data import splits
  config = dataclasses.replace(gan.get_config(), eval_every=0)  # the recipe's default since issue 36
  assert config.generator_init == "goodfellow"
  experiment = train.GANExperiment(config)
  experiment.prepare(one_device_mesh)
  state = experiment.init_state()
  params = state.generator.params
  expected = maxout.output_bias_from_marginals(splits.load_split("digits", "train").images)
  np.testing.assert_array_equal(np.asarray(params["output"]["bias"]), expected)
  for name in ("hidden_0", "hidden_1", "output"):
    assert float(np.abs(params[name]["kernel"]).max()) <= 0.05
  assert not np.any(np.asarray(params["hidden_0"]["bias"])) and not np.any(np.asarray(params["hidden_1"]["bias"]))
  mean_digit = splits.load_split("digits", "train").images.mean(0) / 127.5 - 1.0
  z = {"z": jax.random.normal(jax.random.PRNGKey(0), (500, config.latent_dim))}
  earlier = dataclasses.replace(gan.get_config(), generator_init="torch")  # experiments/maxout's gan_torch
  for candidate, near in ((state, True), (train.create_state(earlier, (28, 28, 1)), False)):
    samples = np.asarray(train.generate(candidate, experiment.game, z))
    assert (np.abs(samples.mean(0) - mean_digit).mean() < 0.1) == near


@pytest.mark.parametrize("overrides", [dict(arch="mlp"), dict(arch="dcgan", image_size=32)])
def test_goodfellow_generator_is_refused_where_it_does_not_apply(overrides):
  from jgan.configs.base import validate
  config = dataclasses.replace(gan.get_config(), generator_init="goodfellow", **overrides)
  with pytest.raises(ValueError, match="generator_init 'goodfellow'"):
    validate(config, 1)


@pytest.mark.parametrize("overrides, message", [
    (dict(), "critic_label_init 'fan_in' sets the label path .* only game 'cgan' gives it; got game 'gan'"),
    (dict(game="cgan", arch="dcgan", image_size=32, max_col_norm=0.0, generator_init="torch"),
     "critic_label_init 'fan_in': initializations of the maxout arch's nets .* got arch 'dcgan'")])
def test_fan_in_label_path_is_refused_without_a_maxout_cgan(overrides, message):
  from jgan.configs.base import validate
  config = dataclasses.replace(gan.get_config(), critic_label_init="fan_in", **overrides)
  with pytest.raises(ValueError, match=message):
    validate(config, 1)


def test_gan_recipe_defaults_to_the_codes_generator_and_its_fast_preset_keeps_the_measured_one():
  """Since issue 36 the GAN recipe's generator is Goodfellow et al.'s (all three recorded seeds learn; PyTorch's
  initialization diverged in one). The fast preset's choice and run were measured with PyTorch's, so it keeps that;
  the recipe on other nets names the one flag to pass."""
  from jgan.configs.base import validate
  assert gan.get_config().generator_init == "goodfellow"
  fast = gan.PRESETS["fast"].apply(gan.get_config())
  assert fast.generator_init == "torch" and fast.arch == "maxout"
  validate(fast, 1)
  with pytest.raises(ValueError, match=r"^generator_init 'goodfellow': .*got arch 'dcgan' \(with it, pass "
                                       r"--generator-init torch\)$"):
    validate(dataclasses.replace(gan.get_config(), arch="dcgan", image_size=32), 1)


def test_cgan_recipe_on_other_nets_names_both_maxout_initializations():
  """The cGAN recipe with --arch dcgan: one error naming both maxout-only initializations and the flags to pass."""
  from jgan.configs import cgan
  from jgan.configs.base import validate
  config = dataclasses.replace(cgan.get_config(), arch="dcgan", image_size=32, max_col_norm=0.0)
  with pytest.raises(ValueError, match="generator_init 'goodfellow' and critic_label_init 'fan_in': .*pass "
                                       "--generator-init torch --critic-label-init pylearn2"):
    validate(config, 1)


def test_cgan_recipe_initializes_as_goodfellow_et_al_with_a_fan_in_label_path(one_device_mesh):
  """The cGAN recipe: Mirza and Osindero's generator with Goodfellow et al.'s initialization (weights in
  U(-0.05, 0.05), hidden biases 0, output biases at the training pixels' marginals) and the discriminator's label
  path at U(-1/sqrt(10), 1/sqrt(10)), its other layers at U(-0.005, 0.005). The earlier recipe (PyTorch's
  initialization, cgan_torch in experiments/maxout) keeps its parameter layout, and marginal biases are refused
  for it instead of being added where its output layer would never read them."""
  from jgan import train
  from jgan.configs import cgan
  from jgan.data import splits
  from jgan.models import maxout
  config = dataclasses.replace(cgan.get_config(), eval_every=0)
  experiment = train.GANExperiment(config)
  experiment.prepare(one_device_mesh)
  state = experiment.init_state()
  g, d = state.generator.params, state.discriminator.params
  expected = maxout.output_bias_from_marginals(splits.load_split("digits", "train").images)
  np.testing.assert_array_equal(np.asarray(g["output"]["bias"]), expected)
  for name in ("z_path", "y_path", "joint", "output"):
    assert 0.045 < float(np.abs(g[name]["kernel"]).max()) <= 0.05 + 1e-7  # float32's 0.05
  for name in ("z_path", "y_path", "joint"):
    assert not np.any(np.asarray(g[name]["bias"]))
  label_limit = float(np.abs(d["y_path"]["Dense_0"]["kernel"]).max())
  assert 0.9 * 10 ** -0.5 < label_limit <= 10 ** -0.5 + 1e-7
  for name in ("x_path", "Maxout_0"):
    assert float(np.abs(d[name]["Dense_0"]["kernel"]).max()) <= 0.005 + 1e-8
  earlier = dataclasses.replace(config, generator_init="torch", critic_label_init="pylearn2")
  old = train.create_state(earlier, (28, 28, 1))
  assert set(old.generator.params["output"]) == {"Dense_0"}
  assert float(np.abs(old.discriminator.params["y_path"]["Dense_0"]["kernel"]).max()) <= 0.005 + 1e-8
  with pytest.raises(ValueError, match="generator_output_bias needs a generator whose 'output' layer holds"):
    train.create_state(earlier, (28, 28, 1), expected)
