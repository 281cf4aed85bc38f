"""DANN: the gradient reversal layer, the schedules, the step's wiring, a toy shift it must close, resume, config."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import signal

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jgan import loop
from jgan.adaptation import dann, experiment
from jgan.adaptation.config import DANNConfig, validate
from jgan.adaptation.data import DomainPairSource
from jgan.adaptation.reversal import adaptation_factor, annealed_learning_rate, progress, reverse_gradient
from jgan.state import MultiNetState
from jgan.testing import tree_equal


# --- The reversal layer and the schedules. ---

def test_reversal_is_the_identity_forward_and_minus_lambda_backward():
  x = jnp.asarray([[1.0, -2.0, 3.5]])
  for lam in (0.0, 0.3, 1.0):
    np.testing.assert_array_equal(np.asarray(reverse_gradient(x, jnp.float32(lam))), np.asarray(x))
    weights = jnp.asarray([2.0, -1.0, 0.5])
    # d/dx of sum(w * R(x)) is -lambda w; without the layer it would be +w.
    grad = jax.grad(lambda v: jnp.sum(weights * reverse_gradient(v, jnp.float32(lam))))(x)
    np.testing.assert_allclose(np.asarray(grad), -lam * np.asarray(weights)[None], rtol=1e-6)
  # Through a nonlinearity after the layer: the chain rule with the sign flipped, and lambda gets no gradient.
  f = lambda v, lam: jnp.sum(jnp.sin(reverse_gradient(v, lam)))
  gx, glam = jax.grad(f, argnums=(0, 1))(x, jnp.float32(0.5))
  np.testing.assert_allclose(np.asarray(gx), -0.5 * np.cos(np.asarray(x)), rtol=1e-6)
  assert float(glam) == 0.0


def test_schedules_match_the_papers_formulas():
  # lambda_p = 2 / (1 + exp(-10 p)) - 1
  assert float(adaptation_factor(0.0)) == 0.0
  np.testing.assert_allclose(float(adaptation_factor(0.5)), 2 / (1 + math.exp(-5)) - 1, rtol=1e-6)
  np.testing.assert_allclose(float(adaptation_factor(1.0)), 2 / (1 + math.exp(-10)) - 1, rtol=1e-6)
  # mu_p = 0.01 / (1 + 10 p)^0.75
  np.testing.assert_allclose(float(annealed_learning_rate(0.0)), 0.01, rtol=1e-6)
  np.testing.assert_allclose(float(annealed_learning_rate(1.0)), 0.01 / 11 ** 0.75, rtol=1e-6)
  config = DANNConfig(steps=200)
  schedule = config.learning_rate_schedule()
  np.testing.assert_allclose(float(schedule(50)), 0.01 / (1 + 10 * 0.25) ** 0.75, rtol=1e-6)
  assert float(progress(400, 200)) == 1.0  # past the end: the schedule's end
  np.testing.assert_allclose(float(dann.domain_factor(config, jnp.int32(100))), 2 / (1 + math.exp(-5)) - 1,
                             rtol=1e-6)
  assert float(dann.domain_factor(dataclasses.replace(config, mode="source_only"), jnp.int32(100))) == 0.0


@pytest.mark.parametrize("overrides, match", [
    (dict(mode="adda"), "mode"), (dict(source="svhn"), "source"), (dict(target="digits"), "differ"),
    (dict(batch_size=63), "even"), (dict(momentum=1.0), "momentum"), (dict(lambda_gamma=-1.0), "lambda_gamma"),
])
def test_bad_configs_are_refused_naming_the_field(overrides, match):
  with pytest.raises(ValueError, match=match):
    validate(dataclasses.replace(DANNConfig(source="digits", target="mnist_m"), **overrides))


# --- The step on a toy shift. ---

class _Points(nn.Module):
  """The toy's G_f: a small ReLU MLP of the 2-D points."""

  @nn.compact
  def __call__(self, x, *, train=False):
    del train
    return nn.relu(nn.Dense(32)(nn.relu(nn.Dense(32)(x))))


