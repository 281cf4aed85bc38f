"""The streamed input (`jgan.data.stream`): the device path's very batches, bit-identical training, exact resume after
a real SIGTERM, each process reading only its share, the choice of input, and unreadable files."""

from __future__ import annotations

import dataclasses
import json
import pathlib
import signal
import subprocess
import sys
import time

import jax
import numpy as np
import PIL.Image
import pytest

from jgan import checkpoint, data, parallel, steps, train, updates
from jgan.configs import wgan as wgan_config
from jgan.data import examples as data_examples
from jgan.data import folders, stream
from jgan.data.source import Source
from jgan.testing import tiny_config, tree_equal

from test_multihost import _assert_trees_close, _flags, _rows, _wgan

FOLDER_SIZE = 64  # embedded digits 0..63 as PNG files, in one class folder per label
# The tiny MLP of jgan.testing, run by the host loop (what streaming runs), every iteration logged.
RUN = dict(arch="mlp", generator_features=16, critic_features=16, latent_dim=8, batch_size=8, n_critic=2,
           warmup_steps=2, warmup_n_critic=4, log_every=1, sample_every=1000, checkpoint_every=1000, num_samples=4,
           loop="host")


@pytest.fixture(scope="module")
def digits():
  return data.load("digits")


@pytest.fixture(scope="module")
def digit_folder(tmp_path_factory, digits) -> pathlib.Path:
  folder = tmp_path_factory.mktemp("stream") / "digits"
  for i in range(FOLDER_SIZE):
    path = folder / str(digits.labels[i]) / f"{i:03d}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    PIL.Image.fromarray(digits.images[i, :, :, 0]).save(path)
  return folder


def _data_key(seed: int = 0) -> np.ndarray:
  """The key the critic steps' real batches are drawn with in a run of `seed` (its state's key, `run_keys`)."""
  return np.asarray(updates.stream_key(train.run_keys(seed)["step"], steps._DATA, 0))


# --- The same batches. ---------------------------------------------------------------------------------------------

def _readers(kind: str, digits, digit_folder, tmp_path, tfds_digit_builder):
  """(streamed reader, the device path's images and labels of the same set) for a reader `kind`."""
  if kind == "arrays":
    images = data.resize_images(digits.images[:100], 32, "pad")
    return data_examples.ArrayExamples(images, digits.labels[:100]), images, digits.labels[:100]
  if kind == "folder":  # decoded per file, each brought to 32x32 (centred square, BICUBIC) as it is read
    held = folders.read_image_folder(digit_folder, image_size=32)
    return data_examples.FolderExamples(digit_folder, 32), held.images, held.labels
  tfds_digit_builder("JganStreamDigits")  # 24 embedded digits, prepared here as array_record
  held = data.load("jgan_stream_digits", data_dir=str(tmp_path))
  lazy = data_examples.open_examples("jgan_stream_digits", data_dir=str(tmp_path), image_size=16, resize="bilinear")
  return lazy, data.resize_images(held.images, 16, "bilinear"), held.labels


@pytest.mark.parametrize("kind", ["arrays", "folder", "tfds"])
def test_streamed_batches_are_the_device_paths(kind, digits, digit_folder, tmp_path, tfds_digit_builder,
                                               eight_device_mesh):
  """For the same key and positions (across an epoch's end), the stream's global batches hold the very examples
  the device path gathers, each device's rows where the device path puts them, and the step sees the same floats."""
  examples, images, labels = _readers(kind, digits, digit_folder, tmp_path, tfds_digit_builder)
  batch_size, key = 8, _data_key()
  mesh = parallel.make_mesh(jax.devices()[:4])
  held = Source.from_arrays(images, labels)
  device_batch = jax.jit(lambda p: held.batch(key, p, batch_size))
  fed = stream.Stream(examples, mesh, batch_size, read_threads=2)
  first = len(images) // batch_size - 2  # the last two batches of epoch 0, then epoch 1
  fed.restart(key, first)
  try:
    streamed = fed.take(5)
  finally:
    fed.close()
  assert fed.position == first + 5 and int(streamed.start) == first
  streamed_batch = jax.jit(lambda s, p: s.batch(None, p, batch_size))
  for j, position in enumerate(range(first, first + 5)):
    index = np.asarray(data.batch_indices(key, position, len(images), batch_size))
    np.testing.assert_array_equal(np.asarray(streamed.images[j]), images[index])
    np.testing.assert_array_equal(np.asarray(streamed.labels[j]), labels[index])
    for shard in streamed.images[j].addressable_shards:  # device i of the mesh holds rows [2i, 2i + 2)
      i = list(mesh.devices.flat).index(shard.device)
      np.testing.assert_array_equal(np.asarray(shard.data), images[index[2 * i:2 * i + 2]])
    want, got = device_batch(position), streamed_batch(streamed, position)
    np.testing.assert_array_equal(np.asarray(got["x"]), np.asarray(want["x"]))
    np.testing.assert_array_equal(np.asarray(got["label"]), np.asarray(want["label"]))
  assert examples.read(np.asarray([3]))[0].shape == (1, *held.shape)


