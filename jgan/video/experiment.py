"""Next-frame prediction as an `Experiment` of the shared loop: `run(config, workdir)`, `load`, `final_scores`.

Data: the configured set's 'train' split (random space-time crops) for training, its 'validation' split for the
grids and the evaluations during training (choices are made there), and its 'test' split only in `final_scores`,
read once per reported number. Evaluation windows are whole frames (cropped to multiples of 8): K input frames and
the 2 frames after them. Outputs besides the loop's: `samples/step_N.png`, one row per validation window: the K
input frames | the 1st and 2nd predicted frames | the 1st and 2nd true frames.
"""

from __future__ import annotations

import functools
import pathlib

import jax
import numpy as np

from jgan import checkpoint, loop, parallel
from jgan import images as image_io
from jgan.data import video
from jgan.state import MultiNetState, Net
from jgan.video import evaluate, steps
from jgan.video.config import VideoPredictionConfig, validate


def run_keys(seed: int) -> dict[str, jax.Array]:
  init_rng, step_rng = jax.random.split(jax.random.PRNGKey(seed), 2)
  return {"init": init_rng, "step": step_rng}


def load_sequences(config: VideoPredictionConfig, split: str) -> np.ndarray:
  """uint8 (S, T, H, W, C) sequences of `split` (moving digits: train_clips clips for training, eval_samples else)."""
  num_clips = config.train_clips if split == "train" else config.eval_samples
  return video.load_split(config.dataset, split, downscale=config.downscale, num_clips=num_clips,
                          clip_frames=config.clip_frames, seed=config.seed)


def eval_windows(config: VideoPredictionConfig, split: str, count: int | None = None) -> np.ndarray:
  """uint8 (N, K + 2, H, W, C) whole-frame windows of `split`: K inputs and the 2 frames to predict."""
  length = config.input_frames + evaluate.HORIZON
  windows = video.windows(load_sequences(config, split), length, count or config.eval_samples)
  return evaluate.crop_to_multiple(windows)


def create_state(config: VideoPredictionConfig, channels: int) -> MultiNetState:
  keys = run_keys(config.seed)
  nets = {}
  for i, (name, (module, example)) in enumerate(steps.build_nets(config, channels).items()):
    params, batch_stats = Net.init_variables(module, jax.random.fold_in(keys["init"], 100 + i), example)
    nets[name] = Net(params=params, batch_stats=batch_stats, apply_fn=module.apply)
  return MultiNetState.create(nets, steps.make_phases(config), keys["step"])


def sample_rows(predicted: np.ndarray, windows: np.ndarray, input_frames: int) -> np.ndarray:
  """One image per window: inputs | predicted frames | true frames, with a blank frame between the groups."""
  blank = np.zeros_like(windows[:, :1])
  groups = [windows[:, :input_frames], blank, predicted, blank, windows[:, input_frames:]]
  strip = np.concatenate(groups, axis=1)  # (N, frames, H, W, C)
  return np.concatenate(list(np.moveaxis(strip, 1, 0)), axis=2)  # frames side by side


