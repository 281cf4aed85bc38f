"""`jgan.compilation_cache`: where the persistent cache goes, and what it refuses (the round trip through the
command line is in tests/test_cli.py)."""

import pathlib

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
