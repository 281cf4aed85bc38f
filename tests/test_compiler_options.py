"""`jgan.compiler_options`: the measured XLA:CPU choice (convolutions on Eigen, not YNNPACK) is what compiles."""

import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from jgan import compiler_options


def _conv(x, k):
  return lax.conv_general_dilated(x, k, (2, 2), ((1, 1), (1, 1)), dimension_numbers=("NHWC", "HWIO", "NHWC"))


def test_cpu_convolutions_leave_ynnpack_and_give_the_same_values():
  rng = np.random.default_rng(0)
  x = rng.standard_normal((4, 16, 16, 32), dtype=np.float32)
  k = rng.standard_normal((4, 4, 32, 64), dtype=np.float32)
  default, ours = jax.jit(_conv), compiler_options.jit(_conv, jax.devices("cpu"))
  # Default XLA:CPU runs this convolution as a YNNPACK library fusion; the options leave it to Eigen.
  assert "ynn_fusion" in default.lower(x, k).compile().as_text()
  assert "ynn_fusion" not in ours.lower(x, k).compile().as_text()
  expected = np.asarray(default(x, k))
  np.testing.assert_allclose(ours(x, k), expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())


def test_cpu_keeps_ynnpack_for_dots():
  a = jnp.ones((64, 256), jnp.float32)
  assert "ynn_fusion" in compiler_options.jit(lambda a: a @ a.T, jax.devices("cpu")).lower(a).compile().as_text()


@pytest.mark.parametrize("platform", ["gpu", "tpu", "cuda", "rocm"])
def test_no_options_off_cpu(platform):
  assert compiler_options.for_platform(platform) == {}


def test_devices_of_two_platforms_are_refused():
  devices = [types.SimpleNamespace(platform="cpu"), types.SimpleNamespace(platform="gpu")]
  with pytest.raises(ValueError, match=r"one platform expected, got platforms \['cpu', 'gpu'\]"):
    compiler_options.for_devices(devices)


def test_options_this_xla_refuses_are_dropped_with_a_warning(monkeypatch):
  """A jaxlib whose XLA no longer knows the option (or the value) must still compile CPU steps: with its defaults."""
  assert compiler_options.for_platform("cpu") == {"xla_cpu_experimental_ynn_fusion_type":
                                                  compiler_options.CPU_YNN_FUSIONS}
  monkeypatch.setattr(compiler_options, "CPU_YNN_FUSIONS", "LIBRARY_FUSION_TYPE_NO_SUCH_FUSION")
  compiler_options._cpu_options.cache_clear()
  try:
    with pytest.warns(RuntimeWarning, match="XLA refused jgan's CPU compiler options .*NO_SUCH_FUSION.*not a valid"):
      assert compiler_options.for_platform("cpu") == {}
    assert float(compiler_options.jit(lambda x: x + 1, jax.devices("cpu"))(np.float32(1))) == 2.0
  finally:
    compiler_options._cpu_options.cache_clear()  # the next caller probes the real options again
