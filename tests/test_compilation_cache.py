"""`jgan.compilation_cache`: where the persistent cache goes, and what it refuses (the round trip through the
command line is in tests/test_cli.py)."""

import os
import pathlib
import subprocess
import sys

import jax
import pytest

from jgan import compilation_cache


def test_default_directory_follows_jax_then_xdg_then_home(tmp_path, monkeypatch):
  monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", str(tmp_path / "jax"))
  monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
  assert compilation_cache.default_directory() == tmp_path / "jax"
  monkeypatch.delenv("JAX_COMPILATION_CACHE_DIR")
  assert compilation_cache.default_directory() == tmp_path / "xdg" / "jgan" / "xla"
  monkeypatch.delenv("XDG_CACHE_HOME")
  monkeypatch.setenv("HOME", str(tmp_path / "home"))
  assert compilation_cache.default_directory() == tmp_path / "home" / ".cache" / "jgan" / "xla"


@pytest.mark.parametrize("relative, message", [
    ("afile", "is not a directory"),
    ("afile/below", "cannot be written: '{tmp}/afile' is not a writable directory"),
])
def test_refuses_a_path_it_cannot_use_and_changes_nothing(tmp_path, relative, message):
  (tmp_path / "afile").write_text("not a cache")
  before = (jax.config.jax_compilation_cache_dir, jax.config.jax_persistent_cache_min_compile_time_secs)
  with pytest.raises(ValueError, match="compilation cache '.*" + relative) as raised:
    compilation_cache.enable(tmp_path / relative)
  assert message.format(tmp=tmp_path) in str(raised.value)
  assert (jax.config.jax_compilation_cache_dir, jax.config.jax_persistent_cache_min_compile_time_secs) == before
  assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"] and not pathlib.Path(tmp_path / "afile").is_dir()


def _entry(directory: pathlib.Path, name: str, size: int, used_s: int) -> pathlib.Path:
  path = directory / name
  path.parent.mkdir(parents=True, exist_ok=True)
  path.write_bytes(b"x" * size)
  os.utime(path, ns=(used_s * 10 ** 9, used_s * 10 ** 9))  # (access, modification) time
  return path


def test_prune_deletes_least_recently_used_files_down_to_three_quarters(tmp_path):
  for name, used_s in (("a-cache", 100), ("b-cache", 400), ("sub/c", 200), ("d-cache", 300)):
    _entry(tmp_path, name, 1000, used_s)
  os.utime(tmp_path / "a-cache", ns=(500 * 10 ** 9, 100 * 10 ** 9))  # read recently: a cache hit
  assert compilation_cache.prune(tmp_path, 4000) == 0  # at the limit: nothing goes
  assert compilation_cache.prune(tmp_path, 3000) == 2000  # 4000 > 3000: down to 2250, oldest use first
  assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == ["a-cache", "b-cache"]
  assert compilation_cache.prune(tmp_path, 0) == 2000 and not any(p.is_file() for p in tmp_path.rglob("*"))
  with pytest.raises(ValueError, match="max_bytes must be >= 0, got -1"):
    compilation_cache.prune(tmp_path, -1)


def test_enable_refuses_a_negative_limit_before_changing_anything(tmp_path):
  _entry(tmp_path, "a-cache", 10, 100)
  before = jax.config.jax_compilation_cache_dir
  with pytest.raises(ValueError, match="size limit must be >= 0 bytes .* got -5"):
    compilation_cache.enable(tmp_path, max_bytes=-5)
  assert jax.config.jax_compilation_cache_dir == before and (tmp_path / "a-cache").exists()


def test_enable_prunes_an_oversized_cache_then_uses_it(tmp_path, subprocess_env):
  """In a fresh interpreter (the cache is process-wide): stale entries go, and the programs compiled next are kept."""
  cache = tmp_path / "cache"
  for i in range(4):
    _entry(cache, f"stale{i}-cache", 1000, 100 + i)
  code = ("import sys, jax, jax.numpy as jnp; from jgan import compilation_cache; "
          "compilation_cache.enable(sys.argv[1], max_bytes=3000); jax.jit(lambda x: x * 2)(jnp.ones(3))")
  done = subprocess.run([sys.executable, "-c", code, str(cache)], env=subprocess_env, capture_output=True, text=True,
                        timeout=120)
  assert done.returncode == 0, done.stderr
  names = sorted(p.name for p in cache.iterdir())
  assert [n for n in names if n.startswith("stale")] == ["stale2-cache", "stale3-cache"]  # 4000 -> 2000 bytes
  assert len(names) > 2  # and the new program's entry was written
