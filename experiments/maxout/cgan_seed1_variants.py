"""The cGAN recipe's seed 1 with one change each, past the update (~1,180) where the recorded seed 1 diverged
(issue 36).

    python experiments/maxout/cgan_seed1_variants.py label_pylearn2 2500   # the label path at U(-0.005, 0.005)
    python experiments/maxout/cgan_seed1_variants.py no_col_norm 2500      # no max_col_norm on the discriminator

Runs under /tmp/cg1/NAME; their training metrics (every 50th update) are in
results/diagnostics/cgan_seed1_variants.json beside the recorded seed 1's. No split is read.
"""

from __future__ import annotations

import dataclasses
import pathlib
import sys

from jgan import train as jgan_train
from jgan.configs import cgan

CHANGES = {"label_pylearn2": dict(critic_label_init="pylearn2"), "no_col_norm": dict(max_col_norm=0.0)}

if __name__ == "__main__":
  name, steps = sys.argv[1], int(sys.argv[2])
  config = dataclasses.replace(cgan.get_config(), seed=1, steps=steps, checkpoint_every=500, sample_every=500,
                               keep_checkpoints=steps // 500 + 1, log_every=100, **CHANGES[name])
  jgan_train.run(config, pathlib.Path("/tmp/cg1") / name, resume=False, overwrite=True, progress=False)
