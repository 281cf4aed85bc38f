"""Semi-supervised GAN with K + 1 classes (Salimans et al. 2016) on the embedded digits, and its test error.

    python -m jgan.experiments.ssgan [--labels 100] [--steps N] [--out DIR] [--resume]
    python -m jgan.experiments.ssgan test-error DIR

The first trains (outputs as every experiment: metrics.jsonl with supervised_loss, unsupervised_loss,
labeled_accuracy, feature_distance, ...; samples/; checkpoints/). The second classifies the run's held-out images
(`--heldout`, never trained on) with the latest checkpoint's discriminator, prints the error and writes it to
DIR/test_error.json. Config: jgan/configs/ssgan.py; losses: jgan/games/ssgan.py; data: jgan/data/labeled.py.
"""

from __future__ import annotations

import json
import pathlib
import sys

from jgan import cli
from jgan.configs import ssgan


def held_out_error(run_dir: str | pathlib.Path) -> dict:
  """{'test_error', 'errors', 'test_images', 'train_images', 'labels', 'step'} of the run's latest checkpoint."""
  import numpy as np

  from jgan import data, sample
  from jgan.data import labeled
  from jgan.games.ssgan import error_rate
  state, config, _ = sample.load_generator(run_dir)
  if not config.heldout:
    raise ValueError(f"{run_dir}: the run held nothing out (heldout 0): no test set")
  dataset = data.load(config.dataset, split=config.split, data_dir=config.data_dir)
  (train_images, _), (images, labels) = labeled.split_heldout(dataset.images, dataset.labels, config.heldout)
  error = error_rate(state, data.resize_images(images, config.image_size, config.resize), labels)
  return {"test_error": error, "errors": int(round(error * len(images))), "test_images": len(images),
          "train_images": len(train_images), "labels": config.labels, "step": int(np.asarray(state.step))}


def main(argv: list[str] | None = None) -> int:
  argv = sys.argv[1:] if argv is None else argv
  if argv[:1] == ["test-error"]:
    if len(argv) != 2:
      print("usage: python -m jgan.experiments.ssgan test-error RUN_DIR", file=sys.stderr)
      return 2
    try:
      result = held_out_error(argv[1])
    except ValueError as error:
      print(f"error: {error}", file=sys.stderr)
      return 2
    (pathlib.Path(argv[1]) / "test_error.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result))
    return 0
  return cli.main("ssgan", ssgan.get_config(), __doc__, argv)


if __name__ == "__main__":
  sys.exit(main())
