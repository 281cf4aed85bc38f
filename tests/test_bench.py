"""`python -m jgan.bench`: its FLOP count is the PyTorch ruler's, and its last line is the promised JSON object."""

import json

import pytest

from jgan import bench


@pytest.mark.parametrize("arch,ruler_gflop", [
    # "analytic_gflop" printed by shared/perf-reference/wgan_torch.py (experiments/benchmarks/cpu-2026-11-29b.log)
    ("dcgan32_nc1", 87.289757696), ("dcgan64_nc3", 528.243228672), ("mlp64_nc3", 26.891517952)])
def test_iteration_flops_match_the_ruler(arch, ruler_gflop):
  assert bench.iteration_flops(arch, batch=64) / 1e9 == pytest.approx(ruler_gflop, rel=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_single_arch_prints_one_json_object_last(capsys, dtype):
  bench.main(["--arch", "mlp32_nc1", "--iters", "2", "--warmup", "0", "--batch", "8", "--compute-dtype", dtype])
  result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
  assert result["arch"] == "mlp32_nc1" and result["batch"] == 8 and result["compute_dtype"] == dtype
  assert result["s_per_iter"] > 0 and result["compile_s"] > 0 and 0 < result["host_s"] <= result["max_s"]
  assert result["min_s"] <= result["s_per_iter"] <= result["max_s"]


def test_bad_arguments_are_refused(capsys):
  with pytest.raises(SystemExit):
    bench.main(["--arch", "mlp32_nc1", "--iters", "0"])
  assert "--iters and --batch must be >= 1" in capsys.readouterr().err
