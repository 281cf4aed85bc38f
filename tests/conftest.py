"""Test setup, done before anything imports jax: 8 simulated CPU devices and a session-wide compilation cache.

Multi-device tests pick a device subset (`jgan.parallel.make_mesh(jax.devices()[:n])`); tests that call
`jgan.train.run` pass a one-device mesh explicitly, since its default mesh is every device.
"""

import atexit
import io
import os
import shutil
import sys
import tempfile

NUM_FAKE_DEVICES = 8
# XLA:CPU spends most of these tests compiling (LLVM), not running: its cheapest backend optimization level makes
# compiling the tiny nets several times faster for a slower run. Set xla_backend_optimization_level in XLA_FLAGS
# to choose another.
FAST_COMPILE = "--xla_backend_optimization_level=0"
# Without the device count: xdist workers inherit the controller's environment, which already has it.
_flags = " ".join(f for f in os.environ.get("XLA_FLAGS", "").split()
                  if not f.startswith("--xla_force_host_platform_device_count"))
SUBPROCESS_XLA_FLAGS = _flags if "xla_backend_optimization_level" in _flags else f"{_flags} {FAST_COMPILE}".strip()

assert "jax" not in sys.modules, "jax was imported before tests/conftest.py could set XLA_FLAGS"
os.environ["XLA_FLAGS"] = f"{SUBPROCESS_XLA_FLAGS} --xla_force_host_platform_device_count={NUM_FAKE_DEVICES}"
os.environ.setdefault("JAX_PLATFORMS", "cpu")  # the fake devices are CPU devices, and numbers are pinned on CPU

# XLA:CPU takes seconds to compile even the tiny nets, and many tests (each `train.run`, the CLI subprocesses)
# compile the very same programs again. A compilation cache private to this session (subprocesses inherit it)
# lets them reuse the executables; results do not change (same program, same executable).
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
  os.environ["JAX_COMPILATION_CACHE_DIR"] = tempfile.mkdtemp(prefix="jgan-tests-xla-cache-")
  atexit.register(shutil.rmtree, os.environ["JAX_COMPILATION_CACHE_DIR"], ignore_errors=True)
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")

import jax  # noqa: E402  (after the environment on purpose)
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def one_device_mesh():
  """A mesh over the first CPU device: what `jgan.train.run` gets in tests."""
  from jgan import parallel
  return parallel.make_mesh(jax.devices()[:1])


@pytest.fixture(scope="session")
def eight_device_mesh():
  """A mesh over the 8 simulated CPU devices."""
  from jgan import parallel
  assert len(jax.devices()) == NUM_FAKE_DEVICES, jax.devices()
  return parallel.make_mesh(jax.devices()[:NUM_FAKE_DEVICES])


@pytest.fixture(scope="session")
def subprocess_env() -> dict[str, str]:
  """The environment for `python -m jgan...` subprocesses: CPU, one device, this session's compilation cache."""
  return {**os.environ, "JAX_PLATFORMS": "cpu", "XLA_FLAGS": SUBPROCESS_XLA_FLAGS}


def _tfds_digit_builder(class_name: str, *, manual: bool = False, as_arrays: bool = False,
                        ragged: bool = False) -> type:
  """A TFDS builder (named by TFDS from `class_name`: JganTestDigits -> jgan_test_digits) whose train/test splits
  are embedded digits 0-23 / 24-29, stored as PNG images.

  `manual=True` makes it a set TFDS cannot prepare by itself (its files must be put in a manual directory first);
  `as_arrays=True` hands TFDS the images as arrays, as mnist's builder does, for TFDS to encode; `ragged=True` crops
  every other image to 27 rows, as sets of photographs of many sizes are.
  """
  tfds = pytest.importorskip("tensorflow_datasets")
  import PIL.Image

  def generate(start: int, stop: int):
    from jgan import data
    digits = data.load("digits")
    for i in range(start, stop):
      png = io.BytesIO()
      PIL.Image.fromarray(digits.images[i, i % 2 if ragged else 0:, :, 0]).save(png, format="PNG")
      yield i, {"image": digits.images[i] if as_arrays else png.getvalue(), "label": int(digits.labels[i])}

  def info(self):
    return tfds.core.DatasetInfo(builder=self, features=tfds.features.FeaturesDict({
        "image": tfds.features.Image(shape=(None, None, 1) if ragged else (28, 28, 1)),
        "label": tfds.features.ClassLabel(num_classes=10)}))

  def split_generators(self, dl_manager):
    if manual:
      dl_manager.manual_dir  # raises: the manual directory is missing
    return {"train": generate(0, 24), "test": generate(24, 30)}

  return type(class_name, (tfds.core.GeneratorBasedBuilder,), {
      "VERSION": tfds.core.Version("1.0.0"), "__module__": __name__, "_info": info,
      "_split_generators": split_generators, "_generate_examples": lambda self: None,
      "MANUAL_DOWNLOAD_INSTRUCTIONS": "put the digits in the manual directory" if manual else None})


@pytest.fixture(scope="session")
def tfds_digit_builder():
  """Makes TFDS builders of embedded digits (see `_tfds_digit_builder`): real TFDS sets, prepared offline."""
  return _tfds_digit_builder
