"""`python -m jgan.bench`: its FLOP count is the PyTorch ruler's, its last line is the promised JSON object, and it
runs the ruler beside itself and reports the ratio."""

import argparse
import json
import subprocess
import sys
import textwrap

import pytest

from jgan import bench


@pytest.mark.parametrize("arch,ruler_gflop", [
    # "analytic_gflop" printed by shared/perf-reference/wgan_torch.py (experiments/benchmarks/cpu-2026-11-29b.log)
    ("dcgan32_nc1", 87.289757696), ("dcgan64_nc3", 528.243228672), ("mlp64_nc3", 26.891517952)])
def test_iteration_flops_match_the_ruler(arch, ruler_gflop):
  assert bench.iteration_flops(arch, batch=64) / 1e9 == pytest.approx(ruler_gflop, rel=1e-12)


# bfloat16's case in -m slow: its compute path is tests/test_models.py's in the default suite, and this one's 9 s
# would only repeat float32's JSON checks.
@pytest.mark.parametrize("dtype", ["float32", pytest.param("bfloat16", marks=pytest.mark.slow)])
def test_single_arch_prints_one_json_object_last(capsys, dtype):
  # Asynchronous dispatch, which shows the host's share, and leaves this process's CPU client as it is.
  bench.main(["--arch", "mlp32_nc1", "--iters", "2", "--warmup", "0", "--batch", "8", "--compute-dtype", dtype,
              "--dispatch", "async"])
  result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
  assert result["arch"] == "mlp32_nc1" and result["batch"] == 8 and result["compute_dtype"] == dtype
  assert result["dispatch"] == "async"
  assert result["s_per_iter"] > 0 and result["compile_s"] > 0 and 0 < result["host_s"] <= result["max_s"]
  assert result["min_s"] <= result["s_per_iter"] <= result["max_s"]
  assert result["peak_source"] == "measured matmul ceiling" and result["peak_gflops"] > 0
  assert result["percent_of_peak"] == pytest.approx(100 * result["gflops"] / result["peak_gflops"])


def test_same_command_same_nets_fingerprint_more_iterations_another(capsys):
  """The JSON object's nets_sha256 is what gpu.sh compares across two processes: bit-identical training gives the
  same fingerprint, and one more iteration changes it."""
  def fingerprint(iters):
    bench.main(["--arch", "mlp32_nc1", "--iters", str(iters), "--warmup", "0", "--batch", "8", "--dispatch",
                "async", "--no-ruler", "--peak-gflops", "50"])
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])["nets_sha256"]

  first = fingerprint(2)
  assert len(first) == 64 and first == fingerprint(2) and first != fingerprint(3)


def test_nets_fingerprint_sees_one_bit_of_one_leaf():
  import jax
  import numpy as np
  from jgan import testing
  state = testing.tiny_state()
  leaves, treedef = jax.tree_util.tree_flatten(state.discriminator.params)
  flipped = np.array(leaves[0])
  flipped.view(np.uint32).flat[0] ^= 1  # the last bit of one weight's mantissa
  params = jax.tree_util.tree_unflatten(treedef, [flipped] + leaves[1:])
  changed = state.replace(discriminator=state.discriminator.replace(params=params))
  assert bench.nets_fingerprint(state) == bench.nets_fingerprint(jax.tree_util.tree_map(np.array, state))
  assert bench.nets_fingerprint(state) != bench.nets_fingerprint(changed)


def test_several_batch_sizes_are_each_timed_and_the_fastest_named(capsys, stand_in_ruler):
  bench.main(["--arch", "mlp32_nc1", "--iters", "1", "--warmup", "0", "--batch", "4", "16", "--dispatch", "async",
              "--ruler", str(stand_in_ruler), "--torch-python", sys.executable])
  lines = capsys.readouterr().out.strip().splitlines()
  first, second = (json.loads(line) for line in lines[-2:])  # one JSON object per batch size, last
  assert (first["batch"], second["batch"]) == (4, 16) and first["arch"] == second["arch"] == "mlp32_nc1"
  best = max((first, second), key=lambda r: r["real_images_per_s"])
  (summary,) = [line for line in lines if "fastest batch size" in line]
  assert summary.startswith(f"mlp32_nc1    fastest batch size {best['batch']}: {best['real_images_per_s']:.0f}")
  assert any(line.startswith("mlp32_nc1    batch 4     loop=") for line in lines)
  assert "torch" not in first and "torch" not in second  # the ruler runs batch 64 only


