"""StackGAN stages as `Experiment`s of the shared loop: `run(config, workdir)`, `load`, `final_scores`, `scores`.

Data: the embedded digits' 'train' split (8,000) with `captions_per_image` captions each for training; the
'validation' split (1,000, one caption each) for grids' reference, the evaluations during training and every
choice; the 'test' split only in `final_scores`, read once per reported number. Captions of a split are drawn from a
fixed seed per split (`CAPTION_SEEDS`), the same whatever the run's seed. Attribute thresholds come from the
training split (`jgan.stackgan.captions.Thresholds`).

Scores (`scores`): the digit classifier's Frechet distance and Inception score of the images generated from a
split's captions (one image per caption) against that split's real digits; `caption_accuracy`, the fraction
classified as their caption's class; and attribute agreement from prompts: for each class, images from "a thin
D" and "a thick D" (and left/right slant, narrow/wide), measured by `captions.measure`: the mean gap (thick minus
thin, in pixels) over classes, the fraction of classes with the gap's right sign, and beside them the gap between
two captions that say the same ("a D", "the digit D"), the noise level of the measure. `same_caption_spread`: the
mean feature distance between two images drawn from one caption (diversity), beside real digits of one class. Stage-I
images (16x16) are scored after a bilinear upscaling to 32x32, against real digits brought down to 16x16 and up
again the same way (so a perfect Stage I could reach the real floor).
"""

from __future__ import annotations

import dataclasses
import functools
import pathlib

import jax
import jax.numpy as jnp
import numpy as np

from jgan import checkpoint, data, loop, parallel
from jgan import images as image_io
from jgan.data import splits
from jgan.stackgan import captions, stackgan, text_encoder
from jgan.stackgan.config import FROM_STAGE_ONE, StackGANConfig, validate
from jgan.state import MultiNetState, Net

CAPTION_SEEDS = {"train": 0, "validation": 1, "test": 2}
SIDE = 32  # the digits' side (28 padded), Stage II's output and the classifier's input
CHUNK = 250  # images generated per compiled call when scoring
PROBES = {"thickness": ("thin", "thick"), "slant": ("left", "right"), "width": ("narrow", "wide")}
PROBE_IMAGES = 25  # per class and prompt
GRID_PROMPTS = ({}, {"thickness": "thin"}, {"thickness": "thick"}, {"slant": "left"}, {"slant": "right"},
                {"width": "wide"})


def run_keys(seed: int) -> dict[str, jax.Array]:
  """The run's keys from `seed`: initialization, the training stream, grids and evaluations."""
  init_rng, step_rng, sample_rng, eval_rng = jax.random.split(jax.random.PRNGKey(seed), 4)
  return {"init": init_rng, "step": step_rng, "sample": sample_rng, "eval": eval_rng}


@functools.cache
def thresholds() -> captions.Thresholds:
  """The attribute levels' boundaries, from the training split."""
  train = splits.load_split("digits", "train")
  return captions.Thresholds.fit(train.images, train.labels)


@functools.cache
def captioned_split(split: str, per_image: int, max_words: int) -> dict:
  """{'images' (N, 32, 32, 1) uint8, 'labels', 'texts' [[str] * per_image] * N, 'ids' (N, per_image, L) int32,
  'said' {fact: (N, per_image)}} of a split of the digits in a fixed shuffled order, captions drawn from
  `CAPTION_SEEDS[split]`."""
  dataset = splits.load_split("digits", split)
  levels = thresholds().levels(dataset.images, dataset.labels)
  texts, said = captions.generate_captions(dataset.labels, levels, per_image, CAPTION_SEEDS[split])
  ids, _ = captions.encode([t for row in texts for t in row], max_words)
  # A fixed shuffle, so that the first n of a split (`eval_samples`) hold every class: the set is sorted by class.
  order = np.random.default_rng(CAPTION_SEEDS[split]).permutation(len(texts))
  return {"images": data.resize_images(dataset.images, SIDE, "pad")[order],
          "labels": dataset.labels.astype(np.int64)[order], "texts": [texts[i] for i in order],
          "ids": ids.reshape(len(texts), per_image, max_words)[order], "said": {k: v[order] for k, v in said.items()}}