class VideoPredictionExperiment(loop.Experiment):
  """A next-frame prediction run over the shared loop."""

  plot_metric, plot_label = "g_loss", "generator objective"

  def __init__(self, config: VideoPredictionConfig, workdir: pathlib.Path | None = None):
    self.config, self.workdir = config, workdir
    self.title = f"video prediction ({config.recipe}) on {config.dataset}"
    self.players = {"g": "generator", "d": "discriminator"}

  def validate(self, num_devices: int) -> None:
    validate(self.config, num_devices)

  def prepare(self, mesh) -> dict:
    config = self.config
    train = load_sequences(config, "train")
    if train.shape[1] < config.input_frames + 1 or min(train.shape[2:4]) < config.image_size:
      raise ValueError(f"dataset {config.dataset!r} at downscale {config.downscale} has {train.shape[1]} frames of "
                       f"{train.shape[2]}x{train.shape[3]} per training sequence: too few for crops of "
                       f"{config.input_frames + 1} frames of {config.image_size}x{config.image_size}")
    self.channels = train.shape[-1]
    self.source = parallel.replicate(video.ClipSource.from_arrays(train), mesh)
    self.step = parallel.compile_step(functools.partial(steps.train_step, config=config, axis_name=parallel.AXIS),
                                      mesh)
    self.evaluated = eval_windows(config, "validation")
    self.shown = self.evaluated[:config.num_samples]
    self.masks = evaluate.window_masks(self.evaluated, config.input_frames)  # once: the flow does not change
    self.baseline = evaluate.copy_last_scores(self.evaluated, config.input_frames, masks=self.masks)
    if config.eval_every:
      self.headline = "psnr_1"
    return {"channels": int(self.channels), "train_sequences": list(train.shape[:2]),
            "frame_size": list(train.shape[2:4]), "validation_windows": len(self.evaluated),
            "validation_copy_last": self.baseline, "losses": config.losses()._asdict()}

  def init_state(self) -> MultiNetState:
    return create_state(self.config, self.channels)

  def advance(self, state, start, count, stop):
    del start
    return loop.call_each_iteration(self.step, state, (self.source,), count, stop)

  def write_samples(self, state, step, workdir, writer, primary):
    config = self.config
    predicted = evaluate.predict_windows(state, self.shown[:, :config.input_frames], evaluate.HORIZON,
                                         config.batch_size)
    if not primary:
      return
    picture = image_io.grid(sample_rows(predicted, self.shown, config.input_frames), columns=1)
    image_io.save_png(workdir / "samples" / f"step_{step:06d}.png", picture)
    writer.image(step, "samples", picture)

  def evaluate(self, state):
    config = self.config
    scores = evaluate.model_scores(state, self.evaluated, config.input_frames, config.batch_size, masks=self.masks)
    return {**scores, **{f"copy_last_{k}": v for k, v in self.baseline.items()}}


def run(config: VideoPredictionConfig, workdir: str | pathlib.Path, *, resume: bool = False,
        overwrite: bool = False, progress: bool = True, mesh=None) -> MultiNetState:
  """Trains the predictor `config` describes, writing metrics, grids and checkpoints under `workdir`."""
  workdir = pathlib.Path(workdir)
  return loop.run(VideoPredictionExperiment(config, workdir), workdir, resume=resume, overwrite=overwrite,
                  progress=progress, mesh=mesh)


def load(run_dir: str | pathlib.Path) -> tuple[MultiNetState, VideoPredictionConfig, dict]:
  """`(state, config, meta)` restored from the latest checkpoint of `run_dir`."""
  # Checkpoints written before `output_activation` existed put every scale through a tanh.
  config_of = lambda meta: VideoPredictionConfig(**{"output_activation": "tanh", **meta["config"]})
  state, meta = checkpoint.load_run(run_dir, lambda meta: create_state(config_of(meta), int(meta["channels"])))
  return state, config_of(meta), meta


def final_scores(run_dir: str | pathlib.Path, split: str = "test") -> dict:
  """The latest checkpoint's scores on `split`'s windows (test: read once per reported number), beside copying
  the last input frame."""
  state, config, _ = load(run_dir)
  windows = eval_windows(config, split)
  masks = evaluate.window_masks(windows, config.input_frames)
  scores = evaluate.model_scores(state, windows, config.input_frames, config.batch_size, masks=masks)
  baseline = evaluate.copy_last_scores(windows, config.input_frames, masks=masks)
  return {**scores, **{f"copy_last_{k}": v for k, v in baseline.items()}, "split": split, "windows": len(windows),
          "frame_size": list(windows.shape[2:4]), "step": int(np.asarray(state.step)), "recipe": config.recipe,
          "dataset": config.dataset}
