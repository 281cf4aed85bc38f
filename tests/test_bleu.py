"""BLEU (jgan.eval.bleu) against hand-computed values and against NLTK's implementation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jgan.eval import bleu


def test_identical_hypothesis_scores_one():
  refs = [list("abcdef"), list("xyz")]
  assert bleu.corpus_bleu([list("abcdef")], refs, 4) == pytest.approx(1.0)
  assert bleu.mean_sentence_bleu([list("abcdef")], refs, 4) == pytest.approx(1.0)


def test_hand_computed_bleu2():
  # hypothesis "a b a c" vs references "a b c d" and "a a c": unigrams a:2 (max ref count 2), b:1, c:1 -> 4/4;
  # bigrams ab (1), ba (0), ac (1, in "a a c") -> 2/3; hyp length 4, closest reference length 4 (tie-free) -> BP 1.
  refs = [list("abcd"), list("aac")]
  expected = math.exp(0.5 * math.log(4 / 4) + 0.5 * math.log(2 / 3))
  assert bleu.corpus_bleu([list("abac")], refs, 2) == pytest.approx(expected)
  # A short hypothesis "a b" (closest reference length 3): BP exp(1 - 3/2); unigrams 2/2, bigrams 1/1.
  assert bleu.corpus_bleu([list("ab")], refs, 2) == pytest.approx(math.exp(1 - 3 / 2))
  # No bigram match: corpus BLEU 0; method1 smoothing gives 0.1 / 1 for the bigram precision.
  assert bleu.corpus_bleu([list("ca")], refs, 2) == 0.0
  assert bleu.mean_sentence_bleu([list("ca")], refs, 2) == pytest.approx(
      math.exp(1 - 3 / 2) * math.exp(0.5 * math.log(1.0) + 0.5 * math.log(0.1)))


def test_matches_nltk_on_random_corpora():
  nltk_bleu = pytest.importorskip("nltk.translate.bleu_score")
  rng = np.random.default_rng(0)
  alphabet = list("abcdefg")
  refs = [list(rng.choice(alphabet, rng.integers(3, 12))) for _ in range(20)]
  hyps = [list(rng.choice(alphabet, rng.integers(1, 12))) for _ in range(30)]
  for order in (2, 3, 4):
    weights = (1.0 / order,) * order
    expected = nltk_bleu.corpus_bleu([refs] * len(hyps), hyps, weights=weights)
    assert bleu.corpus_bleu(hyps, refs, order) == pytest.approx(expected, rel=1e-9)
    smoothing = nltk_bleu.SmoothingFunction().method1
    expected = np.mean([nltk_bleu.sentence_bleu(refs, h, weights=weights, smoothing_function=smoothing)
                        for h in hyps])
    assert bleu.mean_sentence_bleu(hyps, refs, order) == pytest.approx(expected, rel=1e-9)


def test_bad_input():
  with pytest.raises(ValueError, match="at least one reference"):
    bleu.corpus_bleu([["a"]], [], 2)
  with pytest.raises(ValueError, match="order must be >= 1"):
    bleu.corpus_bleu([["a"]], [["a"]], 0)
