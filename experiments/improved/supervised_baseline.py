"""The SSGAN's discriminator trained on its labeled examples alone: what the unlabeled data and the GAN add.

    .venv/bin/python experiments/improved/supervised_baseline.py [--labels 100] [--steps 2000] [--seed 0]

Same net (`jgan.configs.ssgan`: MLP 2 x 500 ReLU, a 10-way head), same labeled digits (the SSGAN run's balanced
draw for the seed), same optimizer (Adam 3e-3, beta1 0.5), batch 100, same held-out 2,000 digits; only the
supervised cross-entropy is minimized. Prints the held-out error every 1,000 steps.
"""

from __future__ import annotations

import argparse
import dataclasses

import jax
import numpy as np

from jgan import data, train
from jgan.configs import ssgan
from jgan.data import labeled
from jgan.games.acgan import class_loss
from jgan.state import PlayerState


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--labels", type=int, default=100)
  parser.add_argument("--steps", type=int, default=2000)
  parser.add_argument("--seed", type=int, default=0)
  args = parser.parse_args()
  config = dataclasses.replace(ssgan.get_config(), labels=args.labels, seed=args.seed)
  source, _ = train.load_source(config)  # the SSGAN's SemiSupervisedSource: only its labeled stream is used
  dataset = data.load(config.dataset)
  _, (test_images, test_labels) = labeled.split_heldout(dataset.images, dataset.labels, config.heldout)
  _, critic = train.build_models(config, source.shape)
  tx = train.make_optimizer(config)
  player = PlayerState.create(critic, tx, jax.random.split(train.run_keys(config.seed)["init"])[1],
                              source.images[:1].astype(np.float32))
  data_rng = train.run_keys(config.seed)["step"]

  @jax.jit
  def step(player, position):
    batch = source.batch(data_rng, position, config.batch_size)
    def loss_fn(params):
      (_, logits), _ = player(batch["labeled_x"], params=params, train=True)
      return class_loss(logits, batch["labeled_label"])[0]
    return player.apply_gradients(jax.grad(loss_fn)(player.params))

  from jgan.games.ssgan import error_rate
  for position in range(args.steps):
    player = step(player, position)
    if (position + 1) % 1000 == 0 or position + 1 == args.steps:
      state = train.create_state(config, source.shape).replace(discriminator=player)
      print(f"step {position + 1}: held-out error {error_rate(state, test_images, test_labels):.4f}", flush=True)


if __name__ == "__main__":
  main()
