"""Host memory: keep freed memory in the training process (glibc), so compiled steps stop faulting pages in anew.

An XLA:CPU step allocates its buffers at every call and frees them at its end: a temporary block per execution
(87 MB for the 32x32 DCGAN WGAN iteration, 370 MB at 64x64) and Eigen's contraction blocks per convolution. glibc
gives such memory back to the kernel as soon as it is freed: it unmaps blocks above its mmap threshold, trims the top
of its heaps with `MADV_DONTNEED`. The next call touches fresh pages again, and the kernel zeroes each one. Measured
on the 2-core CPU of `experiments/README.md`, this costs the dcgan32 iteration 53,000-60,000 page faults and 0.16-0.19
cores of system time. With freed memory kept (M_TRIM_THRESHOLD at its maximum, M_MMAP_MAX 0) that drops to 21,500
faults and 0.07-0.08 cores.

The faults left come from the temporary block. XLA's CPU client allocates it on the thread that runs the
computation, by default a dispatch worker thread. A worker thread's glibc arena grows in heaps of at most 64 MB, so
it cannot keep a larger block and maps it afresh on every call: about 90,000 faults per 64x64 DCGAN iteration. With
computations run inline, on the calling (main) thread (`run_computations_inline`), the block comes from the main
heap, which `keep_freed_memory` keeps. Measured over four alternated pairs of runs: dcgan64 3.37 -> 3.24 s per
iteration, dcgan32 0.560 -> 0.519 s, and under 0.01 cores of system time for both. Most calls, not all, then reuse
the block: now and then a small allocation between calls takes the start of the freed block, and a few calls map a
new one. These figures are jaxlib 0.10.2's; on 0.11.2 asynchronous calls often reuse the block too (on a 68 MB
block, fewer than half of 24 calls faulted in 6 of 10 processes), so the setting matters less there.

These are process-wide settings, so the library never applies them on import. The command-line entry points
(`jgan.cli`, `jgan.bench`) do. A notebook may call `keep_freed_memory()` and, before its first computation,
`run_computations_inline()` itself.
"""

from __future__ import annotations

import ctypes
import ctypes.util

import jax

# <malloc.h> mallopt parameters.
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4


def keep_freed_memory() -> bool:
  """Asks glibc to keep freed memory in the process: no trimming of its heaps, no mmap for large blocks.

  The process's resident memory then stays near its peak instead of shrinking between steps; that is what a
  training process wants. Returns whether the setting took effect: False where the C library is not glibc (macOS,
  musl), which is harmless.
  """
  name = ctypes.util.find_library("c")
  if name is None:
    return False
  libc = ctypes.CDLL(name)
  if not hasattr(libc, "mallopt") or not hasattr(libc, "gnu_get_libc_version"):
    return False
  libc.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
  return bool(libc.mallopt(_M_TRIM_THRESHOLD, 2 ** 31 - 1)) and bool(libc.mallopt(_M_MMAP_MAX, 0))


def run_computations_inline() -> bool:
  """Makes XLA:CPU run each single-device computation on the thread that calls it, not on a dispatch thread.

  Then a step's temporary block comes from the main thread's heap, which `keep_freed_memory` keeps (see the module
  docstring). The price: a call returns only once its computation is done, so the host's work between calls adds
  to the iteration instead of overlapping it (`python -m jgan.bench --dispatch async` measures that work: 0.02-1%
  of an iteration). Multi-device computations stay asynchronous, and other platforms are unaffected.

  The CPU client reads the setting when it is created, at the first use of a device. Returns False, changing
  nothing, when that has happened already (as far as this jax can tell: it is asked through a private function,
  and a jax without it gets the setting and True).
  """
  try:
    from jax._src import xla_bridge  # no public way to ask whether the clients exist yet
    initialized = xla_bridge.backends_are_initialized()
  except (ImportError, AttributeError):  # a jax without it: set the option, which is harmless if too late
    initialized = False
  if initialized:
    return False
  jax.config.update("jax_cpu_enable_async_dispatch", False)
  return True
