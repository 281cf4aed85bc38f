"""Captions for the digits: attributes measured on each image, turned into text by templates with synonyms.

The digits have no captions, so the text is made from what each image shows (as CUB's captions describe the bird in
the photograph): its class and four attributes measured on its pixels (`measure`), each brought to a level by
thresholds taken from the training split (`Thresholds`):
  * thickness: the stroke's width in pixels, 2 * ink area / ink perimeter (a stroke of width w and length L >> w has
    area w L and perimeter about 2 L); levels thin | regular | thick at the tertiles of the digit's class;
  * slant: the shear of the ink, -cov(x, y) / var(y) from the intensity moments (positive: the top leans right, the
    quantity deskewing removes); levels left | upright | right at the tertiles of all training digits;
  * width: the ink's bounding-box width in pixels; narrow | regular | wide at the class's tertiles (a wide 1 is
    narrower than a narrow 0);
  * size: the bounding-box height; MNIST's digits are scaled to fit a 20-pixel box, so most are 20 high and only
    short ones are worth saying: small below `SMALL_HEIGHT`, else regular.
A caption names the class (word or numeral) and, at random, some of the attributes, each level by one of its
synonyms, in one of several templates: "a thick, slanted seven", "a 3 that is thin and narrow".
`generate_captions` draws them from a seed; the attribute levels each caption states (or 'unsaid') are what the
text encoder learns to read (`jgan.stackgan.text_encoder`).
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

ATTRIBUTES = ("thickness", "slant", "width", "size")
LEVELS = {"thickness": ("thin", "regular", "thick"), "slant": ("left", "upright", "right"),
          "width": ("narrow", "regular", "wide"), "size": ("small", "regular")}
UNSAID = -1  # the level of an attribute a caption does not mention
SMALL_HEIGHT = 18  # bounding boxes shorter than this are 'small' (about the lowest 10% of the training digits)
INK = 0.5  # a pixel is ink at or above this fraction of full intensity

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# Synonyms of each attribute's levels (None: the level is never said). Words are split at non-letters, so the
# encoder sees "left-leaning" as the words "left" and "leaning".
SYNONYMS = {
    "thickness": {"thin": ("thin", "fine", "light", "skinny"), "regular": ("medium", "regular"),
                  "thick": ("thick", "bold", "heavy", "fat")},
    "slant": {"left": ("left-leaning", "backward-slanted", "left-tilted"), "upright": ("upright", "straight"),
              "right": ("slanted", "italic", "right-leaning", "forward-slanted")},
    "width": {"narrow": ("narrow", "condensed", "slim"), "regular": None, "wide": ("wide", "broad", "stretched")},
    "size": {"small": ("small", "little", "short"), "regular": None},
}
TEMPLATES = ("a {adjectives} {digit}", "{adjectives} {digit}", "a {digit}, {adjectives}",
             "a {digit} that is {adjectives}", "a handwritten {adjectives} {digit}", "the digit {digit}, {adjectives}")
# The chance that a caption states an attribute at each of its levels: 'regular' is rarely said, as people describe
# what stands out.
SAY_PROBABILITY = {"thickness": (0.85, 0.2, 0.85), "slant": (0.8, 0.25, 0.8), "width": (0.7, 0.0, 0.7),
                   "size": (0.8, 0.0)}


def vocabulary() -> tuple[str, ...]:
  """Every word a caption can hold, sorted (ids 1..V; 0 pads)."""
  words = set(NUMBER_WORDS) | {str(d) for d in range(10)}
  for template in TEMPLATES:
    words |= set(tokenize(template.replace("{adjectives}", "").replace("{digit}", "")))
  words |= {"and"}
  for levels in SYNONYMS.values():
    for synonyms in levels.values():
      for synonym in synonyms or ():
        words |= set(tokenize(synonym))
  return tuple(sorted(words))


def tokenize(text: str) -> list[str]:
  """Lower-case words and numerals of `text` (split at anything else: "left-leaning" -> ["left", "leaning"])."""
  return re.findall(r"[a-z]+|[0-9]", text.lower())


def encode(texts: list[str], max_words: int) -> tuple[np.ndarray, list[str]]:
  """(ids (N, max_words) int32, words not in the vocabulary): each text's known words, in order, padded with 0."""
  index = {word: i + 1 for i, word in enumerate(vocabulary())}
  ids = np.zeros((len(texts), max_words), np.int32)
  unknown = []
  for row, text in enumerate(texts):
    words = tokenize(text)
    unknown += [w for w in words if w not in index]
    known = [index[w] for w in words if w in index][:max_words]
    ids[row, :len(known)] = known
  return ids, sorted(set(unknown))


def _extent(mask: np.ndarray) -> np.ndarray:
  """Length of the span from the first to the last True along axis 1 of (N, L) (0 when none)."""
  first = mask.argmax(axis=1)
  last = mask.shape[1] - 1 - mask[:, ::-1].argmax(axis=1)
  return np.where(mask.any(axis=1), last - first + 1, 0)