def _blobs(rng: np.random.Generator, n: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
  """Two Gaussian blobs, class 0 at (-1, -1) and class 1 at (1, 1) (both coordinates tell the class), moved by
  `shift` along y."""
  labels = rng.integers(0, 2, n)
  centres = np.stack([2.0 * labels - 1.0, 2.0 * labels - 1.0 + shift], 1)
  return (centres + rng.normal(0, 0.4, (n, 2))).astype(np.float32), labels.astype(np.int32)


def _toy_run(mode: str, steps: int = 1000) -> float:
  """DANN's step (the module's own loss, reversal and schedules) with a point MLP on the toy shift; returns the
  target accuracy."""
  rng = np.random.default_rng(0)
  xs, ys = _blobs(rng, 512, 0.0)
  xt, yt = _blobs(rng, 512, 3.0)
  # The source maps stored pixels to [-1, 1] as x / 127.5 - 1: store points so that the step sees them unchanged.
  stored = lambda p: (p + 1.0) * 127.5
  source = DomainPairSource.from_arrays(stored(xs), ys, stored(xt), yt)
  config = DANNConfig(mode=mode, steps=steps, batch_size=128, learning_rate=0.02)
  built = {"features": (_Points(), np.zeros((1, 2), np.float32)),
           "label": (dann.LabelPredictor(), np.zeros((1, 32), np.float32)),
           "domain": (dann.DomainClassifier(), np.zeros((1, 32), np.float32))}
  keys = experiment.run_keys(0)
  state = MultiNetState.create(experiment.init_nets(built, keys["init"]), dann.make_phases(config), keys["step"])
  step = jax.jit(lambda s, src: dann.train_step(s, src, None, config=config))
  for _ in range(steps):
    state, metrics = step(state, source)
  apply = lambda net, x: state.nets[net].apply_fn({"params": state.nets[net].params}, x)
  logits = apply("label", apply("features", jnp.asarray(xt)))
  return float(np.mean(np.argmax(np.asarray(logits), -1) == yt))


def test_dann_beats_source_only_on_a_shifted_pair_of_blobs():
  """Two blobs whose x and y both tell the class in the source; the target's are moved up by 3, so the source's
  boundary (which uses y) calls nearly all of them class 1. DANN's features drop y, which tells the domain, and
  keep x. The same nets, data, seed and steps; only lambda differs. Measured with data seeds 0, 1, 2: source only
  0.51, 0.49, 0.53; DANN 0.97, 0.82, 0.99 (seed 0 here)."""
  source_only, adapted = _toy_run("source_only"), _toy_run("dann")
  assert source_only < 0.6, source_only  # the shift is real
  assert adapted > source_only + 0.2, (source_only, adapted)


# --- Runs. ---

TINY = dict(source="digits", target="mnist_m", batch_size=8, steps=4, log_every=2, sample_every=2,
            checkpoint_every=2, eval_every=2, eval_samples=16, num_samples=8)


class _SignalledOnce(experiment.AdaptationExperiment):
  """Sends this process SIGTERM after its first `advance`, as a preemption would."""

  def advance(self, state, start, count, stop):
    state, rows = super().advance(state, start, count, stop)
    if start == 0:
      os.kill(os.getpid(), signal.SIGTERM)
    return state, rows


def test_sigterm_then_resume_is_bit_identical_and_scores_are_written(tmp_path, one_device_mesh):
  """The schedules depend on p = step / steps, so a resume keeps `steps`; preempted by SIGTERM after the first
  chunk (the loop takes the first iterations one by one) and resumed, the run equals one straight through."""
  config = DANNConfig(**TINY)
  straight = experiment.run(config, tmp_path / "straight", mesh=one_device_mesh, progress=False)
  with pytest.raises(loop.Preempted, match="checkpoint 1 saved"):
    loop.run(_SignalledOnce(config, tmp_path / "resumed"), tmp_path / "resumed", mesh=one_device_mesh,
             progress=False)
  with pytest.raises(ValueError, match="steps"):
    experiment.run(dataclasses.replace(config, steps=6), tmp_path / "resumed", resume=True, mesh=one_device_mesh)
  resumed = experiment.run(config, tmp_path / "resumed", resume=True, mesh=one_device_mesh, progress=False)
  assert tree_equal(straight, resumed)
  rows = lambda d: [json.loads(line) for line in (tmp_path / d / "metrics.jsonl").read_text().splitlines()]
  strip = lambda rs: [{k: v for k, v in r.items() if k != "time"} for r in rs]
  assert strip(rows("straight")) == strip(rows("resumed"))
  assert (tmp_path / "straight" / "samples" / "step_000004.png").is_file()
  scores = experiment.final_scores(tmp_path / "straight", "validation")
  assert scores["target_images"] == 1000 and 0.0 <= scores["target_accuracy"] <= 1.0
  assert scores["step"] == 4 and scores["method"] == "dann"


def test_command_refuses_a_bad_flag_before_any_work(tmp_path, capsys):
  from jgan.experiments import dann as command
  assert command.main(["--source", "digits", "--target", "digits", "--out", str(tmp_path / "run")]) == 2
  assert "source and target must differ" in capsys.readouterr().err
  assert not (tmp_path / "run").exists()


@pytest.mark.slow  # compiles the DANN step for two meshes: about half a minute on 2 cores
def test_two_devices_match_one_device(one_device_mesh):
  """The same global batch split over 2 devices gives the same state: a gradient summed instead of averaged, or a
  batch drawn per device instead of sliced, would show."""
  import functools
  from jgan import parallel
  from jgan.adaptation.data import training_domains, with_channels
  config = DANNConfig(**{**TINY, "batch_size": 8})
  xs, ys, xt, yt = training_domains("digits", "mnist_m")
  source = DomainPairSource.from_arrays(with_channels(xs[:64], 3), ys[:64], xt[:64], yt[:64])
  results = []
  for mesh in (one_device_mesh, parallel.make_mesh(jax.devices()[:2])):
    state = parallel.replicate(dann.create_state(config), mesh)
    step = jax.jit(parallel.data_parallel(functools.partial(dann.train_step, config=config,
                                                            axis_name=parallel.AXIS), mesh))
    for _ in range(2):
      state, metrics = step(state, parallel.replicate(source, mesh), None)
    results.append((state, metrics))
  (one, m1), (two, m2) = results
  for x, y in zip(jax.tree.leaves(one), jax.tree.leaves(two)):
    np.testing.assert_allclose(np.asarray(x), np.asarray(y), atol=2e-5, rtol=2e-4)
  for key in m1:
    np.testing.assert_allclose(float(m1[key]), float(m2[key]), rtol=2e-4, atol=2e-5)