def test_host_permutation_is_the_devices(digits):
  key = _data_key(seed=3)
  order = stream.BatchOrder(key, 10_000, 64)
  for position in (0, 155, 156, 157, 4000):  # 156 batches per epoch
    np.testing.assert_array_equal(order(position), np.asarray(data.batch_indices(key, position, 10_000, 64)))


def test_streamed_training_is_the_device_paths_bit_for_bit(digit_folder, tmp_path, one_device_mesh):
  """'auto' above its threshold streams the folder, and every parameter, statistic, counter and metric equals the
  device-resident run's. (Warm-up blocks and several devices: the next tests; one program per path here.)"""
  config = tiny_config(**{**RUN, "warmup_n_critic": 2}, dataset=str(digit_folder), steps=4)
  held = train.run(dataclasses.replace(config, input="device"), tmp_path / "device", progress=False,
                   mesh=one_device_mesh)
  streamed = train.run(dataclasses.replace(config, stream_threshold_mb=0.01), tmp_path / "stream", progress=False,
                       mesh=one_device_mesh)
  assert json.loads((tmp_path / "device" / "config.json").read_text())["input"] == "device"
  assert json.loads((tmp_path / "stream" / "config.json").read_text())["input"] == "stream"
  assert int(streamed.critic_steps) == 4 * 2
  assert tree_equal(jax.device_get(streamed), jax.device_get(held))
  assert _rows(tmp_path / "stream") == _rows(tmp_path / "device")


# --- Resume after a real SIGTERM. ----------------------------------------------------------------------------------

