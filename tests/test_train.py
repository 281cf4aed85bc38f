"""`jgan.train.run` end to end on a tiny MLP: outputs, determinism, exact resume, and input checks."""

import json
import pathlib
import struct

import jax
import matplotlib.image
import numpy as np
import pytest

import jgan.train
from jgan import checkpoint, parallel, testing, train
from jgan.configs.wgan import WGANConfig

STEPS = 6  # tiny_config: warm-up of 2 iterations with 4 critic steps, then 2; logged every 3, saved every 3
N_CRITIC = [4, 4, 2, 2, 2, 2]


def _run(workdir: pathlib.Path, mesh, **overrides):
  return train.run(testing.tiny_config(**overrides), workdir, progress=False, mesh=mesh)


def _rows(workdir: pathlib.Path) -> list[dict]:
  """metrics.jsonl without the wall-clock field."""
  lines = (workdir / "metrics.jsonl").read_text().splitlines()
  return [{k: v for k, v in json.loads(line).items() if k != "time"} for line in lines]


def _event_scalars(directory: pathlib.Path, tag: str) -> list[tuple[int, float]]:
  """(step, value) of scalar `tag` in the TensorBoard event files under `directory` (TFRecord framing)."""
  from tensorboardX.proto import event_pb2
  values = []
  for path in sorted(directory.rglob("events.out.tfevents*")):
    raw, offset = path.read_bytes(), 0
    while offset < len(raw):
      (length,) = struct.unpack("<Q", raw[offset:offset + 8])
      event = event_pb2.Event.FromString(raw[offset + 12:offset + 12 + length])
      offset += 12 + length + 4
      values += [(event.step, v.simple_value) for v in event.summary.value if v.tag == tag]
  return values


@pytest.fixture(scope="module")
def reference(tmp_path_factory, one_device_mesh):
  """One tiny run of STEPS generator iterations, seed 0: (final state, run directory)."""
  workdir = tmp_path_factory.mktemp("reference")
  return _run(workdir, one_device_mesh), workdir


def test_run_writes_every_output(reference):
  state, workdir = reference
  assert (int(state.step), int(state.critic_steps)) == (STEPS, sum(N_CRITIC))
  rows = _rows(workdir)
  assert [r["step"] for r in rows] == list(range(1, STEPS + 1))
  assert all({"step", "wasserstein", "d_loss", "g_loss", "n_critic"} <= set(r) for r in rows)
  assert [r["n_critic"] for r in rows] == N_CRITIC
  assert all(np.isfinite([r["wasserstein"], r["d_loss"], r["g_loss"]]).all() for r in rows)
  assert all(r["wasserstein"] == pytest.approx(-r["d_loss"]) for r in rows)
  # Samples of the fixed noise at 0, 3 and 6: 4 images of 32x32 in a 2x2 grid with 2-pixel gaps.
  samples = sorted(p.name for p in (workdir / "samples").glob("*.png"))
  assert samples == ["step_000000.png", "step_000003.png", "step_000006.png"]
  assert matplotlib.image.imread(workdir / "samples" / "step_000006.png").shape[:2] == (70, 70)
  assert matplotlib.image.imread(workdir / "wasserstein.png").ndim == 3
  assert [step for step, _ in _event_scalars(workdir / "tensorboard", "wasserstein")] == list(range(1, STEPS + 1))
  np.testing.assert_allclose([v for _, v in _event_scalars(workdir / "tensorboard", "wasserstein")],
                             [r["wasserstein"] for r in rows], rtol=1e-6)
  assert checkpoint.latest_step(workdir) == STEPS
  assert sorted(int(p.name) for p in (workdir / "checkpoints").iterdir() if p.name.isdigit()) == [3, 6]
  config = json.loads((workdir / "config.json").read_text())
  assert config["config"]["latent_dim"] == 8 and config["shape"] == [32, 32, 1]
  assert config["source_shape"] == [28, 28, 1]


def test_checkpoint_holds_the_final_state(reference):
  state, workdir = reference
  step, meta, restored = checkpoint.restore(workdir, train.create_state(testing.tiny_config(), (32, 32, 1)))
  assert step == STEPS and meta["config"]["seed"] == 0
  assert testing.tree_equal(jax.device_get(restored), jax.device_get(state))
  # A target traced without running the initializers (what `jgan.sample` restores into) gives the same state.
  target = checkpoint.abstract_target(lambda: train.create_state(testing.tiny_config(), (32, 32, 1)))
  assert all(isinstance(leaf, jax.ShapeDtypeStruct) for leaf in jax.tree.leaves(target))
  _, _, from_abstract = checkpoint.restore(workdir, target)
  assert testing.tree_equal(jax.device_get(from_abstract), jax.device_get(state))
  assert [x.dtype for x in jax.tree.leaves(from_abstract)] == [x.dtype for x in jax.tree.leaves(restored)]


