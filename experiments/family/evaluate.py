"""Scores GAN-family runs on the digits with the project's digit classifier (`jgan.eval.digits`).

    python experiments/family/evaluate.py RUN_DIR [RUN_DIR ...] [--num 2000] [--parzen] [--json scores.json]

For each run (its latest checkpoint) and for its untrained generator (same config, same seed):
* `fd`, `is`, `classes` (class coverage): the classifier's Frechet distance, Inception score and number of digit
  classes produced, NUM samples against NUM real digits (the FD of real digits against other real digits, the
  floor, is printed first); `swd`: sliced Wasserstein distance in [0, 1] pixels (as
  experiments/score_runs.py). Samples use the seed 123, never the run's own noise.
* cgan / acgan, `accuracy`: how often the classifier calls a sample the class it was generated for (NUM / K
  samples per class); also per class.
* infogan, `c1_error` (generated side): NUM / K samples per value of the categorical code c1 (z and the continuous
  codes random), classified by the digit classifier; each value of c1 is matched to a digit, one to one (Hungarian
  algorithm), and the error is the fraction of samples that are another digit. `c1_error_majority` assigns each
  value its most frequent digit instead (several values may share one; a collapsed generator scores 0), and
  `c1_digits` counts the distinct digits so assigned. `q_error` (the paper's reading, Chen et al. 2016 Sec. 7.1:
  "c1 can be used as a classifier that achieves 5% error rate ... when matching each category in c1 to a digit
  type"): Q's most likely c1 for NUM real digits, matched one to one to their labels (`q_error_majority`: by
  majority).
* `--parzen`: the Parzen-window log-likelihood of Goodfellow et al. 2014 Table 1 (`jgan.eval.parzen`): 10,000
  samples, the kernel width chosen on 1,000 digits and the mean over 1,000 others. The embedded digits have no test
  split, so both come from the training set (a memorizing generator would gain).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np

from jgan import data, sample, train
from jgan.eval import digits, parzen, sliced_wasserstein

SEED = 123


def generate(state, config, meta, latent: dict) -> np.ndarray:
  """uint8 digits in the data's shape (28x28) from latent codes."""
  raw = sample.generate_raw(state, config, latent)
  return sample._to_source_shape(data.to_uint8(raw), meta["source_shape"], config.resize)


def majority_match(codes: np.ndarray, predicted: np.ndarray, num_codes: int) -> tuple[float, dict[int, int]]:
  """Assigns each code the class most often predicted for it; returns (error, {code: class})."""
  mapping = {c: int(np.bincount(predicted[codes == c], minlength=10).argmax())
             for c in range(num_codes) if np.any(codes == c)}
  assigned = np.array([mapping[c] for c in codes])
  return float(np.mean(assigned != predicted)), mapping


def one_to_one_error(codes: np.ndarray, predicted: np.ndarray, num_codes: int) -> float:
  """Error of the best one-to-one matching of codes to classes (Hungarian algorithm on the confusion counts).

  Unlike the majority rule it cannot score a collapsed generator well: if every sample is one digit, the majority
  rule maps every code to it (error 0) while a one-to-one matching gets one code right at most.
  """
  from scipy.optimize import linear_sum_assignment
  counts = np.zeros((num_codes, 10))
  np.add.at(counts, (codes, predicted), 1)
  rows, columns = linear_sum_assignment(counts, maximize=True)
  return float(1 - counts[rows, columns].sum() / len(codes))