# 30 s of three processes: the streamed batches are a function of the position (bit-for-bit test above), and the
# SIGTERM-then-resume path is the default suite's in tests/test_robustness.py, so this joins `-m slow`.
@pytest.mark.slow
def test_sigterm_then_resume_streamed_matches_uninterrupted(digit_folder, tmp_path, subprocess_env):
  """A streamed run (a folder, decoded as read) gets a real SIGTERM: it saves and exits 3, and --resume, whose
  stream restarts at the checkpoint's critic_steps, ends bit-identical to an uninterrupted run."""
  out = tmp_path / "run"
  flags = [*_flags(**RUN), "--dataset", str(digit_folder), "--input", "stream", "--no-progress"]
  proc = subprocess.Popen(_wgan(*flags, "--steps", "100000", "--out", str(out)), env=subprocess_env,
                          stderr=subprocess.PIPE, text=True)
  try:
    deadline = time.time() + 120
    while time.time() < deadline and not ((out / "metrics.jsonl").exists() and
                                          len((out / "metrics.jsonl").read_text().splitlines()) >= 3):
      assert proc.poll() is None, proc.stderr.read()
      time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
  finally:
    if proc.poll() is None:
      proc.kill()
  assert proc.returncode == 3, stderr
  stopped_at = checkpoint.latest_step(out)
  assert stopped_at is not None and stopped_at >= 3 and _rows(out)[-1]["step"] == stopped_at

  total = stopped_at + 3
  runs = [subprocess.Popen(_wgan(*flags, "--steps", str(total), "--out", str(workdir), *extra), env=subprocess_env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
          for extra, workdir in ((["--resume"], out), ([], tmp_path / "straight"))]  # side by side: they share nothing
  for run in runs:
    _, stderr = run.communicate(timeout=300)
    assert run.returncode == 0, stderr
  target = train.create_state(tiny_config(**RUN), (32, 32, 1))
  (step_a, _, resumed), (step_b, _, straight) = (checkpoint.restore(w, target) for w in (out, tmp_path / "straight"))
  assert step_a == step_b == total and int(resumed.critic_steps) == int(straight.critic_steps)
  assert tree_equal(resumed, straight)
  assert _rows(out) == _rows(tmp_path / "straight")


# --- Many processes: each reads its own share. ---------------------------------------------------------------------

def _reads(trace: pathlib.Path, positions: int) -> dict[int, list[int]]:
  """{position: example indices read} of a process's trace, for the first `positions` batches."""
  reads = {}
  for line in trace.read_text().splitlines():
    position, *indices = map(int, line.split())
    assert position not in reads, f"batch {position} read twice"
    reads[position] = indices
  return {p: reads[p] for p in range(positions)}


def test_two_processes_read_disjoint_shares_and_match_one_process(digit_folder, tmp_path, subprocess_env,
                                                                  monkeypatch, eight_device_mesh):
  """2 processes x 2 devices stream the folder: process p reads only rows [4p, 4p + 4) of each global batch of 8
  (its devices'), the two shares are disjoint and make the global batch, and losses and parameters equal those of
  1 process x 4 devices reading whole batches."""
  run = {**RUN, "warmup_n_critic": 2}  # one compiled program (the warm-up's blocks: the test above)
  config = tiny_config(**run, dataset=str(digit_folder), input="stream", steps=3)
  two = tmp_path / "two"
  traces = {name: tmp_path / f"trace_{name}" for name in ("two", "one")}
  for folder in traces.values():
    folder.mkdir()
  launched = subprocess.Popen(  # the 2 processes run while this one trains on 4 devices
      [sys.executable, "-m", "jgan.launch", "--processes", "2", "--local-devices", "2", "--",
       *_wgan(*_flags(**run), "--dataset", str(digit_folder), "--input", "stream", "--steps", "3", "--no-progress",
              "--out", str(two))],
      env={**subprocess_env, stream.TRACE_ENV: str(traces["two"])}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
      text=True)
  try:
    monkeypatch.setenv(stream.TRACE_ENV, str(traces["one"]))
    one = tmp_path / "one"
    state_one = train.run(config, one, progress=False, mesh=parallel.make_mesh(jax.devices()[:4]))
    _, stderr = launched.communicate(timeout=300)
  finally:
    if launched.poll() is None:
      launched.kill()
  assert launched.returncode == 0, stderr[-3000:]

  batches = 3 * 2  # critic steps of 3 iterations
  order = stream.BatchOrder(_data_key(), FOLDER_SIZE, 8)
  shares = [_reads(traces["two"] / f"process_{p}.txt", batches) for p in (0, 1)]
  whole = _reads(traces["one"] / "process_0.txt", batches)
  for position in range(batches):
    batch = order(position).tolist()
    assert shares[0][position] == batch[:4] and shares[1][position] == batch[4:]
    assert not set(shares[0][position]) & set(shares[1][position])
    assert whole[position] == batch
  rows_two, rows_one = _rows(two), _rows(one)
  assert [r["step"] for r in rows_two] == [r["step"] for r in rows_one] == [1, 2, 3]
  for r2, r1 in zip(rows_two, rows_one):
    for key in ("d_loss", "g_loss"):
      np.testing.assert_allclose(r2[key], r1[key], rtol=1e-4, atol=1e-7, err_msg=f"{key} at {r1['step']}")
  _, _, state_two = checkpoint.restore(two, train.create_state(config, (32, 32, 1)))
  assert int(state_two.critic_steps) == int(state_one.critic_steps) == batches
  _assert_trees_close((state_two.generator.params, state_two.discriminator.params),
                      jax.device_get((state_one.generator.params, state_one.discriminator.params)),
                      rtol=1e-4, atol=1e-6)


# --- Which input. ------------------------------------------------------------------------------------------------

def test_auto_streams_above_its_threshold_and_device_errors_only_where_impossible(digit_folder, monkeypatch):
  cpu = jax.local_devices()[:1]
  assert stream.choose_input("auto", 10 * 2 ** 20, threshold_mb=0, name="x", devices=cpu) == "device"  # < 1 GiB
  assert stream.choose_input("auto", 2 * 2 ** 30, threshold_mb=0, name="x", devices=cpu) == "stream"
  assert stream.choose_input("auto", 2 * 2 ** 20, threshold_mb=1, name="x", devices=cpu) == "stream"
  assert stream.choose_input("auto", 2 * 2 ** 20, threshold_mb=1, name="x", devices=cpu, can_stream=False) == "device"
  assert stream.choose_input("stream", 1, threshold_mb=0, name="x", devices=cpu) == "stream"
  folder = tiny_config(dataset=str(digit_folder), input="device")
  assert isinstance(train.load_source(folder)[0], Source)  # fits: held on the device as always
  assert isinstance(train.load_source(dataclasses.replace(folder, input="stream"))[0], data_examples.Examples)
  # Only a set larger than the memory that must hold it is refused, before a single image is decoded.
  monkeypatch.setattr(stream, "host_memory", lambda: 100_000)
  monkeypatch.setattr(folders, "_decode", lambda *a: pytest.fail("decoded an image"))
  with pytest.raises(ValueError, match=rf"dataset '{digit_folder}' is 0.188 MB as uint8 at the training size; held "
                                       r"whole on each device it cannot fit: 8 CPU device\(s\) sharing 0.0954 MB of "
                                       r"host memory; use input 'stream'"):
    train.load_source(folder)  # the test process's 8 CPU devices would each hold a copy
  assert stream.choose_input("auto", 200_000, threshold_mb=0, name="x", devices=cpu) == "stream"
  assert stream.choose_input("device", 90_000, threshold_mb=0, name="x", devices=cpu) == "device"  # may fit: tried
  with pytest.raises(ValueError, match="cannot fit: 8 CPU device"):
    stream.choose_input("device", 20_000, threshold_mb=0, name="x", devices=jax.devices()[:8])


def test_stream_is_refused_where_it_cannot_feed_the_game(digit_folder):
  for overrides, message in ((dict(dataset="ring8"), "the toy dataset 'ring8' is drawn"),
                             (dict(game="ssgan", labels=10), "ssgan draws its labeled batches"),
                             (dict(game="gan", g_loss="feature_matching"), "feature matching draws real batches"),
                             (dict(loop="device"), "loop must be 'host' or 'auto'")):
    with pytest.raises(ValueError, match=message):
      wgan_config.validate(tiny_config(input="stream", **overrides))
  with pytest.raises(ValueError, match="input must be one of"):
    wgan_config.validate(tiny_config(input="disk"))


# --- Unreadable files in a streamed folder. ------------------------------------------------------------------------

def test_unreadable_file_is_named_or_skipped_and_counted(tmp_path, capsys):
  folder = tmp_path / "faces"
  folder.mkdir()
  for i in range(12):  # grey and colour files of one size: the set is RGB
    pixels = np.random.default_rng(i).integers(0, 256, (20, 24) if i % 3 else (20, 24, 3), dtype=np.uint8)
    PIL.Image.fromarray(pixels).save(folder / f"{i:02d}.png")
  (folder / "03.png").write_bytes(b"not a PNG at all")  # no image header: named when the folder is opened
  with pytest.raises(ValueError, match=r"03.png: not a readable image .*skip_bad_images=True"):
    data_examples.FolderExamples(folder, 16)
  skipping = data_examples.FolderExamples(folder, 16, skip_bad_images=True)
  assert skipping.skipped == 1 and len(skipping) == 11 and skipping.shape == (16, 16, 3)
  assert "skipped 1 unreadable image file(s)" in capsys.readouterr().err
  held = folders.read_image_folder(folder, image_size=16, skip_bad_images=True)  # the device path's set
  np.testing.assert_array_equal(skipping.read(np.arange(11))[0], held.images)

  (folder / "03.png").unlink()
  whole = (folder / "07.png").read_bytes()  # a header that reads, pixels that do not
  (folder / "07.png").write_bytes(whole[:len(whole) // 2])
  lazy = data_examples.FolderExamples(folder, 16)  # only headers are read when opened...
  lazy.read(np.asarray([0, 1]))
  with pytest.raises(ValueError, match=r"07.png: not a readable image .*found while streaming"):
    lazy.read(np.asarray([5, 6]))  # ... so it is named when a batch needs it
  skipping = data_examples.FolderExamples(folder, 16, skip_bad_images=True)  # decodes every file when opened
  assert skipping.skipped == 1 and len(skipping) == 10
  np.testing.assert_array_equal(skipping.read(np.arange(10))[0],
                                folders.read_image_folder(folder, image_size=16, skip_bad_images=True).images)
