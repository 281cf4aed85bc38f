"""Scores WGAN runs on the digits: sliced Wasserstein distance between generated and real digits.

    python experiments/score_runs.py RUN_DIR [RUN_DIR ...]

Protocol (as tests/test_learning.py): 500 samples from the run's latest checkpoint (seed 123, inference-mode batch
norm) against 500 real digits drawn without replacement (seed 0), both 28x28 in [0, 1], 256 random projections.
Beside each run: the same distance for its untrained generator (same seed), for the mean digit repeated and for 500
other real digits (the floor). Prints one Markdown table row per run.
"""

from __future__ import annotations

import json
import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np

from jgan import data, sample, train
from jgan.eval import sliced_wasserstein

NUM = 500


def distance(a: np.ndarray, b: np.ndarray) -> float:
  return float(sliced_wasserstein(jnp.asarray(a, jnp.float32) / 255, jnp.asarray(b, jnp.float32) / 255,
                                  jax.random.PRNGKey(0), num_projections=256))


def main(run_dirs: list[str]) -> None:
  digits = data.load("digits").images
  pick = np.random.default_rng(0).choice(len(digits), 2 * NUM, replace=False)
  real, other = digits[pick[:NUM]], digits[pick[NUM:]]
  floor = distance(other, real)
  mean_digit = distance(np.broadcast_to(np.round(other.mean(axis=0)).astype(np.uint8), real.shape), real)
  print(f"real vs real (floor): {floor:.4f}; mean digit repeated: {mean_digit:.4f}")
  print("| run | generator iterations | SWD untrained | SWD trained | final W estimate |")
  print("|---|---|---|---|---|")
  for run_dir in run_dirs:
    state, config, meta = sample.load_generator(run_dir)
    untrained = train.create_state(config, tuple(meta["shape"]))
    trained_images = sample.sample(state, config, meta, NUM, seed=123)
    untrained_images = sample.sample(untrained, config, meta, NUM, seed=123)
    last = (pathlib.Path(run_dir) / "metrics.jsonl").read_text().splitlines()[-1]
    w = json.loads(last)["wasserstein"]
    print(f"| {run_dir} | {int(state.step)} | {distance(untrained_images, real):.4f} | "
          f"{distance(trained_images, real):.4f} | {w:.4f} |")


if __name__ == "__main__":
  main(sys.argv[1:])
