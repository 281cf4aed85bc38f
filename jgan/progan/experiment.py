"""ProGAN as an `Experiment` of the shared loop: `run(config, workdir)`, `load`, `final_scores`.

Data: the 'train' split for training, the 'validation' split for the evaluations during training (choices are made
there) and the 'test' split only in `final_scores`, read once per reported number. Each stage (resolution, fading or
stable) has its own compiled step, compiled once when the stage is first reached (`compiled`); the progress bar
weighs each iteration by its stage's cost and names the stage ("fade-in 16x16", "stable 32x32"). Sample grids
`samples/step_N_<stage>.png` are drawn at the stage's resolution and alpha from fixed latents, enlarged (nearest)
to the final size.
"""

from __future__ import annotations

import dataclasses
import functools
import pathlib

import jax
import numpy as np

from jgan import data, loop, parallel
from jgan import images as image_io
from jgan.data.source import Source
from jgan.progan import evaluate, progan
from jgan.progan.config import BUILT_IN, ProGANConfig, validate
from jgan.progan.schedule import Schedule, Stage
from jgan.state import MultiNetState

STACKED_TRAIN, STACKED_HELDOUT = 50_000, 10_000  # stacked examples made from each split's digits
MODE_SAMPLES = 26_000  # generated samples whose modes are counted (as VEEGAN and PacGAN count)


def run_keys(seed: int) -> dict[str, jax.Array]:
  """The run's keys from `seed`: the state (initialisation and training stream), the sample grids, evaluation."""
  state_rng, sample_rng, eval_rng = jax.random.split(jax.random.PRNGKey(seed), 3)
  return {"state": state_rng, "sample": sample_rng, "eval": eval_rng}


def load_images(config: ProGANConfig, split: str) -> np.ndarray:
  """uint8 (N, image_size, image_size, C) images of `split` (a folder, an .npz or a TFDS set without splits is read
  whole, whatever the split: say so where its scores are reported)."""
  size = config.image_size
  if config.dataset == "digits":
    from jgan.data import splits
    images = data.load("digits", image_size=32, resize="pad").images[splits.split_indices("digits", split)]
  elif config.dataset == "stacked_digits":
    from jgan.data import stacked_digits
    images, _ = stacked_digits.stacked_digits(split, STACKED_TRAIN if split == "train" else STACKED_HELDOUT,
                                              seed=0)
  else:
    return data.load(config.dataset, split=split, image_size=size, resize="bilinear", data_dir=config.data_dir or None,
                     skip_bad_images=config.skip_bad_images).images
  return images if images.shape[1] == size else data.resize_bilinear(images, size, size)


def create_state(config: ProGANConfig, channels: int) -> MultiNetState:
  return progan.create_state(config, channels, run_keys(config.seed)["state"])


