"""Host memory: keep freed memory in the training process (glibc), so compiled steps stop faulting pages in anew.

An XLA:CPU step allocates its buffers at every call and frees them at its end: a temporary block per execution
(87 MB for the 32x32 DCGAN WGAN iteration, 370 MB at 64x64) and Eigen's contraction blocks per convolution. glibc
gives such memory back to the kernel as soon as it is freed: it unmaps blocks above its mmap threshold, trims the top
of its heaps with `MADV_DONTNEED`. The next call touches fresh pages again, and the kernel zeroes each one. Measured
on the 2-core CPU of `experiments/README.md`, this costs the dcgan32 iteration 53,000-60,000 page faults and 0.16-0.19
cores of system time. With freed memory kept (M_TRIM_THRESHOLD at its maximum, M_MMAP_MAX 0) that drops to 21,500
faults and 0.07-0.08 cores. The faults left come from the one temporary block that a worker thread's arena cannot
hold, which glibc still maps afresh.

This is a process-wide allocator setting, so the library never applies it on import. The command-line entry points
(`jgan.cli`, `jgan.bench`) do. A notebook may call `keep_freed_memory()` itself.
"""

from __future__ import annotations

import ctypes
import ctypes.util

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
