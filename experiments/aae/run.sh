#!/usr/bin/env bash
# The recorded adversarial-autoencoder runs of the Adam recipe (experiments/aae/README.md), as queues that can run
# side by side; Tables 2 and 3 on the paper's recipe are experiments/aae/paper_runs.py's.
# Usage: experiments/aae/run.sh OUT_DIR [queue]   (queue: 1, 2, 3 or all; default all, one after the other)
# Queue 3 is the probe of README.md's drift paragraph: the reconstruction phase at the regularization's rate.
# Then `python experiments/aae/figures.py OUT_DIR` copies each run's small files to experiments/aae/results/NAME.
set -euo pipefail
OUT=${1:?usage: run.sh OUT_DIR [1|2|all]}
QUEUE=${2:-all}
PY=${PYTHON:-python}
common="--no-progress --log-every 100"

train_and_score() {  # name, then flags
  local name=$1; shift
  if [ ! -f "$OUT/$name/scores_test.json" ]; then
    $PY -m jgan.experiments.aae "$@" $common --out "$OUT/$name" --overwrite
    $PY -m jgan.experiments.aae evaluate "$OUT/$name" > /dev/null
  fi
}

# The categorical modes' earlier Adam recipe (--mode semi_supervised / clustering now default to the paper's).
adam="--optimizer adam --reconstruction bernoulli --input-noise 0 --init-std 0 --first-decay-step 0 \
  --second-decay-step 0 --hidden 1000 --code-dim 10 --reconstruction-learning-rate 1e-3 \
  --discriminator-learning-rate 2e-4 --generator-learning-rate 2e-4 --supervised-learning-rate 1e-3 \
  --eval-every 1000 --sample-every 5000 --checkpoint-every 5000 --eval-samples 2000"

queue1() {
  train_and_score adam_semi_100 --mode semi_supervised --labels 100 --steps 10000 $adam
  train_and_score gaussian2d --prior gaussian --steps 5000 --eval-every 1000 --sample-every 1000
  train_and_score mixture2d --prior mixture --steps 5000 --eval-every 1000 --sample-every 1000
  train_and_score supervised --mode supervised --code-dim 15 --steps 5000 --eval-every 1000 --sample-every 1000
  train_and_score adam_semi_1000 --mode semi_supervised --labels 1000 --steps 10000 $adam
  train_and_score mixture2d_labels --prior mixture --labels 1000 --steps 5000 --eval-every 1000 --sample-every 1000
}

queue2() {
  train_and_score adam_cluster_16 --mode clustering --clusters 16 --steps 10000 $adam
  $PY -m jgan.experiments.vae --prior gaussian --steps 5000 --eval-every 1000 --sample-every 1000 $common \
    --out "$OUT/vae_gaussian2d" --overwrite && $PY -m jgan.experiments.aae evaluate "$OUT/vae_gaussian2d" > /dev/null
  $PY -m jgan.experiments.vae --prior mixture --steps 5000 --eval-every 1000 --sample-every 1000 $common \
    --out "$OUT/vae_mixture2d" --overwrite && $PY -m jgan.experiments.aae evaluate "$OUT/vae_mixture2d" > /dev/null
  train_and_score gaussian8d --prior gaussian --code-dim 8 --steps 10000 --eval-every 2000 --sample-every 5000 \
    --checkpoint-every 5000
  train_and_score adam_cluster_30 --mode clustering --clusters 30 --steps 10000 $adam
  train_and_score swissroll_labels --prior swissroll --labels 1000 --steps 5000 --eval-every 1000 --sample-every 1000
}

queue3() {
  train_and_score gaussian8d_rec2e-4 --prior gaussian --code-dim 8 --reconstruction-learning-rate 2e-4 --steps 10000 \
    --eval-every 2000 --sample-every 10000 --checkpoint-every 10000
  train_and_score gaussian2d_rec2e-4 --prior gaussian --code-dim 2 --reconstruction-learning-rate 2e-4 --steps 10000 \
    --eval-every 2000 --sample-every 10000 --checkpoint-every 10000
}

case $QUEUE in
  1) queue1 ;;
  2) queue2 ;;
  3) queue3 ;;
  all) queue1; queue2; queue3 ;;
  *) echo "queue must be 1, 2, 3 or all, got $QUEUE" >&2; exit 2 ;;
esac
