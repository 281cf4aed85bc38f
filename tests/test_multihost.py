"""Many processes, one run (`jgan.distributed`, `jgan.launch`), with real processes on CPU talking over gloo.

Every run here is a subprocess of the experiment's command line, started by `python -m jgan.launch` or by hand with
the environment it gives; the processes are given their device count explicitly (this test process has 8).
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import jax
import numpy as np
import pytest

from jgan import checkpoint, distributed, launch, testing, train

# The WGAN DCGAN with batch norm in both nets, on 16x16 digits; 2 critic steps in every iteration (warm-up too), so
# one iteration is compiled once. A global batch of 8: 2 examples per device on 4 devices.
DCGAN = dict(arch="dcgan", image_size=16, resize="bilinear", generator_features=8, critic_features=8, latent_dim=8,
             batch_size=8, n_critic=2, warmup_steps=0, warmup_n_critic=2, steps=4, log_every=2, sample_every=2,
             checkpoint_every=2, num_samples=4)
# The tiny MLP, one compiled call per generator iteration, so a signal is seen at the next iteration.
MLP = dict(arch="mlp", generator_features=16, critic_features=16, latent_dim=8, batch_size=8, n_critic=2,
           warmup_steps=0, warmup_n_critic=2, log_every=1, sample_every=1000, checkpoint_every=1000, num_samples=4,
           loop="host")


def _flags(**fields) -> list[str]:
  return [arg for name, value in fields.items() for arg in ("--" + name.replace("_", "-"), str(value))]


def _launch(processes: int, devices: int, args: list[str], env: dict[str, str], timeout: float = 300,
            grace: float = 5) -> subprocess.CompletedProcess:
  return subprocess.run([sys.executable, "-m", "jgan.launch", "--processes", str(processes), "--local-devices",
                         str(devices), "--grace", str(grace), "--", *args], env=env, capture_output=True, text=True,
                        timeout=timeout)


def _wgan(*args: str) -> list[str]:
  return [sys.executable, "-m", "jgan.experiments.wgan", *args]


def _rows(workdir: pathlib.Path) -> list[dict]:
  """metrics.jsonl without the wall-clock field."""
  lines = (workdir / "metrics.jsonl").read_text().splitlines()
  return [{k: v for k, v in json.loads(line).items() if k != "time"} for line in lines]


def _assert_trees_close(a, b, **tolerance) -> None:
  paths_a, paths_b = jax.tree_util.tree_leaves_with_path(a), jax.tree_util.tree_leaves_with_path(b)
  assert [p for p, _ in paths_a] == [p for p, _ in paths_b]
  for (path, x), (_, y) in zip(paths_a, paths_b):
    np.testing.assert_allclose(np.asarray(x), np.asarray(y), err_msg=jax.tree_util.keystr(path), **tolerance)


def _by_process(output: str) -> dict[str, str]:
  """The launcher's output split by the `[p<i>] ` prefix of each line (carriage returns end lines too)."""
  lines: dict[str, str] = {}
  for line in output.replace("\r", "\n").splitlines():
    if line.startswith("[p"):
      tag, _, rest = line.partition("] ")
      lines[tag[1:]] = lines.get(tag[1:], "") + rest + "\n"
  return lines


# --- 2 processes x 2 devices against 1 process x 4 devices. -------------------------------------------------------

@pytest.fixture(scope="module")
def dcgan_runs(tmp_path_factory, subprocess_env):
  """The DCGAN run through the launcher as 2 processes x 2 devices and as 1 process x 4: {layout: (dir, output)}."""
  root = tmp_path_factory.mktemp("multihost")
  runs = {}
  for processes, devices in ((2, 2), (1, 4)):
    out = root / f"{processes}x{devices}"
    done = _launch(processes, devices, _wgan(*_flags(**DCGAN), "--out", str(out)), subprocess_env)
    assert done.returncode == 0, done.stderr[-3000:]
    runs[processes, devices] = out, done
  return runs


