"""The rotation feature net (`jgan.superres.feature_net`): shapes, training on digits, save/load, frozen parameters."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jgan import data
from jgan.data import splits
from jgan.superres import feature_net
from jgan.superres.features import FeatureExtractor, content_loss

# Small enough for a loaded 2-core machine (the training fixture: about 12 s of CPU, 20-40 s wall at load 11).
# Measured with these settings on 2,000 training digits at 16x16: rotation accuracy on 500 held-out digits 0.844,
# 0.836, 0.837 for seeds 0, 1, 2 (chance 0.25); with the labels shuffled against the rotations, 0.25.
FEATURES, STEPS, BATCH = (16, 32, 64), 200, 32
MIN_ACCURACY = 0.65


@pytest.fixture(scope="module")
def digits16():
  """(train, held out) digits at 16x16: digits have an up direction, so their rotation can be learnt."""
  images = data.load("digits", image_size=16, resize="bilinear").images
  return (images[splits.split_indices("digits", "train")][:2000],
          images[splits.split_indices("digits", "validation")][:500])


@pytest.fixture(scope="module")
def trained(digits16):
  train, held_out = digits16
  return feature_net.train_feature_net(train, steps=STEPS, batch_size=BATCH, features=FEATURES, seed=0,
                                       validation=held_out)


def test_rotation_net_shapes_and_colour_training():
  # One tiny training on colour images (a single compilation of the module, shared by all the checks). Each image
  # is one flat colour: its four turns are the same image, so no net can tell them apart, and training warns.
  colours = np.random.default_rng(0).integers(0, 256, (8, 1, 1, 3), dtype=np.uint8)
  images = np.broadcast_to(colours, (8, 16, 16, 3))
  with pytest.warns(RuntimeWarning, match="did not learn its task"):
    extractor, metrics = feature_net.train_feature_net(images, steps=2, batch_size=4, features=(4, 8, 16))
  assert metrics["train_rotation_accuracy"] == 0.25
  assert set(extractor.params) == {"conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2", "rotation"}
  assert extractor.params["conv1_1"]["kernel"].shape == (3, 3, 3, 4)
  assert metrics["channels"] == 3 and "validation_rotation_accuracy" not in metrics
  features = extractor(jnp.full((2, 16, 16, 3), 0.5))
  assert features.shape == (2, 4, 4, 16) and bool(jnp.all(features >= 0))  # a ReLU map, pooled twice
  with pytest.raises(ValueError, match="3-channel"):
    extractor(jnp.zeros((1, 16, 16, 1)))
  # The default architecture, by shape only: (32, 64, 128), two pools.
  shape = jax.eval_shape(lambda: feature_net.RotationNet().init_with_output(
      jax.random.PRNGKey(0), jnp.zeros((1, 32, 32, 1)), head=False)[0])
  assert shape.shape == (1, 8, 8, 128)
  logits = jax.eval_shape(lambda: feature_net.RotationNet().init_with_output(
      jax.random.PRNGKey(0), jnp.zeros((1, 32, 32, 1)), head=True)[0])
  assert logits.shape == (1, 4)


def test_rotate_turns_each_image_by_its_own_k():
  images = jnp.arange(4 * 3 * 3 * 2, dtype=jnp.float32).reshape(4, 3, 3, 2)
  k = jnp.array([0, 1, 2, 3])
  turned = feature_net.rotate(images, k)
  for n in range(4):
    np.testing.assert_array_equal(turned[n], np.rot90(np.asarray(images[n]), n, axes=(0, 1)))


def test_training_learns_rotations_of_held_out_digits(trained):
  extractor, metrics = trained
  assert metrics["validation_rotation_accuracy"] > MIN_ACCURACY, metrics
  assert metrics["loss_last_tenth"] < metrics["loss_first_tenth"]
  assert metrics["steps"] == STEPS and metrics["channels"] == 1 and metrics["validation_images"] == 500
  assert isinstance(extractor, FeatureExtractor) and extractor.name == "rotation-net/conv3_2"
  assert "vgg" not in extractor.name.lower()
  assert extractor(jnp.zeros((3, 16, 16, 1))).shape == (3, 4, 4, 64)


def test_save_load_round_trip(trained, digits16, tmp_path):
  extractor, metrics = trained
  path = tmp_path / "net" / "feature_net.msgpack"
  feature_net.save_feature_net(path, extractor.replace(scale=0.5), {"training": metrics})
  record = json.loads(path.with_suffix(".json").read_text())
  assert record["features"] == list(FEATURES) and record["channels"] == 1
  assert record["metadata"]["training"]["steps"] == STEPS
  loaded = feature_net.load_feature_net(path)
  assert loaded.name == extractor.name and loaded.scale == 0.5
  images = data.to_unit_range(jnp.asarray(digits16[1][:8]))
  np.testing.assert_array_equal(loaded(images), 0.5 * extractor(images))
  assert feature_net.rotation_accuracy(loaded, digits16[1]) == metrics["validation_rotation_accuracy"]


def test_load_errors_name_the_file(trained, tmp_path):
  extractor, _ = trained
  path = tmp_path / "feature_net.msgpack"
  with pytest.raises(ValueError, match="feature_net.msgpack: no such file"):
    feature_net.load_feature_net(path)
  feature_net.save_feature_net(path, extractor, {})
  good = path.read_bytes()
  path.write_bytes(good[:len(good) // 2])
  with pytest.raises(ValueError, match="feature_net.msgpack"):
    feature_net.load_feature_net(path)
  path.write_bytes(good)
  sidecar = path.with_suffix(".json")
  record = json.loads(sidecar.read_text())
  sidecar.write_text("{not json")
  with pytest.raises(ValueError, match="feature_net.json"):
    feature_net.load_feature_net(path)
  sidecar.write_text(json.dumps({**record, "features": [16, 32, 32]}))  # another architecture than the weights'
  with pytest.raises(ValueError, match="feature_net.msgpack: parameter"):
    feature_net.load_feature_net(path)
  sidecar.unlink()
  with pytest.raises(ValueError, match="feature_net.json: no such file"):
    feature_net.load_feature_net(path)


def test_extractor_parameters_get_zero_gradient(trained):
  extractor, _ = trained
  outputs = jax.random.uniform(jax.random.PRNGKey(1), (2, 16, 16, 1), minval=-1, maxval=1)
  targets = jax.random.uniform(jax.random.PRNGKey(2), (2, 16, 16, 1), minval=-1, maxval=1)
  grads = jax.jit(jax.grad(lambda ex, out: content_loss(ex, out, targets), argnums=(0, 1)))(extractor, outputs)
  assert all(bool(jnp.all(g == 0)) for g in jax.tree_util.tree_leaves(grads[0]))
  assert bool(jnp.any(grads[1] != 0))  # the loss still reaches the generator's outputs


def test_input_checks():
  images = np.random.default_rng(0).integers(0, 256, (8, 8, 8, 3), dtype=np.uint8)
  with pytest.raises(ValueError, match="square"):
    feature_net.train_feature_net(images[:, :, :6], steps=1)
  with pytest.raises(ValueError, match="uint8"):
    feature_net.train_feature_net(images.astype(np.float32), steps=1)
  with pytest.raises(ValueError, match="differ"):
    feature_net.train_feature_net(images, steps=1, validation=images[..., :1])