def test_matmul_ceiling_times_a_real_product():
  rate = bench.matmul_ceiling("float32", size=256, repeats=2)
  assert 0.01 < rate < 1e6  # GFLOP/s: a finite, positive figure, whatever the machine


def test_a_given_peak_is_used_as_given(capsys):
  bench.main(["--arch", "mlp32_nc1", "--iters", "1", "--warmup", "0", "--batch", "8", "--dispatch", "async",
              "--no-ruler", "--peak-gflops", "50"])
  out = capsys.readouterr().out
  result = json.loads(out.strip().splitlines()[-1])
  assert "peak 50.0 GFLOP/s (given)" in out
  assert result["peak_gflops"] == 50 and result["peak_source"] == "given"
  assert result["percent_of_peak"] == pytest.approx(2 * result["gflops"])


def test_default_runs_computations_inline_as_training_does():
  # A fresh interpreter: inline dispatch is set when the CPU client is created, once per process.
  out = subprocess.run([sys.executable, "-m", "jgan.bench", "--arch", "mlp32_nc1", "--iters", "1", "--warmup", "0",
                        "--batch", "8", "--no-ruler"], capture_output=True, text=True, check=True).stdout
  result = json.loads(out.strip().splitlines()[-1])
  assert "dispatch: inline" in out.splitlines()[0]
  assert result["dispatch"] == "inline" and result["host_s"] is None and result["host_percent"] is None
  (line,) = [line for line in out.splitlines() if line.startswith("mlp32_nc1 ")]
  assert result["s_per_iter"] > 0 and "s/iter" in line and " host " not in line


def test_bad_arguments_are_refused(capsys, tmp_path):
  with pytest.raises(SystemExit):
    bench.main(["--arch", "mlp32_nc1", "--iters", "0"])
  assert "--iters, --batch and --rounds must be >= 1" in capsys.readouterr().err
  with pytest.raises(SystemExit):
    bench.main(["--arch", "mlp32_nc1", "--rounds", "0"])
  assert "got 10, 64, 0 and 2" in capsys.readouterr().err
  with pytest.raises(SystemExit):
    bench.main(["--arch", "mlp32_nc1", "--batch", "8", "8"])
  assert "--batch sizes must differ, got 8 8" in capsys.readouterr().err
  with pytest.raises(SystemExit):
    bench.main(["--arch", "mlp32_nc1", "--peak-gflops", "0"])
  assert "--peak-gflops must be > 0, got 0.0" in capsys.readouterr().err
  with pytest.raises(SystemExit):
    bench.main(["--arch", "mlp32_nc1", "--torch-python", str(tmp_path / "no-python")])
  assert "--torch-python must be an executable Python" in capsys.readouterr().err
  with pytest.raises(SystemExit):
    bench.main(["--arch", "mlp32_nc1", "--ruler", str(tmp_path / "absent.py")])
  err = capsys.readouterr().err
  assert "--ruler must be the ruler's wgan_torch.py" in err and "absent.py" in err


# The real ruler needs PyTorch, which the test environment does not install; this stand-in speaks its protocol
# (the arguments it takes, a JSON object as its last line) so that the bench's side of it is checked: what it
# passes, what it reads, the ratio it computes, and how it reports a failing ruler.
STAND_IN_RULER = textwrap.dedent("""
    import json, sys
    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    if args["--arch"] == "dcgan64_nc3":
      sys.exit("ruler crashed")
    print("warming up")
    print(json.dumps({"framework": "torch", "version": "0.0-stand-in", "arch": args["--arch"], "median_s": 0.5,
                      "min_s": 0.4, "max_s": 0.7, "other_cores": 0.01, "argv": sys.argv[1:]}))
""")


@pytest.fixture
def stand_in_ruler(tmp_path):
  path = tmp_path / "wgan_torch.py"
  path.write_text(STAND_IN_RULER)
  return path