def test_same_seed_same_run_other_seed_differs(reference, tmp_path, one_device_mesh):
  state, workdir = reference
  again = _run(tmp_path / "again", one_device_mesh)
  assert testing.tree_equal(jax.device_get(again), jax.device_get(state))  # every leaf, bit for bit
  assert _rows(tmp_path / "again") == _rows(workdir)
  other = _run(tmp_path / "other", one_device_mesh, seed=1)
  for player in ("generator", "discriminator"):
    assert not testing.tree_equal(getattr(other, player).params, getattr(state, player).params)
  assert _rows(tmp_path / "other") != _rows(workdir)


def test_resume_continues_exactly(reference, tmp_path, one_device_mesh):
  """N + M iterations in one go, or N then resume to N + M (`steps` is the total budget): the same run."""
  state, workdir = reference
  resumed_dir = tmp_path / "resumed"
  first = _run(resumed_dir, one_device_mesh, steps=3)
  assert int(first.step) == 3 and len(_rows(resumed_dir)) == 3
  resumed = train.run(testing.tiny_config(steps=STEPS), resumed_dir, resume=True, progress=False,
                      mesh=one_device_mesh)
  assert testing.tree_equal(jax.device_get(resumed), jax.device_get(state))
  assert _rows(resumed_dir) == _rows(workdir)
  # A changed model refuses to resume, naming the field, and touches nothing.
  before = (resumed_dir / "metrics.jsonl").read_text()
  with pytest.raises(ValueError, match=r"latent_dim: checkpoint 8 vs now 16"):
    train.run(testing.tiny_config(steps=9, latent_dim=16), resumed_dir, resume=True, progress=False,
              mesh=one_device_mesh)
  assert (resumed_dir / "metrics.jsonl").read_text() == before and checkpoint.latest_step(resumed_dir) == STEPS


def test_host_and_device_loops_agree(reference, tmp_path, one_device_mesh):
  state, workdir = reference
  host = _run(tmp_path / "host", one_device_mesh, loop="host")
  host_rows, device_rows = _rows(tmp_path / "host"), _rows(workdir)
  assert [r["n_critic"] for r in host_rows] == [r["n_critic"] for r in device_rows] == N_CRITIC
  for key in ("wasserstein", "d_loss", "g_loss"):
    np.testing.assert_allclose([r[key] for r in host_rows], [r[key] for r in device_rows], rtol=1e-3, atol=1e-6,
                               err_msg=key)
  for player in ("generator", "discriminator"):
    for a, b in zip(jax.tree.leaves(getattr(host, player).params), jax.tree.leaves(getattr(state, player).params)):
      np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-6)


def test_non_empty_out_dir_needs_resume_or_overwrite(tmp_path, one_device_mesh):
  (tmp_path / "notes.txt").write_text("mine")
  with pytest.raises(ValueError, match="exists and is not empty"):
    _run(tmp_path, one_device_mesh)
  assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
  state = train.run(testing.tiny_config(steps=1), tmp_path, overwrite=True, progress=False, mesh=one_device_mesh)
  assert int(state.step) == 1 and (tmp_path / "notes.txt").read_text() == "mine"
  assert len(_rows(tmp_path)) == 1


def test_overwrite_starts_the_outputs_over(tmp_path, one_device_mesh):
  """A run started over in a used folder leaves no row, grid or checkpoint of the earlier run (which would mix
  two runs in one curve, or outlive this run's grids); the user's own files stay."""
  train.run(testing.tiny_config(steps=4, sample_every=2, checkpoint_every=2), tmp_path, progress=False,
            mesh=one_device_mesh)
  (tmp_path / "notes.txt").write_text("mine")
  assert (tmp_path / "samples" / "step_000004.png").is_file()
  train.run(testing.tiny_config(steps=2, sample_every=2, checkpoint_every=2), tmp_path, overwrite=True,
            progress=False, mesh=one_device_mesh)
  assert [r["step"] for r in _rows(tmp_path)] == [1, 2]
  assert not (tmp_path / "samples" / "step_000004.png").exists()
  assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["2"]
  assert (tmp_path / "notes.txt").read_text() == "mine"


def _fail(*args, **kwargs):
  raise AssertionError("compiled or read data before validating the inputs")


