"""How much of the UCI digits -> digits shift is the framing: the shipped digit classifier (trained on the embedded
digits, 20x20 strokes centred in 28x28 and zero-padded to 32x32) reads the UCI digits' validation split framed three
ways, with no training and no adaptation.

    python experiments/adaptation/probe_uci_framing.py   # writes results/diagnostics/uci_framing_probe.json

  * `fill`: the 8x8 digit resized to 32x32 bilinearly, as `jgan.data.tasks` gives it to DANN and CycleGAN (the UCI
    bitmaps fill their frame);
  * `box20`: resized to 20x20 and zero-padded to 32x32, the size MNIST normalizes its digits to;
  * `box20_mass_centred`: `box20` shifted so that its centre of mass is the image centre, as MNIST centres its digits.
The validation split only: this is a diagnostic of the data, not a reported score, and the test split stays unread.
"""

from __future__ import annotations

import json
import pathlib

import jax.numpy as jnp
import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "results" / "diagnostics" / "uci_framing_probe.json"


def mass_centred(images: np.ndarray) -> np.ndarray:
  """uint8 (N, H, W, 1) images shifted (bilinearly) so that each one's centre of mass is the image centre."""
  from scipy import ndimage
  out = np.empty_like(images)
  centre = (np.array(images.shape[1:3]) - 1) / 2
  for i, image in enumerate(images[..., 0].astype(np.float32)):
    shift = centre - np.array(ndimage.center_of_mass(image))
    out[i, ..., 0] = np.clip(np.rint(ndimage.shift(image, shift, order=1)), 0, 255).astype(np.uint8)
  return out


def main() -> dict:
  from jgan import data
  from jgan.data import splits
  from jgan.eval.domain_classifiers import load_domain_scorer
  scorer = load_domain_scorer("digits")
  uci = data.load("uci_digits")
  index = splits.split_indices("uci_digits", "validation")
  images, labels = uci.images[index], uci.labels[index]
  box = data.resize_images(data.resize_images(images, 20, "bilinear"), 32, "pad")  # centred: 6 pixels each side
  framings = {"fill": data.resize_images(images, 32, "bilinear"), "box20": box, "box20_mass_centred": mass_centred(box)}
  accuracy = {name: float(scorer.accuracy(data.to_unit_range(jnp.asarray(x)), jnp.asarray(labels)))
              for name, x in framings.items()}
  result = {"what": "accuracy of the shipped digit classifier (jgan.eval.classifier, trained on the embedded digits "
                    "only) on the UCI digits' validation split, per framing (module docstring)",
            "split": "uci_digits validation", "images": int(len(labels)), "accuracy": accuracy,
            "command": "python experiments/adaptation/probe_uci_framing.py"}
  OUT.write_text(json.dumps(result, indent=2) + "\n")
  return result


if __name__ == "__main__":
  print(json.dumps(main(), indent=2))
