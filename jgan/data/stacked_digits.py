"""Stacked digits: three digits as the three channels of one 32x32 image, 1,000 modes (the "stacked MNIST" test of
mode collapse: Metz et al. 2017, Srivastava et al. 2017 (VEEGAN), Lin et al. 2018 (PacGAN)).

Built from the embedded digits (`jgan.data`, padded to 32x32) of one fixed split (`jgan.data.splits`): example i
stacks three digits drawn uniformly, independently, with replacement, by a seeded generator; its mode is the
three labels read as a number 100 a + 10 b + c. A generator's modes are counted the papers' way: the project's own
digit classifier (`jgan.eval.digits`, trained on the 'train' digits) labels each channel, and we report how many
of the 1,000 modes appear at least once and KL(generated mode distribution || uniform over 1,000) (the papers
compare with the data's distribution, which is uniform in expectation).
"""

from __future__ import annotations

import numpy as np

MODES = 1000


def stacked_digits(split: str = "train", count: int = 50_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
  """(images uint8 (count, 32, 32, 3), modes int32 (count,)) from `split`'s digits; a pure function of the args."""
  from jgan import data
  from jgan.data import splits
  digits = data.load("digits", image_size=32, resize="pad")
  index = splits.split_indices("digits", split)
  images, labels = digits.images[index, ..., 0], digits.labels[index]
  pick = np.random.default_rng([seed, 7919]).integers(0, len(index), size=(count, 3))
  stacked = np.stack([images[pick[:, c]] for c in range(3)], axis=-1)
  modes = (100 * labels[pick[:, 0]] + 10 * labels[pick[:, 1]] + labels[pick[:, 2]]).astype(np.int32)
  return stacked, modes


def save_npz(path: str, split: str = "train", count: int = 50_000, seed: int = 0) -> None:
  """Writes `images` and `labels` (the modes) for `jgan.data.load(path)` (other families' baselines)."""
  images, modes = stacked_digits(split, count, seed)
  np.savez_compressed(path, images=images, labels=modes)


def classify_modes(images: np.ndarray, scorer=None) -> np.ndarray:
  """Modes (N,) of (N, 32|28, 32|28, 3) images (uint8, or floats in [-1, 1]): each channel's digit by the classifier."""
  from jgan.eval.digits import load_digit_scorer
  scorer = scorer or load_digit_scorer()
  images = np.asarray(images)
  if images.ndim != 4 or images.shape[-1] != 3:
    raise ValueError(f"stacked digits are (N, H, W, 3), got {images.shape}")
  digits = [np.argmax(scorer.probs(images[..., c:c + 1]), axis=1) for c in range(3)]
  return (100 * digits[0] + 10 * digits[1] + digits[2]).astype(np.int32)


def mode_scores(modes: np.ndarray) -> dict:
  """{"modes_covered": distinct modes among `modes`, "kl_to_uniform": KL(histogram || uniform over 1,000)}."""
  modes = np.asarray(modes)
  counts = np.bincount(modes, minlength=MODES).astype(np.float64)
  p = counts / counts.sum()
  nonzero = p > 0
  kl = float(np.sum(p[nonzero] * np.log(p[nonzero] * MODES)))
  return {"modes_covered": int(nonzero.sum()), "kl_to_uniform": kl, "samples": int(len(modes))}


def coverage(images: np.ndarray, scorer=None) -> dict:
  """`mode_scores` of generated stacked digits, labelled channel by channel by the digit classifier."""
  return mode_scores(classify_modes(images, scorer))
