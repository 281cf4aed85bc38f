"""Classifiers of jgan's offline image domains, trained on real images of each, to score translated or adapted images.

Isola et al. (pix2pix, arXiv:1611.07004, Sec. 4.2) score photos generated from Cityscapes labels with an FCN trained
on real Cityscapes photos: a translation is good when a classifier of the target domain reads the source's label in
it. jgan does the same for its digit domains, at 32x32 as `jgan.data.tasks` gives them to translation:
  * `digits`: the shipped digit classifier (`jgan.eval.classifier`, its weights unchanged), (N, 32, 32, 1);
  * `mnist_m`: `DigitCNN(channels=3)` on the coloured digits, (N, 32, 32, 3);
  * `uci_digits`: `DigitCNN(channels=1)` on the 8x8 UCI digits resized to 32x32 bilinearly (`tasks._images32`).
`python -m jgan.eval.domain_classifiers --domain mnist_m|uci_digits` trains on the domain's 'train' split
(`jgan.data.splits`) with `train_classifier.fit`, keeps the epoch of best 'validation' accuracy, and only then reads
the 'test' split, once, to record its accuracy. It writes `<domain>_classifier.msgpack` (`flax.serialization` bytes of
the parameters) and `<domain>_classifier.json` (how they were made, and their accuracies) beside this module.
`load_domain_scorer(domain)` gives a `DomainScorer`: `probs`, `features`, `accuracy` (and FD, as `DigitScorer`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import sys

import flax
import jax
import jax.numpy as jnp
import numpy as np

from jgan import data
from jgan.eval import classifier, train_classifier
from jgan.eval.digits import DigitScorer

DOMAINS = ("digits", "mnist_m", "uci_digits")
TRAINED_HERE = ("mnist_m", "uci_digits")  # `digits` is trained by `jgan.eval.train_classifier`
CHANNELS = {"digits": 1, "mnist_m": 3, "uci_digits": 1}
# Distortions' fill: the grey digits have a uniform background (-1); MNIST-M's photo background has none, and black
# corners would be a cue the real images never show.
FILL = {"mnist_m": "nearest", "uci_digits": "constant"}
# Modest runs (minutes on two CPU cores). UCI's 1,197 training digits make 18 batches of 64 an epoch: more epochs.
DEFAULTS = {"mnist_m": {"epochs": 15, "batch_size": 128, "learning_rate": 3e-3, "seed": 0},
            "uci_digits": {"epochs": 40, "batch_size": 64, "learning_rate": 3e-3, "seed": 0}}
DATA = {
    "mnist_m": "jgan.data.load('mnist_m') (jgan.data.mnist_m: each of the 10,000 embedded digits, padded to 32x32, "
               "as |photo crop - digit| with a crop of its own split's jgan.data.photos), 32x32x3 uint8 scaled to "
               "[-1, 1]",
    "uci_digits": "jgan.data.load('uci_digits') (the 1,797 8x8 UCI digits of scikit-learn), resized 8 -> 32 "
                  "bilinearly as jgan.data.tasks._images32 does for the unpaired task, 32x32x1 uint8 scaled to "
                  "[-1, 1]",
}


def weights_path(domain: str) -> pathlib.Path:
  """Where the weights of `domain`'s classifier live in the package."""
  _check_domain(domain)
  return classifier.WEIGHTS if domain == "digits" else pathlib.Path(__file__).with_name(f"{domain}_classifier.msgpack")


def record_path(domain: str) -> pathlib.Path:
  """Where the record (how it was trained, its accuracies) of `domain`'s classifier lives in the package."""
  _check_domain(domain)
  return classifier.RECORD if domain == "digits" else pathlib.Path(__file__).with_name(f"{domain}_classifier.json")


def _check_domain(domain: str) -> None:
  if domain not in DOMAINS:
    raise ValueError(f"no classifier for domain {domain!r}: expected one of {list(DOMAINS)}")


def domain_split(domain: str, split: str) -> tuple[np.ndarray, np.ndarray]:
  """(images (N, 32, 32, C) uint8, labels (N,) int32) of `split` of `domain`, at 32x32 as `jgan.data.tasks` makes
  them (the same function: what the classifier learns is what translation models see)."""
  _check_domain(domain)
  from jgan.data import splits, tasks
  images, labels = tasks._images32(domain)
  index = splits.split_indices(domain, split)
  return images[index], labels[index]


