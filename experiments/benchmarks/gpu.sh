#!/usr/bin/env bash
# Issue 7's accelerator figures in one call of the device tool (a single H100 or H200), prepared so that a session
# lent a GPU spends its 15 device minutes measuring, not debugging. From the repository root on the device machine:
#   bash experiments/benchmarks/gpu.sh            # as the device tool's command, timeout_s 600
# The machine's image has JAX with CUDA, Flax, Optax and Orbax (not necessarily the versions jgan's tests run on;
# the log prints them), so jgan runs from the working tree (PYTHONPATH) without installing anything. ../shared does
# not travel, so the PyTorch ruler is not run there. Each run is capped (`timeout`) so that the whole stays under about
# 9.5 minutes; the log goes to $OUT/gpu.log (the device tool brings it back) and to stdout.
#
# What it measures: the dcgan64 reference iteration at several batch sizes in float32 (XLA's default precision:
# TF32 on NVIDIA tensor cores) and in bfloat16 mixed precision, each against the matrix-multiply ceiling measured
# in that dtype (`jgan.bench`), then dcgan32 (with a 100-critic iteration) and mlp64 at batch 64; the largest
# dcgan64 batch that fits (the first that fails is out of memory); then the application families at their papers'
# settings (pix2pix 256x256 batch 1, CycleGAN 256x256 with 9 blocks batch 1, SRResNet and SRGAN 96x96 batch 16),
# images per second. Every JSON line carries "device_peak_mb", the device allocator's peak. GPU dispatch is
# asynchronous, so the host's share is printed too. Then bit-reproducibility: the same short dcgan32 command in two
# processes must print the same "nets_sha256" (XLA's GPU convolution autotuning could pick other algorithms in
# another process); if they differ, two more runs with XLA's deterministic-ops flag say whether that flag is the fix.
set -u -o pipefail
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
PY=${PYTHON:-python3}
LOG="${OUT:-.}/gpu.log"
{
  date -u; uname -r
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv || true
  $PY -c "import jax, flax, optax, orbax.checkpoint as ocp
print('jax', jax.__version__, 'flax', flax.__version__, 'optax', optax.__version__, jax.devices())"
  for dtype in float32 bfloat16; do
    timeout 160 $PY -m jgan.bench --arch dcgan64_nc3 --batch 64 256 1024 --iters 10 --warmup 2 --compute-dtype $dtype \
      --dispatch async --no-ruler
  done
  timeout 75 $PY -m jgan.bench --arch dcgan32_nc1 --iters 10 --warmup 2 --long --dispatch async --no-ruler
  timeout 40 $PY -m jgan.bench --arch mlp64_nc3 --iters 10 --warmup 2 --dispatch async --no-ruler
  for batch in 4096 16384; do  # the largest batch: each in its own process, so an out-of-memory ends only that one
    timeout 60 $PY -m jgan.bench --arch dcgan64_nc3 --batch $batch --iters 3 --warmup 1 --compute-dtype bfloat16 \
      --dispatch async --no-ruler || echo "dcgan64_nc3 batch $batch bfloat16: failed (status $?)"
  done
  timeout 45 $PY -m jgan.bench --arch pix2pix --size 256 --batch 1 --iters 10 --warmup 2 --dispatch async --no-ruler
  timeout 60 $PY -m jgan.bench --arch cyclegan --size 256 --blocks 9 --batch 1 --iters 10 --warmup 2 \
    --dispatch async --no-ruler
  for arch in srresnet srgan; do
    timeout 60 $PY -m jgan.bench --arch $arch --size 96 --batch 16 --iters 10 --warmup 2 --dispatch async --no-ruler
  done
  fingerprint() {  # the nets_sha256 of a short dcgan32 run in a fresh process, with the environment settings "$@"
    timeout 35 env "$@" $PY -m jgan.bench --arch dcgan32_nc1 --iters 5 --warmup 1 --no-ruler --peak-gflops 1 \
      | tail -n 1 | $PY -c "import json, sys; print(json.loads(sys.stdin.read())['nets_sha256'])"
  }
  reproducible() {  # "$1: yes|no (a, b)": whether two processes with the settings "${@:2}" end with the same nets
    local a b
    a=$(fingerprint "${@:2}") b=$(fingerprint "${@:2}")
    echo "$1: $([ -n "$a" ] && [ "$a" = "$b" ] && echo yes || echo no) ($a, $b)"
    [ -n "$a" ] && [ "$a" = "$b" ]
  }
  reproducible "bit-reproducible across processes" \
    || reproducible "with --xla_gpu_deterministic_ops=true" "XLA_FLAGS=${XLA_FLAGS:-} --xla_gpu_deterministic_ops=true"
} 2>&1 | tee "$LOG"
