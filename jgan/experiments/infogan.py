"""InfoGAN (Chen et al. 2016, arXiv:1606.03657) on the embedded digits or any data set jgan reads.

    python -m jgan.experiments.infogan [--dataset digits] [--steps N] [--out DIR] [--resume]

Writes under --out: metrics.jsonl, tensorboard/, samples/step_*.png (fixed latent codes), d_loss.png, checkpoints/.
Config: jgan/configs/infogan.py; nets: jgan/models/infogan.py; losses: jgan/games/infogan.py; step: jgan/steps.py;
loop: jgan/train.py. Scores: `--eval-every N` (jgan.eval.during_training), experiments/family/evaluate.py; latent
walks and arithmetic: `python -m jgan.latent --checkpoint DIR`; `python -m jgan.latent --mode codes` varies one
code at a time.

The paper's measure of the categorical code (Sec. 7.1: "c1 can be used as a classifier that achieves 5% error rate
in classifying MNIST digits", each category matched to a digit) is `code_errors` below: Q's most likely c1 for real
digits, the categories matched to digits on the validation split and the error read on the test split
(`jgan.data.splits`). `run_with_code_errors` trains with that validation error as the learning curve
(experiments/infogan/run.py).
"""

from __future__ import annotations

import functools
import pathlib
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

from jgan import cli, data, loop, train
from jgan.configs import infogan
from jgan.configs.base import Config

RULES = ("one_to_one", "majority")


@functools.cache
def _q_argmax(num_codes: int):
  return jax.jit(lambda s, x: s.discriminator(x, train=False)[0][1][:, :num_codes].argmax(-1))


@functools.cache
def _generate(game):
  return jax.jit(functools.partial(train.generate, game=game))


def q_categories(state, config: Config, images: np.ndarray, batch_size: int = 500) -> np.ndarray:
  """Q's most likely category of c1 for uint8 images (N, H, W, C) at the data's size (inference mode)."""
  apply = _q_argmax(config.categorical_codes)
  x = data.resize_images(images, config.image_size, config.resize)
  return np.concatenate([np.asarray(apply(state, data.to_unit_range(jnp.asarray(x[i:i + batch_size]))))
                         for i in range(0, len(x), batch_size)])


def match_categories(codes: np.ndarray, labels: np.ndarray, num_codes: int, num_labels: int = 10,
                     rule: str = "one_to_one") -> np.ndarray:
  """mapping[c] = the label category c stands for, chosen to agree most with `labels`: one to one (the Hungarian
  algorithm on the counts; a category per digit, so a code that merges two digits cannot score well) or by majority
  (each category its most frequent label; several may share one)."""
  if rule not in RULES:
    raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
  counts = np.zeros((num_codes, num_labels), np.int64)
  np.add.at(counts, (np.asarray(codes), np.asarray(labels)), 1)
  if rule == "majority":
    return counts.argmax(axis=1)
  from scipy.optimize import linear_sum_assignment
  rows, columns = linear_sum_assignment(counts, maximize=True)
  mapping = np.full(num_codes, -1)  # more categories than labels: the unmatched ones count as errors
  mapping[rows] = columns
  return mapping


def mapped_error(codes: np.ndarray, labels: np.ndarray, mapping: np.ndarray) -> float:
  return float(np.mean(mapping[np.asarray(codes)] != np.asarray(labels)))


def code_errors(state, config: Config, read: tuple[str, ...] = ("validation", "test"),
                choose: str = "validation") -> dict[str, float | list[int]]:
  """c1 as a classifier of real digits: the categories matched to digits on split `choose`, the error read on each
  split of `read`, for both matching rules: {'q_error_<rule>_<split>': error, 'mapping_<rule>': [digit per c1]}."""
  from jgan.data import splits as fixed_splits
  splits = {name: fixed_splits.load_split("digits", name) for name in {choose, *read}}
  codes = {name: q_categories(state, config, split.images) for name, split in splits.items()}
  result: dict[str, float | list[int]] = {}
  for rule in RULES:
    mapping = match_categories(codes[choose], splits[choose].labels, config.categorical_codes, rule=rule)
    result[f"mapping_{rule}"] = [int(m) for m in mapping]
    for name in read:
      result[f"q_error_{rule}_{name}"] = mapped_error(codes[name], splits[name].labels, mapping)
  return result


def generated_code_error(state, config: Config, scorer, num: int = 1000, seed: int = 123) -> dict[str, float]:
  """The generated side: `num` samples, c1 cycling over its categories (z and the continuous codes random from
  `seed`), labelled by the project's digit classifier; the categories matched to its digits one to one on these
  samples (as experiments/family/evaluate.py's `c1_error`)."""
  game = train.make_game(config)
  latent = game.sample_latent(jax.random.PRNGKey(seed), num)
  latent["cat"] = jnp.arange(num) % game.categorical_codes
  images = np.concatenate([data.to_uint8(_generate(game)(state, latent=jax.tree.map(lambda v: v[i:i + 500], latent)))
                           for i in range(0, num, 500)])
  top = (images.shape[1] - 28) // 2  # digits padded to a larger side (the dcgan arch's 32): the central 28x28
  images = images[:, top:top + 28, top:top + 28]
  predicted = np.argmax(scorer.probs(images), axis=1)
  codes = np.asarray(latent["cat"])
  result = {}
  for rule in RULES:
    mapping = match_categories(codes, predicted, game.categorical_codes, rule=rule)
    result[f"c1_error_{rule}"] = mapped_error(codes, predicted, mapping)
  return result


class CodeEvaluator:
  """During training: Q's c1 error on the validation digits (categories matched on validation), the generated
  samples' c1 error by the digit classifier, and the seconds since the evaluator was made (the curve's wall time)."""

  headline = "q_error_one_to_one_validation"

  def __init__(self, config: Config, generated: bool = True):
    from jgan.eval import digits
    self.config, self.start = config, time.perf_counter()
    self.scorer = digits.load_digit_scorer() if generated else None

  def __call__(self, state) -> dict[str, float]:
    scores = {k: v for k, v in code_errors(state, self.config, read=("validation",)).items()
              if not k.startswith("mapping")}
    if self.scorer is not None:
      scores.update(generated_code_error(state, self.config, self.scorer))
    return {**scores, "wall_s": time.perf_counter() - self.start}


class InfoGANExperiment(train.GANExperiment):
  """The GAN-family run whose evaluation (every `eval_every` iterations) is `CodeEvaluator`."""

  def prepare(self, mesh) -> dict:
    meta = super().prepare(mesh)
    self.evaluator = CodeEvaluator(self.config) if self.config.eval_every else None
    self.headline = CodeEvaluator.headline if self.evaluator else ""
    return meta


def run_with_code_errors(config: Config, workdir: str | pathlib.Path, *, resume: bool = False,
                         progress: bool = True):
  """`jgan.train.run` with `CodeEvaluator` as the evaluation: metrics.jsonl gets its `eval_*` rows."""
  experiment = InfoGANExperiment(config)
  try:
    return loop.run(experiment, workdir, resume=resume, progress=progress)
  finally:
    experiment.close()


def main(argv: list[str] | None = None) -> int:
  return cli.main("infogan", infogan.get_config(), __doc__, argv, presets=infogan.PRESETS)


if __name__ == "__main__":
  sys.exit(main())