def test_run_ruler_passes_the_run_settings_and_reads_its_last_json_line(stand_in_ruler):
  out = bench.run_ruler(stand_in_ruler, sys.executable, "mlp64_nc3", iters=7, warmup=3, threads=2)
  assert out["argv"] == ["--arch", "mlp64_nc3", "--iters", "7", "--warmup", "3", "--threads", "2"]
  result = bench.add_ruler({"s_per_iter": 0.4, "round_s_per_iter": [0.4]}, [out])
  assert result["ratio"] == pytest.approx(0.8) and result["round_ratios"] == [pytest.approx(0.8)]
  assert result["torch"] == {"version": "0.0-stand-in", "s_per_iter": 0.5, "min_s": 0.4, "max_s": 0.7,
                             "other_cores": 0.01, "round_s_per_iter": [0.5]}
  with pytest.raises(RuntimeError, match="ruler crashed"):
    bench.run_ruler(stand_in_ruler, sys.executable, "dcgan64_nc3", iters=1, warmup=0, threads=2)


def test_ruler_is_skipped_with_a_reason(stand_in_ruler, tmp_path):
  args = argparse.Namespace(no_ruler=False, compute_dtype="float32")
  assert bench.ruler_skip_reason("mlp64_nc3", 64, args, stand_in_ruler, sys.executable) is None
  assert "no mlp32_nc1" in bench.ruler_skip_reason("mlp32_nc1", 64, args, stand_in_ruler, sys.executable)
  assert "PyTorch is not installed" in bench.ruler_skip_reason("mlp64_nc3", 64, args, stand_in_ruler, None)
  assert "no ruler at" in bench.ruler_skip_reason("mlp64_nc3", 64, args, tmp_path / "absent.py", sys.executable)
  assert "batch 64 in float32 only" in bench.ruler_skip_reason("mlp64_nc3", 8, args, stand_in_ruler, sys.executable)
  args.compute_dtype = "bfloat16"
  assert "batch 64 in float32 only" in bench.ruler_skip_reason("mlp64_nc3", 64, args, stand_in_ruler, sys.executable)


def test_ratio_over_rounds_is_the_median_of_each_rounds_ratio():
  ruler = [{"median_s": m, "min_s": m - 0.1, "max_s": m + 0.1, "other_cores": c, "version": "x"}
           for m, c in ((1.0, 0.0), (2.0, 0.02), (1.0, None))]
  result = bench.add_ruler({"s_per_iter": 1.1, "round_s_per_iter": [0.9, 1.4, 1.1]}, ruler)
  assert result["round_ratios"] == pytest.approx([0.9, 0.7, 1.1]) and result["ratio"] == pytest.approx(0.9)
  assert result["torch"]["s_per_iter"] == 1.0 and result["torch"]["other_cores"] == 0.02
  assert (result["torch"]["min_s"], result["torch"]["max_s"]) == pytest.approx((0.9, 2.1))
  with pytest.raises(ValueError, match="2 ruler runs for 3 rounds"):
    bench.add_ruler({"s_per_iter": 1.1, "round_s_per_iter": [0.9, 1.4, 1.1]}, ruler[:2])


def test_rounds_alternate_with_the_callback():
  calls = []
  result = bench.bench("mlp32_nc1", iters=2, warmup=0, loop="auto", long=False, batch=8, rounds=3,
                       after_round=calls.append)
  assert calls == [0, 1, 2] and result["rounds"] == 3 and len(result["round_s_per_iter"]) == 3
  assert result["min_s"] <= min(result["round_s_per_iter"]) <= max(result["round_s_per_iter"]) <= result["max_s"]


@pytest.mark.slow  # the ruler's rounds are covered by the stand-in tests above; over 30 s on 2 cores: -m slow, to keep the default suite under CI's 15 minutes
def test_main_runs_the_ruler_once_per_round_and_prints_the_ratio(capsys, stand_in_ruler):
  bench.main(["--arch", "mlp64_nc3", "--iters", "1", "--warmup", "0", "--rounds", "2", "--ruler",
              str(stand_in_ruler), "--torch-python", sys.executable, "--dispatch", "async"])
  out = capsys.readouterr().out
  result = json.loads(out.strip().splitlines()[-1])
  assert result["torch"]["round_s_per_iter"] == [0.5, 0.5] and len(result["round_ratios"]) == 2
  assert result["torch"]["s_per_iter"] == 0.5
  assert result["round_ratios"] == pytest.approx([s / 0.5 for s in result["round_s_per_iter"]])
  assert result["ratio"] == pytest.approx(sum(result["round_ratios"]) / 2)  # the median of two
  assert "PyTorch 0.0-stand-in: 0.5000 s/iter" in out and f"ratio jgan / PyTorch {result['ratio']:.2f}" in out
  assert "rounds: jgan " in out and "ratios " in out