def train_text_encoder(config: StackGANConfig) -> tuple[dict, dict]:
  """(the encoder's params without its heads, its record: accuracies on validation captions), trained on the
  training split's captions (`jgan.stackgan.text_encoder`)."""
  train = captioned_split("train", config.captions_per_image, config.max_words)
  flat = lambda d: {k: np.asarray(v).reshape(-1) for k, v in text_encoder.targets(d).items()}
  module, params, loss = text_encoder.train(train["ids"].reshape(-1, config.max_words), flat(train["said"]),
                                            features=config.embedding_dim, word_features=config.word_dim,
                                            steps=config.text_encoder_steps, seed=config.seed)
  validation = captioned_split("validation", 1, config.max_words)
  accuracy = text_encoder.fact_accuracy(module, params, validation["ids"][:, 0], flat(validation["said"]))
  kept = {k: v for k, v in params.items() if not k.startswith("head_")}
  return kept, {"text_encoder_loss": loss, "text_encoder_validation_accuracy": accuracy}


def stage_one_config(run_dir: str | pathlib.Path) -> StackGANConfig:
  """The config of the Stage-I run in `run_dir`, ValueError if there is none or it is not a Stage-I StackGAN run."""
  run_dir = checkpoint.find_run_dir(run_dir)  # raises naming the directory when it has no checkpoint
  _, meta, _ = checkpoint.restore(run_dir)
  try:
    config = StackGANConfig(**meta["config"])
  except TypeError as error:
    raise ValueError(f"stage1 {str(run_dir)!r} is not a StackGAN run ({error})") from None
  if config.stage != 1:
    raise ValueError(f"stage1 {str(run_dir)!r} is a Stage-{config.stage} run, not a Stage-I run")
  return config


def check_stage_one(config: StackGANConfig) -> StackGANConfig:
  """The Stage-I run that `config.stage1` names: its config, after checking that it shapes the nets this Stage II
  reuses as this config says (`FROM_STAGE_ONE`)."""
  s1 = stage_one_config(config.stage1)
  differing = [k for k in FROM_STAGE_ONE if getattr(s1, k) != getattr(config, k)]
  if differing:
    raise ValueError(f"stage1 {config.stage1!r} was trained with other settings: "
                     + ", ".join(f"{k} {getattr(s1, k)!r} there vs {getattr(config, k)!r} here" for k in differing)
                     + " (pass the Stage-I run's values)")
  return s1


def create_state(config: StackGANConfig, channels: int = 1, stage1_config: StackGANConfig | None = None,
                 axis_name: str | None = None, fixed: dict[str, tuple] | None = None) -> MultiNetState:
  """A fresh state from `config.seed`; `fixed` ({net: (params, batch_stats)}) gives the trained nets no phase
  updates (the text encoder; in Stage II also the Stage-I generator). Without it they are left at initialization,
  which only a restore target (`jgan.checkpoint.abstract_target`) may use."""
  keys = run_keys(config.seed)
  nets = {}
  built = stackgan.build_nets(config, channels, stage1_config, axis_name)
  for i, (name, (module, example)) in enumerate(built.items()):
    params, batch_stats = Net.init_variables(module, jax.random.fold_in(keys["init"], 100 + i), example)
    if fixed and name in fixed:
      params, batch_stats = fixed[name]
    nets[name] = Net(params=params, batch_stats=batch_stats, apply_fn=module.apply)
  return MultiNetState.create(nets, stackgan.make_phases(config), keys["step"])


def load(run_dir: str | pathlib.Path) -> tuple[MultiNetState, StackGANConfig, StackGANConfig | None, dict]:
  """`(state, config, stage1_config or None, meta)` from the latest checkpoint of `run_dir` (a Stage-II run
  carries its Stage-I generator and config: the Stage-I run need not exist any more)."""
  def configs(meta):
    s1 = meta.get("stage1_config")
    return StackGANConfig(**meta["config"]), None if s1 is None else StackGANConfig(**s1)

  def make_state(meta):
    config, stage1_config = configs(meta)
    return create_state(config, int(meta["channels"]), stage1_config)

  state, meta = checkpoint.load_run(run_dir, make_state)
  return (state, *configs(meta), meta)


def to_scoring_size(images: np.ndarray) -> np.ndarray:
  """Images in [-1, 1] at 16x16 (Stage I) brought to 32x32 by bilinear upscaling; 32x32 ones as they are."""
  images = np.asarray(images, np.float32)
  if images.shape[1] == SIDE:
    return images
  return np.asarray(jax.image.resize(images, (len(images), SIDE, SIDE, images.shape[-1]), "bilinear"))


