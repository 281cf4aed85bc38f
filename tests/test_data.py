"""Data sets (embedded digits, .npz files, TFDS names: prepared here, or under mock data) and the on-device batch
stream."""

import io
import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jgan import data

DIGIT_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]


@pytest.fixture(scope="module")
def digits() -> data.ImageDataset:
  return data.load("digits")


def test_digits_shape_dtype_and_label_counts(digits):
  assert digits.images.shape == (10000, 28, 28, 1) and digits.images.dtype == np.uint8
  assert digits.shape == (28, 28, 1) and len(digits) == 10000
  assert digits.labels.shape == (10000,) and digits.labels.dtype == np.int32
  np.testing.assert_array_equal(np.bincount(digits.labels, minlength=10), DIGIT_COUNTS)


def test_digits_look_like_digits(digits):
  """Mostly background 0, strokes near 255, and the ten classes have distinguishable mean images."""
  images = digits.images
  assert 0.7 < np.mean(images == 0) < 0.9
  per_image_zero = np.mean(images.reshape(len(images), -1) == 0, axis=1)
  assert per_image_zero.min() > 0.5 and per_image_zero.max() < 0.99
  ink = images[images > 0]
  assert images.max() == 255 and np.median(ink) > 180 and np.percentile(ink, 90) >= 250
  # The 2-pixel frame is background but for a few strokes; ink concentrates in the centre.
  frame = np.concatenate([images[:, :2].ravel(), images[:, -2:].ravel(), images[:, :, :2].ravel(),
                          images[:, :, -2:].ravel()])
  assert np.mean(frame > 0) < 0.01
  assert images[:, 8:20, 8:20].mean() > 2.5 * images.mean()
  # A nearest-class-mean classifier fitted on half the digits labels the other half far above chance (0.1).
  flat, labels = images.reshape(len(images), -1).astype(np.float32), digits.labels
  means = np.stack([flat[0::2][labels[0::2] == c].mean(axis=0) for c in range(10)])
  predicted = np.argmin(((flat[1::2, None, :] - means[None]) ** 2).sum(-1), axis=1)
  assert np.mean(predicted == labels[1::2]) > 0.7


def test_pad_to_32_is_centred(digits):
  padded = data.load("digits", image_size=32)
  assert padded.images.shape == (10000, 32, 32, 1) and padded.images.dtype == np.uint8
  np.testing.assert_array_equal(padded.images[:, 2:30, 2:30], digits.images)
  assert padded.images.sum(dtype=np.int64) == digits.images.sum(dtype=np.int64)  # the border is all zeros
  np.testing.assert_array_equal(padded.labels, digits.labels)


def test_pad_to_odd_margin_puts_extra_row_after():
  images = np.full((2, 3, 4, 1), 7, np.uint8)
  padded = data.resize_images(images, 6, "pad")
  assert padded.shape == (2, 6, 6, 1)
  np.testing.assert_array_equal(np.argwhere(padded[0, ..., 0] == 7)[[0, -1]], [[1, 1], [3, 4]])


def test_pad_cannot_shrink(digits):
  with pytest.raises(ValueError, match="cannot pad 28x28 images to 16x16"):
    data.resize_images(digits.images[:2], 16, "pad")


@pytest.mark.parametrize("size", [14, 56])
def test_bilinear_resize(digits, size: int):
  resized = data.resize_images(digits.images[:200], size, "bilinear")
  assert resized.shape == (200, size, size, 1) and resized.dtype == np.uint8
  # Mean intensity is preserved to a few percent (antialiased when shrinking).
  np.testing.assert_allclose(resized.mean(), digits.images[:200].mean(), rtol=0.05)


def test_load_bilinear_and_unknown_resize_mode():
  assert data.load("digits", image_size=16, resize="bilinear").images.shape == (10000, 16, 16, 1)
  with pytest.raises(ValueError, match="resize must be one of"):
    data.load("digits", image_size=16, resize="nearest")


def _write(path: pathlib.Path, **arrays) -> str:
  np.savez(path, **arrays)
  return str(path)


def test_npz_without_channel_axis(tmp_path):
  images = np.arange(5 * 6 * 6, dtype=np.uint8).reshape(5, 6, 6)
  loaded = data.load(_write(tmp_path / "a.npz", images=images))
  assert loaded.images.shape == (5, 6, 6, 1) and loaded.labels is None
  np.testing.assert_array_equal(loaded.images[..., 0], images)


