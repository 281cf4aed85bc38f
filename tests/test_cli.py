"""The command lines, run as a user runs them: `python -m jgan.experiments.wgan` and `python -m jgan.sample`."""

import dataclasses
import json
import re
import subprocess
import sys

import matplotlib.image
import numpy as np
import pytest

from jgan.configs.wgan import WGANConfig

TINY_FLAGS = ["--arch", "mlp", "--generator-features", "16", "--critic-features", "16", "--latent-dim", "8",
              "--batch-size", "8", "--n-critic", "2", "--warmup-steps", "2", "--warmup-n-critic", "4", "--steps", "4",
              "--log-every", "2", "--sample-every", "2", "--checkpoint-every", "2", "--num-samples", "4",
              "--no-progress"]


def _python(args: list[str], cwd, env, timeout: float = 300) -> subprocess.CompletedProcess:
  return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_help_lists_every_config_flag_with_its_default(tmp_path, subprocess_env):
  done = _python(["-m", "jgan.experiments.wgan", "--help"], tmp_path, subprocess_env, timeout=60)
  assert done.returncode == 0, done.stderr
  # One entry per option: from a line starting with "  --" to the next one, wrapped lines joined.
  entries = {entry.split()[0].rstrip(","): " ".join(entry.split()) for entry in re.split(r"\n  (?=--)", done.stdout)[1:]}
  fields = dataclasses.fields(WGANConfig)
  run_flags = {"--preset", "--out", "--resume", "--overwrite", "--no-progress", "--compilation-cache", "--no-compilation-cache",
               "--coordinator", "--num-processes", "--process-id"}
  used = WGANConfig().used_fields()
  assert {"info_weight", "categorical_codes", "gp_weight", "labels", "beta1", "momentum"}.isdisjoint(used)
  assert set(entries) == {"--" + name.replace("_", "-") for name in used} | run_flags  # one flag per field it uses
  for field in fields:
    if field.name not in used:
      continue
    flag = "--" + field.name.replace("_", "-")
    assert f"(default: {field.default})" in entries[flag], entries.get(flag)
  assert entries["--steps"].startswith("--steps STEPS") and "(default: 2000)" in entries["--steps"]
  assert entries["--batch-size"].startswith("--batch-size BATCH_SIZE") and "(default: 64)" in entries["--batch-size"]
  assert "(default: 0)" in entries["--seed"] and "(default: digits)" in entries["--dataset"]
  assert entries["--arch"].startswith("--arch {dcgan,mlp,maxout,")
  assert {"--out", "--resume", "--overwrite", "--no-progress"} <= set(entries)
  assert list(tmp_path.iterdir()) == []


def test_help_hides_other_games_fields_but_accepts_them():
  from jgan import cli
  from jgan.configs import infogan, wgan
  assert {"categorical_codes", "info_weight"} <= infogan.get_config().used_fields()
  args = cli.parse("wgan", wgan.get_config(), "", ["--info-weight", "2.5", "--optimizer", "adam", "--beta1", "0.3"])
  config = cli.config_from_args(args, WGANConfig)
  assert (config.info_weight, config.optimizer, config.beta1) == (2.5, "adam", 0.3)


def test_help_does_not_import_jax(tmp_path, subprocess_env):
  code = "import sys, jgan.experiments.wgan; print(sorted(m for m in ('jax', 'flax', 'optax') if m in sys.modules))"
  done = _python(["-c", code], tmp_path, subprocess_env, timeout=60)
  assert done.returncode == 0, done.stderr
  assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("args, message", [
    (["--batch-size", "abc"], "invalid int value: 'abc'"),
    (["--arch", "resnet"], "invalid choice: 'resnet'"),
    (["--learning-rate", "fast"], "invalid float value: 'fast'"),
    (["--learning-rate", "-1"], "learning_rate must be a finite number > 0, got -1.0"),
    (["--dataset", "no_such_dataset_xyz"], "unknown dataset 'no_such_dataset_xyz'"),
    (["--arch", "dcgan", "--image-size", "24"], "got 24"),
    (["--resume"], "--resume needs --out"),
])
def test_bad_values_exit_2_naming_the_value(tmp_path, subprocess_env, args, message):
  done = _python(["-m", "jgan.experiments.wgan", *args, "--out", "run", "--no-progress"] if "--resume" not in args
                 else ["-m", "jgan.experiments.wgan", *args], tmp_path, subprocess_env, timeout=120)
  assert done.returncode == 2, (done.stdout, done.stderr)
  assert message in " ".join(done.stderr.split())
  assert list(tmp_path.iterdir()) == []  # refused before writing anything


def test_bad_compilation_cache_exits_2_before_writing(tmp_path, subprocess_env):
  (tmp_path / "afile").write_text("")
  done = _python(["-m", "jgan.experiments.wgan", "--compilation-cache", "afile", "--out", "run"], tmp_path,
                 subprocess_env, timeout=120)
  assert done.returncode == 2, (done.stdout, done.stderr)
  assert "--compilation-cache: compilation cache 'afile' is not a directory" in done.stderr
  assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def _metrics_without_time(run) -> list[dict]:
  rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
  return [{k: v for k, v in row.items() if k != "time"} for row in rows]


