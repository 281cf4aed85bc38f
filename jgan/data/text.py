"""Text for sequence GANs: the shipped Tang poems, token vocabularies, and a reader for any UTF-8 text file.

`tang_poems()`: the 313 poems of the "Three Hundred Tang Poems" as Debian's `fortunes-zh` 2.98 carries them
(`tang_poems.json.gz`, rebuilt by `python -m jgan.data.build_tang_poems`; the package's licence, GPL-3.0+, is recorded
in the file). Their fixed split is by poem, seeded: 'train' 80%, 'validation' 10%, 'test' 10% (`tang_poem_split`).
Poems are tokenized by character, the usual unit for classical Chinese (SeqGAN's and LeakGAN's poem experiments).

A `Vocabulary` maps tokens to ids with three reserved ids: 0 pad, 1 unknown (a token not in the vocabulary), 2 end
of sequence. `encode` writes a sequence's ids, then the end id, then pads to a fixed length.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import gzip
import json
import pathlib
from collections.abc import Iterable, Sequence

import numpy as np

from jgan.data.paired import SPLITS

TANG_POEMS = pathlib.Path(__file__).with_name("tang_poems.json.gz")
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


@functools.cache
def _read_tang() -> tuple[dict, tuple[str, ...]]:
  with gzip.open(TANG_POEMS, "rt", encoding="utf-8") as f:
    record = json.load(f)
  return record["source"], tuple(poem["body"] for poem in record["poems"])


def tang_poems() -> list[str]:
  """The bodies of the 313 shipped Tang poems (lines joined by '\\n'), in the package's order."""
  return list(_read_tang()[1])


def tang_source() -> dict:
  """Provenance of the shipped poems: Debian package, version, licence, file, count."""
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
  """The poems of `split` ('train' 251, 'validation' 31, 'test' 31), by poem, never by line."""
  poems = tang_poems()
  return [poems[i] for i in split_by_item(len(poems), split)]


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
