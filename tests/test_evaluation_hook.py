"""`--eval-every`: the evaluation metrics land in metrics.jsonl, TensorBoard and eval.png, for toys and digits."""

import json

import jax
import numpy as np
import pytest

from jgan import games, testing, train
from jgan.data import toys
from jgan.eval import during_training


def _eval_rows(workdir) -> list[dict]:
  rows = [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]
  return [r for r in rows if any(k.startswith("eval_") for k in r)]


def test_ring_training_writes_coverage_at_start_every_and_end(tmp_path, one_device_mesh):
  config = testing.tiny_config(dataset="ring8", latent_dim=2, generator_features=32, critic_features=32, steps=6,
                               eval_every=4, eval_samples=500)
  train.run(config, tmp_path, progress=False, mesh=one_device_mesh)
  rows = _eval_rows(tmp_path)
  assert [r["step"] for r in rows] == [0, 4, 6]
  for row in rows:
    # The KL of mode usage is undefined, so absent, where no sample is of high quality.
    assert set(row) - {"eval_mode_kl"} == {"step", "eval_w1", "eval_modes", "eval_high_quality"}
    assert ("eval_mode_kl" in row) == (row["eval_high_quality"] > 0)
    assert 0 <= row["eval_modes"] <= 8 and 0 <= row["eval_high_quality"] <= 1 and row["eval_w1"] > 0
  assert (tmp_path / "eval.png").stat().st_size > 1000
  assert any(p.name.startswith("events") for p in (tmp_path / "tensorboard").iterdir())


def test_no_evaluation_by_default(tmp_path, one_device_mesh):
  train.run(testing.tiny_config(dataset="normal1d", latent_dim=1, steps=3), tmp_path, progress=False,
            mesh=one_device_mesh)
  assert _eval_rows(tmp_path) == [] and not (tmp_path / "eval.png").exists()


def test_perfect_generator_scores_the_floor():
  """Samples of the target itself score W1 near the sampling floor and every mode; one point scores one mode."""
  config = testing.tiny_config(dataset="grid25", eval_every=1, eval_samples=2500)
  evaluator = during_training.Evaluator(config, games.WGAN(latent_dim=2), images=None, source_shape=[2],
                                        rng=jax.random.PRNGKey(0))
  scores = evaluator.score(np.asarray(toys.sample("grid25", jax.random.PRNGKey(7), 2500)))
  assert scores["modes"] == 25 and scores["high_quality"] > 0.98 and scores["mode_kl"] < 0.02
  assert scores["w1"] < 0.25  # two independent 2,500-point draws of the grid are this close
  one = evaluator.score(np.zeros((2500, 2), np.float32))
  assert one["modes"] == 1 and one["high_quality"] == 1.0 and one["mode_kl"] == pytest.approx(np.log(25))
  assert one["w1"] > 2.0
  nowhere = evaluator.score(np.full((2500, 2), 100.0, np.float32))
  assert nowhere["modes"] == 0 and nowhere["high_quality"] == 0.0 and "mode_kl" not in nowhere