def score(state, config, meta, scorer: digits.DigitScorer, real: np.ndarray, num: int) -> dict:
  game = train.make_game(config)
  latent = game.sample_latent(jax.random.PRNGKey(SEED), num)
  if "label" in latent:
    latent["label"] = jnp.arange(num) % config.num_classes
  if "cat" in latent:
    latent["cat"] = jnp.arange(num) % game.categorical_codes
  images = generate(state, config, meta, latent)
  scores = scorer.digit_scores(images, real)
  result = {"fd": scores["fd"], "is": scores["inception_score"], "classes": scores["class_coverage"],
            "swd": float(sliced_wasserstein(jnp.asarray(images, jnp.float32) / 255, jnp.asarray(real, jnp.float32)
                                            / 255, jax.random.PRNGKey(0)))}
  predicted = np.argmax(scorer.probs(images), axis=1)
  if "label" in latent:
    labels = np.asarray(latent["label"])
    result["accuracy"] = float(np.mean(predicted == labels))
    result["per_class"] = [round(float(np.mean(predicted[labels == k] == k)), 3) for k in range(config.num_classes)]
  if "cat" in latent:
    codes = np.asarray(latent["cat"])
    result["c1_error_majority"], mapping = majority_match(codes, predicted, game.categorical_codes)
    result["c1_error"] = one_to_one_error(codes, predicted, game.categorical_codes)
    result["c1_digits"], result["c1_mapping"] = len(set(mapping.values())), mapping
  return result


def q_errors(state, config, images: np.ndarray, labels: np.ndarray) -> dict[str, float]:
  """InfoGAN: Q's most likely c1 on real digits, matched to their labels (one to one, and by majority)."""
  x = data.to_unit_range(jnp.asarray(data.resize_images(images, config.image_size, config.resize)))
  _, q = jax.jit(lambda s, x: s.discriminator(x, train=False)[0])(state, x)
  codes = np.argmax(np.asarray(q[:, :config.categorical_codes]), axis=1)
  return {"q_error": one_to_one_error(codes, labels, config.categorical_codes),
          "q_error_majority": majority_match(codes, labels, config.categorical_codes)[0]}


def parzen_score(state, config, meta, dataset) -> dict:
  pick = np.random.default_rng(1).choice(len(dataset), 2000, replace=False)
  held = dataset.images[pick].astype(np.float32) / 255
  samples = sample.sample(state, config, meta, 10_000, seed=SEED).astype(np.float32) / 255
  return parzen.parzen_evaluate(samples, held[:1000], held[1000:])


def main(argv: list[str] | None = None) -> int:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("runs", nargs="+", help="run directories")
  parser.add_argument("--num", type=int, default=2000, help="samples and real digits per score")
  parser.add_argument("--parzen", action="store_true", help="also the Parzen-window log-likelihood")
  parser.add_argument("--json", default=None, help="write every score to this file")
  args = parser.parse_args(argv)
  scorer = digits.load_digit_scorer()
  dataset = data.load("digits")
  pick = np.random.default_rng(0).choice(len(dataset), args.num, replace=False)
  real, labels = dataset.images[pick], dataset.labels[pick]
  floor = scorer.fd_floor(dataset.images[np.random.default_rng(2).choice(len(dataset), 2 * args.num, replace=False)])
  every = {"fd_floor": floor, "num": args.num}
  print(f"FD of {args.num} real digits against {args.num} others (the floor): {floor:.2f}")
  print("| run | iterations | fd (untrained -> trained) | is | classes | swd | class accuracy | c1 error | Q error |")
  print("|---|---|---|---|---|---|---|---|---|")
  for run_dir in args.runs:
    state, config, meta = sample.load_generator(run_dir)
    untrained = train.create_state(config, tuple(meta["shape"]))
    before, after = (score(s, config, meta, scorer, real, args.num) for s in (untrained, state))
    if config.game == "infogan":
      before.update(q_errors(untrained, config, real, labels))
      after.update(q_errors(state, config, real, labels))
    if args.parzen:
      after["parzen"] = parzen_score(state, config, meta, dataset)
    every[run_dir] = {"iterations": int(state.step), "untrained": before, "trained": after}
    pair = lambda key, fmt: (f"{before[key]:{fmt}} -> {after[key]:{fmt}}" if key in after else "")
    print(f"| {run_dir} | {int(state.step)} | {pair('fd', '.1f')} | {pair('is', '.2f')} | {pair('classes', 'd')} | "
          f"{pair('swd', '.3f')} | {pair('accuracy', '.3f')} | {pair('c1_error', '.3f')} | {pair('q_error', '.3f')} |",
          flush=True)
  if args.json:
    pathlib.Path(args.json).write_text(json.dumps(every, indent=2) + "\n")
  return 0


if __name__ == "__main__":
  sys.exit(main())