def real_reference(images: np.ndarray, stage: int) -> np.ndarray:
  """Real uint8 digits (N, 32, 32, 1) as a stage's outputs are scored: in [-1, 1], and for Stage I through 16x16."""
  real = np.asarray(images, np.float32) / 127.5 - 1.0
  return real if stage == 2 else to_scoring_size(np.asarray(stackgan.downsample(jnp.asarray(real))))


class Generator:
  """Generates from word ids with a state's nets in inference mode, in compiled chunks of `CHUNK` captions."""

  def __init__(self, config: StackGANConfig, stage1_config: StackGANConfig | None):
    self.config = config
    self._sample = jax.jit(functools.partial(stackgan.sample, config=config, stage1_config=stage1_config))

  def __call__(self, state: MultiNetState, ids: np.ndarray, key: jax.Array) -> tuple[np.ndarray, np.ndarray | None]:
    """(images (N, S, S, C), Stage-I images or None) as float32 numpy, chunk i's noise from fold_in(key, i)."""
    outs, lows = [], []
    for i, start in enumerate(range(0, len(ids), CHUNK)):
      chunk = ids[start:start + CHUNK]
      padded = np.concatenate([chunk, np.zeros((CHUNK - len(chunk),) + chunk.shape[1:], chunk.dtype)])
      out, low = jax.device_get(self._sample(state, jnp.asarray(padded), jax.random.fold_in(key, i)))
      outs.append(out[:len(chunk)])
      if low is not None:
        lows.append(low[:len(chunk)])
    return np.concatenate(outs), (np.concatenate(lows) if lows else None)


# Two captions that say the same (the class alone): the gaps between their images are what chance gives a model.
PLACEBO = ("a {label}", "the digit {label}")


def probe_ids(config: StackGANConfig) -> tuple[np.ndarray, list[tuple[int, str, str]]]:
  """Word ids of the attribute prompts, then of the placebo pair, `PROBE_IMAGES` copies each, and what each row
  asks: (class, attribute, level), or (class, 'placebo', caption)."""
  asked = [(label, attribute, level) for attribute, levels in PROBES.items() for label in range(10) for level in levels]
  texts = [captions.prompt(label, **{attribute: level}) for label, attribute, level in asked]
  for label in range(10):
    for text in PLACEBO:
      asked.append((label, "placebo", text))
      texts.append(text.format(label=label))
  ids, _ = captions.encode(texts, config.max_words)
  return np.repeat(ids, PROBE_IMAGES, axis=0), asked


def attribute_agreement(images: np.ndarray, asked: list[tuple[int, str, str]]) -> dict[str, float]:
  """From the probe images (`PROBE_IMAGES` per asked row, in `probe_ids`' order), per attribute: `<a>_gap`, the
  mean over classes of (mean measure asked high - asked low), `<a>_agreement`, the fraction of classes where it is
  > 0, and `placebo_<a>_gap`, the mean over classes of |the same measure's gap between the placebo captions|: the
  size of a gap that the captions' words do not cause (sampling noise, the text's incidental effects)."""
  measured = captions.measure(images)
  row_of = {a: i for i, a in enumerate(asked)}
  out = {}
  for attribute, (low, high) in PROBES.items():
    per_row = measured[attribute].reshape(len(asked), PROBE_IMAGES).mean(axis=1)
    gaps = [per_row[row_of[(c, attribute, high)]] - per_row[row_of[(c, attribute, low)]] for c in range(10)]
    placebo = [per_row[row_of[(c, "placebo", PLACEBO[1])]] - per_row[row_of[(c, "placebo", PLACEBO[0])]]
               for c in range(10)]
    out[f"{attribute}_gap"] = float(np.mean(gaps))
    out[f"{attribute}_agreement"] = float(np.mean(np.asarray(gaps) > 0))
    out[f"placebo_{attribute}_gap"] = float(np.mean(np.abs(placebo)))
  return out


