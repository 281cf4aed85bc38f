"""SRResNet and SRGAN: config checks, data, the step's wiring, tiling, devices, resume, learning and the commands."""

from __future__ import annotations

import dataclasses
import functools
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jgan import parallel
from jgan.data.source import PairedSource
from jgan.eval import image_quality
from jgan.superres import data as sr_data
from jgan.superres import evaluate, experiment, srgan
from jgan.superres.config import SuperResolutionConfig, validate
from jgan.superres.features import FeatureExtractor
from jgan.testing import tree_equal, with_sgd

TINY = dict(dataset="digits", image_size=28, scale=4, batch_size=4, generator_blocks=0, generator_features=8,
            discriminator_features=4, content="mse", log_every=2, sample_every=2, checkpoint_every=2, num_samples=2,
            eval_samples=8)


def tiny(**overrides) -> SuperResolutionConfig:
  return dataclasses.replace(SuperResolutionConfig(**TINY), **overrides)


def _images(n: int, size: int, channels: int, seed: int) -> np.ndarray:
  return np.random.default_rng(seed).integers(0, 256, (n, size, size, channels), dtype=np.uint8)


# --- Configuration and data. ---

@pytest.mark.parametrize("overrides, match", [
    (dict(scale=3), "scale"),
    (dict(image_size=30), "image_size"),
    (dict(content="vgg54"), "feature-weights"),
    (dict(content="pixels"), "content"),
    (dict(adversarial_weight=-1.0), "adversarial_weight"),
    (dict(dataset="no/such/folder"), "no/such/folder"),
    (dict(feature_weights="missing.h5", content="rotation"), "missing.h5"),
])
def test_bad_configs_are_refused_naming_the_field(overrides, match):
  with pytest.raises(ValueError, match=match):
    validate(tiny(**overrides))


def test_bad_config_stops_a_run_before_anything_is_written(tmp_path, one_device_mesh):
  with pytest.raises(ValueError, match="scale"):
    experiment.run(tiny(scale=3), tmp_path / "run", mesh=one_device_mesh, progress=False)
  assert not (tmp_path / "run").exists()


def test_box_downscale_is_block_means_and_modcrop_trims():
  image = np.arange(16, dtype=np.uint8).reshape(1, 4, 4, 1) * 10
  box = sr_data.downscale(image, 2, "box")
  np.testing.assert_array_equal(box[0, ..., 0], [[25, 45], [105, 125]])  # (0+10+40+50)/4 = 25, ...
  assert sr_data.modcrop(np.zeros((10, 13, 3)), 4).shape == (8, 12, 3)
  with pytest.raises(ValueError, match="multiples of scale"):
    sr_data.downscale(image[:, :3], 2)


def test_splits_have_inputs_of_the_scaled_size():
  digits = sr_data.load_split("digits", "validation", image_size=28, scale=4)
  low, high = digits.stacked()
  assert high.shape == (1000, 28, 28, 1) and low.shape == (1000, 7, 7, 1) and len(digits.labels[0]) == 1000
  photos = sr_data.load_split("photos", "test", image_size=64, scale=4)
  assert [h.shape for h in photos.high] == [(1, 424, 640, 3)]  # the whole held-out photo, trimmed to 4's multiple
  assert photos.low[0].shape == (1, 106, 160, 3)


def test_folder_sets_read_whole_images_and_cut_training_crops(tmp_path):
  from jgan import images as image_io
  for split, sizes in (("train", [(40, 48), (36, 36)]), ("val", [(20, 24)]), ("test", [(16, 16)])):
    (tmp_path / split).mkdir()
    for i, (h, w) in enumerate(sizes):
      image_io.save_png(tmp_path / split / f"{i}.png", _images(1, max(h, w), 3, i)[0, :h, :w])
  train = sr_data.load_split(str(tmp_path), "train", image_size=16, scale=4, train_crops=5)
  assert train.stacked()[1].shape == (5, 16, 16, 3)
  validation = sr_data.load_split(str(tmp_path), "validation", image_size=16, scale=4)
  assert validation.high[0].shape == (1, 20, 24, 3) and validation.low[0].shape == (1, 5, 6, 3)
  with pytest.raises(ValueError, match="smaller than the crop"):
    sr_data.load_split(str(tmp_path), "train", image_size=40, scale=4)


