"""pix2pix and CycleGAN as `Experiment`s of the shared loop: `run(config, workdir)`, `load`, `final_scores`.

Data: the configured paired or unpaired set's 'train' split for training, its 'validation' split for the image
grids and the evaluations during training (choices are made there), and its 'test' split only in `final_scores`,
read once per reported number. Outputs besides the loop's: `samples/step_N.png`, rows of validation examples as
input | output | target (pix2pix) or input | translation | cycle reconstruction, A rows then B rows (CycleGAN).
"""

from __future__ import annotations

import dataclasses
import functools
import pathlib

import jax
import numpy as np

from jgan import data, loop, parallel
from jgan import images as image_io
from jgan.data import paired
from jgan.data.source import PairedSource, UnpairedSource
from jgan.state import MultiNetState, Net
from jgan.translation import cyclegan, evaluate, pix2pix
from jgan.translation.config import CycleGANConfig, Pix2PixConfig, validate

Config = Pix2PixConfig | CycleGANConfig


def model_of(config: Config):
  """The family module (`pix2pix` or `cyclegan`) that holds the config's nets and step."""
  return pix2pix if isinstance(config, Pix2PixConfig) else cyclegan


def run_keys(seed: int) -> dict[str, jax.Array]:
  """The run's keys from `seed`: initialization, the training stream, samples and evaluation."""
  init_rng, step_rng, sample_rng = jax.random.split(jax.random.PRNGKey(seed), 3)
  return {"init": init_rng, "step": step_rng, "sample": sample_rng}


def load_data(config: Config, split: str) -> paired.PairedDataset | paired.UnpairedDataset:
  """The split at `load_size` (training) or `image_size` (validation, test); CycleGAN's domains with different
  channel counts are both given 3 channels (a grey image repeated), so that the identity loss G(b) ~ b is defined,
  as the reference code requires input_nc == output_nc for it."""
  size = config.load_size if split == "train" else config.image_size
  if isinstance(config, Pix2PixConfig):
    return paired.load_paired(config.dataset, split, image_size=size, skip_bad_images=config.skip_bad_images)
  dataset = paired.load_unpaired(config.dataset, split, image_size=size, skip_bad_images=config.skip_bad_images)
  channels = max(dataset.a.shape[-1], dataset.b.shape[-1])
  widen = lambda images: np.repeat(images, channels, axis=-1) if images.shape[-1] == 1 else images
  return dataclasses.replace(dataset, a=widen(dataset.a), b=widen(dataset.b))


def create_state(config: Config, channels: tuple[int, int], axis_name: str | None = None) -> MultiNetState:
  """A fresh state for images with `channels` (A, B), from `config.seed`."""
  model, keys = model_of(config), run_keys(config.seed)
  nets = {}
  for i, (name, (module, example)) in enumerate(model.build_nets(config, *channels, axis_name=axis_name).items()):
    params, batch_stats = Net.init_variables(module, jax.random.fold_in(keys["init"], 100 + i), example)
    nets[name] = Net(params=params, batch_stats=batch_stats, apply_fn=module.apply)
  buffers = cyclegan.make_buffers(config, *channels) if model is cyclegan else {}
  return MultiNetState.create(nets, model.make_phases(config), keys["step"], buffers)


def for_evaluation(state: MultiNetState, config: Config, channels: tuple[int, int]) -> MultiNetState:
  """The state with nets that take no device axis (batch statistics over the batch they are given), for
  translating outside the data-parallel step."""
  modules = model_of(config).build_nets(config, *channels, axis_name=None)
  return state.replace(nets={n: net.replace(apply_fn=modules[n][0].apply) for n, net in state.nets.items()})


