"""Runs that never lose work: preemption by signal, non-finite guards, damaged checkpoints, config validation."""

from __future__ import annotations

import dataclasses
import json
import pathlib
import re
import signal
import subprocess
import sys
import time

import hypothesis
import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp
import pytest

from jgan import checkpoint, loop, steps, train, updates
from jgan.configs import wgan as wgan_config
from jgan.testing import tiny_config, tree_equal


def _params(state):
  return (state.generator.params, state.discriminator.params)


def _metric_rows(workdir: pathlib.Path) -> list[dict]:
  rows = [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]
  return [{k: v for k, v in row.items() if k != "time"} for row in rows]


# The host loop's case is slow (38 s): the device loop's case, in the default suite, covers the same SIGTERM path.
@pytest.mark.parametrize("loop_kind", [pytest.param("host", marks=pytest.mark.slow), "device"])
def test_sigterm_saves_then_resume_matches_uninterrupted(tmp_path, loop_kind, subprocess_env):
  """A real process gets a real SIGTERM mid-run: it checkpoints, exits 3, and --resume finishes the same run; with
  the host loop and with the device loop (iterations compiled into one call between host checks)."""
  out = tmp_path / "run"
  flags = ["--arch", "mlp", "--generator-features", "16", "--critic-features", "16", "--latent-dim", "8",
           "--batch-size", "8", "--n-critic", "2", "--warmup-steps", "2", "--warmup-n-critic", "4", "--loop", loop_kind,
           "--log-every", "1", "--sample-every", "1000", "--checkpoint-every", "1000", "--no-progress"]
  env = subprocess_env  # one device, the session's compilation cache: the resumed and straight runs reuse the programs
  proc = subprocess.Popen([sys.executable, "-m", "jgan.experiments.wgan", *flags, "--steps", "100000", "--out",
                           str(out)], env=env, stderr=subprocess.PIPE, text=True)
  deadline = time.time() + 120
  while time.time() < deadline and not ((out / "metrics.jsonl").exists() and
                                        len((out / "metrics.jsonl").read_text().splitlines()) >= 3):
    time.sleep(0.2)
  proc.send_signal(signal.SIGTERM)
  _, stderr = proc.communicate(timeout=120)
  assert proc.returncode == 3, stderr
  assert "SIGTERM" in stderr and "--resume" in stderr
  stopped_at = checkpoint.latest_step(out)
  assert stopped_at is not None and stopped_at >= 3
  assert _metric_rows(out)[-1]["step"] == stopped_at

  total = stopped_at + 4
  for extra, workdir in ((["--resume"], out), ([], tmp_path / "straight")):  # the uninterrupted run, same budget
    done = subprocess.run([sys.executable, "-m", "jgan.experiments.wgan", *flags, "--steps", str(total), "--out",
                           str(workdir), *extra], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
  config = tiny_config(steps=total, n_critic=2, warmup_steps=2, warmup_n_critic=4, loop=loop_kind, log_every=1,
                       sample_every=1000, checkpoint_every=1000)
  target = train.create_state(config, (32, 32, 1))
  (step_a, _, resumed), (step_b, _, straight) = (checkpoint.restore(w, target) for w in (out, tmp_path / "straight"))
  assert step_a == step_b == total
  assert tree_equal(_params(resumed), _params(straight))
  assert _metric_rows(out) == _metric_rows(tmp_path / "straight")


@pytest.mark.parametrize("turns_true_at_call", range(1, 7))
def test_a_stop_at_any_point_of_an_iteration_saves_the_step_it_reports(tmp_path, one_device_mesh, monkeypatch,
                                                                      turns_true_at_call):
  """The stop flag turns true at each of the loop's successive questions in turn (a signal can land between any
  two): the run always raises Preempted naming the step of a checkpoint that exists (never "checkpoint None")."""
  calls = []

  def is_set(self):
    calls.append(None)
    return len(calls) >= turns_true_at_call

  monkeypatch.setattr(loop.StopOnSignal, "is_set", is_set)
  config = tiny_config(steps=20, log_every=1, checkpoint_every=1000, eval_every=0, loop="host")
  with pytest.raises(loop.Preempted, match=r"at generator iteration (\d+); checkpoint \1 saved") as stopped:
    train.run(config, tmp_path, progress=False, mesh=one_device_mesh)
  step = int(re.search(r"iteration (\d+);", str(stopped.value)).group(1))
  assert checkpoint.latest_step(tmp_path) == step
  assert [row["step"] for row in _metric_rows(tmp_path)] == list(range(1, step + 1))


def test_non_finite_stops_without_saving_the_bad_state(tmp_path, one_device_mesh, monkeypatch):
  """A NaN injected into the critic at generator iteration 5 stops the run there; checkpoint 3 stays the latest."""
  real_critic_step = steps.discriminator_step

  def poisoned(state, source, **kwargs):
    state, metrics = real_critic_step(state, source, **kwargs)
    poison = jnp.where(state.step >= 4, jnp.nan, 1.0)
    critic = state.discriminator.replace(params=jax.tree.map(lambda p: p * poison, state.discriminator.params))
    return state.replace(discriminator=critic), metrics | {"d_nonfinite": updates.nonfinite(critic.params)}

  monkeypatch.setattr(steps, "discriminator_step", poisoned)
  config = tiny_config(steps=9, log_every=1, checkpoint_every=3, loop="host")
  with pytest.raises(train.NonFiniteError, match=r"critic \(discriminator\) at generator iteration 5"):
    train.run(config, tmp_path, progress=False, mesh=one_device_mesh)
  assert checkpoint.latest_step(tmp_path) == 3
  assert [row["step"] for row in _metric_rows(tmp_path)] == [1, 2, 3, 4]
  _, _, state = checkpoint.restore(tmp_path, train.create_state(config, (32, 32, 1)))
  assert all(np.isfinite(np.asarray(leaf)).all() for leaf in jax.tree.leaves(state))


@pytest.mark.parametrize("damage", ["truncate", "delete", "truncate_data"])
def test_damaged_latest_checkpoint_falls_back_to_previous(tmp_path, one_device_mesh, damage, capsys):
  config = tiny_config(steps=6, checkpoint_every=3)
  final = train.run(config, tmp_path / "straight", progress=False, mesh=one_device_mesh)
  workdir = tmp_path / "run"
  train.run(config, workdir, progress=False, mesh=one_device_mesh)
  files = [f for f in (workdir / "checkpoints" / "6" / "state").rglob("*") if f.is_file() and f.stat().st_size > 0]
  if damage == "truncate_data":  # the arrays' chunks only: the metadata still reads
    files = [f for f in files if f.parent.name == "d"]
  assert files
  for f in files:
    if damage.startswith("truncate"):
      f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    else:
      f.unlink()
  target = train.create_state(config, (32, 32, 1))
  step, _, _ = checkpoint.restore(workdir, target)
  assert step == 3
  assert "checkpoint 6" in capsys.readouterr().err
  # A checkpoint asked for by its step has no stand-in: damaged or absent, it is named, with the kept steps.
  with pytest.raises(ValueError, match=r"cannot restore checkpoint 6 in "):
    checkpoint.restore(workdir, target, step=6)
  with pytest.raises(ValueError, match=r"no checkpoint 9 in .*: the kept steps are \[3, 6\]"):
    checkpoint.restore(workdir, target, step=9)
  assert checkpoint.restore(workdir, target, step=3)[0] == 3
  resumed = train.run(config, workdir, resume=True, progress=False, mesh=one_device_mesh)
  assert tree_equal(_params(resumed), _params(final))


def test_a_checkpoint_of_another_structure_stops_instead_of_falling_back(tmp_path, one_device_mesh, capsys):
  """Only damage sends restore to an older checkpoint: a state that does not fit (another config's nets) names
  the checkpoint and stops, as an older one would not fit either and would hide the mistake."""
  train.run(tiny_config(steps=6, checkpoint_every=3), tmp_path, progress=False, mesh=one_device_mesh)
  other = train.create_state(tiny_config(critic_features=8), (32, 32, 1))
  with pytest.raises(ValueError, match=r"cannot restore checkpoint 6 in .*: ValueError: .*"):
    checkpoint.restore(tmp_path, other)
  assert "older" not in capsys.readouterr().err


def test_an_io_error_while_restoring_names_itself_and_stops(tmp_path, one_device_mesh, monkeypatch):
  train.run(tiny_config(steps=6, checkpoint_every=3), tmp_path, progress=False, mesh=one_device_mesh)
  tried = []

  def refused(self, step, *args, **kwargs):
    tried.append(step)
    raise PermissionError(13, "Permission denied", str(tmp_path / "checkpoints" / str(step)))
  monkeypatch.setattr(ocp.CheckpointManager, "restore", refused)
  with pytest.raises(ValueError, match=r"cannot restore checkpoint 6 in .*PermissionError: .*Permission denied"):
    checkpoint.restore(tmp_path, train.create_state(tiny_config(), (32, 32, 1)))
  assert tried == [6]


def test_keep_checkpoints_bounds_how_many_are_kept(tmp_path, one_device_mesh):
  train.run(tiny_config(steps=12, checkpoint_every=3, log_every=3, keep_checkpoints=2), tmp_path, progress=False,
            mesh=one_device_mesh)
  assert sorted(int(p.name) for p in (tmp_path / "checkpoints").iterdir() if p.name.isdigit()) == [9, 12]


def test_resume_may_change_only_the_budget_and_logging(tmp_path, one_device_mesh):
  train.run(tiny_config(steps=3), tmp_path, progress=False, mesh=one_device_mesh)
  state = train.run(tiny_config(steps=6, log_every=2, sample_every=5), tmp_path, resume=True, progress=False,
                    mesh=one_device_mesh)
  assert int(state.step) == 6
  with pytest.raises(ValueError, match="clip_value.*learning_rate"):
    train.run(tiny_config(steps=9, learning_rate=1e-4, clip_value=0.02), tmp_path, resume=True, progress=False,
              mesh=one_device_mesh)


# --- Property-based validation: no invalid configuration passes, every valid one builds. -------------------------

def _is_valid(config: wgan_config.WGANConfig, num_devices: int) -> bool:
  """An independent statement of the rules `validate` enforces."""
  c = config
  positive = all(getattr(c, name) >= 1 for name in wgan_config.POSITIVE_INTS)
  return (positive and c.learning_rate > 0 and np.isfinite(c.learning_rate) and c.clip_value >= 0
          and np.isfinite(c.clip_value) and c.warmup_steps >= 0 and c.seed >= 0 and c.batch_size % num_devices == 0
          and (c.arch != "dcgan" or (c.image_size >= 8 and c.image_size & (c.image_size - 1) == 0)))


configs = st.builds(
    lambda **kw: dataclasses.replace(tiny_config(), **kw),
    arch=st.sampled_from(["mlp", "dcgan"]),
    image_size=st.sampled_from([-8, 0, 4, 8, 12, 16, 24, 32]),
    latent_dim=st.integers(-2, 8),
    generator_features=st.sampled_from([0, 4, 8]),
    critic_features=st.sampled_from([-4, 4, 8]),
    batch_size=st.integers(-4, 24),
    learning_rate=st.sampled_from([-1e-3, 0.0, 5e-5, 1e-2, float("inf"), float("nan")]),
    clip_value=st.sampled_from([-0.01, 0.0, 0.01, 1.0, float("inf")]),
    n_critic=st.integers(-1, 6),
    warmup_steps=st.integers(-3, 30),
    steps=st.integers(-1, 10),
    seed=st.integers(-5, 2 ** 31 - 1),
)


@hypothesis.settings(max_examples=60, deadline=None, derandomize=True)
@hypothesis.given(config=configs, num_devices=st.sampled_from([1, 2, 8]))
def test_validate_accepts_exactly_the_valid_configs(config, num_devices):
  if _is_valid(config, num_devices):
    wgan_config.validate(config, num_devices)
  else:
    with pytest.raises(ValueError):
      wgan_config.validate(config, num_devices)


valid_configs = st.builds(
    lambda **kw: dataclasses.replace(tiny_config(), **kw),
    arch=st.sampled_from(["mlp", "dcgan"]),
    image_size=st.sampled_from([8, 16]),
    latent_dim=st.integers(1, 8),
    generator_features=st.sampled_from([4, 8]),
    critic_features=st.sampled_from([4, 8]),
    batch_size=st.integers(1, 24),
    learning_rate=st.floats(1e-6, 1.0),
    clip_value=st.floats(1e-4, 10.0),
    seed=st.integers(0, 2 ** 31 - 1),
)


@hypothesis.settings(max_examples=6, deadline=None, derandomize=True)
@hypothesis.given(config=valid_configs)
def test_every_valid_config_builds_a_state(config):
  wgan_config.validate(config, 1)
  state = train.create_state(config, (config.image_size, config.image_size, 1))
  assert int(state.step) == 0
  image = jnp.zeros((2, config.image_size, config.image_size, 1))
  assert train.generate(state, train.make_game(config), {"z": jnp.zeros((2, config.latent_dim))}).shape == image.shape
  assert state.discriminator(image, train=False)[0].shape == (2,)


def test_wrong_types_are_refused():
  with pytest.raises(ValueError, match="batch_size must be of type int"):
    wgan_config.validate(tiny_config(batch_size=8.0))
  with pytest.raises(ValueError, match="arch must be one of"):
    wgan_config.validate(tiny_config(arch="resnet"))