def test_npz_with_channels_and_labels(tmp_path):
  images = np.random.default_rng(0).integers(0, 256, (4, 8, 8, 3), dtype=np.uint8)
  path = _write(tmp_path / "rgb.npz", images=images, labels=np.array([3, 1, 4, 1], np.int64))
  loaded = data.load(path, image_size=12)
  assert loaded.images.shape == (4, 12, 12, 3) and loaded.name == path
  np.testing.assert_array_equal(loaded.images[:, 2:10, 2:10], images)
  assert loaded.labels.dtype == np.int32
  np.testing.assert_array_equal(loaded.labels, [3, 1, 4, 1])


def _malformed(tmp_path: pathlib.Path, case: str) -> str:
  path = tmp_path / f"{case}.npz"
  images = np.zeros((3, 4, 4), np.uint8)
  if case == "float32":
    return _write(path, images=images.astype(np.float32))
  if case == "labels_length":
    return _write(path, images=images, labels=np.zeros(2, np.int32))
  if case == "float_labels":
    return _write(path, images=images, labels=np.zeros(3, np.float32))
  if case == "no_images":
    return _write(path, pictures=images)
  if case == "bad_rank":
    return _write(path, images=np.zeros((3, 4), np.uint8))
  if case == "not_zip":
    path.write_text("this is not a zip archive\n")
  elif case == "single_array":
    with path.open("wb") as f:
      np.save(f, images)
  return str(path)


@pytest.mark.parametrize("case, message", [
    ("float32", "'images' must be uint8, got float32"),
    ("labels_length", r"'labels' must have shape \(3,\)"),
    ("float_labels", "'labels' must be integers"),
    ("no_images", "no array named 'images'"),
    ("bad_rank", r"must have shape \(N, H, W\)"),
    ("not_zip", "not a readable .npz file"),
    ("single_array", "not an .npz archive"),
])
def test_malformed_npz_refused_naming_the_file(tmp_path, case: str, message: str):
  path = _malformed(tmp_path, case)
  with pytest.raises(ValueError, match=message) as error:
    data.load(path)
  assert path in str(error.value)


def test_missing_npz_refused(tmp_path):
  path = str(tmp_path / "nowhere" / "missing.npz")
  with pytest.raises(ValueError, match="no such .npz file") as error:
    data.load(path)
  assert path in str(error.value)


def test_unknown_dataset_refused():
  with pytest.raises(ValueError, match="unknown dataset 'no_such_dataset_xyz'"):
    data.check_name("no_such_dataset_xyz")
  with pytest.raises(ValueError, match="unknown dataset"):
    data.load("no_such_dataset_xyz")


@pytest.fixture
def tfds_mock(monkeypatch):
  """`tfds.testing.mock_data`, with TFDS's mocked batch read (`source.__getitems__`) made callable.

  TFDS 4.9 assigns `__getitems__` on a MagicMock instance, where (unlike `__getitem__`, which mock knows) it stays
  an unbound attribute, so `data_source.__getitems__(keys)` misses its `self` argument.
  """
  tfds = pytest.importorskip("tensorflow_datasets")
  from tensorflow_datasets.testing import mocking
  getitems = mocking._getitems
  monkeypatch.setattr(mocking, "_getitems",
                      lambda *args, **kwargs: getitems(None, *args, **kwargs) if len(args) == 1
                      else getitems(*args, **kwargs))
  return tfds.testing.mock_data


@pytest.mark.parametrize("name, num, shape", [("mnist", 12, (28, 28, 1)), ("cifar10", 5, (32, 32, 3))])
def test_tfds_name_under_mock_data(tfds_mock, tmp_path, name: str, num: int, shape: tuple[int, ...]):
  with tfds_mock(num_examples=num, data_dir=str(tmp_path)):  # never downloads: examples are made up
    dataset = data.load(name, split="train")
    resized = data.load(name, split="train", image_size=16, resize="bilinear")
  assert dataset.images.shape == (num, *shape) and dataset.images.dtype == np.uint8
  assert dataset.labels.shape == (num,) and dataset.labels.dtype == np.int32
  assert dataset.labels.min() >= 0 and dataset.labels.max() < 10
  assert resized.images.shape == (num, 16, 16, shape[-1])
  assert not any(tmp_path.iterdir())  # nothing was downloaded or prepared


# --- TFDS data sets really prepared on disk (built here from the embedded digits: nothing is downloaded). ---

TFDS_TRAIN, TFDS_TEST = 24, 6  # the splits of conftest's tfds_digit_builder: embedded digits 0-23 and 24-29


