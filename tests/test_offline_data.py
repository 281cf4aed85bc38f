"""The offline data sets built from registry packages (uci_digits, photos, mnist_m, moving_digits, Tang poems), their
fixed splits, and the paired / unpaired tasks made from them."""

import numpy as np
import pytest

from jgan import data
from jgan.data import mnist_m, moving_digits, offline, photos, splits, tasks, text
from jgan.data.paired import SPLITS


def _splits_of(name: str) -> dict[str, np.ndarray]:
  return {split: splits.split_indices(name, split) for split in SPLITS}


# --- splits ---

@pytest.mark.parametrize("name, total, sizes", [("digits", 10000, (8000, 1000, 1000)),
                                                ("mnist_m", 10000, (8000, 1000, 1000)),
                                                ("uci_digits", 1797, (1197, 300, 300))])
def test_splits_are_disjoint_cover_the_set_and_have_the_stated_sizes(name, total, sizes):
  parts = _splits_of(name)
  assert tuple(len(parts[s]) for s in SPLITS) == sizes
  for split, index in parts.items():
    assert index.dtype == np.int64 and np.all(np.diff(index) > 0), split  # sorted, no repeat
  np.testing.assert_array_equal(np.sort(np.concatenate(list(parts.values()))), np.arange(total))  # disjoint, all
  assert not np.intersect1d(parts["train"], parts["test"]).size


def test_digit_train_split_is_the_classifiers_training_set():
  from jgan.eval.classifier import heldout_split
  train, heldout = heldout_split(10000)
  np.testing.assert_array_equal(splits.split_indices("digits", "train"), train)
  np.testing.assert_array_equal(np.union1d(splits.split_indices("digits", "validation"),
                                           splits.split_indices("digits", "test")), heldout)


def test_uci_split_is_stratified():
  labels = data.load("uci_digits").labels
  counts = np.bincount(labels, minlength=10)
  for split in ("validation", "test"):
    in_split = np.bincount(labels[splits.split_indices("uci_digits", split)], minlength=10)
    assert np.all(np.abs(in_split - counts * 300 / 1797) <= 1), (split, in_split)


def test_stratified_split_on_a_hand_case():
  labels = np.array([0] * 6 + [1] * 4)
  parts = splits.stratified_split(labels, {"validation": 5}, seed=3)
  assert np.bincount(labels[parts["validation"]]).tolist() == [3, 2]  # half of each class
  np.testing.assert_array_equal(np.sort(np.concatenate([parts["train"], parts["validation"]])), np.arange(10))


def test_load_split_selects_the_split_indices():
  full = data.load("uci_digits")
  part = splits.load_split("uci_digits", "validation")
  index = splits.split_indices("uci_digits", "validation")
  np.testing.assert_array_equal(part.images, full.images[index])
  np.testing.assert_array_equal(part.labels, full.labels[index])
  with pytest.raises(ValueError, match="split must be one of"):
    splits.split_indices("digits", "dev")
  with pytest.raises(ValueError, match="no fixed split"):
    splits.split_indices("ring8", "train")


# --- names ---

def test_names_are_registered_and_clips_are_refused_as_images():
  for name in offline.IMAGE_SETS:
    data.check_name(name)
  with pytest.raises(ValueError, match=r"clips.*moving_digits\.moving_digits\("):
    data.check_name("moving_digits")
  with pytest.raises(ValueError, match="clips"):
    data.load("moving_digits")


# --- uci_digits ---

def test_uci_digits_are_8x8_uint8_scaled_from_0_16():
  from sklearn.datasets import load_digits
  dataset = data.load("uci_digits")
  assert dataset.images.shape == (1797, 8, 8, 1) and dataset.images.dtype == np.uint8
  assert dataset.labels.dtype == np.int32 and set(np.unique(dataset.labels)) == set(range(10))
  counts = load_digits().images
  np.testing.assert_array_equal(dataset.images[..., 0], np.round(counts * 255 / 16).astype(np.uint8))
  assert dataset.images.max() == 255 and dataset.images.min() == 0