@pytest.mark.parametrize("overrides, devices, resume, message", [
    (dict(learning_rate=-1e-4), 1, False, "learning_rate must be a finite number > 0, got -0.0001"),
    (dict(batch_size=12), 8, False, "batch_size 12 must be divisible by the device count 8"),
    (dict(dataset="no_such_dataset_xyz"), 1, False, "unknown dataset 'no_such_dataset_xyz'"),
    (dict(), 1, True, "no checkpoint found"),
    (dict(arch="dcgan", image_size=24), 1, False, "power of two >= 8 for the dcgan arch, got 24"),
    (dict(compute_dtype="float16"), 1, False, r"compute_dtype must be one of \('float32', 'bfloat16'\), got 'float16'"),
    (dict(arch="maxout", compute_dtype="bfloat16"), 1, False, "bfloat16': only the dcgan and mlp nets take"),
])
def test_bad_inputs_refused_before_any_work(tmp_path, monkeypatch, overrides, devices, resume, message):
  monkeypatch.setattr(jgan.train.jax, "jit", _fail)
  monkeypatch.setattr(jgan.train.data, "load", _fail)
  monkeypatch.setattr(jgan.train, "create_state", _fail)
  workdir = tmp_path / "run"
  workdir.mkdir()
  (workdir / "notes.txt").write_text("mine")
  mesh = parallel.make_mesh(jax.devices()[:devices])
  with pytest.raises(ValueError, match=message):
    train.run(testing.tiny_config(**overrides), workdir, resume=resume, overwrite=True, progress=False, mesh=mesh)
  assert [p.name for p in workdir.iterdir()] == ["notes.txt"]
  assert (workdir / "notes.txt").read_text() == "mine"


def test_dcgan_with_sub_pixel_layers_is_deterministic_across_compilations(one_device_mesh):
  """The DCGAN at sizes where the sub-pixel convolutions and the Eigen option are in use (a 4x4 -> 8x8 layer with 16
  channels out, the critic's matching input gradient): two separately compiled runs give identical bits, another
  seed other parameters."""
  from jgan.data.source import Source
  images = np.random.default_rng(0).integers(0, 256, (64, 16, 16, 1), dtype=np.uint8)
  source = parallel.replicate(Source.from_arrays(images), one_device_mesh)

  def run(seed):
    config = testing.tiny_config(arch="dcgan", image_size=16, loop="host", seed=seed)
    state = parallel.replicate(train.create_state(config, (16, 16, 1)), one_device_mesh)
    state, rows = train.Stepper(config, one_device_mesh, "host").advance(state, source, 0, 3)
    return jax.device_get((state.generator.params, state.discriminator.params, rows))

  a, b, c = run(0), run(0), run(1)
  assert testing.tree_equal(a, b)
  assert not testing.tree_equal(a[0], c[0]) and not testing.tree_equal(a[1], c[1])


def test_progress_estimate_weighs_each_iteration_by_its_critic_steps():
  """The bar counts critic steps plus the generator step: the WGAN schedule's 25 warm-up iterations of 100 critic
  steps (and every 500th) weigh 101, the others 6, so the remaining time is right from the first iterations."""
  experiment = train.GANExperiment(WGANConfig(steps=2000))
  costs = experiment.iteration_costs(np.arange(2000))
  assert costs[:25].tolist() == [101.0] * 25 and costs[25:30].tolist() == [6.0] * 5
  assert costs[500] == costs[1000] == costs[1500] == 101.0
  assert costs.sum() == 28 * 101 + 1972 * 6
  assert experiment.phase(0) == "warm-up: 100 critic steps" and experiment.phase(500) == "every 500th: 100 critic steps"
  assert experiment.phase(25) == ""


def test_progress_bar_shows_the_phase_and_the_iteration(tmp_path, one_device_mesh, capsys):
  config = testing.tiny_config(steps=4, n_critic=2, warmup_steps=2, warmup_n_critic=4, log_every=1)
  train.run(config, tmp_path, progress=True, mesh=one_device_mesh)
  err = capsys.readouterr().err
  assert "generator iteration 1/4" in err and "warm-up: 4 critic steps" in err and "100%" in err
  last = err.strip().split("\r")[-1]
  assert "generator iteration 4/4" in last and "warm-up" not in last


def test_training_clock_continues_across_a_resume():
  from jgan.metrics import training_clock
  rows = [{"step": 100, "time": 10.0}, {"step": 200, "time": 20.0, "d_loss": 1.0}, {"step": 200, "eval_fd": 3.0},
          {"step": 300, "time": 4.0}, {"step": 400, "time": 9.0}]  # resumed at 200: the new process's clock
  assert training_clock(rows) == {100: 10.0, 200: 20.0, 300: 24.0, 400: 29.0}