def real_attribute_gaps(split: str) -> dict[str, float]:
  """The same gaps on real digits of `split` grouped by their measured level: what a faithful model would reach."""
  dataset = captioned_split(split, 1, 1)
  levels = thresholds().levels(dataset["images"], dataset["labels"])
  measured = captions.measure(dataset["images"])
  out = {}
  for attribute, (low, high) in PROBES.items():
    names = captions.LEVELS[attribute]
    gaps = [measured[attribute][(dataset["labels"] == c) & (levels[attribute] == names.index(high))].mean()
            - measured[attribute][(dataset["labels"] == c) & (levels[attribute] == names.index(low))].mean()
            for c in range(10)]
    out[f"real_{attribute}_gap"] = float(np.mean(gaps))
  return out


def scores(state: MultiNetState, config: StackGANConfig, generator: Generator, split: str, key: jax.Array,
           count: int | None = None, scorer=None) -> dict:
  """The stage's scores on `split`'s captions (the first `count`; all when None); see the module docstring."""
  from jgan.eval.digits import load_digit_scorer
  scorer = scorer or load_digit_scorer()
  dataset = captioned_split(split, 1, config.max_words)
  n = len(dataset["labels"]) if count is None else min(count, len(dataset["labels"]))
  images, _ = generator(state, dataset["ids"][:n, 0], jax.random.fold_in(key, 0))
  images = to_scoring_size(images)
  real = real_reference(dataset["images"][:n], config.stage)
  result = scorer.digit_scores(images, real)
  result["caption_accuracy"] = scorer.accuracy(images, dataset["labels"][:n])
  result["real_inception_score"] = scorer.digit_scores(real, real)["inception_score"]
  ids, asked = probe_ids(config)
  probes, _ = generator(state, ids, jax.random.fold_in(key, 1))
  probes = to_scoring_size(probes)
  result.update(attribute_agreement(probes, asked))
  result["probe_accuracy"] = scorer.accuracy(probes, np.repeat([a[0] for a in asked], PROBE_IMAGES))  # their class
  placebo = np.asarray([a[1] == "placebo" for a in asked])
  result["same_caption_spread"] = feature_spread(scorer, probes.reshape(len(asked), PROBE_IMAGES,
                                                                        *probes.shape[1:])[placebo])
  by_class = [real[dataset["labels"][:n] == c][:PROBE_IMAGES] for c in range(10)]
  result["real_same_class_spread"] = feature_spread(scorer, np.stack([r for r in by_class
                                                                      if len(r) == PROBE_IMAGES]))
  result["images"] = n
  return result


def feature_spread(scorer, groups: np.ndarray) -> float:
  """The mean distance between two images of a group in the digit classifier's features (the FD's space), averaged
  over groups (G, M, H, W, C): how much the noise varies what one caption gives (the diversity conditioning
  augmentation is meant to bring, Sec. 3.1), beside the same for real digits of one class."""
  features = scorer.features(groups.reshape(-1, *groups.shape[2:])).reshape(len(groups), groups.shape[1], -1)
  distances = np.linalg.norm(features[:, :, None] - features[:, None], axis=-1)
  m = groups.shape[1]
  return float(np.mean(distances.sum(axis=(1, 2)) / (m * (m - 1))))


