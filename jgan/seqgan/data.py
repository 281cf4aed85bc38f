"""SeqGAN's sequences: the synthetic oracle's (Yu et al. 2017, Sec. 5) and text (`jgan.data.text`).

The oracle is an LSTM like the generator with every parameter drawn from N(0, 1) ("initialized by the normal
distribution N(0, 1)", Sec. 5.1), built from `oracle_seed`; its training data are `num_sequences` samples of it, and
its 'validation' and 'test' splits are 1,000 more samples each from other keys. Text: the lines of the Tang poems
(`jgan.data.text.tang_poem_lines`; the paper's poems were quatrains, ours are the poems' couplet lines, split by
poem), or the non-empty lines of a UTF-8 file split by line, 80/10/10, seeded; lines longer than `seq_len - 1`
tokens are cut (each sequence ends with <end> then pads to `seq_len`). The vocabulary comes from the training split.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import numpy as np

from jgan.data import text
from jgan.seqgan import nets
from jgan.seqgan.config import SeqGANConfig

ORACLE_HELD_OUT = 1000  # oracle samples in each of 'validation' and 'test'
_SPLIT_STREAM = {"train": 1, "validation": 2, "test": 3}


@functools.lru_cache(maxsize=4)
def oracle_params(oracle_seed: int, vocab_size: int, embedding_dim: int, hidden_dim: int) -> dict[str, jax.Array]:
  """The oracle's parameters: `nets.LSTMPolicy` with N(0, 1) initialization from `oracle_seed`."""
  module = nets.LSTMPolicy(vocab_size, embedding_dim, hidden_dim, init_std=1.0)
  return module.init(jax.random.PRNGKey(oracle_seed), np.zeros((1, 2), np.int32))["params"]


def oracle_for(config: SeqGANConfig) -> dict[str, jax.Array]:
  return oracle_params(config.oracle_seed, config.vocab_size, config.embedding_dim, config.hidden_dim)


@functools.partial(jax.jit, static_argnames=("count", "length", "chunk"))
def sample_many(params: dict, key: jax.Array, count: int, length: int, chunk: int = 2000) -> jax.Array:
  """`count` sequences of the LSTM, drawn `chunk` at a time (bounded memory at V = 5000)."""
  chunks = -(-count // chunk)
  out = jax.lax.map(lambda k: nets.sample(params, k, chunk, length), jax.random.split(key, chunks))
  return out.reshape(-1, length)[:count]


def oracle_split(config: SeqGANConfig, split: str) -> np.ndarray:
  """The oracle's sequences of `split` (N, L) int32: `num_sequences` for 'train', 1,000 for the others."""
  count = config.num_sequences if split == "train" else ORACLE_HELD_OUT
  key = jax.random.fold_in(jax.random.PRNGKey(config.oracle_seed), _SPLIT_STREAM[split])
  return np.asarray(sample_many(oracle_for(config), key, count, config.seq_len))


@dataclasses.dataclass(frozen=True)
class TextSplit:
  """A text split: its sequences as tokens (cut to seq_len - 1) and encoded (N, seq_len)."""

  tokens: list[list[str]]
  ids: np.ndarray
  cut: int  # sequences that were longer than seq_len - 1 tokens


def text_sequences(config: SeqGANConfig, split: str) -> list[list[str]]:
  """The token sequences of `split` of the configured text."""
  if config.dataset == "tang_poems":
    return [text.tokenize(line, config.token_unit) for line in text.tang_poem_lines(split)]
  lines = text.read_text(config.dataset, config.token_unit)
  return [lines[i] for i in text.split_by_item(len(lines), split)]


def vocabulary(config: SeqGANConfig) -> text.Vocabulary:
  return text.Vocabulary.build(text_sequences(config, "train"), min_count=config.min_count)


def text_split(config: SeqGANConfig, split: str, vocab: text.Vocabulary) -> TextSplit:
  sequences = text_sequences(config, split)
  if not sequences:
    raise ValueError(f"dataset {config.dataset!r} has no sequences in its {split!r} split")
  keep = config.seq_len - 1
  cut = sum(len(s) > keep for s in sequences)
  sequences = [s[:keep] for s in sequences]
  return TextSplit(tokens=sequences, ids=vocab.encode_all(sequences, config.seq_len), cut=cut)