@dataclasses.dataclass(frozen=True)
class DomainScorer(DigitScorer):
  """A `DigitScorer` whose classifier was trained on `domain`; it accepts only that domain's kind of image.

  Images: (N, 32, 32, C) uint8 pixels or floats in [-1, 1], C the domain's channel count (`CHANNELS`); a grey domain
  also takes (N, 32, 32). Images of another channel count are a ValueError, with one exception: a grey domain takes
  3-channel images as their mean over the channels. A CycleGAN between MNIST-M and a grey domain may give both its
  generators 3 output channels; a grey image repeated over three channels is read back exactly by the mean. The
  colour domain (`mnist_m`) never takes grey images: repeating one over three channels would score an image that is
  not of the domain. `digits` keeps `DigitScorer`'s sizes (28x28 digits are padded to 32x32); the others take 32x32.
  """

  domain: str = "digits"

  def forward(self, images: np.ndarray | jax.Array) -> tuple[np.ndarray, np.ndarray]:
    """(features (N, 128), class probabilities (N, 10)), float64, after `prepare`."""
    return super().forward(self.prepare(images))

  def prepare(self, images: np.ndarray | jax.Array) -> np.ndarray | jax.Array:
    """`images` checked against the domain, 3-channel images brought to grey for a grey domain (see the class)."""
    channels = CHANNELS[self.domain]
    shape = tuple(images.shape)
    sides = ((28, 28), (32, 32)) if self.domain == "digits" else ((32, 32),)
    given = 1 if len(shape) == 3 else shape[-1] if len(shape) == 4 else None
    if given is None or shape[1:3] not in sides:
      side = "28|32, 28|32" if self.domain == "digits" else "32, 32"
      raise ValueError(f"{self.domain} images must be (N, {side}, {channels}), got shape {shape}")
    if given == channels:
      return images
    if channels == 1 and given == 3:
      if images.dtype != np.uint8 and not jnp.issubdtype(images.dtype, jnp.floating):
        raise ValueError(f"{self.domain} images must be uint8 or float in [-1, 1], got {images.dtype}")
      # In [-1, 1] first: the mean of uint8 pixels is no longer uint8, and floats take `preprocess`'s float path.
      x = data.to_unit_range(jnp.asarray(images)) if images.dtype == np.uint8 else jnp.asarray(images)
      return jnp.mean(x, axis=-1, keepdims=True)
    raise ValueError(f"the {self.domain} classifier takes {channels}-channel images (N, 32, 32, {channels}), got "
                     f"{given} channel(s), shape {shape}" +
                     ("; grey images are not broadcast to colour" if channels == 3 else ""))


def load_domain_scorer(domain: str) -> DomainScorer:
  """The classifier of `domain` (one of `DOMAINS`) with the weights shipped in the package (no training)."""
  path = weights_path(domain)
  if not path.is_file():
    command = ("python -m jgan.eval.train_classifier" if domain == "digits" else
               f"python -m jgan.eval.domain_classifiers --domain {domain}")
    raise FileNotFoundError(f"{path}: no {domain} classifier weights; make them with {command}")
  template = classifier.init_params(jax.random.PRNGKey(0), CHANNELS[domain])
  return DomainScorer(params=flax.serialization.from_bytes(template, path.read_bytes()), domain=domain)


def train(domain: str, *, epochs: int, batch_size: int, learning_rate: float, seed: int) -> tuple[dict, dict]:
  """Trains `domain`'s classifier; returns the parameters of the best validation epoch and their record.

  The test split is read after the epoch is chosen, and scored once.
  """
  if domain not in TRAINED_HERE:
    raise ValueError(f"domain must be one of {list(TRAINED_HERE)} (digits: python -m jgan.eval.train_classifier), "
                     f"got {domain!r}")
  train_images, train_labels = domain_split(domain, "train")
  validation_images, validation_labels = domain_split(domain, "validation")
  result = train_classifier.fit(train_images, train_labels, validation_images, validation_labels, epochs=epochs,
                                batch_size=batch_size, learning_rate=learning_rate, seed=seed, fill=FILL[domain],
                                log=lambda line: print(line, flush=True))
  test_images, test_labels = domain_split(domain, "test")
  test_accuracy = train_classifier.accuracy(result.params, test_images, test_labels)
  record = {
      "domain": domain,
      "architecture": classifier.architecture(CHANNELS[domain]),
      "data": DATA[domain],
      "split": {"how": f"jgan.data.splits.split_indices({domain!r}, split)", "train": len(train_labels),
                "validation": len(validation_labels), "test": len(test_labels)},
      "training": {"epochs": epochs, "batch_size": batch_size, "optimizer": "adam, cosine decay",
                   "learning_rate": learning_rate, "seed": seed,
                   "augmentation": train_classifier.augmentation(FILL[domain]),
                   "selection": "the epoch of best validation accuracy (the first of ties)",
                   "seconds": result.seconds},
      "chosen_epoch": result.best_epoch,
      "validation_accuracy": result.validation_accuracy[result.best_epoch - 1],
      "validation_accuracy_per_epoch": result.validation_accuracy,
      "train_loss_per_epoch": [round(loss, 5) for loss in result.train_loss],
      "train_accuracy": train_classifier.accuracy(result.params, train_images, train_labels),
      "test_accuracy": test_accuracy,
      "versions": train_classifier.versions(),
  }
  return result.params, record


def main(argv: list[str] | None = None) -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--domain", required=True, choices=TRAINED_HERE)
  parser.add_argument("--epochs", type=int, help="default: per domain, DEFAULTS")
  parser.add_argument("--batch-size", type=int)
  parser.add_argument("--learning-rate", type=float)
  parser.add_argument("--seed", type=int)
  parser.add_argument("--output-dir", type=pathlib.Path, help="write there instead of into the package")
  argv = sys.argv[1:] if argv is None else argv
  args = parser.parse_args(argv)
  settings = {key: value if (value := getattr(args, key)) is not None else default
              for key, default in DEFAULTS[args.domain].items()}
  params, record = train(args.domain, **settings)
  record["command"] = " ".join(["python -m jgan.eval.domain_classifiers", *argv])
  weights, record_file = weights_path(args.domain), record_path(args.domain)
  if args.output_dir is not None:
    args.output_dir.mkdir(parents=True, exist_ok=True)
    weights, record_file = args.output_dir / weights.name, args.output_dir / record_file.name
  weights.write_bytes(flax.serialization.to_bytes(params))
  record_file.write_text(json.dumps(record, indent=2) + "\n")
  print(f"wrote {weights} and {record_file}: epoch {record['chosen_epoch']}, validation accuracy "
        f"{record['validation_accuracy']:.4f}, test accuracy {record['test_accuracy']:.4f}")


if __name__ == "__main__":
  main()
