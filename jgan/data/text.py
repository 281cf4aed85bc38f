"""Text for sequence GANs: the Tang poems (built locally), token vocabularies, and a reader for any UTF-8 text file.

`tang_poems()`: the poems of the "Three Hundred Tang Poems" as Debian's `fortunes-zh` carries them (313 in version
2.98), read from `tang_poems.json.gz` in the user's data directory (`$JGAN_DATA_DIR`, else `~/.cache/jgan/data/`).
jgan does not ship that file: the poems are centuries old, but Debian distributes the compilation under GPL-3.0+
(the package's copyright file), and jgan is Apache-2.0. Build it once with `python -m jgan.data.build_tang_poems`
(`TANG_BUILD_COMMANDS`), which records the package's version and licence in it. The fixed split is by poem, seeded:
'train' 80%, 'validation' 10%, 'test' 10% (`tang_poem_split`). Poems are tokenized by character, the usual unit for
classical Chinese (SeqGAN's and LeakGAN's poem experiments).

A `Vocabulary` maps tokens to ids with three reserved ids: 0 pad, 1 unknown (a token not in the vocabulary), 2 end
of sequence. `encode` writes a sequence's ids, then the end id, then pads to a fixed length.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import gzip
import json
import os
import pathlib
from collections.abc import Iterable, Sequence

import numpy as np

from jgan.data.paired import SPLITS

DATA_DIR_ENV = "JGAN_DATA_DIR"
TANG_POEMS_FILE = "tang_poems.json.gz"
TANG_BUILD_COMMANDS = ("apt-get download fortunes-zh && dpkg -x fortunes-zh_*.deb DIR",
                       "python -m jgan.data.build_tang_poems --package-dir DIR")
PAD, UNKNOWN, END = "<pad>", "<unk>", "<end>"
RESERVED = (PAD, UNKNOWN, END)  # their ids: 0, 1, 2
PAD_ID, UNKNOWN_ID, END_ID = 0, 1, 2
POEM_SPLIT_SEED = 0
POEM_SPLIT_FRACTIONS = {"validation": 0.1, "test": 0.1}  # train: the rest
UNITS = ("char", "word")


def tokenize(text: str, unit: str = "char") -> list[str]:
  """`text`'s characters (line breaks kept, as tokens) or its whitespace-separated words."""
  if unit not in UNITS:
    raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
  return list(text) if unit == "char" else text.split()


def detokenize(tokens: Iterable[str], unit: str = "char") -> str:
  """The inverse of `tokenize` (for words: up to the kind and number of whitespace between them)."""
  return ("" if unit == "char" else " ").join(tokens)


@dataclasses.dataclass(frozen=True)
class Vocabulary:
  """`tokens[i]` is the token of id i; the first three are `RESERVED`."""

  tokens: tuple[str, ...]

  @classmethod
  def build(cls, sequences: Iterable[Sequence[str]], *, min_count: int = 1) -> Vocabulary:
    """The tokens seen at least `min_count` times, most frequent first (ties in order of first appearance)."""
    counts = collections.Counter(token for sequence in sequences for token in sequence)
    kept = [token for token, count in counts.most_common() if count >= min_count and token not in RESERVED]
    return cls(tokens=RESERVED + tuple(kept))

  @functools.cached_property
  def index(self) -> dict[str, int]:
    return {token: i for i, token in enumerate(self.tokens)}

  def __len__(self) -> int:
    return len(self.tokens)

  def encode(self, tokens: Sequence[str], length: int | None = None) -> np.ndarray:
    """int32 ids of `tokens` then END, padded with PAD to `length` (None: no padding). Longer sequences raise."""
    ids = [self.index.get(token, UNKNOWN_ID) for token in tokens] + [END_ID]
    if length is not None:
      if len(ids) > length:
        raise ValueError(f"sequence of {len(tokens)} tokens plus END does not fit length {length}")
      ids += [PAD_ID] * (length - len(ids))
    return np.asarray(ids, np.int32)

  def encode_all(self, sequences: Sequence[Sequence[str]], length: int | None = None) -> np.ndarray:
    """(N, length) int32 ids (`length` None: the longest sequence plus END)."""
    length = max(len(s) for s in sequences) + 1 if length is None else length
    return np.stack([self.encode(s, length) for s in sequences])

  def decode(self, ids: Iterable[int]) -> list[str]:
    """The tokens of `ids` up to the first END, PAD dropped (UNKNOWN kept as '<unk>')."""
    tokens = []
    for i in ids:
      if i == END_ID:
        break
      if i != PAD_ID:
        tokens.append(self.tokens[i])
    return tokens


