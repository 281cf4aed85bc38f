"""Folders of PNG/JPEG images (one set, pix2pix's pairs, CycleGAN's domains), their clear refusals, and the fast
refusal of a TFDS name that cannot be downloaded from here. Every image is written by the test."""

from __future__ import annotations

import pathlib
import time

import numpy as np
import PIL.Image
import pytest

from jgan import data
from jgan.data import folders, paired


def _pixels(height: int, width: int, channels: int, seed: int) -> np.ndarray:
  pixels = np.random.default_rng(seed).integers(0, 256, (height, width, channels), dtype=np.uint8)
  return pixels[..., 0] if channels == 1 else pixels


def _write(path: pathlib.Path, pixels: np.ndarray) -> np.ndarray:
  """Writes `pixels` (H, W) or (H, W, C) to `path` (PNG or JPEG by its extension); returns them as (H, W, C)."""
  path.parent.mkdir(parents=True, exist_ok=True)
  PIL.Image.fromarray(pixels).save(path)
  return pixels[..., None] if pixels.ndim == 2 else pixels


def _truncate(path: pathlib.Path) -> None:
  path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])


# One folder, one set.


def test_grey_folder_in_sorted_order(tmp_path):
  written = {name: _write(tmp_path / name, _pixels(6, 5, 1, seed)) for seed, name in
             enumerate(["b.png", "a.PNG", "c.png"])}
  (tmp_path / "notes.txt").write_text("not an image")
  (tmp_path / ".hidden.png").write_bytes(b"not an image either")
  dataset = folders.read_image_folder(tmp_path)
  assert dataset.images.shape == (3, 6, 5, 1) and dataset.images.dtype == np.uint8
  np.testing.assert_array_equal(dataset.images, np.stack([written[n] for n in ("a.PNG", "b.png", "c.png")]))
  assert dataset.labels is None and dataset.classes is None and dataset.skipped == 0
  again = folders.read_image_folder(tmp_path)
  np.testing.assert_array_equal(again.images, dataset.images)


def test_colour_folder_and_mixed_grey_becomes_rgb(tmp_path):
  colour = _write(tmp_path / "1.png", _pixels(4, 4, 3, 0))
  grey = _write(tmp_path / "2.png", _pixels(4, 4, 1, 1))
  rgba = _write(tmp_path / "3.png", _pixels(4, 4, 4, 2))
  dataset = folders.read_image_folder(tmp_path)
  assert dataset.images.shape == (3, 4, 4, 3)
  np.testing.assert_array_equal(dataset.images[0], colour)
  np.testing.assert_array_equal(dataset.images[1], np.repeat(grey, 3, axis=-1))
  np.testing.assert_array_equal(dataset.images[2], rgba[..., :3])  # alpha dropped
  assert folders.read_image_folder(tmp_path, channels=1).images.shape == (3, 4, 4, 1)
  np.testing.assert_array_equal(folders.read_image_folder(tmp_path, channels=4).images[2], rgba)


def test_jpeg_and_16_bit_grey(tmp_path):
  _write(tmp_path / "photo.jpg", np.full((8, 8, 3), 200, np.uint8))
  deep = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000)  # 16 bits: scaled to 8, not clipped at 255
  PIL.Image.fromarray(deep).save(tmp_path / "deep.png")
  dataset = folders.read_image_folder(tmp_path)
  assert dataset.images.shape == (2, 8, 8, 3)
  np.testing.assert_array_equal(dataset.images[0, ..., 0], np.round(deep / 257).astype(np.uint8))
  assert np.abs(dataset.images[1].astype(int) - 200).max() <= 2  # JPEG is lossy


def test_class_subfolders_become_labels_in_sorted_name_order(tmp_path):
  for seed, (cls, name) in enumerate([("zebra", "1.png"), ("cat", "2.png"), ("cat", "1.png"), ("dog", "0.png")]):
    _write(tmp_path / cls / name, _pixels(5, 5, 3, seed))
  (tmp_path / "empty").mkdir()  # a sub-folder without images is no class
  dataset = folders.read_image_folder(tmp_path)
  assert dataset.classes == ("cat", "dog", "zebra")
  np.testing.assert_array_equal(dataset.labels, [0, 0, 1, 2])
  assert dataset.labels.dtype == np.int32
  np.testing.assert_array_equal(dataset.images[0], _pixels(5, 5, 3, 2))  # cat/1.png before cat/2.png


