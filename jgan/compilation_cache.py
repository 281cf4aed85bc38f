"""The persistent compilation cache: compiled programs kept on disk, so that a run compiles only what no earlier
run compiled.

A fresh XLA:CPU process compiles every program it runs: the training steps (8-15 s for the DCGANs), and also each
eager operation of the parameter initializers, once per distinct shape (about 110 compilations for the DCGAN pair).
JAX can keep the executables on disk (`jax_compilation_cache_dir`) and load them when the same program is compiled
again: same program, same compile options, same jax and jaxlib, same device kind. A hit runs the very executable a
miss would have compiled, so results do not change by a bit. Measured on the 2-core CPU of `experiments/README.md`,
second start against first: `train.create_state` 4.4 -> 1.2 s for the 32x32 DCGAN WGAN and 6.0 -> 1.6 s at 64x64;
the first iteration (compilation included) 9.4 -> 2.7 s and 15.6 -> 6.1 s.

The directory is kept to a size (`DEFAULT_MAX_BYTES`): `enable` first deletes the least recently used entries of an
oversized cache (`prune`), so that a user who runs many configurations, or many jax versions (each compiles its own),
does not fill the disk.

It is a process-wide setting, so the library never applies it on import; `jgan.cli` (every
`python -m jgan.experiments.*`, and `jgan.sample` and `jgan.latent` through its flags) calls `enable`. JAX's own
warning holds: the cache is trusted code, so whoever can write the directory can run code in the process; the
default directory is the user's own.
"""

from __future__ import annotations

import os
import pathlib
import stat as stat_module

import jax

# Enough for a few hundred model configurations (an entry is 0.1-5 MB); a pruned cache is brought to 3/4 of it, so
# that pruning happens once per many runs rather than at each.
DEFAULT_MAX_BYTES = 2 * 1024 ** 3


def default_directory() -> pathlib.Path:
  """`$JAX_COMPILATION_CACHE_DIR` when set, else `jgan/xla` in the user's cache directory (`$XDG_CACHE_HOME`, by
  default `~/.cache`)."""
  if os.environ.get("JAX_COMPILATION_CACHE_DIR"):
    return pathlib.Path(os.environ["JAX_COMPILATION_CACHE_DIR"])
  base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
  return pathlib.Path(base) / "jgan" / "xla"


def prune(directory: str | os.PathLike, max_bytes: int) -> int:
  """Deletes the least recently used files under `directory` until they hold at most 3/4 of `max_bytes`, if they
  hold more than `max_bytes`; returns the bytes deleted.

  "Used" is a file's access time (a cache hit reads the file; with Linux's default `relatime` the time moves at
  most daily, which is fine-grained enough here) or its modification time, whichever is later. A file another
  process is about to read may go: JAX then warns that it could not read the entry, and compiles.
  """
  if max_bytes < 0:
    raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
  entries = []
  for path in pathlib.Path(directory).rglob("*"):
    try:
      stat = path.stat()
    except FileNotFoundError:  # deleted meanwhile by another process
      continue
    if stat_module.S_ISREG(stat.st_mode):
      entries.append((max(stat.st_atime_ns, stat.st_mtime_ns), stat.st_size, path))
  total = sum(size for _, size, _ in entries)
  if total <= max_bytes:
    return 0
  freed = 0
  for _, size, path in sorted(entries):
    if total - freed <= max_bytes * 3 // 4:
      break
    path.unlink(missing_ok=True)
    freed += size
  return freed


def enable(directory: str | os.PathLike | None = None, max_bytes: int | None = DEFAULT_MAX_BYTES) -> pathlib.Path:
  """Keeps every compiled program of this process in `directory` (default: `default_directory()`) and reuses the
  ones already there, after pruning it to `max_bytes` (None: no limit); returns the directory.

  Every compilation is kept, however quick (unless `JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS` says otherwise): a
  fresh state's cost is many small ones. Call it before the programs to cache are compiled. JAX creates the
  directory at the first compilation; it grows by a few MB per model and configuration, and is safe to delete.
  Raises ValueError, before changing anything, when `directory` is not a directory or could not be written.
  """
  if max_bytes is not None and max_bytes < 0:
    raise ValueError(f"compilation cache size limit must be >= 0 bytes (or None: no limit), got {max_bytes}")
  path = (pathlib.Path(directory) if directory is not None else default_directory()).expanduser()
  if path.exists() and not path.is_dir():
    raise ValueError(f"compilation cache {str(path)!r} is not a directory; give a directory, or turn the cache off")
  existing = next(p for p in (path, *path.absolute().parents) if p.exists())  # JAX makes the rest when it writes
  if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
    raise ValueError(f"compilation cache {str(path)!r} cannot be written: {str(existing)!r} is not a writable "
                     "directory")
  path = path.absolute()  # a later change of directory must not move it
  if max_bytes is not None and path.is_dir():
    prune(path, max_bytes)
  jax.config.update("jax_compilation_cache_dir", str(path))
  if "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS" not in os.environ:
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
  return path
