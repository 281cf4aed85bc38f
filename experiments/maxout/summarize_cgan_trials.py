"""How results/cgan_recipe_trials.json and figures/cgan_trials/ were made (issue 36): the training metrics and last
sample grids of six short cGAN runs (seed 0), made under /tmp while finding why the recipe diverged. Five of them ran
code variants of jgan.models.maxout.ConditionalGenerator that were not kept (its dropout on, and Goodfellow et al.'s
U(-0.05, 0.05) initialization), so this script documents the file's provenance; it reruns only where those run
folders exist. results/cgan_generator_dropout_seed0.json came from the 'dropout' trial's checkpoint 3,000: 500
codes generated with the generator's dropout off (as samples are drawn) and on (two mask draws), the pixels' std
over the codes, and the largest difference between two classes' mean images. The last trial ('torch_init') is
the recipe as shipped:
    python experiments/maxout/run.py train --recipe cgan --seed 0 --steps 4000 --every 500 --root /tmp/cgan_G
"""

from __future__ import annotations

import json
import math
import pathlib
import shutil

HERE = pathlib.Path(__file__).resolve().parent
TRIALS = [
  ("dropout", "/tmp/maxout_try/cgan_seed0",
   "Mirza and Osindero's generator (z -> 200, y -> 1000, joint 1200, sigmoid) with their dropout 0.5 on its hidden "
   "units, weights U(-0.05, 0.05) (Goodfellow et al.'s code), z ~ U(0, 1)^100, no max_col_norm; D lr 0.05, G 0.1",
   "stable to 3,000 but collapsed: with dropout off (sampling) one image for every z and y "
   "(cgan_generator_dropout_seed0.json: pixel std over codes 0.002 off, 0.36 with dropout on)"),
  ("no_dropout", "/tmp/maxout_nodrop/cgan_seed0",
   "as 'dropout' without the generator's dropout",
   "one image for every z and y, then the discriminator blew up (losses past 100 from update 2,716, 1e23 at 2,722)"),
  ("max_col_norm", "/tmp/cgan_B/cgan_seed0",
   "as 'no_dropout' with the discriminator's kernel columns held to norm 1.9365 (pylearn2 max_col_norm)",
   "one image for every z and y (grid at 1,500); bounded but still unstable: losses 1e3-1e4 from update 1,867 on"),
  ("normal_z", "/tmp/cgan_C/cgan_seed0",
   "as 'max_col_norm' with z ~ N(0, I)",
   "z now varies the samples, the label does not; the discriminator wins (D(G(z)) < 0.01 from update 1,600); "
   "stopped at 2,700"),
  ("normal_z_d_rate_0.01", "/tmp/cgan_E/cgan_seed0",
   "as 'normal_z' with the discriminator's rate 0.01 instead of 0.05",
   "one image for every z and y at update 1,000; stopped at 1,400"),
  ("torch_init", "/tmp/cgan_G/cgan_seed0",
   "as 'normal_z' with PyTorch's default initialization in the generator (jgan.models.mlp.TorchLinear, as the GAN "
   "recipe's generator): the recipe as shipped",
   "stable for 4,000 updates (d_real 0.8-0.95); the label selects a digit shape per row and z varies it"),
]
out = {"what": "short runs (seed 0, the cGAN recipe of jgan/configs/cgan.py with the changes named) made while "
               "finding why the recipe diverged (results/diverged_recipe/); trials with code variants "
               "of jgan.models.maxout.ConditionalGenerator (its dropout and initialization) that were not kept, so "
               "only 'torch_init' is reproducible from this commit: python experiments/maxout/run.py train --recipe "
               "cgan --seed 0 --steps 4000 --every 500",
       "trials": []}
for name, run, settings, reading in TRIALS:
  rows = [json.loads(l) for l in open(pathlib.Path(run) / "metrics.jsonl")]
  rows = [r for r in rows if "d_loss" in r]
  keys = ("step", "d_loss", "g_loss", "d_real", "d_fake")
  every = [{k: (round(r[k], 4) if isinstance(r[k], float) else r[k]) for k in keys}
           for r in rows if r["step"] % 250 == 0]
  blown = next((r["step"] for r in rows if not math.isfinite(r["d_loss"]) or abs(r["d_loss"]) > 100), None)
  out["trials"].append({"name": name, "settings": settings, "updates_run": rows[-1]["step"],
                        "first_update_with_d_loss_over_100": blown, "reading": reading, "every_250": every})
(HERE / "results" / "cgan_recipe_trials.json").write_text(json.dumps(out, indent=1) + "\n")
figs = (HERE / "figures" / "cgan_trials"); figs.mkdir(parents=True, exist_ok=True)
for name, src in [("dropout", "/tmp/maxout_try/cgan_seed0/samples/step_003000.png"),
                  ("max_col_norm", "/tmp/cgan_B/cgan_seed0/samples/step_001500.png"),
                  ("normal_z", "/tmp/cgan_C/cgan_seed0/samples/step_002000.png"),
                  ("torch_init", "/tmp/cgan_G/cgan_seed0/samples/step_004000.png")]:
  shutil.copy(src, figs / f"{name}_{pathlib.Path(src).stem}.png")
print("ok")
