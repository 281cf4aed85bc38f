"""Scoring next-frame prediction as Mathieu et al. 2016 do (Sec. 4.2, Table 2): PSNR, SSIM and the sharpness
difference of the 1st and 2nd predicted frames (the 2nd predicted from the 1st, recursively), against the true
frames; copying the last input frame is the baseline.

Two protocols:
- **whole frames** (`frame_scores`): `jgan.eval.image_quality`'s measures on every pixel (PSNR with peak 255 and
  SSIM on the uint8 frames, every channel; `sharpness_difference`, the paper's equation).
- **moving areas** (`moving_area_scores`), the protocol of the paper's table as the authors' released test code
  runs it (github.com/coupriec/VideoPredictionICLR2016, test-frame-prediction-on-ucf-rec_gdl.lua): the pixels that
  do not move between the previous true frame and the target (`moving_mask`) are set to black in both the
  prediction and the target, then PSNR, SSIM on luma with Wang et al.'s Gaussian window, and the release's
  sharpness difference are taken over the whole masked frames, and frames whose masked PSNR reaches 50 dB (nearly
  nothing moving) are left out of the means.
"""

from __future__ import annotations

import numpy as np

from jgan import data
from jgan.eval import image_quality
from jgan.state import MultiNetState
from jgan.video import steps

HORIZON = 2  # the paper's table: the 1st and 2nd predicted frames
# The release's rule: a pixel moves when a channel of its flow picture is below 0.2. In the Middlebury colour coding
# of flow (white for no motion; the magnitude divided by the picture's largest, r, fades every hue towards white as
# 1 - r (1 - c), and every hue has a channel c = 0), that is r > 0.8.
MOVING_FRACTION = 0.8
SKIP_PSNR = 50.0  # the release leaves out frames whose masked PSNR is 50 dB or more


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


def prediction_scores(predicted: np.ndarray, windows: np.ndarray, input_frames: int,
                      masks: np.ndarray | None = None) -> dict[str, float]:
  """`frame_scores` of uint8 predictions (N, T, H, W, C) against `windows` (N, K + T, H, W, C), and with `masks`
  (`window_masks`) also `moving_area_scores`."""
  result = frame_scores(predicted, windows[:, input_frames:input_frames + predicted.shape[1]])
  if masks is not None:
    result.update(moving_area_scores(predicted, windows, input_frames, masks))
  return result


def copy_last_scores(windows: np.ndarray, input_frames: int, horizon: int = HORIZON,
                     masks: np.ndarray | None = None) -> dict[str, float]:
  """The baseline: every future frame predicted as the last input frame."""
  last = np.repeat(windows[:, input_frames - 1:input_frames], horizon, axis=1)
  return prediction_scores(last, windows, input_frames, masks)


def model_scores(state: MultiNetState, windows: np.ndarray, input_frames: int, batch_size: int,
                 horizon: int = HORIZON, masks: np.ndarray | None = None) -> dict[str, float]:
  """The model's scores on uint8 windows (N, K + horizon, H, W, C)."""
  predicted = predict_windows(state, windows[:, :input_frames], horizon, batch_size)
  return prediction_scores(predicted, windows, input_frames, masks)


def moving_mask(previous: np.ndarray, target: np.ndarray, fraction: float = MOVING_FRACTION) -> np.ndarray:
  """bool (N, H, W): the pixels of uint8 frames (N, H, W, C) whose optical flow from `previous` to `target` is longer
  than `fraction` of that frame's longest flow vector (none where nothing moves).

  Flow: scikit-image's TV-L1 (Zach, Pock and Bischof 2007, `optical_flow_tvl1`, its defaults) on the grey levels.
  The authors' masks came from flow pictures shipped with their release, computed by a method this module does not
  have; the threshold is their rule read through the Middlebury colour coding (`MOVING_FRACTION`).
  """
  from skimage.registration import optical_flow_tvl1
  previous, target = np.asarray(previous), np.asarray(target)
  if previous.shape != target.shape or previous.ndim != 4:
    raise ValueError(f"previous and target must both be (N, H, W, C), got {previous.shape} and {target.shape}")
  if not 0.0 <= fraction < 1.0:
    raise ValueError(f"fraction must be in [0, 1), got {fraction}")
  grey = lambda frames: frames.astype(np.float64).mean(axis=-1) / 255.0
  masks = []
  for before, after in zip(grey(previous), grey(target)):
    flow = optical_flow_tvl1(before, after)
    magnitude = np.hypot(flow[0], flow[1])
    top = magnitude.max()
    masks.append(magnitude > fraction * top if top > 0 else np.zeros_like(magnitude, bool))
  return np.stack(masks)


def masked_scores(predicted: np.ndarray, true: np.ndarray, mask: np.ndarray) -> dict[str, float]:
  """{'psnr', 'ssim', 'sharpness', 'scored', 'moving'} of uint8 frames (N, H, W, C) on the pixels of `mask` (N, H, W)
  by the release's protocol (module docstring): means over the frames whose masked PSNR is below `SKIP_PSNR`
  ('scored' of them; NaN means where none is), 'moving' the mean fraction of pixels in the mask."""
  keep = np.asarray(mask, bool)[..., None]
  out, target = np.where(keep, predicted, 0).astype(np.uint8), np.where(keep, true, 0).astype(np.uint8)
  psnr = image_quality.psnr(out, target)
  scored = psnr < SKIP_PSNR
  result = {"scored": int(scored.sum()), "moving": float(np.mean(mask))}
  if not scored.any():
    return {**result, "psnr": float("nan"), "ssim": float("nan"), "sharpness": float("nan")}
  out, target = out[scored], target[scored]
  return {**result, "psnr": float(np.mean(psnr[scored])),
          "ssim": float(np.mean(image_quality.ssim_y(out, target, border=0))),
          "sharpness": float(np.mean(image_quality.release_sharpness_difference(out, target)))}


def moving_area_scores(predicted: np.ndarray, windows: np.ndarray, input_frames: int,
                       masks: np.ndarray | None = None) -> dict[str, float]:
  """{'moving_psnr_t', 'moving_ssim_t', 'moving_sharpness_t', 'moving_scored_t', 'moving_fraction_t'} for each
  predicted frame t of uint8 `predicted` (N, T, H, W, C), against `windows` (N, K + T, H, W, C). Frame t's mask is
  the motion from true frame t - 1 (the last input frame for t = 1) to true frame t, as the release's; `masks`
  (N, T, H, W) from `window_masks` can be passed to score several predictions of the same windows."""
  horizon = predicted.shape[1]
  if masks is None:
    masks = window_masks(windows, input_frames, horizon)
  scores = {}
  for t in range(horizon):
    parts = masked_scores(predicted[:, t], windows[:, input_frames + t], masks[:, t])
    for name in ("psnr", "ssim", "sharpness", "scored"):
      scores[f"moving_{name}_{t + 1}"] = parts[name]
    scores[f"moving_fraction_{t + 1}"] = parts["moving"]
  return scores


def window_masks(windows: np.ndarray, input_frames: int, horizon: int = HORIZON) -> np.ndarray:
  """bool (N, horizon, H, W): `moving_mask` from each true frame to the next, for the predicted frames."""
  return np.stack([moving_mask(windows[:, input_frames + t - 1], windows[:, input_frames + t])
                   for t in range(horizon)], axis=1)