# --- The step. ---

def _abstract_state(config, channels=1):
  return jax.eval_shape(lambda: experiment.create_state(config, channels))


def test_srresnet_has_no_discriminator_and_srgan_has_one():
  srresnet = _abstract_state(tiny(adversarial_weight=0.0))
  assert set(srresnet.nets) == {"generator"} and [p.name for p in srresnet.phases] == ["generator"]
  srgan_state = _abstract_state(tiny())
  assert set(srgan_state.nets) == {"generator", "discriminator"}


def test_mse_srresnet_gradient_is_the_mse_gradient():
  """With SGD, one SRResNet step moves the generator by -lr * d mean(G(x) - y)^2 / d theta, nothing else."""
  config = tiny(adversarial_weight=0.0)
  state = with_sgd(experiment.create_state(config, 1))
  source = PairedSource.from_arrays(_images(4, 7, 1, 0), _images(4, 28, 1, 1))
  new_state, metrics = jax.jit(functools.partial(srgan.train_step, config=config))(state, source, None)
  batch = source.batch(srgan.stream_key(state.rng, 0, 0), state.step, 4)
  generator = state.nets["generator"]

  def mse(params):
    out, _ = generator(srgan.generator_input(batch["a"]), params=params, train=True)
    return jnp.mean(jnp.square(out - batch["b"]))

  loss, grads = jax.jit(jax.value_and_grad(mse))(generator.params)  # compiled: faster than op by op
  np.testing.assert_allclose(float(metrics["g_loss"]), float(loss), rtol=1e-5)
  expected = jax.tree.map(lambda p, g: p - 0.05 * g, generator.params, grads)
  for x, y in zip(jax.tree.leaves(new_state.nets["generator"].params), jax.tree.leaves(expected)):
    np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-4, atol=1e-6)


def _scaled_features(scale: float) -> FeatureExtractor:
  """A fixed 'feature net' that multiplies the image by 2 (features = 2x): feature MSE = 4 x pixel MSE."""
  return FeatureExtractor(params={"w": jnp.asarray(2.0)}, apply_fn=lambda v, x: v["params"]["w"] * x,
                          name="times-two", scale=scale)


def test_content_loss_uses_the_extractor_and_the_adversarial_term_is_weighted():
  config = tiny(content="rotation", adversarial_weight=0.5)
  state = experiment.create_state(config, 1)
  source = PairedSource.from_arrays(_images(4, 7, 1, 0), _images(4, 28, 1, 1))
  _, metrics = jax.jit(functools.partial(srgan.train_step, config=config))(state, source, _scaled_features(1.0))
  np.testing.assert_allclose(float(metrics["content"]), 4 * float(metrics["mse"]), rtol=1e-5)
  np.testing.assert_allclose(float(metrics["g_loss"]),
                             float(metrics["content"]) + 0.5 * float(metrics["g_adversarial"]), rtol=1e-5)
  assert 0 < float(metrics["d_real"]) < 1 and float(metrics["d_loss"]) > 0


def test_content_loss_is_zero_for_identical_images_and_leaves_the_features_frozen():
  from jgan.superres.features import content_loss
  extractor = _scaled_features(1.0)
  x = jnp.asarray(np.random.default_rng(0).normal(size=(2, 8, 8, 3)), jnp.float32)
  assert float(content_loss(extractor, x, x)) == 0.0
  grads = jax.grad(lambda e: content_loss(e, x, x + 1.0))(extractor)
  assert float(grads.params["w"]) == 0.0  # stop_gradient on the extractor's parameters