# --- photos ---

def test_photos_are_split_by_photo_and_load_whole():
  names = {split: photos.photo_names(split) for split in SPLITS}
  assert all(names.values())
  every = [n for split in SPLITS for n in names[split]]
  assert len(every) == len(set(every)) == len(photos.PHOTOS)  # each photo in exactly one split
  for name, image in photos.load_photos("test"):
    assert name in names["test"] and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3


def test_photo_crops_are_fixed_and_sized():
  crops = data.load("photos", split="validation")
  assert crops.images.shape == (1000, 64, 64, 3) and crops.images.dtype == np.uint8 and crops.labels is None
  np.testing.assert_array_equal(photos.load_crops("validation", 50), crops.images[:50])  # a prefix: same stream
  assert not np.array_equal(photos.load_crops("validation", 50, seed=1), crops.images[:50])
  assert np.array_equal(splits.load_split("photos", "validation").images, crops.images)


@pytest.fixture
def marked_photos(monkeypatch):
  """Photos replaced by flat images whose value says their split (train 10, validation 100, test 200)."""
  value = {"train": 10, "validation": 100, "test": 200}
  by_name = {photo.name: photo for photo in photos.PHOTOS}
  monkeypatch.setattr(photos, "_read", lambda name: np.full((70, 90, 3), value[by_name[name].split], np.uint8))
  return value


def test_crops_come_only_from_their_splits_photos(marked_photos):
  for split in SPLITS:
    assert set(np.unique(photos.load_crops(split, 200))) == {marked_photos[split]}, split


# --- mnist_m ---

def test_blend_is_the_absolute_difference_per_channel():
  digit = np.array([[0, 255], [128, 10]], np.uint8).reshape(1, 2, 2, 1)
  patch = np.array([[[10, 20, 30], [0, 255, 100]], [[128, 200, 0], [5, 10, 250]]], np.uint8)[None]
  expected = np.array([[[10, 20, 30], [255, 0, 155]], [[0, 72, 128], [5, 0, 240]]], np.uint8)[None]
  np.testing.assert_array_equal(mnist_m.blend(digit, patch), expected)


@pytest.fixture(scope="module")
def coloured() -> data.ImageDataset:
  return data.load("mnist_m")


def test_mnist_m_shapes_labels_and_recipe(coloured):
  digits = data.load("digits", image_size=32)
  assert coloured.images.shape == (10000, 32, 32, 3) and coloured.images.dtype == np.uint8
  np.testing.assert_array_equal(coloured.labels, digits.labels)  # image i is digit i, with its label
  # The top two rows are padding (digit 0), where |photo - 0| shows the photo crop itself: textured, not flat.
  background = coloured.images[:, :2]
  assert background.std() > 20
  np.testing.assert_array_equal(mnist_m.load_mnist_m()[0][:100], coloured.images[:100])  # deterministic


def test_mnist_m_splits_use_only_their_photos(marked_photos):
  images, _ = mnist_m.load_mnist_m()
  digits = data.load("digits", image_size=32).images
  for split in SPLITS:
    index = splits.split_indices("mnist_m", split)
    background = digits[index, ..., 0] == 0
    assert set(np.unique(images[index][background])) == {marked_photos[split]}, split


# --- moving digits ---

def test_moving_digits_are_deterministic_and_shaped():
  clips = moving_digits.moving_digits(6, 5, seed=7)
  assert clips.shape == (6, 5, 64, 64, 1) and clips.dtype == np.uint8
  np.testing.assert_array_equal(clips, moving_digits.moving_digits(6, 5, seed=7))
  assert not np.array_equal(clips, moving_digits.moving_digits(6, 5, seed=8))
  assert not np.array_equal(clips, moving_digits.moving_digits(6, 5, seed=7, split="test"))
  assert np.all(clips.reshape(6 * 5, -1).max(axis=1) > 200)  # every frame shows digits


