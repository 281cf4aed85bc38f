"""iGAN on jgan's digits (Zhu et al. 2016): the comparison of projection solvers and the constraint edits.

    python experiments/editing/run.py models      # train the two generators on the digits' train split (~10 min)
    python experiments/editing/run.py select      # projection settings on the validation split
    python experiments/editing/run.py encoders    # the inverting encoders (generated pairs only)
    python experiments/editing/run.py compare     # the solvers on held-out test digits, both generators
    python experiments/editing/run.py edits       # colour / sketch edits of test digits, figure and numbers
    python experiments/editing/run.py tradeoff    # the regulariser's weight against stroke fidelity (validation)
    python experiments/editing/benchmark.py       # 64 images at once against 64 single projections

Writes results/*.json (one per stage and model, seed in the name) and figures/*.png. Everything reads the digits'
fixed splits (`jgan.data.splits`): the generators train on 'train' only (8,000 digits; the embedded set's other
2,000 are the held-out digits), settings are chosen on 'validation', the table reads 'test' once.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import shutil
import subprocess
import sys
import time

import jax
import numpy as np

from jgan.data import splits
from jgan.editing import api, constraints, encoder, features, generators, projection
from jgan.eval import digits

HERE = pathlib.Path(__file__).resolve().parent
RESULTS, FIGURES, MODELS = HERE / "results", HERE / "figures", HERE / "models"
SEED = 0
# The two generators: an unconditional DCGAN (uniform z) and a class-conditional DCGAN (cGAN game, Gaussian z),
# both with 32-filter nets (the recipe's 64 halved for the CPU), trained on the train split written as an .npz.
MODEL_FLAGS = {
    "dcgan": ["--steps", "4000"],
    "cgan": ["--game", "cgan", "--latent", "normal", "--steps", "2000"],
}
COMMON_FLAGS = ["--batch-size", "64", "--generator-features", "32", "--critic-features", "32", "--seed", str(SEED),
                "--sample-every", "500", "--checkpoint-every", "500", "--keep-checkpoints", "1", "--log-every", "50",
                "--no-progress"]
NUM_VALIDATION, NUM_TEST = 32, 64
ENCODER = encoder.EncoderConfig(steps=1500, batch_size=64, learning_rate=1e-3, image_weight=1.0, features=32,
                                seed=SEED)


def _write(name: str, record: dict) -> None:
  RESULTS.mkdir(parents=True, exist_ok=True)
  (RESULTS / name).write_text(json.dumps(record, indent=2))
  print(f"wrote results/{name}")


def _digits(split: str, num: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """`num` digits of `split` chosen by a seeded permutation: (uint8 images, labels, indices into the split)."""
  dataset = splits.load_split("digits", split)
  chosen = np.sort(np.random.default_rng(SEED).permutation(len(dataset.images))[:num])
  return dataset.images[chosen], dataset.labels[chosen].astype(np.int32), chosen


def models(_args) -> None:
  """Trains both generators on the train split (written to an .npz: the embedded set has no split of its own)."""
  train_npz = MODELS / "digits_train.npz"
  MODELS.mkdir(parents=True, exist_ok=True)
  dataset = splits.load_split("digits", "train")
  np.savez_compressed(train_npz, images=dataset.images, labels=dataset.labels)
  for name, flags in MODEL_FLAGS.items():
    out = MODELS / name
    command = [sys.executable, "-m", "jgan.experiments.dcgan", "--dataset", str(train_npz), *flags, *COMMON_FLAGS,
               "--out", str(out), "--overwrite"]
    print(" ".join(command))
    subprocess.run(command, check=True)
    shutil.rmtree(out / "tensorboard", ignore_errors=True)  # the checkpoint, config, metrics and samples stay
  train_npz.unlink()


def _load(name: str) -> generators.LatentGenerator:
  return generators.load(MODELS / name)


def _accuracy(images: np.ndarray, labels: np.ndarray, scorer) -> float:
  return scorer.accuracy(images, labels)


def _summary(result: projection.Projection, labels: np.ndarray, scorer, seconds: float, num: int) -> dict:
  return {"pixel_mse": float(result.pixel.mean()), "pixel_mse_std": float(result.pixel.std()),
          "feature_mse": float(result.feature.mean()), "feature_mse_std": float(result.feature.std()),
          "class_accuracy": _accuracy(result.images, labels, scorer), "seconds_per_image": seconds / num,
          "seconds_batch": seconds}


def _timed_project(generator, targets, labels, config, extractor, trained=None) -> tuple[projection.Projection, float]:
  """Projects twice: the first call compiles, the second is timed (what a user pays per batch once warm)."""
  projection.project(generator, targets, labels, config=config, extractor=extractor, encoder=trained)
  start = time.perf_counter()
  result = projection.project(generator, targets, labels, config=config, extractor=extractor, encoder=trained)
  return result, time.perf_counter() - start


SELECTION_GRID = [
    dict(optimizer="adam", learning_rate=0.05, steps=100, feature_weight=0.0),
    dict(optimizer="adam", learning_rate=0.05, steps=100, feature_weight=0.01),
    dict(optimizer="adam", learning_rate=0.05, steps=100, feature_weight=0.1),
    dict(optimizer="adam", learning_rate=0.1, steps=100, feature_weight=0.01),
    dict(optimizer="adam", learning_rate=0.05, steps=200, feature_weight=0.01),
    dict(optimizer="lbfgs", learning_rate=1.0, steps=30, feature_weight=0.01),
    dict(optimizer="lbfgs", learning_rate=1.0, steps=60, feature_weight=0.01),
]
STARTS = 4


def select(_args) -> None:
  """Projection settings on the validation digits, DCGAN: the grid above, 4 random starts each.

  Chosen by RULE (`choose_setting`). The first rule, written before the runs, took the lowest pixel MSE after the
  class accuracy; every setting reached accuracy 1.0, so it reduced to pixel MSE alone, which ignores the feature
  error the table reports: RULE (weighting both errors) replaced it after the validation rows were seen, and the
  record keeps both choices.
  """
  generator = _load("dcgan")
  extractor = features.load(features.choose("auto", generator.image_shape))
  images, labels, chosen = _digits("validation", NUM_VALIDATION)
  targets = projection.prepare_images(images, generator)
  scorer = digits.load_digit_scorer()
  rows = []
  for settings in SELECTION_GRID:
    config = projection.ProjectionConfig(solver="optimize", starts=STARTS, seed=SEED, **settings)
    began = time.perf_counter()  # one call, compilation included: the choice does not depend on time
    result = projection.project(generator, targets, config=config, extractor=extractor)
    seconds = time.perf_counter() - began
    rows.append({**settings, "starts": STARTS, **_summary(result, labels, scorer, seconds, len(targets))})
    print(rows[-1])
  _write(f"select_dcgan_validation_seed{SEED}.json",
         {"split": "validation", "num_images": len(targets), "indices": chosen.tolist(), "seed": SEED,
          "model": "dcgan", "rows": rows, **choose_setting(rows)})


RULE = ("among the settings within 3 points of the best class accuracy, the lowest pixel MSE / (best pixel MSE) + "
        "feature MSE / (best feature MSE): both errors of the table count equally")


def choose_setting(rows: list[dict]) -> dict:
  """The validation choice (RULE), and what the first rule, pixel MSE alone after accuracy, would have chosen."""
  best_accuracy = max(r["class_accuracy"] for r in rows)
  eligible = [r for r in rows if r["class_accuracy"] >= best_accuracy - 0.03]
  best_pixel, best_feature = min(r["pixel_mse"] for r in rows), min(r["feature_mse"] for r in rows)
  score = lambda r: r["pixel_mse"] / best_pixel + r["feature_mse"] / best_feature
  return {"rule": RULE, "chosen": min(eligible, key=score),
          "pixel_only_rule_would_choose": min(eligible, key=lambda r: r["pixel_mse"])}


def rechoose(_args) -> None:
  """Applies RULE to the rows `select` recorded (no projection runs)."""
  path = RESULTS / f"select_dcgan_validation_seed{SEED}.json"
  record = json.loads(path.read_text())
  record.update(choose_setting(record["rows"]))
  _write(path.name, record)
  print("chosen:", record["chosen"])


def _chosen_config() -> dict:
  record = json.loads((RESULTS / f"select_dcgan_validation_seed{SEED}.json").read_text())["chosen"]
  return {k: record[k] for k in ("optimizer", "learning_rate", "steps", "feature_weight", "starts")}


def encoders(_args) -> None:
  for name in MODEL_FLAGS:
    generator = _load(name)
    start = time.perf_counter()
    trained = encoder.train(generator, ENCODER, log_every=100)
    trained.save(MODELS / name / "encoder.msgpack")
    _write(f"encoder_{name}_seed{SEED}.json", {"model": name, "config": dataclasses.asdict(ENCODER),
                                               "seconds": time.perf_counter() - start, "history": trained.history})


def compare(_args) -> None:
  """The paper's table: optimisation, encoder and hybrid on held-out test digits, for both generators."""
  chosen = _chosen_config()
  images, labels, indices = _digits("test", NUM_TEST)
  scorer = digits.load_digit_scorer()
  for name in MODEL_FLAGS:
    generator = _load(name)
    extractor = features.load(features.choose("auto", generator.image_shape))
    trained = encoder.load(MODELS / name / "encoder.msgpack", generator)
    targets = projection.prepare_images(images, generator)
    given = labels if generator.conditional else None
    solvers = {
        "optimize": projection.ProjectionConfig(solver="optimize", seed=SEED, **chosen),
        "encoder": projection.ProjectionConfig(solver="encoder", feature_weight=chosen["feature_weight"]),
        # The encoder's guess refined with a quarter of the steps, one start: 1/16 of optimize's evaluations.
        "hybrid": projection.ProjectionConfig(
            solver="hybrid", optimizer=chosen["optimizer"], learning_rate=chosen["learning_rate"],
            steps=max(1, chosen["steps"] // 4), starts=1, feature_weight=chosen["feature_weight"], seed=SEED),
        "hybrid_full": projection.ProjectionConfig(
            solver="hybrid", optimizer=chosen["optimizer"], learning_rate=chosen["learning_rate"],
            steps=chosen["steps"], starts=1, feature_weight=chosen["feature_weight"], seed=SEED),
    }
    rows, projections = {}, {}
    for solver, config in solvers.items():
      result, seconds = _timed_project(generator, targets, given, config, extractor, trained)
      rows[solver] = {**dataclasses.asdict(config), **_summary(result, labels, scorer, seconds, len(targets))}
      projections[solver] = result.images
      print(name, solver, rows[solver])
    # The floor: real test digits through the same metrics (an exact reconstruction would score 0 and their
    # own class accuracy).
    rows["real_digits_class_accuracy"] = _accuracy(targets, labels, scorer)
    _write(f"compare_{name}_test_seed{SEED}.json",
           {"model": name, "split": "test", "num_images": len(targets), "indices": indices.tolist(), "seed": SEED,
            "feature_network": features.choose("auto", generator.image_shape), "device": jax.devices()[0].device_kind,
            "chosen_on_validation": chosen, "rows": rows})
    _figure_projections(name, generator, targets[:12], {k: v[:12] for k, v in projections.items()})


def _figure_projections(name: str, generator, targets: np.ndarray, projections: dict) -> None:
  from jgan import images as image_io
  rows = [projection.to_source(targets, generator)] + [projection.to_source(v, generator) for v in
                                                        projections.values()]
  FIGURES.mkdir(parents=True, exist_ok=True)
  grid = image_io.grid(np.concatenate(rows), columns=len(targets))
  big = np.repeat(np.repeat(grid, 3, axis=0), 3, axis=1)
  api.write_png(FIGURES / f"projections_{name}.png", big)
  (FIGURES / f"projections_{name}.txt").write_text("rows: test digit, " + ", ".join(projections) + "\n")


# ---------------------------------------------------------------------------------------------------------------------
# Edits.
# ---------------------------------------------------------------------------------------------------------------------

def scripted_strokes(kind: str, rng: np.random.Generator, size: int = 28) -> np.ndarray:
  """A user's strokes drawn by a script (uint8): 'ink' a white horizontal bar (grey + alpha), 'erase' a black
  rectangle over the upper half's centre (grey + alpha), 'sketch' a vertical line (grey)."""
  if kind == "sketch":
    drawing = np.zeros((size, size, 1), np.uint8)
    column = int(rng.integers(9, 19))
    drawing[5:23, column] = 255
    return drawing
  strokes = np.zeros((size, size, 2), np.uint8)
  if kind == "ink":
    row = int(rng.integers(10, 18))
    strokes[row:row + 2, 6:22] = (255, 255)
  else:
    strokes[4:12, 9:19] = (0, 255)
  return strokes


EDIT = constraints.EditConfig(color_weight=1.0, edge_weight=1.0, reg_weight=0.01, steps=150, learning_rate=0.05)
NUM_EDITS = 32


def _hybrid_editor() -> tuple[generators.LatentGenerator, api.Editor, projection.ProjectionConfig]:
  """The DCGAN's editor projecting by the hybrid solver with the validation-chosen optimiser settings, one start."""
  chosen = _chosen_config()
  generator = _load("dcgan")
  trained = encoder.load(MODELS / "dcgan" / "encoder.msgpack", generator)
  config = projection.ProjectionConfig(solver="hybrid", optimizer=chosen["optimizer"],
                                       learning_rate=chosen["learning_rate"], steps=chosen["steps"], starts=1,
                                       feature_weight=chosen["feature_weight"], seed=SEED)
  return generator, api.Editor(generator, projection_config=config, encoder=trained), config


def edits(_args) -> None:
  """Colour and sketch edits of test digits projected by the hybrid solver, DCGAN: how many stroke pixels are met,
  how far the rest moves; and the figure of edits with their sequences."""
  generator, editor, config = _hybrid_editor()
  images, labels, indices = _digits("test", NUM_EDITS)
  start = editor.project(images)
  real = projection.prepare_images(images, generator)
  rng = np.random.default_rng(SEED)
  record = {"model": "dcgan", "split": "test", "indices": indices.tolist(), "seed": SEED,
            "edit": dataclasses.asdict(EDIT), "projection": dataclasses.asdict(config),
            "tolerance": constraints.SATISFIED_TOLERANCE, "kinds": {}}
  figure_rows = []
  for number, kind in enumerate(("ink", "erase", "sketch")):
    strokes = [scripted_strokes(kind, rng) for _ in range(NUM_EDITS)]
    colour, sketch = (strokes, None) if kind != "sketch" else (None, strokes)
    began = time.perf_counter()
    result = editor.apply(start, color_strokes=colour, edge_strokes=sketch, config=EDIT, sequence_steps=7)
    seconds = time.perf_counter() - began
    measured = constraints.satisfaction(generator, result.free, start.labels, result.constraints, real)
    key = "edge" if kind == "sketch" else "color"
    record["kinds"][kind] = {
        "satisfied_before": float(np.nanmean(result.metrics[f"{key}_satisfied_before"])),
        "satisfied_after": float(np.nanmean(result.metrics[f"{key}_satisfied"])),
        "outside_l1_vs_projection": float(np.mean(result.metrics["outside_l1"])),
        "outside_l1_vs_real": float(np.mean(measured["outside_l1"])),
        "projection_outside_l1_vs_real": float(np.mean(constraints.satisfaction(
            generator, start.free, start.labels, result.constraints, real)["outside_l1"])),
        "seconds_for_batch_with_compile": seconds}
    print(kind, record["kinds"][kind])
    for i in (4 * number, 4 * number + 11, 4 * number + 22):  # digits spread over the (class-sorted) selection
      figure_rows.append((kind, real[i], result.constraints, i, result.sequence[i]))
  _write(f"edits_dcgan_test_seed{SEED}.json", record)
  _figure_edits(generator, figure_rows)


REG_WEIGHTS = (0.01, 0.1, 1.0)


def tradeoff(_args) -> None:
  """The regulariser's trade-off on the validation digits (DCGAN, hybrid projections): stroke pixels met against
  the change outside the strokes, for w_reg in REG_WEIGHTS. Recorded, not used to choose: the test edits above
  use the weight fixed beforehand (0.01)."""
  generator, editor, config = _hybrid_editor()
  images, _, indices = _digits("validation", NUM_EDITS)
  start = editor.project(images)
  rows = []
  for kind in ("ink", "erase", "sketch"):
    rng = np.random.default_rng(SEED)
    strokes = [scripted_strokes(kind, rng) for _ in range(NUM_EDITS)]
    colour, sketch = (strokes, None) if kind != "sketch" else (None, strokes)
    key = "edge" if kind == "sketch" else "color"
    for weight in REG_WEIGHTS:
      result = editor.apply(start, color_strokes=colour, edge_strokes=sketch,
                            config=dataclasses.replace(EDIT, reg_weight=weight), sequence_steps=2)
      rows.append({"kind": kind, "reg_weight": weight,
                   "satisfied_before": float(np.nanmean(result.metrics[f"{key}_satisfied_before"])),
                   "satisfied_after": float(np.nanmean(result.metrics[f"{key}_satisfied"])),
                   "outside_l1_vs_projection": float(np.mean(result.metrics["outside_l1"]))})
      print(rows[-1])
  _write(f"edits_tradeoff_dcgan_validation_seed{SEED}.json",
         {"model": "dcgan", "split": "validation", "indices": indices.tolist(), "seed": SEED,
          "edit": dataclasses.asdict(EDIT), "rows": rows})


def _figure_edits(generator, rows) -> None:
  """Rows: real digit | strokes over the projection | the sequence from projection to edit."""
  from jgan import images as image_io
  tiles = []
  for kind, real, edit_constraints, i, sequence in rows:
    overlay = np.repeat(sequence[0], 3, axis=-1).copy()  # strokes drawn in colour over the projection
    if kind == "sketch":
      mask = edit_constraints.edges[i, ..., 0] > 0.2
      overlay[mask] = (0.0, 1.0, 0.0)
    else:
      mask = edit_constraints.color_mask[i, ..., 0] > 0
      value = edit_constraints.colors[i, ..., 0][mask]
      white = (value > 0)[:, None]
      overlay[mask] = np.where(white, [1.0, 0.3, -1.0], [-1.0, 0.2, 1.0])  # white ink orange, black ink blue
    frames = [np.repeat(real, 3, -1), overlay] + [np.repeat(f, 3, -1) for f in sequence]
    tiles.extend(frames)
  pixels = np.stack([np.clip(np.round((t + 1) * 127.5), 0, 255).astype(np.uint8) for t in tiles])
  grid = image_io.grid(pixels, columns=len(tiles) // len(rows))
  FIGURES.mkdir(parents=True, exist_ok=True)
  api.write_png(FIGURES / "edits.png", np.repeat(np.repeat(grid, 3, axis=0), 3, axis=1))
  (FIGURES / "edits.txt").write_text(
      "rows: 3 'ink' edits (white bar, shown orange), 3 'erase' edits (black rectangle, shown blue), 3 'sketch' "
      "edits (line, green); columns: test digit, strokes over its projection, the sequence from projection to "
      "edit (7 frames)\n")


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("stage", choices=("models", "select", "rechoose", "encoders", "compare", "edits", "tradeoff",
                                              "all"))
  args = parser.parse_args(argv)
  stages = [models, select, encoders, compare, edits, tradeoff] if args.stage == "all" else [globals()[args.stage]]
  for stage in stages:
    stage(args)
  return 0


if __name__ == "__main__":
  sys.exit(main())