def _assert_same_examples(loaded: data.ImageDataset, images: np.ndarray, labels: np.ndarray) -> None:
  """The very pixels and labels (PNG is lossless), in TFDS's order: it shuffles examples by key when preparing."""
  def in_pixel_order(images, labels):
    order = np.lexsort(images.reshape(len(images), -1).T[::-1])
    return images[order], labels[order]
  for got, want in zip(in_pixel_order(loaded.images, loaded.labels), in_pixel_order(images, labels)):
    np.testing.assert_array_equal(got, want)


@pytest.fixture(scope="module")
def tfds_digits(tmp_path_factory, tfds_digit_builder) -> tuple[str, str]:
  """A registered TFDS set, not yet prepared: (name, data_dir)."""
  tfds_digit_builder("JganTestDigits")
  return "jgan_test_digits", str(tmp_path_factory.mktemp("tfds"))


def test_tfds_set_is_prepared_then_read_exactly(tfds_digits, digits):
  name, data_dir = tfds_digits
  train = data.load(name, data_dir=data_dir)  # prepares it (in array_record), then reads it by index
  prepared = pathlib.Path(data_dir, name, "1.0.0")
  assert json.loads((prepared / "dataset_info.json").read_text())["fileFormat"] == "array_record"
  stamp = (prepared / "dataset_info.json").stat().st_mtime_ns
  again = data.load(name, data_dir=data_dir)  # read as prepared, not prepared again
  test = data.load(name, split="test", data_dir=data_dir, image_size=32)
  assert (prepared / "dataset_info.json").stat().st_mtime_ns == stamp
  np.testing.assert_array_equal(again.images, train.images)  # the same order each time
  np.testing.assert_array_equal(again.labels, train.labels)
  assert train.images.dtype == np.uint8 and train.labels.dtype == np.int32
  expected_test = data.resize_images(digits.images[TFDS_TRAIN:TFDS_TRAIN + TFDS_TEST], 32)
  _assert_same_examples(train, digits.images[:TFDS_TRAIN], digits.labels[:TFDS_TRAIN])
  _assert_same_examples(test, expected_test, digits.labels[TFDS_TRAIN:TFDS_TRAIN + TFDS_TEST])


def test_tfds_set_prepared_without_its_builder(tmp_path, digits, tfds_digit_builder):
  """A set prepared elsewhere (e.g. by a user's own builder) is found under data_dir by name alone."""
  tfds = pytest.importorskip("tensorflow_datasets")
  with tfds.core.registered.skip_registration():
    builder = tfds_digit_builder("JganUnregisteredDigits")
  builder(data_dir=str(tmp_path)).download_and_prepare(file_format="array_record")
  with pytest.raises(ValueError, match="unknown dataset 'jgan_unregistered_digits'"):
    data.check_name("jgan_unregistered_digits")  # not under TFDS's default directory
  data.check_name("jgan_unregistered_digits", str(tmp_path))
  loaded = data.load("jgan_unregistered_digits", data_dir=str(tmp_path))
  _assert_same_examples(loaded, digits.images[:TFDS_TRAIN], digits.labels[:TFDS_TRAIN])


def test_tfds_set_that_cannot_be_prepared_is_refused_clearly(tmp_path, tfds_digit_builder):
  tfds_digit_builder("JganManualDigits", manual=True)
  with pytest.raises(ValueError, match="'jgan_manual_digits' is not prepared under .* could not be prepared here "
                                       r"\(AssertionError: Manual directory .*tfds build jgan_manual_digits"):
    data.load("jgan_manual_digits", data_dir=str(tmp_path))


def test_tfds_set_whose_images_tfds_cannot_encode_here_is_refused_clearly(tmp_path, tfds_digit_builder):
  """TFDS encodes array images (mnist's, cifar10's) with TensorFlow, which jgan does not install."""
  try:
    import tensorflow  # noqa: F401
    pytest.skip("TensorFlow is installed here: TFDS can encode the images")
  except ImportError:
    pass
  tfds_digit_builder("JganArrayDigits", as_arrays=True)
  with pytest.raises(ValueError, match="'jgan_array_digits' is not prepared under .*No module named 'tensorflow'.*"
                                       r"preparing it needs TensorFlow: `pip install tensorflow` there"):
    data.load("jgan_array_digits", data_dir=str(tmp_path))


def test_tfds_set_of_several_image_shapes_is_refused_clearly(tmp_path, tfds_digit_builder):
  tfds_digit_builder("JganRaggedDigits", ragged=True)
  with pytest.raises(ValueError, match=r"'jgan_ragged_digits' split 'train' has images of 2 different shapes \(e.g. "
                                       r"\[\(27, 28, 1\), \(28, 28, 1\)\]\); jgan trains on one shape"):
    data.load("jgan_ragged_digits", data_dir=str(tmp_path))