# ----------------------------------------------------------------------------------------------- pix2pix, CycleGAN
# `python -m jgan.bench --arch pix2pix|cyclegan` (jgan.bench_translation) against a stand-in of
# shared/perf-reference/apps_torch.py: its arguments, a JSON object as its last line with torch's FLOP count. It
# holds 64 MB, so that the peak memory read inside its process can be told from this (much larger) process's.
STAND_IN_APPS_RULER = textwrap.dedent("""
    import json, sys
    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    if args["--size"] == "64":
      sys.exit("ruler crashed")
    held = bytearray(64 * 2 ** 20)
    held[::4096] = b"x" * len(held[::4096])
    print(json.dumps({"framework": "torch", "torch": "0.0-stand-in", "arch": args["--arch"], "threads": 2,
                      "median_s": 0.5, "min_s": 0.4, "max_s": 0.7, "gflop_per_iter": 2.0, "argv": sys.argv[1:]}))
""")

TRANSLATION_KEYS = {"arch", "framework", "jax", "size", "batch", "features", "blocks", "load_size", "iters", "warmup",
                    "rounds", "s_per_iter", "round_s_per_iter", "round_other_cores", "min_s", "max_s",
                    "images_per_s", "compile_s", "max_rss_mb", "last_losses", "dispatch", "gflop_per_iter", "gflops",
                    "load_avg_1min", "device_peak_mb"}


@pytest.fixture
def stand_in_apps_ruler(tmp_path):
  path = tmp_path / "apps_torch.py"
  path.write_text(STAND_IN_APPS_RULER)
  return path


# About 30 s (a fresh process compiling a 32x32 pix2pix) of a benchmark tool, not of training: -m slow, to keep the
# default suite under CI's 15 minutes. The default suite still runs the translation bench's argument checks.
@pytest.mark.slow
def test_pix2pix_command_prints_a_json_line_with_its_figures():
  # A fresh interpreter, as a user runs it: `jgan.bench` hands the translation archs to jgan.bench_translation, and
  # the dispatch mode is set before the backend starts (in a process whose backend already runs, it cannot be).
  out = subprocess.run([sys.executable, "-m", "jgan.bench", "--arch", "pix2pix", "--size", "32", "--batch", "2",
                        "--features", "8", "--iters", "1", "--warmup", "0", "--no-ruler"],
                       capture_output=True, text=True, check=True).stdout
  result = json.loads(out.strip().splitlines()[-1])
  assert set(result) == TRANSLATION_KEYS
  assert (result["arch"], result["size"], result["batch"], result["features"]) == ("pix2pix", 32, 2, 8)
  assert result["blocks"] is None and result["load_size"] == 32 and result["dispatch"] == "inline"
  assert result["min_s"] <= result["s_per_iter"] <= result["max_s"] and result["compile_s"] > 0
  assert result["images_per_s"] == pytest.approx(2 / result["s_per_iter"])
  assert result["gflops"] is None and result["max_rss_mb"] > 100  # no FLOP count without the ruler
  assert result["device_peak_mb"] is None  # CPU devices keep no allocator peak
  assert set(result["last_losses"]) == {"g_loss", "d_loss"}
  assert "pix2pix 32x32 batch 2 ngf 8  jgan: " in out and "PyTorch ruler not run: --no-ruler" in out


@pytest.mark.slow  # pix2pix's covers the translation bench path; over 30 s on 2 cores: -m slow, to keep the default suite under CI's 15 minutes
def test_cyclegan_runs_the_ruler_each_round_and_reports_both(capsys, stand_in_apps_ruler, monkeypatch):
  from jgan import bench_translation
  monkeypatch.setattr(bench_translation, "RULER_FEATURES", 8)  # the stand-in "is" an 8-feature ruler: cheap nets
  bench.main(["--arch", "cyclegan", "--size", "32", "--batch", "2", "--features", "8", "--blocks", "1",
              "--iters", "1", "--warmup", "0", "--rounds", "2", "--ruler", str(stand_in_apps_ruler),
              "--torch-python", sys.executable, "--dispatch", "async"])
  out = capsys.readouterr().out
  result = json.loads(out.strip().splitlines()[-1])
  assert set(result) == TRANSLATION_KEYS | {"torch", "ratio", "round_ratios"} and result["blocks"] == 1
  torch = result["torch"]
  assert torch["round_s_per_iter"] == [0.5, 0.5] and torch["gflop_per_iter"] == 2.0 and torch["gflops"] == 4.0
  assert result["gflops"] == pytest.approx(2.0 / result["s_per_iter"])  # the ruler's FLOPs over jgan's time
  assert result["round_ratios"] == pytest.approx([s / 0.5 for s in result["round_s_per_iter"]])
  assert result["ratio"] == pytest.approx(sum(result["round_ratios"]) / 2)
  # Measured inside the ruler's process: its 64 MB and an interpreter, not this process's peak.
  assert 64 < torch["max_rss_mb"] < min(result["max_rss_mb"], 1000)
  assert "PyTorch 0.0-stand-in (2 threads): 0.5000 s/iter" in out and "rounds: jgan " in out
  assert len(result["round_other_cores"]) == len(torch["round_other_cores"]) == 2
  assert all(x is None or x >= 0 for x in result["round_other_cores"] + torch["round_other_cores"])


