"""The SeqGAN experiments on a 2-core CPU: the synthetic oracle (NLL-oracle) and the Tang poems (BLEU-2), SeqGAN
beside MLE over the same budget, with Yu et al. 2017's numbers as context.

    python experiments/seqgan/run.py [NAME ...] [--runs-dir runs/seqgan]
    python experiments/seqgan/run.py --table        # rebuild tables.md and the figure from results/

Each run trains `python -m jgan.experiments.seqgan` with the recipe of `RUNS` (the paper's nets and rates, the CPU
budget's epochs and rounds: README.md lists every deviation), evaluates the validation split during training (in
metrics.jsonl), then reads the test split once with the last checkpoint (`evaluate --split test`) and writes
`results/<NAME>.json`: config, test scores, the validation curve, the per-epoch seconds. Nothing is chosen on the
test split: the hyperparameters are the paper's, the budget was fixed before the runs, the checkpoint is the last.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent

# The oracle benchmark as the paper defines it (vocabulary 5,000, length 20, 10,000 training sequences, embedding
# and hidden 32, the paper's discriminator, 16 rollouts, rate 0.8), in the CPU budget: 6 MLE epochs (paper 120),
# 2 D rounds (50) of 640 negatives (10,000), 10 adversarial epochs (200; official code 800) each with 1 D round (5)
# of 640 negatives and 3 epochs; evaluations on 2,000 samples (10,000) during training, 10,000 at the end.
ORACLE = dict(task="oracle", pretrain_g_epochs=6, pretrain_d_rounds=2, d_rounds=1, d_negatives=640,
              eval_every=2, eval_samples=2000, sample_every=4, checkpoint_every=2)
ORACLE_SEQGAN = dict(ORACLE, steps=18)
# MLE over the same budget: the SeqGAN run's MLE epochs plus one MLE epoch for each of its adversarial epochs.
ORACLE_MLE = dict(ORACLE, pretrain_g_epochs=16, pretrain_d_rounds=0, steps=16)
# The poems' lines (jgan.data.text.tang_poem_lines): 40 MLE epochs over 1,357 lines, 3 D rounds of 512 negatives,
# 6 adversarial epochs with 1 D round each.
# Longer MLE pre-training (40 epochs, where MLE's NLL-oracle has flattened) before the same 2 D rounds and 10
# adversarial epochs, beside MLE for 50 epochs (the same number of generator epochs).
ORACLE_SEQGAN_LONG = dict(ORACLE_SEQGAN, pretrain_g_epochs=40, steps=52)
ORACLE_MLE_LONG = dict(ORACLE_MLE, pretrain_g_epochs=50, steps=50)
POEMS = dict(task="text", dataset="tang_poems", pretrain_g_epochs=40, pretrain_d_rounds=3, d_rounds=1,
             d_negatives=512, eval_every=5, eval_samples=1000, sample_every=7, checkpoint_every=7)
POEMS_SEQGAN = dict(POEMS, steps=49)
POEMS_MLE = dict(POEMS, pretrain_g_epochs=46, pretrain_d_rounds=0, steps=46)

RUNS = {"oracle_seqgan_seed0": dict(ORACLE_SEQGAN, seed=0), "oracle_mle_seed0": dict(ORACLE_MLE, seed=0),
        "poems_mle_seed0": dict(POEMS_MLE, seed=0), "poems_seqgan_seed0": dict(POEMS_SEQGAN, seed=0),
        # Longer MLE pre-training (40 epochs, where MLE's NLL-oracle has nearly flattened) before the same 10
        # adversarial epochs, beside MLE over the same budget: does the paper's ordering appear once MLE stalls?
        **{f"oracle_{model}_long_seed{seed}": dict(recipe, seed=seed) for seed in (0, 1, 2)
           for model, recipe in (("seqgan", ORACLE_SEQGAN_LONG), ("mle", ORACLE_MLE_LONG))},
        # The oracle's spread over training seeds (the 3 seeds): the same oracle (--oracle-seed's default).
        **{f"oracle_{model}_seed{seed}": dict(recipe, seed=seed) for seed in (1, 2)
           for model, recipe in (("seqgan", ORACLE_SEQGAN), ("mle", ORACLE_MLE))},
        # The poems' spread over training seeds (the same split and vocabulary).
        **{f"poems_{model}_seed{seed}": dict(recipe, seed=seed) for seed in (1, 2)
           for model, recipe in (("seqgan", POEMS_SEQGAN), ("mle", POEMS_MLE))}}


def flags(recipe: dict) -> list[str]:
  return [f"--{k.replace('_', '-')}={v}" for k, v in recipe.items()]


def command(name: str, runs_dir: pathlib.Path) -> list[str]:
  return [sys.executable, "-m", "jgan.experiments.seqgan", *flags(RUNS[name]), "--out", str(runs_dir / name),
          "--no-progress"]


def run_one(name: str, runs_dir: pathlib.Path) -> dict:
  out = runs_dir / name
  t0 = time.time()
  resume = ["--resume"] if (out / "checkpoints").exists() else ["--overwrite"]
  subprocess.run(command(name, runs_dir) + resume, check=True, cwd=ROOT)
  trained = time.time() - t0
  subprocess.run([sys.executable, "-m", "jgan.experiments.seqgan", "evaluate", str(out), "--split", "test"],
                 check=True, cwd=ROOT)
  rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line]
  config = json.loads((out / "config.json").read_text())
  record = {
      "name": name,
      "command": " ".join(["python -m jgan.experiments.seqgan", *flags(RUNS[name])]),
      "config": config["config"],
      "references": {k: v for k, v in config.items() if k.endswith("nll_oracle")},
      "test": json.loads((out / "scores_test.json").read_text()),
      "validation_curve": [{k: v for k, v in r.items() if k.startswith("eval_") or k == "step"}
                           for r in rows if any(k.startswith("eval_") for k in r)],
      "train_curve": [{k: r[k] for k in ("step", "phase", "g_nll", "d_loss", "reward", "seconds_rollout",
                                         "seconds_g_update", "seconds_d", "seconds_epoch", "time") if k in r}
                      for r in rows if "g_nll" in r],
      "seconds_training": trained,  # this call's (a resumed run's: since the resume)
      "seconds_in_loop": max((r.get("time", 0.0) for r in rows), default=0.0),
      "samples": (out / "samples" / f"step_{config['config']['steps']:06d}.txt").read_text(encoding="utf-8"),
  }
  (HERE / "results" / f"{name}.json").write_text(json.dumps(record, indent=1, ensure_ascii=False))
  return record


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("names", nargs="*", default=list(RUNS))
  parser.add_argument("--runs-dir", type=pathlib.Path, default=ROOT / "runs" / "seqgan")
  parser.add_argument("--table", action="store_true")
  args = parser.parse_args(argv)
  if args.table:
    import tables
    tables.main()
    return 0
  for name in args.names:
    print(f"=== {name}", flush=True)
    run_one(name, args.runs_dir)
  return 0


if __name__ == "__main__":
  sys.exit(main())