def user_data_dir() -> pathlib.Path:
  """`$JGAN_DATA_DIR` when set, else `~/.cache/jgan/data`: where data jgan cannot ship is built (read at each call,
  so that a changed variable takes effect)."""
  if os.environ.get(DATA_DIR_ENV):
    return pathlib.Path(os.environ[DATA_DIR_ENV]).expanduser()
  return pathlib.Path.home() / ".cache" / "jgan" / "data"


def tang_poems_path() -> pathlib.Path:
  """Where `build_tang_poems` writes the poems and `tang_poems()` reads them."""
  return user_data_dir() / TANG_POEMS_FILE


def _read_tang() -> tuple[dict, tuple[str, ...]]:
  path = tang_poems_path()
  try:
    stat = path.stat()
  except FileNotFoundError:
    raise ValueError(
        f"the Tang poems are not built: no {path}. jgan does not ship them, as Debian distributes the compilation "
        "(fortunes-zh's tang300) under GPL-3.0+ (the package's copyright file) and jgan is Apache-2.0; build them "
        f"once from the Debian package (Debian or Ubuntu, any architecture; DIR any new folder): "
        f"`{TANG_BUILD_COMMANDS[0]}`, then `{TANG_BUILD_COMMANDS[1]}`, which writes {TANG_POEMS_FILE} into "
        f"${DATA_DIR_ENV}, else ~/.cache/jgan/data") from None
  return _read_tang_file(str(path), stat.st_mtime_ns, stat.st_size)


@functools.cache
def _read_tang_file(path: str, mtime_ns: int, size: int) -> tuple[dict, tuple[str, ...]]:
  # Cached per path and version of the file: a rebuilt file, or another $JGAN_DATA_DIR, is read afresh.
  del mtime_ns, size
  with gzip.open(path, "rt", encoding="utf-8") as f:
    record = json.load(f)
  return record["source"], tuple(poem["body"] for poem in record["poems"])


def tang_poems() -> list[str]:
  """The bodies of the Tang poems built by `build_tang_poems` (lines joined by '\\n'), in the package's order: 313
  from fortunes-zh 2.98. Raises ValueError saying how to build them when they are not built."""
  return list(_read_tang()[1])


def tang_source() -> dict:
  """Provenance of the built poems: Debian package, version, licence, file, count."""
  return dict(_read_tang()[0])


def split_by_item(num_items: int, split: str, *, seed: int = POEM_SPLIT_SEED,
                  fractions: dict[str, float] | None = None) -> np.ndarray:
  """Sorted indices of `split` in a seeded split of `num_items` items: `fractions` of them (rounded) for
  'validation' and 'test', the rest for 'train'."""
  if split not in SPLITS:
    raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
  fractions = POEM_SPLIT_FRACTIONS if fractions is None else fractions
  order = np.random.default_rng(seed).permutation(num_items)
  bounds, start = {}, 0
  for name in ("validation", "test"):
    size = round(fractions[name] * num_items)
    bounds[name] = (start, start + size)
    start += size
  bounds["train"] = (start, num_items)
  low, high = bounds[split]
  return np.sort(order[low:high])


def tang_poem_split(split: str) -> list[str]:
  """The poems of `split` (of fortunes-zh 2.98's 313: 'train' 251, 'validation' 31, 'test' 31), by poem, never
  by line."""
  poems = tang_poems()
  return [poems[i] for i in split_by_item(len(poems), split)]


def tang_poem_lines(split: str) -> list[str]:
  """The lines of the poems of `split` (each a couplet, e.g. 12 characters with punctuation for five-character
  verse): SeqGAN's sequences, split by poem so that no poem has lines on both sides."""
  return [line for poem in tang_poem_split(split) for line in poem.split("\n") if line]


def read_text(path: str | pathlib.Path, unit: str = "char") -> list[list[str]]:
  """The tokens of each non-empty line of a UTF-8 text file (`unit` 'char' or 'word').

  Raises ValueError naming the file when it is not UTF-8 (or holds no token).
  """
  path = pathlib.Path(path)
  try:
    text = path.read_text(encoding="utf-8")
  except UnicodeDecodeError as error:
    raise ValueError(f"{path}: not UTF-8 text (byte {error.start} cannot be decoded: {error.reason}); convert it "
                     "first, e.g. `iconv -f GB18030 -t UTF-8`") from error
  lines = [tokenize(line, unit) for line in text.splitlines()]
  lines = [line for line in lines if line]
  if not lines:
    raise ValueError(f"{path}: no text")
  return lines
