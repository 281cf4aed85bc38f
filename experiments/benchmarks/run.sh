#!/usr/bin/env bash
# Records jgan's WGAN iteration speed beside the PyTorch ruler's on an otherwise idle machine: `jgan.bench` runs the
# ruler (../shared/perf-reference/wgan_torch.py) right after each architecture it has and prints the ratio.
# Usage (from the repository root, with the jgan venv in .venv and, as the ruler's README asks, torch 2.14.1 in
# .venv-torch; TORCH_PYTHON names another interpreter):
#   bash experiments/benchmarks/run.sh > experiments/benchmarks/cpu-<date>.log 2>&1
set -u
TORCH_PYTHON=${TORCH_PYTHON:-.venv-torch/bin/python}
uname -a; nproc; lscpu | grep "Model name"; .venv/bin/python -c "import jax, flax, optax; print('jax', jax.__version__, 'flax', flax.__version__, 'optax', optax.__version__)"
$TORCH_PYTHON -c "import torch; print('torch', torch.__version__)"
# Three rounds: jgan and the ruler alternate, and the ratio is the median of the three rounds' ratios.
for arch in dcgan32_nc1 mlp32_nc1; do
  .venv/bin/python -m jgan.bench --arch $arch --iters 10 --warmup 2 --long --rounds 3 --torch-python $TORCH_PYTHON
done
# dcgan64 takes seconds per iteration, so five per round. The MLP's take a tenth of that and vary more (with five per
# round they spread 0.16-0.26 s in cpu-2026-12-05d.log), so it gets ten, as the 32x32 nets do.
.venv/bin/python -m jgan.bench --arch dcgan64_nc3 --iters 5 --warmup 1 --rounds 3 --torch-python $TORCH_PYTHON
.venv/bin/python -m jgan.bench --arch mlp64_nc3 --iters 10 --warmup 2 --rounds 3 --torch-python $TORCH_PYTHON
# The host's share of an iteration (target: under 2%): its work between calls, which only asynchronous dispatch shows
# apart. Training and the runs above dispatch inline (jgan.host_memory), where that same work adds to the iteration.
for arch in dcgan32_nc1 mlp32_nc1 mlp64_nc3; do
  .venv/bin/python -m jgan.bench --arch $arch --iters 10 --warmup 2 --dispatch async --no-ruler
done
