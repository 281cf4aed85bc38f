"""`moving_digits`: Moving MNIST clips, two digits bouncing inside a 64x64 frame, made from the embedded digits.

Srivastava, Mansimov and Salakhutdinov, "Unsupervised Learning of Video Representations using LSTMs"
(arXiv:1502.04681, Sec. 3), and their public generator (`BouncingMNISTDataHandler`): each digit (28x28) starts at a
uniform position of the frame, moves in a uniform direction at a constant speed (0.1 of the free range, 36 pixels, per
frame), and on reaching a border is put back on it with that velocity component reversed; the position is taken
after each step and rounded down to pixels, so a digit never leaves the frame. Digits are combined by a pixelwise
maximum. Clips are a pure function of the seed; the digits of split s come only from split s of `digits`
(`jgan.data.splits`), so training and test clips share no digit.

These are clips (N, T, 64, 64, 1), not images: `jgan.data.load` refuses the name and points here.
"""

from __future__ import annotations

import numpy as np

FRAME, DIGIT = 64, 28
STEP = 0.1  # the generator's step_length: a fraction of the free range (FRAME - DIGIT) per frame
DIGITS_PER_CLIP = 2


def trajectories(start: np.ndarray, velocity: np.ndarray, num_frames: int, step: float = STEP) -> np.ndarray:
  """Positions in [0, 1] after each of `num_frames` steps of `step * velocity`, reflected at 0 and 1.

  `start` and `velocity` (..., 2) (y, x); returns (num_frames, ..., 2). A coordinate that crosses a border is put on
  the border and its velocity reversed (the generator's rule, which loses the overshoot).
  """
  position, velocity = np.array(start, np.float64), np.array(velocity, np.float64)
  path = np.empty((num_frames,) + position.shape)
  for t in range(num_frames):
    position += step * velocity
    low, high = position <= 0.0, position >= 1.0
    position = np.clip(position, 0.0, 1.0)
    velocity = np.where(low | high, -velocity, velocity)
    path[t] = position
  return path


def moving_digits(num_clips: int, num_frames: int = 20, *, seed: int, split: str = "train") -> np.ndarray:
  """`num_clips` clips of `num_frames` frames, uint8 (num_clips, num_frames, 64, 64, 1), of two bouncing digits."""
  from jgan import data
  from jgan.data import splits
  index = splits.split_indices("digits", split)
  digits = data.load("digits").images[index, :, :, 0]
  rng = np.random.default_rng(seed)
  chosen = rng.choice(len(digits), size=(num_clips, DIGITS_PER_CLIP))
  start = rng.random((num_clips, DIGITS_PER_CLIP, 2))
  theta = rng.random((num_clips, DIGITS_PER_CLIP)) * 2 * np.pi
  velocity = np.stack([np.sin(theta), np.cos(theta)], axis=-1)
  corners = (trajectories(start, velocity, num_frames) * (FRAME - DIGIT)).astype(np.int64)  # (T, N, 2, 2)
  clips = np.zeros((num_clips, num_frames, FRAME, FRAME), np.uint8)
  clip = np.arange(num_clips)[:, None, None]
  offsets = np.arange(DIGIT)
  for t in range(num_frames):
    for d in range(DIGITS_PER_CLIP):  # one digit of every clip at once: the regions of different clips never alias
      rows = (corners[t, :, d, 0][:, None] + offsets)[:, :, None]
      cols = (corners[t, :, d, 1][:, None] + offsets)[:, None, :]
      frame = clips[:, t]
      frame[clip, rows, cols] = np.maximum(frame[clip, rows, cols], digits[chosen[:, d]])
  return clips[..., None]