class ProGANExperiment(loop.Experiment):
  """A progressive (or, with progressive=False, fixed-resolution) run over the shared loop."""

  plot_metric, plot_label = "wasserstein", "critic estimate of W"

  def __init__(self, config: ProGANConfig):
    self.config = config
    self.schedule = Schedule(config)
    kind = "ProGAN" if config.progressive else "fixed-resolution GAN"
    self.title = f"{kind} on {config.dataset} ({config.image_size}x{config.image_size})"
    self.players = {"d": "discriminator", "g": "generator"}
    self.compiled: dict[tuple[int, bool], object] = {}

  def validate(self, num_devices: int) -> None:
    validate(self.config, num_devices)

  def prepare(self, mesh) -> dict:
    config = self.config
    validate(config, mesh.size)  # every resolution's batch against the devices, before any data or compile
    train = load_images(config, "train")
    if len(train) < max(s.batch_size for s in self.schedule.stages):
      raise ValueError(f"dataset {config.dataset!r} has {len(train)} training images, fewer than the largest batch")
    self.channels = int(train.shape[-1])
    self.mesh = mesh
    self.source = parallel.replicate(Source.from_arrays(train), mesh)
    keys = run_keys(config.seed)
    self.grid_z = np.asarray(jax.random.normal(keys["sample"], (config.num_samples, config.latent_dim)))
    meta = {"channels": self.channels, "train_examples": len(train),
            "stages": [dataclasses.asdict(s) for s in self.schedule.stages]}
    if config.eval_every:
      self.headline = "fd" if config.dataset == "digits" else "swd_avg"
      self.validation = load_images(config, "validation")[:config.eval_samples]
      self.eval_z = np.asarray(jax.random.normal(keys["eval"], (len(self.validation), config.latent_dim)))
      meta["validation_examples"] = len(self.validation)
    return meta

  def init_state(self) -> MultiNetState:
    return create_state(self.config, self.channels)

  def step_for(self, stage: Stage):
    """The compiled step of `stage`, compiled on first use and kept: one per (resolution, fading)."""
    if stage.key not in self.compiled:
      self.compiled[stage.key] = parallel.compile_step(
          functools.partial(progan.train_step, config=self.config, stage=stage, axis_name=parallel.AXIS), self.mesh)
    return self.compiled[stage.key]

  def advance(self, state, start, count, stop):
    rows, step = [], start
    while len(rows) < count and not (rows and stop()):
      stage = self.schedule.stage_at(step)
      end = stage.start + stage.length if stage is not self.schedule.stages[-1] else start + count
      n = min(count - len(rows), end - step)
      if n < 1:  # a stage that ended before `step`: the schedule and the state's step disagree
        raise RuntimeError(f"iteration {step} lies past the end of stage {stage.name!r} ({stage.start} + "
                           f"{stage.length})")
      state, chunk = loop.call_each_iteration(self.step_for(stage), state, (self.source,), n, stop)
      rows += chunk
      step += len(chunk)
      if len(chunk) < n:
        break
    return state, rows

  def iteration_costs(self, steps: np.ndarray) -> np.ndarray:
    return self.schedule.iteration_costs(steps)

  def phase(self, step: int) -> str:
    return self.schedule.stage_at(step).name

  def _images(self, state, step: int, z: np.ndarray) -> np.ndarray:
    return evaluate.sample(state, self.schedule.stage_at(step), self.schedule.alpha(step), z, self.config.image_size)

  def write_samples(self, state, step, workdir, writer, primary):
    images = self._images(state, step, self.grid_z)
    if not primary:
      return
    picture = image_io.grid(images)
    name = self.schedule.stage_at(step).name.replace(" ", "_")
    image_io.save_png(workdir / "samples" / f"step_{step:07d}_{name}.png", picture)
    writer.image(step, "samples", picture)

  def evaluate(self, state):
    step = int(np.asarray(state.step))
    scores = evaluate.image_scores(self._images(state, step, self.eval_z), self.validation, self.config.dataset)
    stage = self.schedule.stage_at(step)
    return {**scores, "resolution": stage.resolution, "alpha": self.schedule.alpha(step)}


def run(config: ProGANConfig, workdir: str | pathlib.Path, *, resume: bool = False, overwrite: bool = False,
        progress: bool = True, mesh=None) -> MultiNetState:
  """Trains the ProGAN `config` describes, writing metrics, grids per stage and checkpoints under `workdir`."""
  return loop.run(ProGANExperiment(config), workdir, resume=resume, overwrite=overwrite, progress=progress, mesh=mesh)


def load(run_dir: str | pathlib.Path) -> tuple[MultiNetState, ProGANConfig, dict]:
  """`(state, config, meta)` of the latest checkpoint of `run_dir`."""
  from jgan import checkpoint
  state, meta = checkpoint.load_run(run_dir, lambda meta: create_state(ProGANConfig(**meta["config"]),
                                                                        meta["channels"]))
  return state, ProGANConfig(**meta["config"]), meta


def final_scores(run_dir: str | pathlib.Path, split: str = "test", *, seed: int = 1) -> dict:
  """Scores of a run's latest checkpoint against the whole `split` (test: read once per reported number): SWD per
  level (128 descriptors per image, as the paper), MS-SSIM of 1,000 generated pairs and of 1,000 real pairs (the
  data's own diversity), digit scores on the digits, and modes of 26,000 samples on the stacked digits."""
  from jgan.eval import ms_ssim
  state, config, meta = load(run_dir)
  real = load_images(config, split)
  schedule, step = Schedule(config), int(np.asarray(state.step))
  stage, alpha = schedule.stage_at(step), schedule.alpha(step)
  count = max(len(real), MODE_SAMPLES) if config.dataset == "stacked_digits" else len(real)
  z = np.asarray(jax.random.normal(jax.random.PRNGKey(seed), (count, config.latent_dim)))
  generated = evaluate.sample(state, stage, alpha, z, config.image_size)
  result = evaluate.image_scores(generated[:len(real)], real, config.dataset, per_image=128)
  if config.dataset == "stacked_digits":
    from jgan.data import stacked_digits
    result.update(stacked_digits.coverage(generated))
  result["ms_ssim_real"] = ms_ssim.mean_pairwise_ms_ssim(real)
  if config.dataset not in BUILT_IN:
    result["note"] = "folders, .npz files and split-less sets are read whole: 'split' does not hold out images"
  return {**result, "split": split, "examples": len(real), "step": step, "stage": stage.name,
          "seed_of_samples": seed}
