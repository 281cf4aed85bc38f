"""The offline data sets built from registry packages (uci_digits, photos, mnist_m, moving_digits, Tang poems), their
fixed splits, and the paired / unpaired tasks made from them. The Tang poems are not shipped (GPL-3.0+ in Debian):
their tests build a small fortune file of their own in `tang300`'s format instead of Debian's package."""

import gzip
import pathlib

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


# Six public-domain Tang quatrains, in the layout of fortunes-zh's `tang300`: '%' lines between entries (and at the
# end), an ANSI-coloured title line 《...》 and author line 作者：..., then the poem's lines.
_QUATRAINS = [("静夜思", "李白", ["床前明月光，疑是地上霜。", "举头望明月，低头思故乡。"]),
              ("登鹳雀楼", "王之涣", ["白日依山尽，黄河入海流。", "欲穷千里目，更上一层楼。"]),
              ("春晓", "孟浩然", ["春眠不觉晓，处处闻啼鸟。", "夜来风雨声，花落知多少。"]),
              ("相思", "王维", ["红豆生南国，春来发几枝。", "愿君多采撷，此物最相思。"]),
              ("鹿柴", "王维", ["空山不见人，但闻人语响。", "返景入深林，复照青苔上。"]),
              ("江雪", "柳宗元", ["千山鸟飞绝，万径人踪灭。", "孤舟蓑笠翁，独钓寒江雪。"])]


def _fortune_file(quatrains) -> str:
  return "".join(f"\x1b[32m《{title}》\x1b[m\n\x1b[33m作者：{author}\x1b[m\n" + "".join(f"{line}\n" for line in lines)
                 + "%\n" for title, author, lines in quatrains)


@pytest.fixture
def tang_package(tmp_path) -> pathlib.Path:
  """A stand-in for `dpkg -x fortunes-zh_2.98_all.deb DIR`: the three files the builder reads, written here."""
  from jgan.data import build_tang_poems
  package = tmp_path / "fortunes-zh"
  for path in (build_tang_poems.FORTUNE, build_tang_poems.COPYRIGHT, build_tang_poems.CHANGELOG):
    (package / path).parent.mkdir(parents=True, exist_ok=True)
  (package / build_tang_poems.FORTUNE).write_text(_fortune_file(_QUATRAINS), encoding="utf-8")
  (package / build_tang_poems.COPYRIGHT).write_text("Files: *\nLicense: GPL-3.0+\n", encoding="utf-8")
  with gzip.open(package / build_tang_poems.CHANGELOG, "wt", encoding="utf-8") as f:
    f.write("fortune-zh (2.98) unstable; urgency=medium\n")
  return package


@pytest.fixture
def tang_built(tang_package, tmp_path, monkeypatch) -> pathlib.Path:
  """The builder's command run on `tang_package`, writing into a fresh $JGAN_DATA_DIR; the file's path."""
  from jgan.data import build_tang_poems
  monkeypatch.setenv("JGAN_DATA_DIR", str(tmp_path / "data"))
  build_tang_poems.main(["--package-dir", str(tang_package)])
  path = tmp_path / "data" / "tang_poems.json.gz"
  assert text.tang_poems_path() == path and path.is_file()
  return path


def test_built_tang_poems_provenance_tokens_and_vocabulary(tang_built):
  poems = text.tang_poems()
  assert poems == ["\n".join(lines) for _, _, lines in _QUATRAINS]  # the file's order, title and author dropped
  assert text.tang_source() == {"package": "fortunes-zh", "version": "2.98", "licence": "GPL-3.0+",
                                "file": "usr/share/games/fortunes/tang300", "poems": 6}
  tokens = [text.tokenize(poem) for poem in poems]
  assert tokens[0][:6] == list("床前明月光，") and tokens[0][12] == "\n" and len(tokens[0]) == 25
  vocab = text.Vocabulary.build(tokens)
  assert vocab.tokens[:3] == text.RESERVED and vocab.tokens[3:6] == ("，", "。", "\n")  # 12, 12 and 6 of them
  assert len(vocab) == 3 + len(set("".join(poems)))
  ids = vocab.encode_all(tokens)
  assert ids.shape == (6, 26) and np.all(ids[:, -1] == text.END_ID)
  assert [text.detokenize(vocab.decode(row)) for row in ids] == poems


def test_built_tang_poems_split_by_poem(tang_built):
  poems = text.tang_poems()
  parts = {split: text.tang_poem_split(split) for split in SPLITS}
  assert [len(parts[s]) for s in SPLITS] == [4, 1, 1]  # round(0.6) = 1 poem each for validation and test
  assert sorted(p for s in SPLITS for p in parts[s]) == sorted(poems)  # disjoint, all
  for split in SPLITS:
    assert parts[split] == [poems[i] for i in text.split_by_item(6, split)]
  # fortunes-zh 2.98's 313 poems split 251 / 31 / 31 (the split depends only on the count)
  full = {split: text.split_by_item(313, split) for split in SPLITS}
  assert [len(full[s]) for s in SPLITS] == [251, 31, 31]
  np.testing.assert_array_equal(np.sort(np.concatenate(list(full.values()))), np.arange(313))


def test_tang_poems_not_built_says_how_to_build_them(tang_built, tmp_path, monkeypatch):
  assert len(text.tang_poems()) == 6
  monkeypatch.setenv("JGAN_DATA_DIR", str(tmp_path / "elsewhere"))  # read afresh, not from the cache
  commands = (r"`apt-get download fortunes-zh && dpkg -x fortunes-zh_\*\.deb DIR`, then "
              r"`python -m jgan\.data\.build_tang_poems --package-dir DIR`")
  with pytest.raises(ValueError, match=rf"elsewhere/tang_poems\.json\.gz.*GPL-3\.0\+.*{commands}"):
    text.tang_poems()
  with pytest.raises(ValueError, match="not built"):
    text.tang_source()
  monkeypatch.delenv("JGAN_DATA_DIR")
  monkeypatch.setenv("HOME", str(tmp_path / "home"))
  assert text.tang_poems_path() == tmp_path / "home" / ".cache" / "jgan" / "data" / "tang_poems.json.gz"


def test_rebuilt_tang_poems_are_read_afresh(tang_built, tang_package):
  from jgan.data import build_tang_poems
  assert len(text.tang_poems()) == 6
  (tang_package / build_tang_poems.FORTUNE).write_text(_fortune_file(_QUATRAINS[:2]), encoding="utf-8")
  build_tang_poems.build(tang_package)
  assert len(text.tang_poems()) == 2 and text.tang_source()["poems"] == 2


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
