"""XLA compiler options for jgan's compiled training steps, per platform: measured choices, not defaults.

XLA:CPU (jaxlib 0.10) hands convolutions, dots and reductions to YNNPACK ("library fusions"). On the 2-core
AVX-512 EPYC measured (batch 64, `experiments/README.md`), Eigen's convolutions are faster than YNNPACK's for the
DCGAN layers: 195-215 against 65-155 GFLOP/s for the sub-pixel 2x2 convolutions, 197-205 against 135-163 for the
strided 4x4 forwards, 146-183 against 104-150 for their kernel gradients; the dcgan64 WGAN iteration goes from
3.78 to 3.3 s. CPU steps therefore keep YNNPACK's other default fusions and leave convolutions to Eigen. Other
platforms get no options.
"""

from __future__ import annotations

import jax

# jaxlib 0.10's default YNNPACK fusion list without LIBRARY_FUSION_TYPE_INDIVIDUAL_CONVOLUTION (the same as
# XLA_FLAGS=--xla_cpu_experimental_ynn_fusion_type=-individual_convolution, which this option cannot spell).
CPU_YNN_FUSIONS = "LIBRARY_FUSION_TYPE_INDIVIDUAL_DOT,LIBRARY_FUSION_TYPE_REDUCE"


def for_platform(platform: str) -> dict[str, str]:
  """`jax.jit(..., compiler_options=...)` for programs that run on `platform` ('cpu', 'gpu', 'tpu', ...)."""
  if platform == "cpu":
    return {"xla_cpu_experimental_ynn_fusion_type": CPU_YNN_FUSIONS}
  return {}


def for_devices(devices) -> dict[str, str]:
  """`for_platform` of the devices a program runs on (all of one platform, as in a `Mesh`)."""
  platforms = {device.platform for device in devices}
  if len(platforms) != 1:
    raise ValueError(f"devices of one platform expected, got platforms {sorted(platforms)}")
  return for_platform(platforms.pop())


def jit(fn, devices=None, **kwargs):
  """`jax.jit(fn, **kwargs)` with the compiler options of `devices` (default: `jax.devices()`)."""
  return jax.jit(fn, compiler_options=for_devices(jax.devices() if devices is None else devices), **kwargs)
