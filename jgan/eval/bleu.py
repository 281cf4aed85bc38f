"""BLEU (Papineni et al. 2002) of generated token sequences against one shared set of references, as sequence GANs
score text (SeqGAN, Yu et al. 2017, Sec. 5.2: "the whole test set as references").

Two forms, each equal to NLTK's (tests/test_bleu.py checks both against nltk 3.10 on random corpora):
  `corpus_bleu`      nltk.translate.bleu_score.corpus_bleu with every hypothesis given all references: clipped n-gram
                     counts summed over hypotheses, one brevity penalty from the summed closest reference lengths.
  `mean_sentence_bleu`  the mean over hypotheses of nltk's sentence_bleu with SmoothingFunction().method1 (epsilon
                     0.1 for a zero count): the form of Texygen, which later sequence-GAN papers report.
NLTK recounts every reference for every hypothesis; here the references' clipping counts (the maximum count of each
n-gram over references) are computed once, which gives the same numbers thousands of times faster.
"""

from __future__ import annotations

import bisect
import collections
import math
from collections.abc import Hashable, Sequence

Tokens = Sequence[Hashable]


def _ngrams(tokens: Tokens, n: int) -> collections.Counter:
  return collections.Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


class References:
  """A reference set prepared once: per order n, each n-gram's largest count in any reference; the lengths."""

  def __init__(self, references: Sequence[Tokens], max_order: int = 4):
    if not references:
      raise ValueError("BLEU needs at least one reference")
    self.max_order = max_order
    self.max_counts = []
    for n in range(1, max_order + 1):
      best: dict = {}
      for ref in references:
        for gram, count in _ngrams(ref, n).items():
          if count > best.get(gram, 0):
            best[gram] = count
      self.max_counts.append(best)
    self.lengths = sorted({len(r) for r in references})

  def closest_length(self, length: int) -> int:
    """The reference length closest to `length`, the shorter on a tie (nltk's closest_ref_length)."""
    i = bisect.bisect_left(self.lengths, length)
    candidates = self.lengths[max(i - 1, 0):i + 1]
    return min(candidates, key=lambda r: (abs(r - length), r))

  def clipped(self, hypothesis: Tokens, n: int) -> tuple[int, int]:
    """(clipped matches, total n-grams) of order n: nltk's modified_precision numerator and denominator."""
    counts = _ngrams(hypothesis, n)
    best = self.max_counts[n - 1]
    return sum(min(c, best.get(g, 0)) for g, c in counts.items()), max(1, sum(counts.values()))


def _weights(order: int) -> tuple[float, ...]:
  if order < 1:
    raise ValueError(f"BLEU order must be >= 1, got {order}")
  return (1.0 / order,) * order


def _brevity(hyp_len: int, ref_len: int) -> float:
  if hyp_len > ref_len:
    return 1.0
  if hyp_len == 0:
    return 0.0
  return math.exp(1 - ref_len / hyp_len)


def corpus_bleu(hypotheses: Sequence[Tokens], references: Sequence[Tokens] | References, order: int = 2) -> float:
  """BLEU-`order` (uniform weights) of `hypotheses`, each against all `references`: nltk's corpus_bleu without
  smoothing (0 when some order has no match)."""
  refs = references if isinstance(references, References) else References(references, order)
  weights = _weights(order)
  matches, totals = [0] * order, [0] * order
  hyp_len = ref_len = 0
  for hyp in hypotheses:
    for n in range(1, order + 1):
      m, t = refs.clipped(hyp, n)
      matches[n - 1] += m
      totals[n - 1] += t
    hyp_len += len(hyp)
    ref_len += refs.closest_length(len(hyp))
  if matches[0] == 0:
    return 0.0
  if any(m == 0 for m in matches):
    return 0.0
  score = math.fsum(w * math.log(m / t) for w, m, t in zip(weights, matches, totals))
  return _brevity(hyp_len, ref_len) * math.exp(score)


def mean_sentence_bleu(hypotheses: Sequence[Tokens], references: Sequence[Tokens] | References,
                       order: int = 2, epsilon: float = 0.1) -> float:
  """The mean over `hypotheses` of BLEU-`order` against all `references`, each smoothed as nltk's
  SmoothingFunction(epsilon).method1 (a zero match count becomes `epsilon`)."""
  refs = references if isinstance(references, References) else References(references, order)
  weights = _weights(order)
  if not hypotheses:
    raise ValueError("BLEU needs at least one hypothesis")
  total = 0.0
  for hyp in hypotheses:
    if len(hyp) == 0:
      continue  # nltk scores an empty hypothesis 0
    counts = [refs.clipped(hyp, n) for n in range(1, order + 1)]
    if counts[0][0] == 0:
      continue  # nltk: no unigram match -> 0
    logs = [math.log((m if m else epsilon) / t) for m, t in counts]
    total += _brevity(len(hyp), refs.closest_length(len(hyp))) * math.exp(math.fsum(w * l for w, l in zip(weights,
                                                                                                          logs)))
  return total / len(hypotheses)