class TranslationExperiment(loop.Experiment):
  """A pix2pix or CycleGAN run over the shared loop."""

  plot_metric, plot_label = "g_loss", "generator objective"

  def __init__(self, config: Config):
    self.config = config
    self.model = model_of(config)
    name = "pix2pix" if self.model is pix2pix else "CycleGAN"
    self.title = f"{name} on {config.dataset}"
    self.players = {"g": "generator(s)", "d": "discriminator(s)"}
    self.domains = evaluate.domains(config.dataset)

  def validate(self, num_devices: int) -> None:
    validate(self.config, num_devices)

  def prepare(self, mesh) -> dict:
    config = self.config
    train = load_data(config, "train")
    self.validation = load_data(config, "validation")
    self.shown = _head(self.validation, config.num_samples)
    if min(len(train.a), len(train.b)) < config.batch_size:
      raise ValueError(f"dataset {config.dataset!r} has {min(len(train.a), len(train.b))} training images on a "
                       f"side, fewer than batch_size {config.batch_size}")
    self.channels = (train.a.shape[-1], train.b.shape[-1])
    source = PairedSource if self.model is pix2pix else UnpairedSource
    self.source = parallel.replicate(source.from_arrays(train.a, train.b), mesh)
    self.step = parallel.compile_step(functools.partial(self.model.train_step, config=config,
                                                        axis_name=parallel.AXIS), mesh)
    self.sample_rng = run_keys(config.seed)["sample"]
    if config.eval_every:
      self.headline = "accuracy" if self.model is pix2pix and self.domains[1] else (
          "l1" if self.model is pix2pix else "cycle_l1_a")
    return {"channels": list(self.channels), "train_examples": [len(train.a), len(train.b)],
            "validation_examples": [len(self.validation.a), len(self.validation.b)]}

  def init_state(self) -> MultiNetState:
    return create_state(self.config, self.channels, parallel.AXIS)

  def advance(self, state, start, count, stop):
    del start
    return loop.call_each_iteration(self.step, state, (self.source,), count, stop)

  def _translate(self, state, images: np.ndarray, direction: str) -> np.ndarray:
    return evaluate.translate_all(self.model.translate, for_evaluation(state, self.config, self.channels), images,
                                  self.sample_rng, direction=direction, batch_size=self.config.batch_size)

  def write_samples(self, state, step, workdir, writer, primary):
    columns = []
    if self.model is pix2pix:
      a, b = self.shown.a, self.shown.b
      rows = [(a, data.to_uint8(self._translate(state, a, "AtoB")), b)]
    else:
      rows = []
      for images, forward, back in ((self.shown.a, "AtoB", "BtoA"), (self.shown.b, "BtoA", "AtoB")):
        translated = data.to_uint8(self._translate(state, images, forward))
        rows.append((images, translated, data.to_uint8(self._translate(state, translated, back))))
    if not primary:
      return
    width = max(im.shape[-1] for row in rows for im in row)
    for row in rows:  # each example: its input, output and target (or reconstruction) side by side
      columns += [np.concatenate([np.repeat(im, width // im.shape[-1], -1) for im in triple], axis=1)
                  for triple in zip(*row)]
    picture = image_io.grid(np.stack(columns), columns=2)
    image_io.save_png(workdir / "samples" / f"step_{step:06d}.png", picture)
    writer.image(step, "samples", picture)

  def evaluate(self, state):
    return scores(state, self.config, self.channels, _head(self.validation, self.config.eval_samples),
                  self.sample_rng)


def _head(dataset, num: int):
  """`num` examples of each side spread evenly over the split (the split is ordered by class in the built-in
  tasks, so its first examples would all be one digit); the same images at every evaluation."""
  spread = lambda x: np.linspace(0, len(x) - 1, min(num, len(x))).round().astype(int)
  if isinstance(dataset, paired.PairedDataset):
    index = spread(dataset.a)
    return dataclasses.replace(dataset, a=dataset.a[index], b=dataset.b[index],
                               labels=None if dataset.labels is None else dataset.labels[index])
  index_a, index_b = spread(dataset.a), spread(dataset.b)
  cut = lambda x, index: None if x is None else x[index]
  return dataclasses.replace(dataset, a=dataset.a[index_a], b=dataset.b[index_b],
                             labels_a=cut(dataset.labels_a, index_a), labels_b=cut(dataset.labels_b, index_b))


def scores(state: MultiNetState, config: Config, channels: tuple[int, int], dataset, rng: jax.Array) -> dict:
  """The model's scores on `dataset` (`jgan.translation.evaluate`)."""
  model, (domain_a, domain_b) = model_of(config), evaluate.domains(config.dataset)
  state = for_evaluation(state, config, channels)
  if model is pix2pix:
    return evaluate.paired_scores(model.translate, state, dataset, domain_b=domain_b, batch_size=config.batch_size,
                                  rng=rng)
  return evaluate.unpaired_scores(model.translate, state, dataset, domain_a=domain_a, domain_b=domain_b,
                                  batch_size=config.batch_size, rng=rng)


def run(config: Config, workdir: str | pathlib.Path, *, resume: bool = False, overwrite: bool = False,
        progress: bool = True, mesh=None) -> MultiNetState:
  """Trains the pix2pix or CycleGAN model `config` describes, writing metrics, grids and checkpoints."""
  return loop.run(TranslationExperiment(config), workdir, resume=resume, overwrite=overwrite, progress=progress,
                  mesh=mesh)


def config_from_meta(meta: dict) -> Config:
  """The config a checkpoint was trained with (pix2pix configs have `l1_weight`, CycleGAN's `cycle_weight`)."""
  stored = meta["config"]
  return (Pix2PixConfig if "l1_weight" in stored else CycleGANConfig)(**stored)


def load(run_dir: str | pathlib.Path) -> tuple[MultiNetState, Config, dict]:
  """`(state, config, meta)` restored from the latest checkpoint of `run_dir`, its nets ready to translate."""
  from jgan import checkpoint
  state, meta = checkpoint.load_run(run_dir, lambda meta: create_state(config_from_meta(meta), tuple(meta["channels"])))
  config, channels = config_from_meta(meta), tuple(meta["channels"])
  return for_evaluation(state, config, channels), config, meta


def final_scores(run_dir: str | pathlib.Path, split: str = "test") -> dict:
  """The scores of a run's latest checkpoint on the whole `split` (the test split: read once per reported number),
  and, for the paired tasks, the target classifier's accuracy on the real targets (the paper's "ground truth")."""
  state, config, meta = load(run_dir)
  dataset = load_data(config, split)
  result = scores(state, config, tuple(meta["channels"]), dataset, jax.random.PRNGKey(1))
  _, domain_b = evaluate.domains(config.dataset)
  if isinstance(dataset, paired.PairedDataset) and domain_b:
    result["accuracy_real_targets"] = evaluate.classifier_accuracy(domain_b, dataset.b, dataset.labels)
  return {**result, "split": split, "examples": [len(dataset.a), len(dataset.b)], "step": int(np.asarray(state.step))}
