"""Speed of SeqGAN's compiled sampling and rollouts on this machine, at the oracle benchmark's sizes (vocabulary
5,000, length 20, embedding and hidden 32, the paper's discriminator, batch 64, 16 rollouts).

    python experiments/seqgan/speed.py        # writes results/speed.json

Generation: 10,000 sequences (`jgan.seqgan.data.sample_many`). Rollouts: one `sample_and_reward` call, 64 samples x
19 prefix lengths x 16 rollouts completed by G_beta and scored by D; its tokens counted two ways: the sampled ones
(sum over prefix lengths of the tokens after the prefix: 190 per sample and rollout) and every step the scan runs
(20 per completion, prefix steps included). Median of 3 timed calls after a compiling call; the machine's load
average is recorded beside (2 cores shared with other jobs).
"""

from __future__ import annotations

import functools
import json
import os
import pathlib

import jax

from jgan.seqgan import data as seq_data
from jgan.bench import median_seconds
from jgan.seqgan import steps
from jgan.seqgan.config import SeqGANConfig

HERE = pathlib.Path(__file__).resolve().parent


def main() -> None:
  config = SeqGANConfig(pretrain_g_epochs=0, pretrain_d_rounds=0, steps=1)
  state = steps.create_state(config, config.vocab_size)
  params = state.nets["generator"].params
  count, length = 10_000, config.seq_len
  generation = median_seconds(lambda: seq_data.sample_many(params, jax.random.PRNGKey(0), count, length), 3)
  reward = jax.jit(functools.partial(steps.sample_and_reward, config=config))
  rollout = median_seconds(lambda: reward(state)[2], 3)
  completions = config.rollouts * (length - 1) * config.batch_size
  sampled = config.rollouts * config.batch_size * sum(length - g for g in range(1, length))
  record = {
      "device": str(jax.devices()[0]), "cpu_count": os.cpu_count(), "load_average_1min": os.getloadavg()[0],
      "generation_seconds_10000": generation, "generation_tokens_per_s": count * length / generation,
      "rollout_call_seconds": rollout, "rollout_sampled_tokens_per_s": sampled / rollout,
      "rollout_scan_tokens_per_s": completions * length / rollout,
      "rollout_sequences_scored_per_s": (completions + config.batch_size) / rollout,
  }
  (HERE / "results" / "speed.json").write_text(json.dumps(record, indent=1))
  print(json.dumps(record, indent=1))


if __name__ == "__main__":
  main()
