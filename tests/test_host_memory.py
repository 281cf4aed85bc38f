"""`jgan.host_memory.keep_freed_memory`: a freed block is reused without faulting its pages in again."""

import platform
import subprocess
import sys

import pytest

# Run in a fresh interpreter: the setting is process-wide and must not change the test process.
SCRIPT = """
import ctypes, resource, sys
from jgan import host_memory
applied = host_memory.keep_freed_memory() if sys.argv[1] == "keep" else None
libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, (ctypes.c_size_t,)
libc.free.argtypes = (ctypes.c_void_p,)
size = 64 * 2 ** 20  # as XLA's buffers: malloc'd (posix_memalign), every page written, freed after the step

def faults_of_a_new_block():
  before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
  block = libc.malloc(size)
  ctypes.memset(block, 1, size)
  libc.free(block)
  return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

faults_of_a_new_block()  # the first one faults its pages in either way
print(applied, faults_of_a_new_block())
"""


def _second_block_faults(mode: str) -> tuple[str, int]:
  out = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True).stdout
  applied, faults = out.split()
  return applied, int(faults)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the setting is glibc's; elsewhere it reports False")
def test_freed_memory_is_reused_without_new_page_faults():
  # 64 MB is 16,384 pages of 4 KB: glibc maps such a block afresh for every allocation unless told to keep it.
  applied, kept = _second_block_faults("keep")
  _, plain = _second_block_faults("plain")
  assert applied == "True"
  assert plain > 10_000 and kept < 1_000, (plain, kept)