@pytest.mark.slow  # their two- and one-process runs take about a minute on 2 cores: -m slow, to keep the default suite under CI's 15 minutes (tests/test_stream.py's two processes stay in it)
def test_two_processes_match_one_process_on_the_same_global_batch(dcgan_runs):
  """Same per-iteration losses and same final parameters and batch-norm statistics, to float tolerance."""
  (two, _), (one, _) = dcgan_runs[2, 2], dcgan_runs[1, 4]
  rows_two, rows_one = _rows(two), _rows(one)
  assert [r["step"] for r in rows_two] == [r["step"] for r in rows_one] == [1, 2, 3, 4]
  for r2, r1 in zip(rows_two, rows_one):
    for key in ("d_loss", "g_loss", "wasserstein"):
      np.testing.assert_allclose(r2[key], r1[key], rtol=1e-4, atol=1e-7, err_msg=f"{key} at {r1['step']}")
  config = testing.tiny_config(**DCGAN)
  target = train.create_state(config, (16, 16, 1))
  (step_two, _, state_two), (step_one, _, state_one) = (checkpoint.restore(w, target) for w in (two, one))
  assert step_two == step_one == 4
  assert int(state_two.critic_steps) == int(state_one.critic_steps) == 8
  for player in ("generator", "discriminator"):
    for part in ("params", "batch_stats"):
      _assert_trees_close(getattr(getattr(state_two, player), part), getattr(getattr(state_one, player), part),
                          rtol=1e-4, atol=1e-6)
  assert jax.tree.leaves(state_two.discriminator.batch_stats)  # the critic's batch norm is covered
  assert not testing.tree_equal(state_two.generator.params, target.generator.params)  # training moved them


@pytest.mark.slow  # their two- and one-process runs take about a minute on 2 cores: -m slow, to keep the default suite under CI's 15 minutes (tests/test_stream.py's two processes stay in it)
def test_only_process_zero_writes_outputs(dcgan_runs):
  """One metrics line per iteration, one TensorBoard file, one progress bar and one final message: process 0's."""
  out, done = dcgan_runs[2, 2]
  assert json.loads((out / "config.json").read_text())["config"]["arch"] == "dcgan"
  assert len((out / "metrics.jsonl").read_text().splitlines()) == 4  # a second writer would double the lines
  assert len(list((out / "tensorboard").rglob("events.out.tfevents*"))) == 1
  assert sorted(p.name for p in (out / "samples").iterdir()) == [f"step_{s:06d}.png" for s in (0, 2, 4)]
  stdout, stderr = _by_process(done.stdout), _by_process(done.stderr)
  assert "done: 4 generator iterations" in stdout["p0"]
  assert "done:" not in stdout.get("p1", "")
  assert "generator iteration 4/4" in stderr["p0"]  # the bar (tqdm writes to stderr)
  assert "generator iteration" not in stderr.get("p1", "")


# --- Preemption. -----------------------------------------------------------------------------------------------

