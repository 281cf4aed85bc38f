"""The editing workflow in one object, for the command line and the notebook: load, project, edit, write.

    editor = Editor.from_run(run_dir)                 # or Editor(generators.load(run_dir), ...)
    result = editor.project(uint8_images, labels)     # iGAN Sec. 3
    edited = editor.apply(result, color_strokes=rgba, edge_strokes=drawing)   # Sec. 4, with the sequence
"""

from __future__ import annotations

import dataclasses
import json
import pathlib

import numpy as np

from jgan.editing import constraints, encoder as encoders, features, generators, projection


@dataclasses.dataclass
class Edit:
  """An edit of one or more images: codes, images (generator range), the sequences and the constraint metrics."""

  start: projection.Projection
  free: np.ndarray
  images: np.ndarray  # (N, H, W, C) in [-1, 1]
  sequence: np.ndarray  # (N, steps, H, W, C) in [-1, 1], from the projection to the edit
  constraints: constraints.Constraints
  metrics: dict[str, list[float]]


class Editor:
  """A generator with its feature network, projection settings and (optionally) a trained encoder."""

  def __init__(self, generator: generators.LatentGenerator, *, feature_network: str = "auto",
               projection_config: projection.ProjectionConfig = projection.ProjectionConfig(),
               encoder: encoders.TrainedEncoder | None = None):
    self.generator = generator
    self.feature_network = features.choose(feature_network, generator.image_shape)
    self.extractor = features.load(self.feature_network)
    if projection_config.solver != "optimize" and encoder is None:
      raise ValueError(f"solver {projection_config.solver!r} needs an encoder (--encoder FILE, made by "
                       "`python -m jgan.edit train-encoder`)")
    self.projection_config = projection_config
    self.encoder = encoder

  @classmethod
  def from_run(cls, run_dir: str | pathlib.Path, *, encoder_path: str | pathlib.Path | None = None,
               **kwargs) -> "Editor":
    generator = generators.load(run_dir)
    encoder = encoders.load(encoder_path, generator) if encoder_path else None
    return cls(generator, encoder=encoder, **kwargs)

  def project(self, images: np.ndarray, labels: np.ndarray | None = None) -> projection.Projection:
    """Projects uint8 images (N, H, W[, C]) of the generator's source or output shape."""
    targets = projection.prepare_images(images, self.generator)
    labels = projection.check_labels(labels, len(targets), self.generator)  # before anything compiles
    return projection.project(self.generator, targets, labels, config=self.projection_config,
                              extractor=self.extractor, encoder=self.encoder)

  def make_constraints(self, color_strokes: list | None, edge_strokes: list | None,
                       num: int) -> constraints.Constraints:
    """Constraints of `num` images from lists of stroke images (None entries: no such strokes for that image)."""
    color_strokes = color_strokes or [None] * num
    edge_strokes = edge_strokes or [None] * num
    if len(color_strokes) != num or len(edge_strokes) != num:
      raise ValueError(f"strokes for {len(color_strokes)} / {len(edge_strokes)} images, but {num} images")
    parts = [constraints.from_strokes(c, e, self.generator) for c, e in zip(color_strokes, edge_strokes)]
    return constraints.Constraints(*(np.concatenate(a) for a in zip(*(dataclasses.astuple(p) for p in parts))))

  def apply(self, start: projection.Projection, *, color_strokes: list | None = None,
            edge_strokes: list | None = None, config: constraints.EditConfig = constraints.EditConfig(),
            sequence_steps: int = 8, reference: np.ndarray | None = None) -> Edit:
    """Edits the projected images under the strokes (one stroke image, or None, per image).

    `reference`: the images the 'outside the strokes' distance is measured against (default: the projections).
    """
    num = len(start.free)
    edit_constraints = self.make_constraints(color_strokes, edge_strokes, num)
    if not (edit_constraints.color_mask.any() or edit_constraints.edge_mask.any()):
      raise ValueError("the strokes mark no pixel (colour strokes need alpha > 0; edge strokes alpha > 0 or ink)")
    free = constraints.edit(self.generator, start.free, start.labels, edit_constraints, config)
    sequence = constraints.sequence(self.generator, start.free, free, start.labels, sequence_steps)
    reference = start.images if reference is None else reference
    measured = constraints.satisfaction(self.generator, free, start.labels, edit_constraints, reference)
    before = constraints.satisfaction(self.generator, start.free, start.labels, edit_constraints, reference)
    metrics = {k: measured[k].tolist() for k in ("color_satisfied", "edge_satisfied", "outside_l1")}
    metrics.update({f"{k}_before": before[k].tolist() for k in ("color_satisfied", "edge_satisfied")})
    return Edit(start=start, free=free, images=measured["images"], sequence=sequence, constraints=edit_constraints,
                metrics=metrics)