class StackGANExperiment(loop.Experiment):
  """One StackGAN stage over the shared loop."""

  plot_metric, plot_label = "g_loss", "generator objective"

  def __init__(self, config: StackGANConfig):
    self.config = config
    self.stage1_config = None
    name = "I" if config.stage == 1 else "II"
    augmentation = "" if config.conditioning_augmentation else ", no conditioning augmentation"
    self.title = f"StackGAN Stage-{name} on captioned digits ({config.image_size}x{config.image_size}{augmentation})"
    self.players = {"g": "generator", "d": "discriminator"}

  def validate(self, num_devices: int) -> None:
    validate(self.config, num_devices)
    if self.config.stage == 2:
      self.stage1_config = check_stage_one(self.config)

  def prepare(self, mesh) -> dict:
    config = self.config
    train = captioned_split("train", config.captions_per_image, config.max_words)
    if len(train["images"]) < config.batch_size:
      raise ValueError(f"{len(train['images'])} training images, fewer than batch_size {config.batch_size}")
    self.channels = train["images"].shape[-1]
    record = {"thresholds": thresholds().to_dict(), **real_attribute_gaps("validation")}
    if config.stage == 1:
      params, text_record = train_text_encoder(config)
      self.fixed = {"text_encoder": (params, {})}
      record.update(text_record)
    else:
      s1_state, _, _, _ = load(config.stage1)
      self.fixed = {"text_encoder": jax.device_get((s1_state.nets["text_encoder"].params, {})),
                    "stage1_generator": jax.device_get((s1_state.nets["generator"].params,
                                                        s1_state.nets["generator"].batch_stats))}
      record.update({"stage1_config": dataclasses.asdict(self.stage1_config), "stage1_run": config.stage1,
                     "stage1_step": checkpoint.latest_step(checkpoint.find_run_dir(config.stage1))})
    self.source = parallel.replicate(stackgan.CaptionedSource(images=jnp.asarray(train["images"]),
                                                              ids=jnp.asarray(train["ids"])), mesh)
    self.step = parallel.compile_step(functools.partial(stackgan.train_step, config=config,
                                                        stage1_config=self.stage1_config, axis_name=parallel.AXIS),
                                      mesh)
    self.generator = Generator(config, self.stage1_config)
    keys = run_keys(config.seed)
    self.sample_key, self.eval_key = keys["sample"], keys["eval"]
    texts = [captions.prompt(label, **levels) for levels in GRID_PROMPTS for _ in range(config.num_samples)
             for label in range(10)]
    self.grid_ids, _ = captions.encode(texts, config.max_words)
    if config.eval_every:
      self.headline = "fd"
      from jgan.eval.digits import load_digit_scorer
      self.scorer = load_digit_scorer()
    return {"channels": self.channels, "train_examples": len(train["images"]),
            "grid_prompts": [captions.prompt(0, **levels).replace(" 0", " D") for levels in GRID_PROMPTS], **record}

  def init_state(self) -> MultiNetState:
    return create_state(self.config, self.channels, self.stage1_config, parallel.AXIS, self.fixed)

  def advance(self, state, start, count, stop):
    del start
    return loop.call_each_iteration(self.step, state, (self.source,), count, stop)

  def commands(self, workdir: pathlib.Path) -> list[str]:
    """The family's commands and, after Stage I, the Stage-II run that refines it."""
    stage_two = [f"python -m jgan.experiments.stackgan --stage 2 --stage1 {workdir}"] if self.config.stage == 1 else []
    return super().commands(workdir) + stage_two

  def phase(self, step: int) -> str:
    """The stage, and the rate's halvings so far (the paper's schedule)."""
    halvings = step // self.config.halve_every if self.config.halve_every else 0
    return f"Stage-{'I' * self.config.stage}" + (f", rate / {2 ** halvings}" if halvings else "")

  def write_samples(self, state, step, workdir, writer, primary):
    images, low = self.generator(state, self.grid_ids, self.sample_key)
    if not primary:
      return
    picture = image_io.grid(data.to_uint8(images), columns=10)
    image_io.save_png(workdir / "samples" / f"step_{step:06d}.png", picture)
    writer.image(step, "samples", picture)
    if low is not None:  # the Stage-I images each Stage-II image refines, at their own pixels
      enlarged = np.repeat(np.repeat(data.to_uint8(low), 2, axis=1), 2, axis=2)
      image_io.save_png(workdir / "samples" / f"step_{step:06d}_stage1.png", image_io.grid(enlarged, columns=10))

  def evaluate(self, state):
    return scores(state, self.config, self.generator, "validation", self.eval_key, self.config.eval_samples,
                  self.scorer)


def run(config: StackGANConfig, workdir: str | pathlib.Path, *, resume: bool = False, overwrite: bool = False,
        progress: bool = True, mesh=None) -> MultiNetState:
  """Trains the StackGAN stage `config` describes, writing metrics, grids and checkpoints under `workdir`."""
  return loop.run(StackGANExperiment(config), pathlib.Path(workdir), resume=resume, overwrite=overwrite,
                  progress=progress, mesh=mesh)


def final_scores(run_dir: str | pathlib.Path, split: str = "test") -> dict:
  """The scores of a run's latest checkpoint on the whole `split` (the test split: read once per reported number)."""
  state, config, stage1_config, _ = load(run_dir)
  generator = Generator(config, stage1_config)
  result = scores(state, config, generator, split, run_keys(config.seed)["eval"])
  return {**result, **real_attribute_gaps(split), "split": split, "stage": config.stage,
          "conditioning_augmentation": config.conditioning_augmentation, "seed": config.seed,
          "step": int(np.asarray(state.step))}
