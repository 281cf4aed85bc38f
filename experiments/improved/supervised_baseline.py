"""The SSGAN's discriminator trained on its labeled examples alone: what the unlabeled data and the GAN add.

    .venv/bin/python experiments/improved/supervised_baseline.py [--steps 5000] [--seed 0] \
        [--out experiments/improved/results/supervised_seed0.json]

Same net as the recipe (`jgan.configs.ssgan`: arch 'ssgan_mlp', the paper's weight-normalized 1000-500-250-250-250
discriminator with its Gaussian noise, initialized on 500 training images by `jgan.experiments.ssgan.create_state`),
same 100 labeled digits (the SSGAN run's balanced draw for the seed), same optimizer (their Adam, 3e-3, beta1
0.5), batch 100 (every batch is the 100 labeled digits in a fresh order, as in the SSGAN run); only loss_lab, the
supervised cross-entropy, is minimized. The validation error (`jgan.data.splits` 'validation') is measured every
`--eval-every` steps; the step with the lowest is chosen on it, and the 'test' split is read once, for that step.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import time

import jax
import numpy as np

from jgan import train
from jgan.configs import ssgan
from jgan.experiments.ssgan import create_state, split_examples
from jgan.games.acgan import class_loss
from jgan.games.ssgan import error_rate


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--labels", type=int, default=100)
  parser.add_argument("--steps", type=int, default=5000)
  parser.add_argument("--eval-every", type=int, default=250)
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--out", default="")
  args = parser.parse_args()
  config = dataclasses.replace(ssgan.get_config(), labels=args.labels, seed=args.seed, eval_every=0)
  source, _ = train.load_source(config)  # the SSGAN's SemiSupervisedSource: only its labeled stream is used
  state = create_state(config, source.shape, np.asarray(source.images))
  validation = split_examples(config, "validation")
  data_rng, noise_rng = jax.random.split(train.run_keys(config.seed)["step"])

  @jax.jit
  def step(player, position):
    batch = source.batch(data_rng, position, config.batch_size)
    def loss_fn(params):
      (_, logits), _ = player(batch["labeled_x"], params=params, train=True, rng=jax.random.fold_in(noise_rng,
                                                                                                    position))
      return class_loss(logits, batch["labeled_label"])[0]
    return player.apply_gradients(jax.grad(loss_fn)(player.params))

  player, curve, best, start = state.discriminator, [], None, time.perf_counter()
  for position in range(args.steps):
    player = step(player, position)
    if (position + 1) % args.eval_every == 0 or position + 1 == args.steps:
      error = error_rate(state.replace(discriminator=player), *validation)
      curve.append({"step": position + 1, "validation_error": error, "time_s": time.perf_counter() - start})
      if best is None or error < best[1]:
        best = (position + 1, error, player)
      print(f"step {position + 1}: validation error {error:.4f}", flush=True)
  test_images, test_labels = split_examples(config, "test")
  test = error_rate(state.replace(discriminator=best[2]), test_images, test_labels)  # read once
  result = {"model": "supervised (the recipe's discriminator on the labeled digits alone)", "seed": args.seed,
            "labels": args.labels, "steps": args.steps, "chosen_step": best[0], "chosen_on": "validation",
            "validation_error": best[1], "test_error": test, "test_errors": int(round(test * len(test_labels))),
            "test_images": len(test_labels), "curve": curve,
            "command": "python experiments/improved/supervised_baseline.py " + " ".join(
                f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k != "out")}
  print(json.dumps({k: v for k, v in result.items() if k != "curve"}))
  if args.out:
    pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
  main()