@pytest.mark.slow  # a minute on 2 cores; pix2pix's default-suite test covers the shared device averaging
def test_four_devices_match_one_device(one_device_mesh):
  """SGD on 1 and 4 simulated devices gives the same state: a gradient summed instead of averaged would show."""
  config = tiny(content="rotation", adversarial_weight=0.1)
  four = parallel.make_mesh(jax.devices()[:4])
  source = PairedSource.from_arrays(_images(8, 7, 1, 0), _images(8, 28, 1, 1))
  results = []
  for mesh in (one_device_mesh, four):
    state = parallel.replicate(with_sgd(experiment.create_state(config, 1, parallel.AXIS)), mesh)
    step = jax.jit(parallel.data_parallel(functools.partial(srgan.train_step, config=config,
                                                            axis_name=parallel.AXIS), mesh))
    extractor = parallel.replicate(_scaled_features(1.0), mesh)
    replicated = parallel.replicate(source, mesh)
    for _ in range(2):
      state, metrics = step(state, replicated, extractor)
    results.append((state, metrics))
  (one, m1), (many, m4) = results
  for x, y in zip(jax.tree.leaves(one), jax.tree.leaves(many)):
    np.testing.assert_allclose(np.asarray(x), np.asarray(y), atol=2e-5, rtol=2e-4)
  for key in m1:
    np.testing.assert_allclose(float(m1[key]), float(m4[key]), rtol=2e-4, atol=2e-5)


# --- Tiling. ---

def test_tiled_upscaling_equals_whole_image_upscaling():
  nearest = lambda low: np.repeat(np.repeat(low, 2, axis=1), 2, axis=2)  # a net with a receptive field of 1
  image = _images(1, 50, 3, 0)[0, :37]
  np.testing.assert_array_equal(evaluate.upscale_image(nearest, image, 2, tile=16, overlap=3), nearest(image[None])[0])
  state = experiment.for_evaluation(experiment.create_state(tiny(generator_blocks=0), 1), tiny(generator_blocks=0), 1)
  fn = lambda low: evaluate.upscale_batches(state, low, 1)
  grey = _images(1, 40, 1, 1)[0]
  whole, tiled = fn(grey[None])[0], evaluate.upscale_image(fn, grey, 4, tile=24, overlap=10)
  assert np.abs(whole.astype(int) - tiled).max() <= 1  # overlap beyond the net's reach: the same up to rounding


# --- Runs. ---

@pytest.mark.slow  # three short runs with a feature net trained in each: over a minute on 2 cores
def test_resume_is_bit_identical(tmp_path, one_device_mesh):
  """SRGAN started from an SRResNet run (as the paper's), stopped and resumed: the same as straight through."""
  experiment.run(tiny(steps=2, adversarial_weight=0.0), tmp_path / "srresnet", mesh=one_device_mesh, progress=False)
  config = tiny(steps=4, content="rotation", feature_steps=3, init_from=str(tmp_path / "srresnet"))
  straight = experiment.run(config, tmp_path / "straight", mesh=one_device_mesh, progress=False)
  experiment.run(dataclasses.replace(config, steps=2), tmp_path / "resumed", mesh=one_device_mesh, progress=False)
  resumed = experiment.run(config, tmp_path / "resumed", resume=True, mesh=one_device_mesh, progress=False)
  assert tree_equal(straight, resumed)
  rows = lambda d: [json.loads(line) for line in (tmp_path / d / "metrics.jsonl").read_text().splitlines()]
  strip = lambda rs: [{k: v for k, v in r.items() if k != "time"} for r in rs if "g_loss" in r]
  assert strip(rows("straight")) == strip(rows("resumed"))
  assert (tmp_path / "straight" / "samples" / "step_000004.png").is_file()
  assert (tmp_path / "straight" / experiment.FEATURE_NET_FILE).is_file()


