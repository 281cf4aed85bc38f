"""`python -m jgan.bench` with the DCGAN kernels drawn as before jax 0.12's support, `jax.random.normal(...) * 0.02`
instead of `nn.initializers.normal(0.02)`: tells jax 0.12's new rounding of that initializer apart from its other
numeric changes in `nets_sha256` (experiments/benchmarks/jax-0.12.md). Takes jgan.bench's arguments:

    .venv-jax012/bin/python experiments/benchmarks/old_conv_init_bench.py --arch dcgan32_nc1 --iters 20 --warmup 2 \
      --no-ruler
"""

from __future__ import annotations

import math
import sys

import jax
import jax.numpy as jnp

from jgan import bench
from jgan.models import dcgan


def old_conv_init(key: jax.Array, shape, dtype=jnp.float32) -> jax.Array:
  return (jax.random.normal(key, (math.prod(shape),), dtype) * jnp.array(0.02, dtype)).reshape(shape)


if __name__ == "__main__":
  dcgan.conv_init = old_conv_init  # the nets look it up in the module at each init
  bench.main(sys.argv[1:])
