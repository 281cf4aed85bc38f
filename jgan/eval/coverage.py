"""Mode coverage of a mixture of Gaussians: the mode-collapse scores of VEEGAN and PacGAN."""

from __future__ import annotations

import numpy as np


def mode_coverage(samples: np.ndarray, modes: np.ndarray, std: float, *, num_std: float = 3.0) -> dict:
  """Modes captured, fraction of high-quality samples and KL to uniform mode usage.

  The protocol of VEEGAN (Srivastava et al. 2017, Table 1) and PacGAN (Lin et al. 2018): a sample is of
  high quality if it lies within `num_std` * `std` (Euclidean) of its nearest mode; a mode is captured if it is the
  nearest mode of at least one high-quality sample; `kl` is KL(p || uniform) where p is the histogram of the
  high-quality samples over their nearest modes (0 log 0 = 0), so 0 when every mode gets the same share and log M
  when one mode gets them all. With no high-quality sample p is undefined, and so is `kl`: it is None then (not
  log M, which would rank a generator that hits no mode beside one that covers a single mode well).

  Returns {"modes": int, "high_quality": float in [0, 1], "kl": float or None}.
  """
  samples = np.asarray(samples, np.float64).reshape(len(samples), -1)
  modes = np.asarray(modes, np.float64)
  distances = np.linalg.norm(samples[:, None, :] - modes[None, :, :], axis=-1)  # (N, M)
  nearest = np.argmin(distances, axis=1)
  high_quality = distances[np.arange(len(samples)), nearest] <= num_std * std
  num_modes = len(modes)
  if not high_quality.any():
    return {"modes": 0, "high_quality": 0.0, "kl": None}
  counts = np.bincount(nearest[high_quality], minlength=num_modes)
  histogram = counts / counts.sum()
  used = histogram > 0
  kl = np.sum(histogram[used] * np.log(histogram[used] * num_modes))
  return {"modes": int(used.sum()), "high_quality": float(high_quality.mean()), "kl": float(kl)}