def test_srresnet_beats_bicubic_on_held_out_digits(tmp_path, one_device_mesh):
  """A short SRResNet run on 7x7 -> 28x28 digits: held-out Y PSNR above bicubic upscaling's."""
  config = tiny(steps=150, batch_size=16, generator_features=16, generator_blocks=2, adversarial_weight=0.0,
                learning_rate=1e-3, sample_every=150, checkpoint_every=150, eval_every=150, eval_samples=300)
  experiment.run(config, tmp_path / "run", mesh=one_device_mesh, progress=False)
  evals = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
           if "eval_psnr_y" in line]
  before, after = evals[0], evals[-1]
  assert before["eval_psnr_y"] < before["eval_bicubic_psnr_y"]  # the untrained net is worse than bicubic
  assert after["eval_psnr_y"] > after["eval_bicubic_psnr_y"] + 0.5


def test_srgan_starts_from_the_srresnet_it_names(tmp_path, one_device_mesh):
  base = tiny(steps=2, adversarial_weight=0.0)
  experiment.run(base, tmp_path / "srresnet", mesh=one_device_mesh, progress=False)
  trained = experiment.load(tmp_path / "srresnet")[0].nets["generator"].params
  started = experiment.create_state(tiny(init_from=str(tmp_path / "srresnet")), 1).nets["generator"].params
  assert tree_equal(trained, started)
  with pytest.raises(ValueError, match="generator_blocks"):
    experiment.SuperResolutionExperiment(tiny(init_from=str(tmp_path / "srresnet"), generator_blocks=2)).validate(1)


def test_upscale_command_writes_each_image_at_scale(tmp_path, one_device_mesh):
  from jgan import images as image_io
  from jgan import upscale
  experiment.run(tiny(steps=2, adversarial_weight=0.0), tmp_path / "run", mesh=one_device_mesh, progress=False)
  (tmp_path / "in").mkdir()
  image_io.save_png(tmp_path / "in" / "a.png", _images(1, 30, 1, 0)[0, :, :22])
  image_io.save_png(tmp_path / "in" / "b.png", _images(1, 9, 3, 1)[0])  # colour into a grey model
  assert upscale.main([str(tmp_path / "in"), "--checkpoint", str(tmp_path / "run"), "--out", str(tmp_path / "out"),
                       "--tile", "16", "--tile-overlap", "4", "--bicubic"]) == 0
  from PIL import Image
  assert Image.open(tmp_path / "out" / "a.png").size == (88, 120)
  assert Image.open(tmp_path / "out" / "b.png").size == (36, 36)
  assert (tmp_path / "out" / "a_bicubic.png").is_file()
  assert upscale.main(["nothing.png", "--checkpoint", str(tmp_path / "run"), "--out", str(tmp_path / "o2")]) == 2


def test_experiment_help_shows_only_its_model_flags(capsys):
  from jgan.experiments import srresnet
  with pytest.raises(SystemExit):
    srresnet.main(["--help"])
  text = capsys.readouterr().out
  assert "--generator-blocks" in text and "--scale" in text
  assert "--discriminator-features DISCRIMINATOR_FEATURES" not in text  # SRResNet has no discriminator
  assert "--feature-weights FEATURE_WEIGHTS" not in text  # nor a feature net


def test_uci_layout_fills_the_frame_and_maps_back_to_mnist_layout():
  digits = sr_data.load_split("digits", "test", image_size=28, scale=4).high[0][:50]
  enlarged = sr_data.uci_layout(digits)
  assert enlarged.shape == (50, 32, 32, 1)
  lo, hi = sr_data.MNIST_BOX
  back = sr_data.to_mnist_layout(enlarged)
  assert back.shape == (50, 28, 28, 1) and back[:, :lo].max() == 0 and back[:, hi:].max() == 0  # a black frame
  inside = lambda x: x[:, lo:hi, lo:hi].astype(float)
  assert np.abs(inside(back) - inside(digits)).mean() < 12  # bicubic up then down: close to the original pixels
  low, labels = sr_data.uci_inputs("test")
  assert low.shape == (300, 8, 8, 1) and len(labels) == 300