# ---------------------------------------------------------------------------------------------------------------------
# Files.
# ---------------------------------------------------------------------------------------------------------------------

def read_image(path: str | pathlib.Path, *, what: str = "image") -> np.ndarray:
  """A PNG/JPEG as uint8 (H, W, C), its channels as stored (grey 1, grey + alpha 2, RGB 3, RGBA 4)."""
  from PIL import Image
  path = pathlib.Path(path)
  if not path.is_file():
    raise ValueError(f"{what} {path} does not exist")
  try:
    with Image.open(path) as image:
      mode = image.mode
      if mode not in ("L", "LA", "RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in mode or "transparency" in image.info else "RGB")
      pixels = np.asarray(image)
  except OSError as error:
    raise ValueError(f"cannot read {what} {path}: {error}") from error
  return pixels[..., None] if pixels.ndim == 2 else pixels


def check_image_channels(image: np.ndarray, generator: generators.LatentGenerator, path: str) -> np.ndarray:
  """The image with the generator's channels (an alpha channel dropped when fully opaque); ValueError otherwise."""
  channels = generator.image_shape[-1]
  if image.shape[-1] in (2, 4) and np.all(image[..., -1] == 255):
    image = image[..., :-1]
  if image.shape[-1] != channels:
    names = {1: "grey", 2: "grey + alpha", 3: "RGB", 4: "RGBA"}
    raise ValueError(f"image {path} is {names.get(image.shape[-1])} ({image.shape[-1]} channels); this generator "
                     f"makes {names[channels]} images of {generator.source_shape[0]}x{generator.source_shape[1]} or "
                     f"{generator.image_shape[0]}x{generator.image_shape[1]}")
  return image


def write_png(path: str | pathlib.Path, image: np.ndarray) -> None:
  """A uint8 (H, W, C) image, C in 1 (saved as grey, readable back as input), 3, 4."""
  from PIL import Image
  Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(path)


def write_sequence(out: pathlib.Path, frames: np.ndarray, *, name: str = "sequence", scale: int = 4) -> list[str]:
  """A strip PNG and an animated GIF of uint8 frames (steps, H, W, C), enlarged `scale` times."""
  from PIL import Image
  from jgan import images as image_io
  strip = image_io.grid(frames, columns=len(frames))
  big = lambda a: np.repeat(np.repeat(a, scale, axis=0), scale, axis=1)
  write_png(out / f"{name}.png", big(strip))
  pictures = [Image.fromarray(big(f)[..., 0] if f.shape[-1] == 1 else big(f)) for f in frames]
  pictures = pictures + pictures[-2:0:-1]  # there and back (PIL merges repeated frames anyway)
  pictures[0].save(out / f"{name}.gif", save_all=True, append_images=pictures[1:], duration=120, loop=0)
  return [f"{name}.png", f"{name}.gif"]


def write_json(path: pathlib.Path, record: dict) -> None:
  path.write_text(json.dumps(record, indent=2, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))
