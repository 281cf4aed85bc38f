#!/usr/bin/env bash
# Records jgan's WGAN iteration speed beside the PyTorch ruler's, one after the other on an otherwise idle machine.
# Usage (from the repository root, with the jgan venv in .venv and torch 2.13.0 in .venv-torch):
#   bash experiments/benchmarks/run.sh > experiments/benchmarks/cpu-<date>.log 2>&1
set -u
RULER=../shared/perf-reference/wgan_torch.py
uname -a; nproc; lscpu | grep "Model name"; .venv/bin/python -c "import jax, flax, optax; print('jax', jax.__version__, 'flax', flax.__version__, 'optax', optax.__version__)"
for arch in dcgan32_nc1 mlp32_nc1; do
  .venv/bin/python -m jgan.bench --arch $arch --iters 10 --warmup 2 --long
done
for arch in dcgan64_nc3 mlp64_nc3; do
  .venv/bin/python -m jgan.bench --arch $arch --iters 5 --warmup 1
done
if [ -x .venv-torch/bin/python ] && [ -f $RULER ]; then
  for arch in dcgan32_nc1 mlp64_nc3; do .venv-torch/bin/python $RULER --arch $arch --iters 10 --warmup 2; done
  .venv-torch/bin/python $RULER --arch dcgan64_nc3 --iters 5 --warmup 1
fi
