"""jax and jaxlib 0.12.1's hang, without jgan: two CPU processes (gloo) run a jitted shard_map holding one pmean,
twice, with a persistent compilation cache. In the second run process 0 loads the program from the cache (process
1's cache keys differ, and only process 0 writes entries, so process 1 compiles it) and both wait in the pmean.
jax 0.10.2 and 0.12.0.1 finish both runs; `jgan.distributed` therefore turns the cache off for such runs.

    python experiments/benchmarks/cached_collective_hang.py            # prints each run's outcome
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile

CHILD = """
import sys
import jax
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec as P
process_id, port, cache = int(sys.argv[1]), sys.argv[2], sys.argv[3]
jax.config.update("jax_compilation_cache_dir", cache)
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
jax.config.update("jax_cpu_collectives_implementation", "gloo")
jax.distributed.initialize(f"127.0.0.1:{port}", num_processes=2, process_id=process_id)
mesh = jax.make_mesh((2,), ("x",))
x = jax.make_array_from_process_local_data(NamedSharding(mesh, P("x")), np.full((1, 3), process_id + 1.0, np.float32))
mean = jax.jit(jax.shard_map(lambda x: jax.lax.pmean(x, "x"), mesh=mesh, in_specs=P("x"), out_specs=P("x")))(x)
print(float(np.asarray(mean.addressable_data(0))[0, 0]))
"""


def free_port() -> int:
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def main() -> None:
  import jax
  print("jax", jax.__version__)
  env = {**os.environ, "JAX_PLATFORMS": "cpu", "XLA_FLAGS": "--xla_force_host_platform_device_count=1"}
  with tempfile.TemporaryDirectory() as cache:
    for run in (1, 2):
      port = free_port()
      procs = [subprocess.Popen([sys.executable, "-c", CHILD, str(i), str(port), cache], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) for i in range(2)]
      try:
        means = [p.communicate(timeout=60)[0].split()[-1] for p in procs]
        print(f"run {run}: finished, means {means}")
      except subprocess.TimeoutExpired:
        print(f"run {run}: hung, killed after 60 s")
      finally:
        for p in procs:
          if p.poll() is None:
            p.kill()


if __name__ == "__main__":
  main()