def test_bounce_reverses_the_velocity_on_a_hand_case():
  # y starts 0.05 below the bottom border moving down at 1 (x 0.5, still): step 0.1 overshoots to 1.05, which is put
  # back on the border with the velocity reversed; then it moves up 0.1 a frame.
  path = moving_digits.trajectories(np.array([0.95, 0.5]), np.array([1.0, 0.0]), 4, step=0.1)
  np.testing.assert_allclose(path, [[1.0, 0.5], [0.9, 0.5], [0.8, 0.5], [0.7, 0.5]])
  path = moving_digits.trajectories(np.array([0.02, 0.3]), np.array([-0.6, -0.8]), 2, step=0.1)
  np.testing.assert_allclose(path, [[0.0, 0.22], [0.06, 0.14]])  # y bounces off 0, x goes on


def test_digits_stay_inside_the_frame():
  rng = np.random.default_rng(0)
  theta = rng.random(500) * 2 * np.pi
  path = moving_digits.trajectories(rng.random((500, 2)), np.stack([np.sin(theta), np.cos(theta)], -1), 200)
  assert path.min() >= 0.0 and path.max() <= 1.0
  assert path.min() == 0.0 and path.max() == 1.0  # they do reach the borders (and come back)
  corners = (path * (moving_digits.FRAME - moving_digits.DIGIT)).astype(int)
  assert corners.min() >= 0 and corners.max() + moving_digits.DIGIT <= moving_digits.FRAME


# --- text ---

def test_tokenize_round_trip_and_vocabulary():
  poem = "床前明月光，\n疑是地上霜。"
  tokens = text.tokenize(poem)
  assert text.detokenize(tokens) == poem and len(tokens) == len(poem)
  assert text.tokenize("a  b\nc", "word") == ["a", "b", "c"] and text.detokenize(["a", "b"], "word") == "a b"
  vocab = text.Vocabulary.build([tokens, text.tokenize("明月")])
  assert vocab.tokens[:3] == (text.PAD, text.UNKNOWN, text.END) and vocab.tokens[3:5] == ("明", "月")
  assert len(vocab) == 3 + len(set(poem))
  ids = vocab.encode(tokens, length=20)
  assert ids.dtype == np.int32 and ids.shape == (20,)
  assert ids[len(tokens)] == text.END_ID and np.all(ids[len(tokens) + 1:] == text.PAD_ID)
  assert text.detokenize(vocab.decode(ids)) == poem
  assert vocab.encode(["霜", "雪"]).tolist() == [vocab.index["霜"], text.UNKNOWN_ID, text.END_ID]
  assert vocab.encode_all([["明"], ["明", "月"]]).shape == (2, 3)
  with pytest.raises(ValueError, match="does not fit"):
    vocab.encode(tokens, length=5)


def test_tang_poems_provenance_and_split():
  poems = text.tang_poems()
  source = text.tang_source()
  assert len(poems) == source["poems"] == 313
  assert source["package"] == "fortunes-zh" and source["version"] == "2.98" and source["licence"] == "GPL-3.0+"
  assert poems[0].startswith("兰叶春葳蕤，桂华秋皎洁。") and all("\x1b" not in p and "%" not in p for p in poems)
  parts = {split: text.split_by_item(len(poems), split) for split in SPLITS}
  assert [len(parts[s]) for s in SPLITS] == [251, 31, 31]
  np.testing.assert_array_equal(np.sort(np.concatenate(list(parts.values()))), np.arange(313))
  assert text.tang_poem_split("test") == [poems[i] for i in parts["test"]]


