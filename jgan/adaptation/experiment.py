"""DANN, DTN and SimGAN as `Experiment`s of the shared loop: `run(config, workdir)`, `load`, `final_scores`.

Data: each domain's 'train' split for training; the 'validation' splits for the grids and the evaluations during
training (choices are made there); the 'test' splits only in `final_scores`, read once per reported number. The
method (`dann`, `dtn`, `simgan`) is chosen by the config's class and recorded in `config.json` as `method`.
Outputs besides the loop's: `samples/step_N.png` (DANN: the features of validation images of both domains projected on
their first two principal components; DTN: source images | G(source) | target images | G(target); SimGAN: simulated |
refined | real).
"""

from __future__ import annotations

import functools
import pathlib
from typing import Any

import jax
import numpy as np

from jgan import checkpoint, loop, parallel
from jgan import images as image_io
from jgan.adaptation import config as configs
from jgan.adaptation.data import domain_split, with_channels
from jgan.state import MultiNetState, Net

METHODS = {"dann": configs.DANNConfig, "dtn": configs.DTNConfig, "simgan": configs.SimGANConfig}


def method_of(config) -> str:
  return next(name for name, cls in METHODS.items() if isinstance(config, cls))


def module_of(method: str):
  """The module (`jgan.adaptation.dann`, `dtn` or `simgan`) holding a method's nets, step and scores."""
  import importlib
  return importlib.import_module(f"jgan.adaptation.{method}")


def init_nets(built: dict[str, tuple[Any, np.ndarray]], init_rng: jax.Array) -> dict[str, Net]:
  """{name: Net} initialized from `built` ({name: (module, example input)}), net i from fold_in(init_rng, i)."""
  nets = {}
  for i, (name, (module, example)) in enumerate(built.items()):
    params, batch_stats = Net.init_variables(module, jax.random.fold_in(init_rng, i), example)
    nets[name] = Net(params=params, batch_stats=batch_stats, apply_fn=module.apply)
  return nets


def run_keys(seed: int) -> dict[str, jax.Array]:
  """The run's keys from `seed`: initialization and the training stream."""
  init_rng, step_rng = jax.random.split(jax.random.PRNGKey(seed))
  return {"init": init_rng, "step": step_rng}


class AdaptationExperiment(loop.Experiment):
  """A DANN, DTN or SimGAN run over the shared loop; the method module supplies the nets, step and scores."""

  def __init__(self, config, workdir: pathlib.Path | None = None):
    self.config, self.workdir = config, workdir
    self.method = method_of(config)
    self.module = module_of(self.method)
    self.title, self.plot_metric, self.plot_label = self.module.describe(config)
    self.players = self.module.PLAYERS
    self.headline = self.module.HEADLINE if config.eval_every else ""

  def validate(self, num_devices: int) -> None:
    configs.validate(self.config, num_devices)

  def prepare(self, mesh) -> dict:
    config = self.config
    source, meta = self.module.training_source(config)
    self.source = parallel.replicate(source, mesh)
    self.extra = parallel.replicate(self.module.step_constants(config), mesh)
    self.validation = self.module.evaluation_data(config, "validation", config.eval_samples)
    self.shown = self.module.evaluation_data(config, "validation", config.num_samples)
    # (end, step) per phase: pre-training phases where the method has them (SimGAN), else the one step.
    phases = self.module.schedule(config) if hasattr(self.module, "schedule") else ((None, self.module.train_step),)
    self.schedule = tuple((end, parallel.compile_step(functools.partial(step, config=config, axis_name=parallel.AXIS),
                                                      mesh)) for end, step in phases)
    return {"method": self.method, **meta}

  def init_state(self) -> MultiNetState:
    # Batch norm averages its training statistics over the data axis; at evaluation (running averages) no axis is
    # needed, so the same state also serves the evaluations outside the mapped step.
    return self.module.create_state(self.config, parallel.AXIS)

  def advance(self, state, start, count, stop):
    return loop.call_scheduled_iterations(self.schedule, state, (self.source, self.extra), start, count, stop)

  def write_samples(self, state, step, workdir, writer, primary):
    picture = self.module.sample_picture(state, self.config, self.shown)
    if primary and picture is not None:
      image_io.save_png(workdir / "samples" / f"step_{step:06d}.png", picture)
      writer.image(step, "samples", picture)

  def evaluate(self, state):
    return self.module.scores(state, self.config, self.validation)


def run(config, workdir: str | pathlib.Path, *, resume: bool = False, overwrite: bool = False, progress: bool = True,
        mesh=None) -> MultiNetState:
  """Trains the DANN, DTN or SimGAN `config` describes, writing metrics, grids and checkpoints under `workdir`."""
  workdir = pathlib.Path(workdir)
  return loop.run(AdaptationExperiment(config, workdir), workdir, resume=resume, overwrite=overwrite,
                  progress=progress, mesh=mesh)


def load(run_dir: str | pathlib.Path) -> tuple[MultiNetState, Any, dict]:
  """`(state, config, meta)` restored from the latest checkpoint of `run_dir`."""
  config_of = lambda meta: METHODS[meta["method"]](**meta["config"])
  state, meta = checkpoint.load_run(run_dir, lambda meta: module_of(meta["method"]).create_state(config_of(meta)))
  return state, config_of(meta), meta


def final_scores(run_dir: str | pathlib.Path, split: str = "test") -> dict:
  """The scores of a run's latest checkpoint on the whole `split` of its domains (the test split: read once per
  reported number)."""
  state, config, meta = load(run_dir)
  module = module_of(meta["method"])
  return {**module.scores(state, config, module.evaluation_data(config, split, None)), "split": split,
          "step": int(np.asarray(state.step)), "method": meta["method"], "seed": config.seed}


def labelled_split(domain: str, split: str, count: int | None, channels: int | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
  """`count` (None: all) images of `split` of `domain` spread evenly over it (the sets are ordered by class), with
  their labels, with `channels` channels."""
  images, labels = domain_split(domain, split)
  if count is not None and count < len(labels):
    index = np.linspace(0, len(labels) - 1, count).round().astype(int)
    images, labels = images[index], labels[index]
  return (images if channels is None else with_channels(images, channels)), labels
