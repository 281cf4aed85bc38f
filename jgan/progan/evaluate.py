"""Scores of a ProGAN generator: the paper's SWD per Laplacian level (`jgan.eval.swd`) and MS-SSIM between random
pairs of samples (`jgan.eval.ms_ssim`), plus, on the digits, the project's digit scorer (Frechet distance of its
features, Inception score, classes used: `jgan.eval.digits`) and, on the stacked digits, the modes covered of
1,000 and the KL to uniform (`jgan.data.stacked_digits`). Generated images of a stage below the final resolution
are upsampled (nearest) to it, so every stage is scored against the same real images.
"""

from __future__ import annotations

import functools

import jax
import numpy as np

from jgan import data
from jgan.eval import ms_ssim, swd
from jgan.progan import nets, progan
from jgan.progan.schedule import Stage


@functools.partial(jax.jit, static_argnames=("stage", "image_size"))
def _generate(state, z, alpha, *, stage: Stage, image_size: int):
  images = progan.generate(state, z, stage, alpha)
  return nets.upscale(images, image_size // stage.resolution) if stage.resolution < image_size else images


def sample(state, stage: Stage, alpha: float, z: np.ndarray, image_size: int, batch_size: int = 250) -> np.ndarray:
  """uint8 (N, image_size, image_size, C) images of the generator at `stage` and `alpha`, from latents `z`."""
  chunks = []
  for start in range(0, len(z), batch_size):
    chunk = z[start:start + batch_size]
    pad = batch_size - len(chunk) if len(z) > batch_size else 0  # one shape: compiled once
    chunk = np.concatenate([chunk, np.zeros((pad, z.shape[1]), z.dtype)]) if pad else chunk
    out = _generate(state, chunk, np.float32(alpha), stage=stage, image_size=image_size)
    chunks.append(data.to_uint8(out)[:len(chunk) - pad])
  return np.concatenate(chunks)


def image_scores(generated: np.ndarray, real: np.ndarray, dataset: str, *, seed: int = 0, per_image: int = 64,
                 pairs: int = 1000, scorer=None, real_statistics=None) -> dict:
  """{swd_<side>..., swd_avg, ms_ssim, and digit or mode scores} of uint8 `generated` against uint8 `real` (SWD on
  min(len) images of each)."""
  n = min(len(generated), len(real))
  result = swd.sliced_wasserstein_levels(real[:n], generated[:n], seed=seed, per_image=per_image)
  result["ms_ssim"] = ms_ssim.mean_pairwise_ms_ssim(generated, pairs=pairs, seed=seed)
  if dataset == "digits" and generated.shape[1] in (28, 32):
    from jgan.eval.digits import load_digit_scorer
    scorer = scorer or load_digit_scorer()
    digit = scorer.digit_scores(generated, real if real_statistics is None else None,
                                real_statistics=real_statistics)
    result.update({"fd": digit["fd"], "inception_score": digit["inception_score"],
                   "class_coverage": digit["class_coverage"], "class_kl": digit["class_kl"]})
  if dataset == "stacked_digits":
    from jgan.data import stacked_digits
    coverage = stacked_digits.coverage(generated, scorer)
    result.update({"modes_covered": coverage["modes_covered"], "kl_to_uniform": coverage["kl_to_uniform"]})
  return result
