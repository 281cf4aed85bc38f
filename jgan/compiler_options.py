"""XLA compiler options for jgan's compiled training steps, per platform: measured choices, not defaults.

XLA:CPU (jaxlib 0.10) hands convolutions, dots and reductions to YNNPACK ("library fusions"). On the 2-core
AVX-512 EPYC measured (batch 64, `experiments/README.md`), Eigen's convolutions are faster than YNNPACK's for the
DCGAN layers: 195-215 against 65-155 GFLOP/s for the sub-pixel 2x2 convolutions, 197-205 against 135-163 for the
strided 4x4 forwards, 146-183 against 104-150 for their kernel gradients; the dcgan64 WGAN iteration goes from
3.78 to 3.3 s. CPU steps therefore keep YNNPACK's other default fusions and leave convolutions to Eigen. Other
platforms get no options.

The option is experimental in XLA, and a jaxlib that no longer knows it (or its values) would refuse to compile
anything given it. So it is tried once per process on a trivial program, and where it is refused, CPU steps compile
with XLA's defaults, slower but otherwise the same, after a warning.
"""

from __future__ import annotations

import functools
import warnings

import jax
import numpy as np

# jaxlib 0.10's default YNNPACK fusion list without LIBRARY_FUSION_TYPE_INDIVIDUAL_CONVOLUTION (the same as
# XLA_FLAGS=--xla_cpu_experimental_ynn_fusion_type=-individual_convolution, which this option cannot spell).
CPU_YNN_FUSIONS = "LIBRARY_FUSION_TYPE_INDIVIDUAL_DOT,LIBRARY_FUSION_TYPE_REDUCE"


def for_platform(platform: str) -> dict[str, str]:
  """`jax.jit(..., compiler_options=...)` for programs that run on `platform` ('cpu', 'gpu', 'tpu', ...)."""
  if platform == "cpu":
    return dict(_cpu_options())
  return {}


@functools.cache
def _cpu_options() -> tuple[tuple[str, str], ...]:
  """The CPU options if this jaxlib's XLA accepts them (checked by compiling an identity), else none."""
  options = {"xla_cpu_experimental_ynn_fusion_type": CPU_YNN_FUSIONS}
  try:
    x = jax.device_put(np.float32(0), jax.devices("cpu")[0])
    jax.jit(lambda x: x, compiler_options=options).lower(x).compile()
  except jax.errors.JaxRuntimeError as error:
    warnings.warn(f"XLA refused jgan's CPU compiler options {options} ({error}); CPU steps compile with XLA's "
                  "defaults, so convolutions may be slower", RuntimeWarning, stacklevel=3)
    return ()
  return tuple(options.items())


def for_devices(devices) -> dict[str, str]:
  """`for_platform` of the devices a program runs on (all of one platform, as in a `Mesh`)."""
  platforms = {device.platform for device in devices}
  if len(platforms) != 1:
    raise ValueError(f"devices of one platform expected, got platforms {sorted(platforms)}")
  return for_platform(platforms.pop())


def jit(fn, devices=None, **kwargs):
  """`jax.jit(fn, **kwargs)` with the compiler options of `devices` (default: `jax.devices()`)."""
  return jax.jit(fn, compiler_options=for_devices(jax.devices() if devices is None else devices), **kwargs)