def test_parse_fortunes_on_a_hand_file():
  from jgan.data import build_tang_poems
  fortune = ("\x1b[32m《静夜思》\x1b[m\n\x1b[33m作者：李白\x1b[m\n床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n%\n"
             "\x1b[32m《登鹳雀楼》\x1b[m\n\x1b[33m作者：王之涣\x1b[m\n白日依山尽，黄河入海流。\n%\n")
  poems = build_tang_poems.parse_fortunes(fortune)
  assert poems == [{"title": "静夜思", "author": "李白", "body": "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。"},
                   {"title": "登鹳雀楼", "author": "王之涣", "body": "白日依山尽，黄河入海流。"}]


def test_read_text_reads_utf8_and_names_a_file_that_is_not(tmp_path):
  good = tmp_path / "good.txt"
  good.write_text("春眠 不觉晓\n\n处处闻啼鸟\n", encoding="utf-8")
  assert text.read_text(good) == [list("春眠 不觉晓"), list("处处闻啼鸟")]
  assert text.read_text(good, "word") == [["春眠", "不觉晓"], ["处处闻啼鸟"]]
  bad = tmp_path / "gbk.txt"
  bad.write_bytes("春眠不觉晓".encode("gb18030"))
  with pytest.raises(ValueError, match=r"gbk\.txt: not UTF-8"):
    text.read_text(bad)


# --- tasks ---

def test_edges2digits_pairs_edges_with_digits():
  pairs = tasks.PAIRED["edges2digits"]("validation")
  index = splits.split_indices("digits", "validation")
  digits = data.load("digits", image_size=32)
  assert pairs.a.shape == pairs.b.shape == (1000, 32, 32, 1) and pairs.a.dtype == pairs.b.dtype == np.uint8
  np.testing.assert_array_equal(pairs.b, digits.images[index])
  np.testing.assert_array_equal(pairs.labels, digits.labels[index])
  assert set(np.unique(pairs.a)) == {0, 255}
  square = np.zeros((1, 8, 8, 1), np.uint8)
  square[0, 2:6, 2:6] = 255
  edges = tasks.sobel_edges(square)[0, ..., 0] > 0
  assert edges[1:7, 1:7].sum() == edges.sum() > 0 and not edges[3:5, 3:5].any()  # an outline, hollow inside
  alone = tasks.sobel_edges(np.concatenate([np.zeros_like(square), square]))[0]
  assert not alone.any()  # each image filtered alone: a neighbour in the stack leaves no edge


def test_digits2mnist_m_pairs_a_digit_with_its_colouring(coloured):
  pairs = tasks.PAIRED["digits2mnist_m"]("test")
  index = splits.split_indices("digits", "test")
  assert pairs.a.shape == (1000, 32, 32, 1) and pairs.b.shape == (1000, 32, 32, 3)
  np.testing.assert_array_equal(pairs.b, coloured.images[index])
  np.testing.assert_array_equal(pairs.labels, coloured.labels[index])


def test_unpaired_sides_come_from_disjoint_examples(coloured):
  dataset = tasks.unpaired("digits", "mnist_m", "train")
  index = splits.split_indices("digits", "train")
  digits = data.load("digits", image_size=32)
  assert dataset.a.shape == (4000, 32, 32, 1) and dataset.b.shape == (4000, 32, 32, 3)
  np.testing.assert_array_equal(dataset.a, digits.images[index[0::2]])
  np.testing.assert_array_equal(dataset.b, coloured.images[index[1::2]])
  assert not np.intersect1d(index[0::2], index[1::2]).size
  np.testing.assert_array_equal(dataset.labels_b, digits.labels[index[1::2]])
  other = tasks.unpaired("uci_digits", "mnist_m", "test")  # different origins: each side its whole split
  assert other.a.shape == (300, 32, 32, 1) and other.b.shape == (1000, 32, 32, 3)
  tasks.check_unpaired("uci_digits", "digits")
  with pytest.raises(ValueError, match="unpaired domain 'photos'"):
    tasks.check_unpaired("digits", "photos")
