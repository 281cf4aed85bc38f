"""Builds `jgan/data/simulated_digits.npz`: digits rendered from fonts, with random affine jitter and known labels,
the "simulator" of jgan's SimGAN experiment (Shrivastava et al. 2017, arXiv:1612.07828).

    python -m jgan.data.build_simulated_digits [--count 10000] [--seed 0] [--font-dir /usr/share/fonts/truetype/dejavu]

Fonts: the six faces of the Debian package `fonts-dejavu-core` 2.37-6 (DejaVu Sans, Sans Bold, Sans Mono, Sans Mono
Bold, Serif, Serif Bold; upstream https://dejavu-fonts.github.io/). Licence: the Bitstream Vera font licence (free to
use, copy and redistribute, also embedded in documents; DejaVu's changes are in the public domain), as
/usr/share/doc/fonts-dejavu-core/copyright states; only rendered pixels are stored, no font file.

Each image is made as MNIST's digits were laid out (LeCun et al.): the glyph is rendered large in white on black
with Pillow's `ImageFont`, cropped to its ink, scaled so that its longer side is 20 pixels, and centred by its
centre of mass in a 28x28 frame; then a random affine jitter is applied (rotation within +-15 degrees, shear within
+-0.3, scale 0.85-1.15 per axis, shift within +-2 pixels), a random stroke thickening (a 2x2 maximum filter, with
probability 1/3), and the frame is zero-padded to 32x32 as `jgan.data.tasks` pads the digits. Deterministic given
the seed and the fonts: `labels[i] = i % 10`, faces cycled by i // 10.
"""

from __future__ import annotations

import argparse
import json
import pathlib

import numpy as np

FONT_PACKAGE = "fonts-dejavu-core 2.37-6"
FONT_DIR = "/usr/share/fonts/truetype/dejavu"
FACES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf",
         "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf")
LICENCE = "Bitstream Vera font licence; DejaVu changes public domain (/usr/share/doc/fonts-dejavu-core/copyright)"
OUTPUT = pathlib.Path(__file__).with_name("simulated_digits.npz")


def render_glyph(font, digit: int) -> np.ndarray:
  """The digit's glyph as a float (h, w) ink map in [0, 1], cropped to its ink."""
  from PIL import Image, ImageDraw
  canvas = Image.new("L", (96, 96), 0)
  ImageDraw.Draw(canvas).text((48, 48), str(digit), fill=255, font=font, anchor="mm")
  ink = np.asarray(canvas, np.float32) / 255.0
  rows, cols = np.flatnonzero(ink.max(1) > 0), np.flatnonzero(ink.max(0) > 0)
  return ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def lay_out(glyph: np.ndarray, rng: np.random.Generator) -> np.ndarray:
  """A 32x32 uint8 digit: the glyph scaled to a 20-pixel longer side, centred by mass in 28x28, jittered, padded."""
  from PIL import Image
  from scipy import ndimage
  h, w = glyph.shape
  scale = 20.0 / max(h, w)
  size = (max(1, round(w * scale)), max(1, round(h * scale)))
  small = np.asarray(Image.fromarray((glyph * 255).astype(np.uint8)).resize(size, Image.LANCZOS), np.float32) / 255
  frame = np.zeros((28, 28), np.float32)
  cy, cx = ndimage.center_of_mass(small)
  top, left = int(round(14 - cy)), int(round(14 - cx))
  top, left = min(max(top, 0), 28 - small.shape[0]), min(max(left, 0), 28 - small.shape[1])
  frame[top:top + small.shape[0], left:left + small.shape[1]] = small
  angle = np.deg2rad(rng.uniform(-15, 15))
  shear = rng.uniform(-0.3, 0.3)
  sx, sy = rng.uniform(0.85, 1.15, 2)
  rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
  forward = rotation @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag([sy, sx])
  inverse = np.linalg.inv(forward)  # affine_transform maps output coordinates to input ones
  centre = np.array([13.5, 13.5])
  shift = rng.uniform(-2, 2, 2)
  offset = centre - inverse @ (centre + shift)
  warped = ndimage.affine_transform(frame, inverse, offset=offset, order=1, mode="constant")
  if rng.uniform() < 1 / 3:
    warped = ndimage.maximum_filter(warped, size=2)
  return np.pad(np.clip(warped * 255, 0, 255).round().astype(np.uint8), 2)


def build(count: int, seed: int, font_dir: str = FONT_DIR) -> tuple[np.ndarray, np.ndarray]:
  """(images (count, 32, 32, 1) uint8, labels (count,) int32)."""
  from PIL import ImageFont
  missing = [f for f in FACES if not (pathlib.Path(font_dir) / f).is_file()]
  if missing:
    raise FileNotFoundError(f"fonts {missing} not in {font_dir}: install the Debian package fonts-dejavu-core")
  fonts = [ImageFont.truetype(str(pathlib.Path(font_dir) / face), 64) for face in FACES]
  glyphs = [[render_glyph(font, d) for d in range(10)] for font in fonts]
  rng = np.random.default_rng(seed)
  labels = (np.arange(count) % 10).astype(np.int32)
  images = np.stack([lay_out(glyphs[(i // 10) % len(FACES)][labels[i]], rng) for i in range(count)])[..., None]
  return images, labels


def main(argv: list[str] | None = None) -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--count", type=int, default=10000)
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--font-dir", default=FONT_DIR)
  parser.add_argument("--output", type=pathlib.Path, default=OUTPUT)
  args = parser.parse_args(argv)
  images, labels = build(args.count, args.seed, args.font_dir)
  record = {"fonts": FACES, "font_package": FONT_PACKAGE, "licence": LICENCE, "count": args.count,
            "seed": args.seed, "command": "python -m jgan.data.build_simulated_digits"}
  np.savez_compressed(args.output, images=images, labels=labels, record=json.dumps(record))
  print(f"wrote {args.output}: {images.shape}")


if __name__ == "__main__":
  main()
