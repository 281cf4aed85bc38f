"""What a trained run's discriminator does on real and generated packs (issue 36: why PacGAN4 did not learn the
25-grid in 20,000 updates).

    .venv/bin/python experiments/mode_coverage/probe_discriminator.py /tmp/mc_long/grid25/pacgan4/seed0 \
      experiments/mode_coverage/results_20k/grid25_pacgan4_seed0_discriminator.json

Reads the run's last checkpoint and its metrics.jsonl; writes the discriminator's logits (mean, std) on 100 packs of
real and of generated samples (fixed keys), the norm of each of its parameter arrays, and the training losses every
1,000 updates.
"""

from __future__ import annotations

import json
import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np

from jgan import checkpoint, pretrained, train
from jgan.data import toys


def main(run: pathlib.Path, out: pathlib.Path) -> None:
  state, meta = checkpoint.load_run(run, lambda meta: pretrained.create_state(meta)[0])  # the newest checkpoint
  step = int(state.step)
  config = pretrained.create_state(meta, abstract=True)[1]
  game = train.make_game(config)
  num = 100 * config.packing
  fake, _ = state.generator(game.generator_input(game.sample_latent(jax.random.PRNGKey(0), num)), train=False)
  real = toys.sample(config.dataset, jax.random.PRNGKey(3), num)
  logits = {}
  for name, x in (("real", real), ("generated", fake)):
    out_logits, _ = state.discriminator(game.discriminator_input(x, None), train=False)
    logits[name] = {"mean": float(jnp.mean(out_logits)), "std": float(jnp.std(out_logits))}
  norms = {jax.tree_util.keystr(path): float(jnp.linalg.norm(leaf))
           for path, leaf in jax.tree_util.tree_flatten_with_path(state.discriminator.params)[0]}
  rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
  losses = [{k: round(r[k], 4) for k in ("step", "d_loss", "g_loss", "d_real", "d_fake")}
            for r in rows if "d_loss" in r and r["step"] % 1000 == 0]
  result = {"run": str(run), "dataset": config.dataset, "packing": config.packing, "step": step,
            "generated_mean": np.asarray(fake).mean(0).tolist(), "generated_std": np.asarray(fake).std(0).tolist(),
            "logits_on_100_packs": logits, "discriminator_parameter_norms": norms,
            "init_output_kernel_norm_expected": 0.02 * (200 ** 0.5), "losses_every_1000": losses}
  out.write_text(json.dumps(result, indent=1) + "\n")
  print(json.dumps(logits), norms.get("['output']['kernel']"))


if __name__ == "__main__":
  main(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]))