@pytest.mark.slow  # two processes trained twice; over 30 s on 2 cores: -m slow, to keep the default suite under CI's 15 minutes
def test_sigterm_to_one_process_stops_all_at_the_same_step_then_resume_with_another_count(tmp_path, subprocess_env):
  """SIGTERM to process 1 of 2: both save the same iteration and exit 3. --resume as 1 process x 2 devices (same
  global batch), then again as 2 processes, finishes the run as a run that was never interrupted does."""
  out = tmp_path / "run"
  args = _wgan(*_flags(**MLP), "--no-progress", "--out", str(out))
  coordinator = f"127.0.0.1:{launch.free_port()}"
  procs = [subprocess.Popen([*args, "--steps", "100000"], stderr=subprocess.PIPE, text=True,
                            env=launch.process_env(subprocess_env, process_id=i, num_processes=2, local_devices=1,
                                                   coordinator=coordinator)) for i in range(2)]
  try:
    deadline = time.time() + 180
    while time.time() < deadline and not ((out / "metrics.jsonl").exists() and
                                          len((out / "metrics.jsonl").read_text().splitlines()) >= 3):
      assert all(p.poll() is None for p in procs), [p.returncode for p in procs]
      time.sleep(0.2)
    procs[1].send_signal(signal.SIGTERM)
    stderr = [p.communicate(timeout=120)[1] for p in procs]
  finally:
    for p in procs:
      if p.poll() is None:
        p.kill()
  assert [p.returncode for p in procs] == [3, 3], stderr
  assert "stopped:" in stderr[0] and "--resume" in stderr[0] and "a signal to another process" in stderr[0]
  stopped_at = checkpoint.latest_step(out)
  assert stopped_at is not None and stopped_at >= 3, (sorted(p.name for p in (out / "checkpoints").glob("*"))
                                                      if (out / "checkpoints").exists() else None, stderr)
  assert f"at generator iteration {stopped_at};" in stderr[0]
  assert _rows(out)[-1]["step"] == stopped_at

  total = stopped_at + 4
  for processes, steps, extra, workdir in ((1, total - 2, ["--resume"], out), (2, total, ["--resume"], out),
                                           (1, total, [], tmp_path / "straight")):
    done = _launch(processes, 2 // processes, _wgan(*_flags(**MLP), "--no-progress", "--steps", str(steps), "--out",
                                                    str(workdir), *extra), subprocess_env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"done: {steps} generator iterations" in done.stdout
  assert [r["step"] for r in _rows(out)] == list(range(1, total + 1))
  for resumed, straight in zip(_rows(out), _rows(tmp_path / "straight")):
    for key in ("d_loss", "g_loss"):
      np.testing.assert_allclose(resumed[key], straight[key], rtol=1e-4, atol=1e-7, err_msg=key)
  target = train.create_state(testing.tiny_config(**MLP), (32, 32, 1))
  (_, _, resumed), (_, _, straight) = (checkpoint.restore(w, target) for w in (out, tmp_path / "straight"))
  assert int(resumed.step) == int(straight.step) == total
  _assert_trees_close((resumed.generator.params, resumed.discriminator.params),
                      (straight.generator.params, straight.discriminator.params), rtol=1e-4, atol=1e-6)


# Two processes' mean over one device each: a jitted shard_map holding one pmean, the smallest program that hung.
_PMEAN = """
import jax
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec as P
from jgan import distributed
assert distributed.initialize()
mesh = jax.make_mesh((jax.device_count(),), ("x",))
x = jax.make_array_from_process_local_data(NamedSharding(mesh, P("x")),
                                           np.full((1, 3), jax.process_index() + 1.0, np.float32))
mean = jax.jit(jax.shard_map(lambda x: jax.lax.pmean(x, "x"), mesh=mesh, in_specs=P("x"), out_specs=P("x")))(x)
print("mean", float(np.asarray(mean.addressable_data(0))[0, 0]), "cache", jax.config.jax_enable_compilation_cache)
"""


def test_second_multi_process_run_with_a_warm_compilation_cache_finishes(tmp_path, subprocess_env):
  """On jax 0.12.1 process 0 of a second run loaded its collective from the persistent cache, the other process
  compiled it, and both waited in it forever; `jgan.distributed` compiles without the cache there (and says so)."""
  env = {**subprocess_env, "JAX_COMPILATION_CACHE_DIR": str(tmp_path / "cache")}
  for run in range(2):
    coordinator = f"127.0.0.1:{launch.free_port()}"
    procs = [subprocess.Popen([sys.executable, "-c", _PMEAN], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=launch.process_env(env, process_id=i, num_processes=2, local_devices=1,
                                                                coordinator=coordinator)) for i in range(2)]
    try:
      outputs = [p.communicate(timeout=120) for p in procs]
    finally:
      for p in procs:
        if p.poll() is None:
          p.kill()
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outputs]
    cache_off = jax.__version_info__ >= distributed._CACHED_COLLECTIVES_HANG_FROM
    for out, _ in outputs:  # gloo prints its connections first
      assert out.splitlines()[-1].split() == ["mean", "1.5", "cache", str(not cache_off)], (run, out)
    assert ("persistent compilation cache" in outputs[0][1]) == cache_off
    if not cache_off:
      assert any((tmp_path / "cache").iterdir())  # the second run could load the first one's programs


# --- Input checks and the launcher. ----------------------------------------------------------------------------

