#!/usr/bin/env bash
# Times jgan's WGAN iteration under two Python environments with jgan installed from the same commit, e.g. jax 0.10.2
# on Python 3.11 (.venv) and the newest jax on Python 3.12 (.venv-newest, the second venv of .ci/run), alternated per
# round.
# Usage (from the repository root):
#   bash experiments/benchmarks/jax_versions.sh .venv/bin/python .venv-newest/bin/python \
#     > experiments/benchmarks/cpu-<date>-jax-versions.log 2>&1
# Each line: round, jax version, then the bench's JSON object (its nets_sha256: do the two compute the same bits?)
set -u
if [ $# -ne 2 ]; then echo "usage: $0 PYTHON_A PYTHON_B" >&2; exit 2; fi
uname -a; nproc; lscpu | grep "Model name"
declare -A jax_of  # each interpreter's jax version, read once: every run's line starts with it
for py in "$1" "$2"; do
  $py -c "import sys, jax, flax, optax
print(sys.version.split()[0], 'jax', jax.__version__, 'flax', flax.__version__, 'optax', optax.__version__)"
  jax_of[$py]=$($py -c 'import jax; print(jax.__version__)')
done
for round in 1 2 3; do
  for arch in "dcgan32_nc1 20 2" "mlp64_nc3 10 2" "dcgan64_nc3 5 1"; do
    read -r name iters warmup <<< "$arch"
    for py in "$1" "$2"; do
      echo -n "round $round jax ${jax_of[$py]} "
      $py -m jgan.bench --arch "$name" --iters "$iters" --warmup "$warmup" --no-ruler 2>&1 | tail -1
    done
  done
done
