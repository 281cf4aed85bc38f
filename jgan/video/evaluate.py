"""Scoring next-frame prediction as Mathieu et al. 2016 do (Sec. 4.2, Table 2): PSNR, SSIM and the sharpness
difference of the 1st and 2nd predicted frames (the 2nd predicted from the 1st, recursively), against the true
frames; copying the last input frame is the baseline. The measures are `jgan.eval.image_quality`'s (PSNR with peak
255 and SSIM on the uint8 frames, every channel; `sharpness_difference`, the paper's measure). The paper scores
only the moving areas of UCF101 frames (masked by optical flow); here whole frames are scored (a deviation).
"""

from __future__ import annotations

import numpy as np

from jgan import data
from jgan.eval import image_quality
from jgan.state import MultiNetState
from jgan.video import steps

HORIZON = 2  # the paper's table: the 1st and 2nd predicted frames


def crop_to_multiple(frames: np.ndarray, multiple: int = 8) -> np.ndarray:
  """(..., H, W, C) centrally cropped so that H and W are multiples of `multiple` (the generator's four scales)."""
  height, width = frames.shape[-3:-1]
  h, w = height - height % multiple, width - width % multiple
  top, left = (height - h) // 2, (width - w) // 2
  return frames[..., top:top + h, left:left + w, :]


def predict_windows(state: MultiNetState, inputs: np.ndarray, steps_ahead: int, batch_size: int) -> np.ndarray:
  """uint8 (N, K, H, W, C) input frames -> uint8 (N, steps_ahead, H, W, C) recursive predictions, in batches
  (the last completed with copies, then dropped: one compiled shape)."""
  num = len(inputs)
  padded = np.concatenate([inputs, inputs[:(-num) % batch_size]]) if num % batch_size else inputs
  outputs = [np.asarray(steps.predict_recursive(state, data.to_unit_range(padded[i:i + batch_size]), steps_ahead))
             for i in range(0, len(padded), batch_size)]
  return data.to_uint8(np.concatenate(outputs)[:num])


def frame_scores(predicted: np.ndarray, true: np.ndarray) -> dict[str, float]:
  """{'psnr_t', 'ssim_t', 'sharpness_t'} for each predicted frame t = 1, 2, ...: means over the windows of uint8
  (N, T, H, W, C) frames."""
  scores = {}
  for t in range(predicted.shape[1]):
    out, target = predicted[:, t], true[:, t]
    scores[f"psnr_{t + 1}"] = float(np.mean(image_quality.psnr(out, target)))
    scores[f"ssim_{t + 1}"] = float(np.mean(image_quality.ssim(out, target)))
    scores[f"sharpness_{t + 1}"] = float(np.mean(image_quality.sharpness_difference(out, target)))
  return scores


def copy_last_scores(windows: np.ndarray, input_frames: int, horizon: int = HORIZON) -> dict[str, float]:
  """The baseline: every future frame predicted as the last input frame."""
  last = np.repeat(windows[:, input_frames - 1:input_frames], horizon, axis=1)
  return frame_scores(last, windows[:, input_frames:input_frames + horizon])


def model_scores(state: MultiNetState, windows: np.ndarray, input_frames: int, batch_size: int,
                 horizon: int = HORIZON) -> dict[str, float]:
  """The model's scores on uint8 windows (N, K + horizon, H, W, C)."""
  predicted = predict_windows(state, windows[:, :input_frames], horizon, batch_size)
  return frame_scores(predicted, windows[:, input_frames:input_frames + horizon])