def test_tfds_set_prepared_as_tfrecord_is_refused_clearly(tmp_path, tfds_digit_builder):
  """`tfds.load` prepares TFRecord files by default, which have no random access; jgan reads by index."""
  tfds = pytest.importorskip("tensorflow_datasets")
  tfds_digit_builder("JganTfrecordDigits")
  tfds.builder("jgan_tfrecord_digits", data_dir=str(tmp_path)).download_and_prepare(file_format="array_record")
  info = tmp_path / "jgan_tfrecord_digits" / "1.0.0" / "dataset_info.json"
  # Writing TFRecord files needs TensorFlow, which is not installed: the metadata says what TFDS would have written.
  info.write_text(json.dumps({**json.loads(info.read_text()), "fileFormat": "tfrecord"}))
  with pytest.raises(ValueError, match=r"prepared under .* as \['tfrecord'\], which cannot be read by index; jgan "
                                       r"reads \['array_record', 'parquet'\]"):
    data.load("jgan_tfrecord_digits", data_dir=str(tmp_path))


def test_missing_data_dir_refused(tmp_path):
  missing = str(tmp_path / "no_such_dir")
  with pytest.raises(ValueError, match=f"data_dir '{missing}': no such directory"):
    data.check_name("mnist", missing)


def test_config_reads_a_tfds_set_from_its_data_dir(tfds_digits, digits):
  from jgan import train
  from jgan.configs import base
  name, data_dir = tfds_digits
  config = base.Config(dataset=name, data_dir=data_dir, batch_size=8)
  base.validate(config)
  source, shape = train.load_source(config)
  assert shape == [28, 28, 1]
  _assert_same_examples(data.ImageDataset(name, np.asarray(source.images), np.asarray(source.labels)),
                        data.resize_images(digits.images[:TFDS_TRAIN], 32), digits.labels[:TFDS_TRAIN])
  with pytest.raises(ValueError, match="data_dir .*no such directory"):
    base.validate(base.Config(dataset=name, data_dir=data_dir + "_missing"))


# --- The batch stream. ---

NUM_EXAMPLES, BATCH = 50, 8  # 6 batches per epoch, 2 examples dropped each epoch
BATCHES_PER_EPOCH = NUM_EXAMPLES // BATCH


@jax.jit
def _stream(data_rng: jax.Array, positions: jax.Array) -> jax.Array:
  return jax.vmap(lambda p: data.batch_indices(data_rng, p, NUM_EXAMPLES, BATCH))(positions)


def _epochs(seed: int, num_epochs: int = 3) -> np.ndarray:
  batches = np.asarray(_stream(jax.random.PRNGKey(seed), jnp.arange(num_epochs * BATCHES_PER_EPOCH)))
  return batches.reshape(num_epochs, BATCHES_PER_EPOCH * BATCH)


def test_batch_indices_shape_and_determinism():
  batch = data.batch_indices(jax.random.PRNGKey(0), jnp.int32(7), NUM_EXAMPLES, BATCH)
  assert batch.shape == (BATCH,) and jnp.issubdtype(batch.dtype, jnp.integer)
  np.testing.assert_array_equal(_epochs(0), _epochs(0))
  np.testing.assert_array_equal(batch, _epochs(0)[1, BATCH:2 * BATCH])  # position 7 = epoch 1, batch 1


def test_batch_indices_permute_within_an_epoch():
  for epoch in _epochs(0):
    assert len(np.unique(epoch)) == BATCHES_PER_EPOCH * BATCH == 48  # no repeats across an epoch's batches
    assert epoch.min() >= 0 and epoch.max() < NUM_EXAMPLES  # the 2 missing ones are the dropped remainder


def test_batch_indices_epochs_and_keys_differ():
  epochs = _epochs(0)
  assert not np.array_equal(epochs[0], epochs[1]) and not np.array_equal(epochs[1], epochs[2])
  assert np.mean(_epochs(1) != epochs) > 0.5


def test_unit_range_round_trip():
  pixels = np.arange(256, dtype=np.uint8)
  unit = data.to_unit_range(jnp.asarray(pixels))
  assert unit.dtype == jnp.float32
  np.testing.assert_allclose(unit[jnp.array([0, 255])], [-1.0, 1.0])
  assert float(unit.min()) >= -1.0 and float(unit.max()) <= 1.0
  back = data.to_uint8(unit)
  assert back.dtype == np.uint8
  np.testing.assert_array_equal(back, pixels)
  np.testing.assert_array_equal(data.to_uint8(np.array([-3.0, -1.0, 0.0, 1.0, 7.0])), [0, 0, 128, 255, 255])
