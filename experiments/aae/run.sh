#!/usr/bin/env bash
# The recorded adversarial-autoencoder runs (experiments/aae/README.md), as two queues that can run side by side.
# Usage: experiments/aae/run.sh OUT_DIR [queue]   (queue: 1, 2, 3 or all; default all, one after the other)
# Queue 3 is the probe of README.md's drift paragraph: the reconstruction phase at the regularization's rate.
set -euo pipefail
OUT=${1:?usage: run.sh OUT_DIR [1|2|all]}
QUEUE=${2:-all}
PY=${PYTHON:-python}
common="--no-progress --log-every 100"

train_and_score() {  # name, then flags
  local name=$1; shift
  if [ ! -f "$OUT/$name/scores.json" ]; then
    $PY -m jgan.experiments.aae "$@" $common --out "$OUT/$name" --overwrite
    $PY -m jgan.experiments.aae evaluate "$OUT/$name" > /dev/null
  fi
}

queue1() {
  train_and_score semi_100 --mode semi_supervised --labels 100 --code-dim 10 --steps 10000 --eval-every 1000 \
    --sample-every 5000 --checkpoint-every 5000
  train_and_score gaussian2d --prior gaussian --steps 5000 --eval-every 1000 --sample-every 1000
  train_and_score mixture2d --prior mixture --steps 5000 --eval-every 1000 --sample-every 1000
  train_and_score supervised --mode supervised --code-dim 15 --steps 5000 --eval-every 1000 --sample-every 1000
  train_and_score semi_1000 --mode semi_supervised --labels 1000 --code-dim 10 --steps 10000 --eval-every 1000 \
    --sample-every 5000 --checkpoint-every 5000
  train_and_score mixture2d_labels --prior mixture --labels 1000 --steps 5000 --eval-every 1000 --sample-every 1000
}

queue2() {
  train_and_score cluster_16 --mode clustering --clusters 16 --code-dim 10 --steps 10000 --eval-every 1000 \
    --sample-every 5000 --checkpoint-every 5000
  $PY -m jgan.experiments.vae --prior gaussian --steps 5000 --eval-every 1000 --sample-every 1000 $common \
    --out "$OUT/vae_gaussian2d" --overwrite && $PY -m jgan.experiments.aae evaluate "$OUT/vae_gaussian2d" > /dev/null
  $PY -m jgan.experiments.vae --prior mixture --steps 5000 --eval-every 1000 --sample-every 1000 $common \
    --out "$OUT/vae_mixture2d" --overwrite && $PY -m jgan.experiments.aae evaluate "$OUT/vae_mixture2d" > /dev/null
  train_and_score gaussian8d --prior gaussian --code-dim 8 --steps 10000 --eval-every 2000 --sample-every 5000 \
    --checkpoint-every 5000
  train_and_score cluster_30 --mode clustering --clusters 30 --code-dim 10 --steps 10000 --eval-every 1000 \
    --sample-every 5000 --checkpoint-every 5000
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