def test_resize_shorter_side_then_centre_crop(tmp_path):
  wide = np.zeros((20, 40, 3), np.uint8)
  wide[:, 10:30] = 255  # the centred 20x20 square is white: what the crop keeps
  _write(tmp_path / "wide.png", wide)
  _write(tmp_path / "tall.png", _pixels(30, 10, 3, 0))
  with pytest.raises(ValueError, match=r"images of 2 different sizes \(e.g. .*tall.png.*wide.png.*pass image_size"):
    folders.read_image_folder(tmp_path)
  dataset = folders.read_image_folder(tmp_path, image_size=8)
  assert dataset.images.shape == (2, 8, 8, 3)
  crop = dataset.images[1]  # wide.png, second in name order: its centre only, the black sides barely felt
  assert crop[:, 1:-1].min() == 255 and crop.min() > 200 and (crop[:, 0] == crop[:, -1]).all()


def test_load_reads_a_folder(tmp_path):
  for seed in range(3):
    _write(tmp_path / "faces" / f"{seed}.png", _pixels(10, 12, 3, seed))
  folder = str(tmp_path / "faces")
  data.check_name(folder)
  dataset = data.load(folder, image_size=8)
  assert dataset.images.shape == (3, 8, 8, 3) and dataset.name == folder


def test_a_bare_folder_name_is_a_folder_unless_tfds_has_that_name(tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  for name in ("faces", "mnist"):
    _write(tmp_path / name / "0.png", _pixels(4, 4, 3, 0))
  assert data.load("faces").images.shape == (1, 4, 4, 3)
  assert not data._is_image_folder("mnist", None)  # TFDS's mnist, as before folders were read
  assert data.load("./mnist").images.shape == (1, 4, 4, 3)


def test_image_folder_errors_name_the_path(tmp_path):
  with pytest.raises(ValueError, match=f"image folder '{tmp_path / 'missing'}': no such folder"):
    folders.read_image_folder(tmp_path / "missing")
  (tmp_path / "empty").mkdir()
  (tmp_path / "empty" / "a.gif").write_bytes(b"GIF89a")
  with pytest.raises(ValueError, match=rf"{tmp_path / 'empty'}: no image files.*\.png, \.jpg, \.jpeg"):
    folders.check_image_folder(tmp_path / "empty")
  with pytest.raises(ValueError, match=rf"{tmp_path / 'empty'}: no image files"):
    data.check_name(str(tmp_path / "empty"))
  _write(tmp_path / "mixed" / "top.png", _pixels(4, 4, 1, 0))
  _write(tmp_path / "mixed" / "cls" / "in.png", _pixels(4, 4, 1, 0))
  with pytest.raises(ValueError, match=r"mixed: holds both image files \(\['top.png'\]\) and class folders"):
    folders.read_image_folder(tmp_path / "mixed")
  with pytest.raises(ValueError, match="channels must be one of"):
    folders.read_image_folder(tmp_path / "mixed" / "cls", channels=2)


def test_truncated_image_refused_by_name_or_skipped_and_counted(tmp_path, capsys):
  for seed in range(3):
    _write(tmp_path / f"{seed}.png", _pixels(16, 16, 3, seed))
  _truncate(tmp_path / "1.png")
  (tmp_path / "3.png").write_bytes(b"not a PNG at all")
  with pytest.raises(ValueError, match=r"1.png: not a readable image .*truncated.*skip_bad_images=True"):
    folders.read_image_folder(tmp_path)
  dataset = folders.read_image_folder(tmp_path, skip_bad_images=True)
  assert len(dataset) == 2 and dataset.skipped == 2
  np.testing.assert_array_equal(dataset.images[1], _pixels(16, 16, 3, 2))
  assert "skipped 2 unreadable image file(s)" in capsys.readouterr().err


def test_gan_trains_on_a_folder_of_mixed_sizes(tmp_path, capsys, one_device_mesh):
  """`train.run` reads a folder at the config's image_size (each file's centred square resized), skipping an
  unreadable file where skip_bad_images; the digits keep their stored shape and are padded as before."""
  import dataclasses
  import json

  from jgan import train
  from jgan.testing import tiny_config
  sizes = [(20, 30), (16, 16), (40, 24), (9, 13), (64, 64), (17, 33), (24, 20), (32, 48), (50, 18), (12, 12)]
  for seed, (height, width) in enumerate(sizes):
    _write(tmp_path / "faces" / f"{seed}.png", _pixels(height, width, 1 if seed % 3 == 0 else 3, seed))
  (tmp_path / "faces" / "bad.png").write_bytes(b"not a PNG at all")
  config = tiny_config(dataset=str(tmp_path / "faces"), image_size=16, steps=2, log_every=1, sample_every=2,
                       checkpoint_every=2, eval_every=0)
  with pytest.raises(ValueError, match=r"bad.png: not a readable image.*skip_bad_images=True"):
    train.run(config, tmp_path / "strict", progress=False, mesh=one_device_mesh)
  config = dataclasses.replace(config, skip_bad_images=True)
  train.run(config, tmp_path / "run", progress=False, mesh=one_device_mesh)
  assert "skipped 1 unreadable image file(s)" in capsys.readouterr().err
  rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
  assert [row["step"] for row in rows] == [1, 2] and all(np.isfinite(row["wasserstein"]) for row in rows)
  meta = json.loads((tmp_path / "run" / "config.json").read_text())
  assert meta["shape"] == meta["source_shape"] == [16, 16, 3] and meta["config"]["skip_bad_images"]
  source, shape = train.load_source(config)
  assert shape == [16, 16, 3] and source.images.shape == (10, 16, 16, 3)
  _, shape = train.load_source(tiny_config(image_size=32))  # not a folder: loaded as stored, padded by `resize`
  assert shape == [28, 28, 1]


# pix2pix's pairs.


def test_side_by_side_pairs(tmp_path):
  pairs = {}
  for seed, name in enumerate(["2.jpg", "1.png"]):
    a, b = _pixels(6, 6, 3, seed), _pixels(6, 6, 3, seed + 10)
    _write(tmp_path / "train" / name.replace(".jpg", ".png"), np.concatenate([a, b], axis=1))
    pairs[name.replace(".jpg", ".png")] = a, b
  _write(tmp_path / "val" / "1.png", np.concatenate([_pixels(6, 6, 3, 5)] * 2, axis=1))
  folders.check_paired_folder(tmp_path)
  dataset = folders.read_paired_folder(tmp_path, "train")
  assert dataset.names == ("1.png", "2.png") and dataset.skipped == 0
  np.testing.assert_array_equal(dataset.a, np.stack([pairs["1.png"][0], pairs["2.png"][0]]))
  np.testing.assert_array_equal(dataset.b, np.stack([pairs["1.png"][1], pairs["2.png"][1]]))
  assert len(folders.read_paired_folder(tmp_path, "validation")) == 1
  with pytest.raises(ValueError, match=rf"{tmp_path}: no test/ folder for split 'test' \(splits present: "
                                       r"\['train', 'validation'\]\)"):
    folders.read_paired_folder(tmp_path, "test")
  with pytest.raises(ValueError, match="no test/ folder"):
    folders.check_paired_folder(tmp_path, "test")
  resized = paired.load_paired(str(tmp_path), "train", image_size=4)
  assert resized.a.shape == (2, 4, 4, 3) and resized.b.shape == (2, 4, 4, 3)


def test_side_by_side_odd_width_refused_by_name(tmp_path):
  _write(tmp_path / "train" / "ok.png", _pixels(4, 8, 3, 0))
  _write(tmp_path / "train" / "odd.png", _pixels(4, 9, 3, 0))
  with pytest.raises(ValueError, match=r"odd.png: 9 pixels wide, an odd width; .*A in its left half"):
    folders.read_paired_folder(tmp_path, "train")


def test_name_matched_pairs(tmp_path):
  for seed, stem in enumerate(["b", "a"]):
    _write(tmp_path / "A" / "train" / f"{stem}.png", _pixels(6, 6, 1, seed))
    _write(tmp_path / "B" / "train" / f"{stem}.jpg", _pixels(6, 6, 3, seed))  # extensions may differ
  folders.check_paired_folder(tmp_path, "train")
  dataset = paired.load_paired(str(tmp_path), "train")
  assert dataset.names == ("a.png", "b.png")
  assert dataset.a.shape == (2, 6, 6, 1) and dataset.b.shape == (2, 6, 6, 3)
  np.testing.assert_array_equal(dataset.a[0, ..., 0], _pixels(6, 6, 1, 1))


def test_name_matched_pairs_mismatch_lists_the_unmatched_names(tmp_path):
  for stem in ["a", "b", "only_a"]:
    _write(tmp_path / "A" / "train" / f"{stem}.png", _pixels(4, 4, 1, 0))
  for stem in ["a", "b", "only_b1", "only_b2"]:
    _write(tmp_path / "B" / "train" / f"{stem}.png", _pixels(4, 4, 1, 0))
  with pytest.raises(ValueError, match=r"do not match by name .*1 only in .*A/train: \['only_a.png'\]; 2 only in "
                                       r".*B/train: \['only_b1.png', 'only_b2.png'\]"):
    folders.check_paired_folder(tmp_path)


def test_name_matched_pairs_split_missing_on_one_side(tmp_path):
  _write(tmp_path / "A" / "train" / "a.png", _pixels(4, 4, 1, 0))
  _write(tmp_path / "B" / "train" / "a.png", _pixels(4, 4, 1, 0))
  _write(tmp_path / "A" / "test" / "a.png", _pixels(4, 4, 1, 0))
  with pytest.raises(ValueError, match=rf"{tmp_path / 'A' / 'test'} has no counterpart under {tmp_path / 'B'}/"):
    folders.check_paired_folder(tmp_path)


def test_name_matched_pair_with_an_unreadable_side_is_skipped_whole(tmp_path):
  for seed, stem in enumerate(["a", "b", "c"]):
    _write(tmp_path / "A" / "train" / f"{stem}.png", _pixels(16, 16, 3, seed))
    _write(tmp_path / "B" / "train" / f"{stem}.png", _pixels(16, 16, 3, seed + 10))
  _truncate(tmp_path / "B" / "train" / "b.png")
  with pytest.raises(ValueError, match=r"B/train/b.png: not a readable image"):
    folders.read_paired_folder(tmp_path, "train")
  dataset = folders.read_paired_folder(tmp_path, "train", skip_bad_images=True)
  assert dataset.names == ("a.png", "c.png") and dataset.skipped == 1
  np.testing.assert_array_equal(dataset.b[1], _pixels(16, 16, 3, 12))


def test_paired_folder_errors(tmp_path):
  with pytest.raises(ValueError, match=f"paired dataset folder '{tmp_path / 'missing'}': no such folder"):
    folders.check_paired_folder(tmp_path / "missing")
  (tmp_path / "nothing").mkdir()
  with pytest.raises(ValueError, match=r"nothing': no split folder found; expected train/, val/ or validation/"):
    folders.check_paired_folder(tmp_path / "nothing")
  (tmp_path / "empty" / "train").mkdir(parents=True)
  with pytest.raises(ValueError, match=rf"{tmp_path / 'empty' / 'train'}: no image files \(accepted"):
    folders.read_paired_folder(tmp_path / "empty", "train")


# CycleGAN's domains.


def _cyclegan_folder(root: pathlib.Path, splits=("train", "test")) -> None:
  for split in splits:
    for side, channels in (("A", 3), ("B", 1)):
      for i in range(2 if side == "A" else 3):
        _write(root / f"{split}{side}" / f"{i}.png", _pixels(6, 6, channels, i))


def test_unpaired_folder(tmp_path):
  _cyclegan_folder(tmp_path)
  folders.check_unpaired_folder(tmp_path)
  dataset = paired.load_unpaired(str(tmp_path), "train")
  assert dataset.a.shape == (2, 6, 6, 3) and dataset.b.shape == (3, 6, 6, 1) and dataset.skipped == 0
  np.testing.assert_array_equal(dataset.b[2, ..., 0], _pixels(6, 6, 1, 2))
  assert folders.read_unpaired_folder(tmp_path, "test", image_size=4).a.shape == (2, 4, 4, 3)
  with pytest.raises(ValueError, match=rf"{tmp_path}: no valA/ and valB/ for split 'validation'.*"
                                       r"splits present: \['train', 'test'\]"):
    folders.read_unpaired_folder(tmp_path, "validation")
  _cyclegan_folder(tmp_path, ("val",))
  assert len(folders.read_unpaired_folder(tmp_path, "validation").b) == 3


def test_unpaired_folder_errors(tmp_path):
  with pytest.raises(ValueError, match=f"unpaired dataset folder '{tmp_path / 'missing'}': no such folder"):
    folders.check_unpaired_folder(tmp_path / "missing")
  _write(tmp_path / "trainA" / "0.png", _pixels(4, 4, 3, 0))
  with pytest.raises(ValueError, match=r"trainA/ has no counterpart trainB/"):
    folders.check_unpaired_folder(tmp_path)
  (tmp_path / "trainB").mkdir()
  with pytest.raises(ValueError, match=rf"{tmp_path / 'trainB'}: no image files \(accepted"):
    folders.check_unpaired_folder(tmp_path)
  _write(tmp_path / "trainB" / "0.png", _pixels(4, 4, 3, 0))
  _truncate(tmp_path / "trainB" / "0.png")
  with pytest.raises(ValueError, match=rf"{tmp_path / 'trainB'}: none of its 1 image files is readable"):
    folders.read_unpaired_folder(tmp_path, "train", skip_bad_images=True)


def test_check_functions_decode_nothing(tmp_path, monkeypatch):
  _cyclegan_folder(tmp_path / "cyclegan")
  _write(tmp_path / "pairs" / "train" / "0.png", _pixels(4, 8, 3, 0))
  _write(tmp_path / "set" / "0.png", _pixels(4, 8, 3, 0))

  def no_decoding(*args, **kwargs):
    raise AssertionError("a check decoded an image")

  monkeypatch.setattr(PIL.Image, "open", no_decoding)
  folders.check_unpaired_folder(tmp_path / "cyclegan", "train")
  folders.check_paired_folder(tmp_path / "pairs", "train")
  folders.check_image_folder(tmp_path / "set")


# A TFDS name that cannot be downloaded from here is refused at once.


@pytest.fixture
def no_downloads(monkeypatch):
  """TFDS's downloader (requests) fails at once, naming itself, instead of reaching the network."""
  pytest.importorskip("tensorflow_datasets")
  import requests

  def get(*args, **kwargs):
    raise RuntimeError("download attempted")

  monkeypatch.setattr(requests.Session, "get", get)


def test_tfds_name_refused_fast_when_its_hosts_are_unreachable(tmp_path, monkeypatch, no_downloads):
  asked = []
  monkeypatch.setattr(data, "_reachable", lambda addresses, *args: asked.append(addresses) or False)
  start = time.monotonic()
  with pytest.raises(ValueError, match=r"'mnist' is not prepared under .* \(ConnectionError: no network here: "
                                       r".*:443 accepted no connection within 2 s\).*pip install -e '\.\[prepare\]'"
                                       r".*tfds build mnist --file_format=array_record --data_dir DIR"):
    data.load("mnist", data_dir=str(tmp_path))
  assert time.monotonic() - start < 10
  assert asked and all(port == 443 for _, port in asked[0])  # the hosts of mnist's own URLs


def test_tfds_download_goes_ahead_when_its_hosts_are_reachable(tmp_path, monkeypatch, no_downloads):
  monkeypatch.setattr(data, "_reachable", lambda *args: True)
  with pytest.raises(ValueError, match=r"'mnist' is not prepared .*download attempted"):
    data.load("mnist", data_dir=str(tmp_path))


def test_tfds_download_goes_ahead_offline_when_files_were_downloaded_before(tmp_path, monkeypatch, no_downloads):
  """TFDS prepares from files already in its download folder without the network; a failed try's empty temporary
  folders do not count."""
  monkeypatch.setattr(data, "_reachable", lambda *args: False)
  (tmp_path / "downloads" / "mnist" / "train-images.gz.tmp.0123abcd").mkdir(parents=True)
  with pytest.raises(ValueError, match=r"\(ConnectionError: no network here"):
    data.load("mnist", data_dir=str(tmp_path))
  (tmp_path / "downloads" / "mnist" / "train-images.gz").write_bytes(b"downloaded")
  with pytest.raises(ValueError, match=r"'mnist' is not prepared .*download attempted"):
    data.load("mnist", data_dir=str(tmp_path))
