"""Whether a SimGAN refiner's tanh output is saturated: the 1x1 convolution's pre-activations on 200 validation
simulated digits, from a run's latest checkpoint.

    python experiments/adaptation/probe_refiner_saturation.py RUN_DIR OUT.json

Written for `simgan_pretrain_tanh_s0` (results/diagnostics/), whose refiner output went constant in the game.
"""

from __future__ import annotations

import json
import pathlib
import sys

import jax.numpy as jnp
import numpy as np


def main(run_dir: str, out: str) -> dict:
  from jgan.adaptation import experiment, simgan
  from jgan.data.simulated_digits import load_simulated_digits
  state, config, _ = experiment.load(run_dir)
  images, _ = load_simulated_digits("validation")
  x = jnp.asarray(images[:200], jnp.float32) / 127.5 - 1.0
  linear = simgan.Refiner(1, config.refiner_features, config.refiner_blocks, "linear")  # the same layers, no tanh
  a = np.asarray(linear.apply({"params": state.nets["refiner"].params}, x, train=False))
  result = {"run": str(run_dir), "step": int(state.step), "images": 200, "refiner_output": config.refiner_output,
            "pre_activation_mean": float(a.mean()), "pre_activation_min": float(a.min()),
            "pre_activation_max": float(a.max()), "fraction_abs_above_3": float((np.abs(a) > 3).mean()),
            "output_std_over_images": float(np.tanh(a).std(0).mean())}
  pathlib.Path(out).write_text(json.dumps(result, indent=1) + "\n")
  return result


if __name__ == "__main__":
  print(json.dumps(main(*sys.argv[1:3]), indent=1))