def test_translation_ruler_arguments_skips_and_failures(stand_in_apps_ruler, tmp_path):
  from jgan import bench_translation
  out = bench_translation.run_ruler(stand_in_apps_ruler, sys.executable, "cyclegan", size=128, batch=1, blocks=6,
                                    iters=7, warmup=3, threads=2)
  assert out["argv"] == ["--arch", "cyclegan", "--size", "128", "--batch", "1", "--blocks", "6", "--iters", "7",
                         "--warmup", "3", "--threads", "2"]
  with pytest.raises(RuntimeError, match="ruler crashed"):
    bench_translation.run_ruler(stand_in_apps_ruler, sys.executable, "pix2pix", size=64, batch=1, blocks=9,
                                iters=1, warmup=0, threads=2)
  args = argparse.Namespace(no_ruler=False, features=64, ruler=stand_in_apps_ruler)
  assert bench_translation.ruler_skip_reason(args, sys.executable) is None
  assert "PyTorch is not installed" in bench_translation.ruler_skip_reason(args, None)
  args.features = 32
  assert "64 base features" in bench_translation.ruler_skip_reason(args, sys.executable)
  args.features, args.ruler = 64, tmp_path / "absent.py"
  assert "no ruler at" in bench_translation.ruler_skip_reason(args, sys.executable)
  assert bench_translation.default_blocks(256) == 9 and bench_translation.default_blocks(128) == 6


def test_translation_bad_arguments_are_refused(capsys):
  with pytest.raises(SystemExit):
    bench.main(["--arch", "pix2pix", "--size", "48"])
  assert "image_size must be a power of two" in capsys.readouterr().err
  with pytest.raises(SystemExit):
    bench.main(["--arch", "cyclegan", "--iters", "0"])
  assert "--iters, --batch, --rounds and --features must be >= 1" in capsys.readouterr().err
  with pytest.raises(SystemExit):
    bench.main(["--arch", "pix2pix", "--loop", "host"])  # a WGAN flag
  assert "unrecognized arguments: --loop host" in capsys.readouterr().err


@pytest.mark.slow  # VGG19's compile: the longest bench test; pix2pix's and CycleGAN's cover the shared bench path
def test_srgan_command_times_the_step_with_vgg_content(capsys):
  """SRGAN's bench step: SRResNet, the discriminator and the VGG19 relu5_4 content loss (random weights), at a tiny
  size; SRResNet's has no discriminator loss."""
  for arch, losses in (("srgan", {"g_loss", "d_loss"}), ("srresnet", {"g_loss"})):
    bench.main(["--arch", arch, "--size", "16", "--batch", "2", "--features", "8", "--iters", "1", "--warmup", "0",
                "--no-ruler"])
    out = capsys.readouterr().out
    result = json.loads(out.strip().splitlines()[-1])
    assert (result["arch"], result["size"], result["batch"]) == (arch, 16, 2)
    assert set(result["last_losses"]) == losses and result["s_per_iter"] > 0


@pytest.mark.slow  # 20 s compiling a pix2pix iteration for a profiling tool; the argument checks below stay default
def test_bench_layers_records_every_convolution_of_a_pix2pix_iteration():
  """The U-Net at 32x32 has 5 levels (5 strided convolutions down, 5 transposed up); the PatchGAN's 5 convolutions
  run 3 times per iteration (real and generated pairs in D's update, generated in G's). A call the tracer missed or
  counted twice changes the totals."""
  from jgan import bench_layers
  rows = bench_layers.record_convolutions("pix2pix", size=32, batch=1)
  calls = {kind: sum(r["calls"] for r in rows if r["kind"] == kind) for kind in ("Conv", "ConvTranspose")}
  assert calls == {"Conv": 5 + 5 * 3, "ConvTranspose": 5}
  first = next(r for r in rows if r["input"] == [1, 32, 32, 3])
  assert first["kernel"] == [4, 4, 3, 64] and first["strides"] == [2, 2] and first["padding"] == [[1, 1], [1, 1]]
  assert first["output"] == [1, 16, 16, 64] and first["calls"] == 1
  assert next(r for r in rows if r["input"][-1] == 6)["calls"] == 3  # D's first layer, on (input, output) pairs