def measure(images: np.ndarray) -> dict[str, np.ndarray]:
  """The attributes of (N, H, W[, 1]) digits, uint8 or floats in [-1, 1]: {thickness, slant, width, height}, each
  (N,) float64, in pixels except the slant (a shear, dimensionless). See the module docstring."""
  x = np.asarray(images)
  if x.ndim == 4:
    x = x[..., 0]
  x = x.astype(np.float64) / 255.0 if np.asarray(images).dtype == np.uint8 else (x.astype(np.float64) + 1.0) / 2.0
  x = np.clip(x, 0.0, 1.0)
  ink = (x >= INK).astype(np.int8)
  area = ink.sum(axis=(1, 2))
  perimeter = (np.abs(np.diff(np.pad(ink, ((0, 0), (1, 1), (0, 0))), axis=1)).sum(axis=(1, 2))
               + np.abs(np.diff(np.pad(ink, ((0, 0), (0, 0), (1, 1))), axis=2)).sum(axis=(1, 2)))
  thickness = 2.0 * area / np.maximum(perimeter, 1)
  rows, cols = np.mgrid[:x.shape[1], :x.shape[2]]
  mass = np.maximum(x.sum(axis=(1, 2)), 1e-9)
  cy = (x * rows).sum(axis=(1, 2)) / mass
  cx = (x * cols).sum(axis=(1, 2)) / mass
  dy, dx = rows[None] - cy[:, None, None], cols[None] - cx[:, None, None]
  slant = -(x * dx * dy).sum(axis=(1, 2)) / np.maximum((x * dy * dy).sum(axis=(1, 2)), 1e-9)
  return {"thickness": thickness, "slant": slant, "width": _extent(ink.any(axis=1)).astype(np.float64),
          "height": _extent(ink.any(axis=2)).astype(np.float64)}


@dataclasses.dataclass(frozen=True)
class Thresholds:
  """Level boundaries from the training split: per class (10, 2) for thickness and width, global (2,) for slant."""

  thickness: np.ndarray
  width: np.ndarray
  slant: np.ndarray

  @classmethod
  def fit(cls, images: np.ndarray, labels: np.ndarray) -> "Thresholds":
    values = measure(images)
    per_class = lambda v: np.stack([np.quantile(v[labels == c], (1 / 3, 2 / 3)) for c in range(10)])
    return cls(thickness=per_class(values["thickness"]), width=per_class(values["width"]),
               slant=np.quantile(values["slant"], (1 / 3, 2 / 3)))

  def to_dict(self) -> dict:
    return {k: np.asarray(v).round(4).tolist() for k, v in dataclasses.asdict(self).items()}

  def levels(self, images: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """Each attribute's level index (into `LEVELS[attribute]`) for every image, (N,) int each."""
    values, labels = measure(images), np.asarray(labels)
    by_class = lambda v, bounds: np.sum(v[:, None] >= bounds[labels], axis=1)
    return {"thickness": by_class(values["thickness"], self.thickness),
            "slant": np.sum(values["slant"][:, None] >= self.slant[None], axis=1),
            "width": by_class(values["width"], self.width),
            "size": (values["height"] >= SMALL_HEIGHT).astype(np.int64)}


def caption(label: int, said: dict[str, int], rng: np.random.Generator) -> str:
  """One caption of a digit of class `label` stating the levels in `said` ({attribute: level index}; others
  unmentioned), with synonyms and a template drawn from `rng`."""
  words = []
  for attribute in ATTRIBUTES:
    if said.get(attribute, UNSAID) != UNSAID:
      synonyms = SYNONYMS[attribute][LEVELS[attribute][said[attribute]]]
      words.append(synonyms[rng.integers(len(synonyms))])
  rng.shuffle(words)
  joiner = (", ", " and ")[rng.integers(2)]
  adjectives = joiner.join(words) if len(words) < 3 else ", ".join(words[:-1]) + " and " + words[-1]
  digit = NUMBER_WORDS[label] if rng.integers(2) else str(label)
  template = TEMPLATES[rng.integers(len(TEMPLATES))] if words else "a {digit}"
  text = template.format(adjectives=adjectives, digit=digit)
  return re.sub(r"\s+", " ", text).strip(" ,")


def generate_captions(labels: np.ndarray, levels: dict[str, np.ndarray], per_image: int,
                      seed: int) -> tuple[list[list[str]], dict[str, np.ndarray]]:
  """`per_image` captions of each image (a list per image) and the levels they state: {attribute: (N, per_image)
  level index or `UNSAID`}, plus {'label': (N, per_image)}. Each attribute is said with `SAY_PROBABILITY` of its
  level."""
  rng = np.random.default_rng(seed)
  n = len(labels)
  said = {a: np.full((n, per_image), UNSAID, np.int64) for a in ATTRIBUTES}
  texts = []
  for i in range(n):
    row = []
    for k in range(per_image):
      stated = {}
      for attribute in ATTRIBUTES:
        level = int(levels[attribute][i])
        if SYNONYMS[attribute][LEVELS[attribute][level]] and rng.random() < SAY_PROBABILITY[attribute][level]:
          stated[attribute] = said[attribute][i, k] = level
      row.append(caption(int(labels[i]), stated, rng))
    texts.append(row)
  return texts, {**said, "label": np.repeat(np.asarray(labels, np.int64)[:, None], per_image, axis=1)}


def prompt(label: int, **levels: str) -> str:
  """A plain caption stating the given levels by their first synonym: prompt(3, thickness='thin') -> 'a thin 3'."""
  words = [SYNONYMS[a][level][0] for a in ATTRIBUTES for level in [levels.get(a)] if level]
  return " ".join(["a", *words, str(label)])