def test_second_run_loads_every_program_from_the_cache_with_identical_results(tmp_path, subprocess_env):
  # The first run fills the default directory ($XDG_CACHE_HOME/jgan/xla without JAX's variable); the second names
  # it and compiles nothing new: no entry is added, and its numbers are the first run's, bit for bit.
  env = {k: v for k, v in subprocess_env.items() if k != "JAX_COMPILATION_CACHE_DIR"}
  env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
  cache = tmp_path / "xdg" / "jgan" / "xla"
  first = _python(["-m", "jgan.experiments.wgan", *TINY_FLAGS, "--out", "first"], tmp_path, env)
  assert first.returncode == 0, first.stderr
  entries = sorted(p.name for p in cache.iterdir())
  assert len(entries) > 10  # the steps and the initializers' eager operations
  second = _python(["-m", "jgan.experiments.wgan", *TINY_FLAGS, "--out", "second", "--compilation-cache",
                    str(cache)], tmp_path, env)
  assert second.returncode == 0, second.stderr
  assert sorted(p.name for p in cache.iterdir()) == entries
  assert _metrics_without_time(tmp_path / "second") == _metrics_without_time(tmp_path / "first")


@pytest.mark.slow  # a third training process that compiles everything afresh (13 s)
def test_no_compilation_cache_writes_no_cache(tmp_path, subprocess_env):
  env = {k: v for k, v in subprocess_env.items() if k != "JAX_COMPILATION_CACHE_DIR"}
  off = _python(["-m", "jgan.experiments.wgan", *TINY_FLAGS, "--out", "off", "--no-compilation-cache"], tmp_path,
                {**env, "XDG_CACHE_HOME": str(tmp_path / "other")})
  assert off.returncode == 0, off.stderr
  assert (tmp_path / "off" / "metrics.jsonl").is_file() and not (tmp_path / "other" / "jgan").exists()


@pytest.mark.slow  # 17 s, a subprocess training; reading TFDS sets is covered in tests/test_data.py
def test_trains_on_a_tfds_set_prepared_elsewhere(tmp_path, subprocess_env, tfds_digit_builder):
  """A set prepared on another machine and copied here: its data_dir holds it, and no builder is installed."""
  tfds = pytest.importorskip("tensorflow_datasets")
  with tfds.core.registered.skip_registration():
    builder = tfds_digit_builder("JganCopiedDigits")
  builder(data_dir=str(tmp_path / "tfds")).download_and_prepare(file_format="array_record")
  done = _python(["-m", "jgan.experiments.wgan", *TINY_FLAGS, "--dataset", "jgan_copied_digits", "--data-dir",
                  "tfds", "--out", "run"], tmp_path, subprocess_env)
  assert done.returncode == 0, done.stderr
  assert "done: 4 generator iterations" in done.stdout
  assert len((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()) == 4
  missing = _python(["-m", "jgan.experiments.wgan", *TINY_FLAGS, "--dataset", "jgan_copied_digits", "--out", "other"],
                    tmp_path, subprocess_env, timeout=120)  # without --data-dir, TFDS's default directory
  assert missing.returncode == 2 and "unknown dataset 'jgan_copied_digits'" in missing.stderr
  assert not (tmp_path / "other").exists()


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory, subprocess_env):
  """A tiny MLP run through the command line; returns its working directory (the run is in 'run')."""
  cwd = tmp_path_factory.mktemp("cli")
  done = _python(["-m", "jgan.experiments.wgan", *TINY_FLAGS, "--out", "run"], cwd, subprocess_env)
  assert done.returncode == 0, done.stderr
  assert "done: 4 generator iterations" in done.stdout
  return cwd


def test_cli_run_then_sample(cli_run, subprocess_env):
  cwd, env = cli_run, subprocess_env
  assert len((cwd / "run" / "metrics.jsonl").read_text().splitlines()) == 4
  assert sorted(p.name for p in (cwd / "run" / "checkpoints").iterdir() if p.name.isdigit()) == ["2", "4"]
  done = _python(["-m", "jgan.sample", "--checkpoint", "run", "--num", "7", "--out", "f.npz", "--grid", "g.png"], cwd,
                 env)
  assert done.returncode == 0, done.stderr
  with np.load(cwd / "f.npz") as archive:
    images = archive["images"]
  assert images.shape == (7, 28, 28, 1) and images.dtype == np.uint8  # trained padded to 32, cropped back
  assert matplotlib.image.imread(cwd / "g.png").shape[:2] == (92, 92)  # 3x3 tiles of 28 with 2-pixel gaps
  # The same seed draws the same images, from the run directory or its checkpoints/ folder, with programs compiled
  # afresh into a new cache or loaded from it.
  for name in ("h", "i"):
    again = _python(["-m", "jgan.sample", "--checkpoint", "run/checkpoints", "--num", "7", "--out", f"{name}.npz",
                     "--compilation-cache", "sample-cache"], cwd, env)
    assert again.returncode == 0, again.stderr
    with np.load(cwd / f"{name}.npz") as archive:
      np.testing.assert_array_equal(archive["images"], images)
    if name == "h":
      entries = sorted(p.name for p in (cwd / "sample-cache").iterdir())
      assert entries  # the sampling programs were kept
  assert sorted(p.name for p in (cwd / "sample-cache").iterdir()) == entries  # and all found again


@pytest.mark.parametrize("args, message", [
    (["--checkpoint", "empty", "--out", "f.npz"], "no checkpoint found"),
    (["--checkpoint", "empty", "--out", "f.npz", "--num", "0"], "--num must be >= 1, got 0"),
    (["--checkpoint", "empty", "--out", "f.png"], "--out must name an .npz file"),
    (["--checkpoint", "empty", "--out", "f.npz", "--compilation-cache", "empty/file"],
     "--compilation-cache: compilation cache 'empty/file' is not a directory"),
])
def test_sample_refuses_bad_arguments(tmp_path, subprocess_env, args, message):
  (tmp_path / "empty").mkdir()
  (tmp_path / "empty" / "file").write_text("not a directory")
  done = _python(["-m", "jgan.sample", *args], tmp_path, subprocess_env, timeout=120)
  assert done.returncode == 2, (done.stdout, done.stderr)
  assert message in done.stderr
  assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]
  assert sorted(p.name for p in (tmp_path / "empty").iterdir()) == ["file"]
