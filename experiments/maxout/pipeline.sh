#!/usr/bin/env bash
# The runs of experiments/maxout/README.md, one after another (one heavy job at a time on the shared CPU):
# each recipe trains until BUDGET wall seconds have passed (SIGTERM: jgan's loop saves a checkpoint and stops),
# its checkpoints are scored on validation, then baselines, the test reads, the figure and the fidelity entries.
#   BUDGET=1380 SEEDS="0" bash experiments/maxout/pipeline.sh > /tmp/maxout/pipeline.log 2>&1
set -u
cd "$(dirname "$0")/../.."
PY="nice -n 5 .venv/bin/python"
R=experiments/maxout/run.py
BUDGET=${BUDGET:-1380}
SEEDS=${SEEDS:-0}
for recipe in ${RECIPES:-gan cgan}; do
  for seed in $SEEDS; do
    timeout -s TERM "$BUDGET" $PY $R train --recipe "$recipe" --seed "$seed" --steps 125000 --every 500
    echo "train $recipe $seed exit $? at $(date -u)"
    $PY $R curve --recipe "$recipe" --seed "$seed"
  done
done
$PY $R baselines
for recipe in ${RECIPES:-gan cgan}; do
  for seed in $SEEDS; do
    $PY $R test --recipe "$recipe" --seed "$seed"
  done
done
$PY $R plot
$PY $R summary
echo "done at $(date -u)"