def test_global_batch_not_divisible_over_all_devices_is_refused(tmp_path, subprocess_env):
  out = tmp_path / "run"
  done = _launch(2, 2, _wgan(*_flags(**MLP), "--batch-size", "6", "--steps", "2", "--out", str(out)), subprocess_env,
                 timeout=120)
  assert done.returncode == 2, done.stderr[-3000:]
  stderr = _by_process(done.stderr)
  message = "batch_size 6 must be divisible by the device count 4 (2 processes x 2 devices)"
  assert message in stderr["p0"] and message in stderr["p1"]
  assert not out.exists()  # refused before writing (or compiling) anything


def test_initialize_needs_all_three_settings_or_none(monkeypatch):
  for name in (distributed.ENV_COORDINATOR, distributed.ENV_NUM_PROCESSES, distributed.ENV_PROCESS_ID,
               "JAX_COORDINATOR_ADDRESS"):
    monkeypatch.delenv(name, raising=False)
  with pytest.raises(ValueError, match="missing: num_processes, process_id"):
    distributed.initialize("127.0.0.1:1234")
  monkeypatch.setenv(distributed.ENV_NUM_PROCESSES, "two")
  with pytest.raises(ValueError, match="JGAN_NUM_PROCESSES must be an integer"):
    distributed.initialize()
  monkeypatch.delenv(distributed.ENV_NUM_PROCESSES)
  with pytest.raises(ValueError, match=r"process id 2 must be in \[0, num_processes=2\)"):
    distributed.initialize("127.0.0.1:1234", 2, 2)
  assert distributed.initialize() is False  # a single process: nothing to do
  assert distributed.any_process(True) and not distributed.any_process(False)
  assert distributed.broadcast_text("runs/x") == "runs/x"


def test_launcher_environment():
  base = {"XLA_FLAGS": "--xla_force_host_platform_device_count=8 --xla_foo=1", "JGAN_PROCESS_ID": "7"}
  env = launch.process_env(base, process_id=1, num_processes=3, local_devices=2, coordinator="127.0.0.1:99")
  assert env["XLA_FLAGS"] == "--xla_foo=1 --xla_force_host_platform_device_count=2"
  assert (env["JAX_PLATFORMS"], env["JGAN_COORDINATOR"], env["JGAN_NUM_PROCESSES"], env["JGAN_PROCESS_ID"]) == (
      "cpu", "127.0.0.1:99", "3", "1")
  single = launch.process_env(base, process_id=0, num_processes=1, local_devices=4, coordinator=None)
  assert "JGAN_PROCESS_ID" not in single and "JGAN_COORDINATOR" not in single


# A child that reports its id and device count, then: process 1 fails at once (status 7) while process 0 would
# sleep for minutes; or both wait for SIGTERM and exit 3 when it comes.
_CHILD = """
import os, signal, sys, time
pid = int(os.environ["JGAN_PROCESS_ID"])
print("process", pid, "of", os.environ["JGAN_NUM_PROCESSES"], os.environ["XLA_FLAGS"].split()[-1], flush=True)
if sys.argv[1] == "fail":
  sys.exit(7) if pid == 1 else time.sleep(300)
signal.signal(signal.SIGTERM, lambda *_: (print("got SIGTERM", flush=True), sys.exit(3)))
print("ready", flush=True)
time.sleep(300)
"""


def test_launcher_fails_fast_when_one_process_dies():
  start = time.time()
  done = _launch(2, 3, [sys.executable, "-c", _CHILD, "fail"], dict(os.environ), timeout=60, grace=1)
  assert done.returncode == 7, done.stderr
  assert time.time() - start < 30  # not the 300 s process 0 would sleep
  assert "[p0] process 0 of 2 --xla_force_host_platform_device_count=3" in done.stdout
  assert "[p1] process 1 of 2" in done.stdout
  assert "process 1 exited with status 7" in done.stderr


def test_launcher_forwards_sigterm_to_every_process():
  proc = subprocess.Popen([sys.executable, "-m", "jgan.launch", "--processes", "2", "--", sys.executable, "-c",
                           _CHILD, "wait"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
  lines = []
  while sum("ready" in line for line in lines) < 2:
    lines.append(proc.stdout.readline())
    assert lines[-1], (lines, proc.poll())
  proc.send_signal(signal.SIGTERM)
  stdout, stderr = proc.communicate(timeout=30)
  assert proc.returncode == 3, stderr
  assert "[p0] got SIGTERM" in stdout and "[p1] got SIGTERM" in stdout