def test_bench_layers_refuses_bad_arguments_before_any_work(capsys, tmp_path):
  from jgan import bench_layers
  for argv, message in ((["--repeats", "0"], "--repeats 0"), (["--torch-python", str(tmp_path / "py")], "no such"),
                        (["--trace", "-1"], "--trace -1")):
    with pytest.raises(SystemExit):
      bench_layers.main(["--arch", "pix2pix", "--torch-python", "none", *argv])
    assert message in capsys.readouterr().err


@pytest.mark.slow  # 20 s on 2 cores; the recording and tracing tests (-m slow too) cover the same iteration
def test_bench_layers_times_jgan_alone(capsys, tmp_path):
  from jgan import bench_layers
  out = tmp_path / "layers.json"
  bench_layers.main(["--arch", "srresnet", "--size", "8", "--batch", "1", "--repeats", "1", "--torch-python", "none",
                     "--out", str(out)])
  summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
  assert summary == json.loads(out.read_text())
  assert summary["total_torch_ms"] is None and summary["convolutions"] == sum(r["calls"] for r in summary["layers"])
  assert summary["total_jgan_ms"] == pytest.approx(sum(r["calls"] * r["jgan_ms"] for r in summary["layers"]))
  assert all(r["jgan_ms"] > 0 for r in summary["layers"])


@pytest.mark.slow  # 20-25 s compiling and tracing an SRResNet iteration, for a profiling tool
def test_bench_layers_trace_attributes_the_iteration_to_its_compiled_operations():
  from jgan import bench_layers
  summary = bench_layers.trace_iteration("srresnet", size=8, batch=1, iters=1, top=5)
  assert summary["ops"] >= 5 and len(summary["top"]) == 5 and summary["wall_ms"] > 0
  times = [op["ms"] for op in summary["top"]]
  assert times == sorted(times, reverse=True) and times[-1] > 0 and summary["ops_ms"] >= sum(times)
  # each operation is found in the compiled program's HLO, where its name is defined
  assert all(op["hlo"].lstrip("%").startswith(op["op"] + " = ") for op in summary["top"])
  # operations running at once share the time: the shares add up to the busy time, which fits in the wall time
  assert summary["ops_ms"] == pytest.approx(summary["ops_busy_ms"]) and summary["ops_busy_ms"] <= summary["wall_ms"]
  assert all(op["launch_to_end_ms"] >= op["ms"] - 1e-9 for op in summary["top"])
  kinds = summary["by_kind"]  # every operation counted once, under its opcode
  assert sum(k["ops"] for k in kinds.values()) == summary["ops"] and "convolution" in kinds
  assert sum(k["ms"] for k in kinds.values()) == pytest.approx(summary["ops_ms"])
  assert all(event["ms"] >= 0 for event in summary["other_events"])


def test_union_and_shares_of_overlapping_spans():
  from jgan import bench_layers
  # a [0, 10) and b [5, 20) overlap on 5 us; c [30, 40) is apart; d [32, 35) lies inside it: 30 us busy, in ms
  spans = [(30, 40, "c"), (0, 10, "a"), (5, 20, "b"), (32, 35, "d")]
  assert bench_layers._union_ms([s[:2] for s in spans]) == pytest.approx(0.030)
  assert bench_layers._union_ms([]) == 0.0
  # a alone 5, shared with b 5 (2.5 each), b alone 10; c alone 7 and 3 shared with d (1.5 each)
  assert bench_layers._shares(spans) == pytest.approx({"a": 7.5, "b": 12.5, "c": 8.5, "d": 1.5})
  # a name with two spans at once (an operation traced twice) is charged for both
  assert bench_layers._shares([(0, 4, "a"), (0, 4, "a"), (0, 4, "b")]) == pytest.approx({"a": 8 / 3, "b": 4 / 3})
