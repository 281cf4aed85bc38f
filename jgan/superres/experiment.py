"""SRResNet and SRGAN as an `Experiment` of the shared loop: `run(config, workdir)`, `load`, `final_scores`.

Data: the configured set's 'train' split (crops) for training, its 'validation' split for the image grids and the
evaluations during training (choices are made there), and its 'test' split only in `final_scores`, read once per
reported number. Outputs besides the loop's: `samples/step_N.png`, rows of validation images as
low (enlarged by repetition) | bicubic | super-resolved | high; `feature_net.msgpack` when the rotation feature net
is trained at the start (reloaded on resume).
"""

from __future__ import annotations

import functools
import json
import pathlib

import jax
import numpy as np

from jgan import checkpoint, loop, parallel
from jgan import images as image_io
from jgan.data.source import PairedSource
from jgan.state import MultiNetState, Net
from jgan.superres import data as sr_data
from jgan.superres import evaluate, srgan
from jgan.superres.config import VGG_LAYERS, SuperResolutionConfig, validate
from jgan.superres.features import FeatureExtractor

FEATURE_NET_FILE = "feature_net.msgpack"
GRID_SIDE = 128  # validation images larger than this are shown by their central crop of this side in the grids


def run_keys(seed: int) -> dict[str, jax.Array]:
  """The run's keys from `seed`: initialization and the training stream."""
  init_rng, step_rng = jax.random.split(jax.random.PRNGKey(seed), 2)
  return {"init": init_rng, "step": step_rng}


def load_data(config: SuperResolutionConfig, split: str) -> sr_data.SuperResolutionSet:
  return sr_data.load_split(config.dataset, split, image_size=config.image_size, scale=config.scale,
                            downscale_method=config.downscale, train_crops=config.train_crops,
                            skip_bad_images=config.skip_bad_images)


def classifier_domain(config: SuperResolutionConfig) -> str | None:
  """Whose classifier scores the outputs: the digits' on the digits (in MNIST's layout), none on photographs."""
  return "digits" if config.dataset == "digits" else None


def uci_scores(state: MultiNetState, config: SuperResolutionConfig, split: str) -> dict[str, float]:
  """For a model of `digits_uci_layout` at 4x: the digit classifier's accuracy on its upscalings of the real UCI
  8x8 digits of `split` and on their bicubic upscalings (both brought to MNIST's layout); else {}."""
  if config.dataset != "digits_uci_layout" or config.scale != 4:
    return {}
  from jgan.eval import image_quality
  from jgan.translation.evaluate import classifier_accuracy
  low, labels = sr_data.uci_inputs(split)
  outputs = evaluate.upscale_batches(state, low, config.batch_size)
  bicubic = image_quality.bicubic_upscale(low, config.scale)
  score = lambda images: classifier_accuracy("digits", sr_data.to_mnist_layout(images), labels)
  return {"uci_accuracy": score(outputs), "bicubic_uci_accuracy": score(bicubic), "uci_images": len(low)}


def trained_generator(run_dir: str | pathlib.Path) -> tuple[dict, dict]:
  """(params, batch_stats) of the generator of `run_dir`'s latest checkpoint, on the host."""
  return jax.device_get((lambda net: (net.params, net.batch_stats))(load(run_dir)[0].nets["generator"]))


def create_state(config: SuperResolutionConfig, channels: int, axis_name: str | None = None,
                 generator: tuple[dict, dict] | None = None) -> MultiNetState:
  """A fresh state for images with `channels`, from `config.seed`; with `init_from`, the generator is that run's
  trained SRResNet (the paper starts SRGAN from SRResNet-MSE): `generator` (its params and batch_stats, from
  `trained_generator`) or read here. Passing it lets the state be traced (a restore target) without reading files."""
  keys = run_keys(config.seed)
  nets = {}
  for i, (name, (module, example)) in enumerate(srgan.build_nets(config, channels, axis_name=axis_name).items()):
    params, batch_stats = Net.init_variables(module, jax.random.fold_in(keys["init"], 100 + i), example)
    nets[name] = Net(params=params, batch_stats=batch_stats, apply_fn=module.apply)
  if config.init_from:
    params, batch_stats = trained_generator(config.init_from) if generator is None else generator
    nets["generator"] = nets["generator"].replace(params=params, batch_stats=batch_stats)
  return MultiNetState.create(nets, srgan.make_phases(config), keys["step"])


def for_evaluation(state: MultiNetState, config: SuperResolutionConfig, channels: int) -> MultiNetState:
  """The state with nets that take no device axis, for upscaling outside the data-parallel step."""
  modules = srgan.build_nets(config, channels, axis_name=None)
  return state.replace(nets={n: net.replace(apply_fn=modules[n][0].apply) for n, net in state.nets.items()})


def _check_init_from(config: SuperResolutionConfig) -> None:
  """The run `init_from` names has a checkpoint of a generator of the same shape (reads only its config)."""
  run_dir = checkpoint.find_run_dir(config.init_from)
  stored = json.loads((run_dir / "config.json").read_text())["config"]
  differing = [k for k in ("scale", "generator_blocks", "generator_features", "dataset")
               if stored.get(k) != getattr(config, k)]
  if differing:
    raise ValueError(f"init_from {config.init_from!r} trained another generator: "
                     + ", ".join(f"{k} {stored.get(k)!r} there vs {getattr(config, k)!r} here" for k in differing))


def feature_extractor(config: SuperResolutionConfig, train: sr_data.SuperResolutionSet,
                      validation: sr_data.SuperResolutionSet, workdir: pathlib.Path | None) -> tuple[
                          FeatureExtractor | None, dict]:
  """The content loss's frozen feature net and what to record of it: none for `mse`; VGG19 from the user's file;
  the rotation net from `feature_weights`, from the run directory (a resumed run), or trained now on the training
  crops (and saved into the run directory)."""
  if config.content == "mse":
    return None, {}
  if config.content in VGG_LAYERS:
    from jgan.models import vgg
    extractor = vgg.load_vgg19(config.feature_weights, VGG_LAYERS[config.content], scale=config.feature_scale)
    return extractor, {"feature_net": extractor.name, "feature_weights": config.feature_weights}
  from jgan.superres import feature_net
  saved = pathlib.Path(config.feature_weights) if config.feature_weights else (
      workdir / FEATURE_NET_FILE if workdir is not None else None)
  if saved is not None and saved.is_file():
    extractor = feature_net.load_feature_net(saved)
    record = {"feature_net": extractor.name, "feature_weights": str(saved)}
  else:
    _, high = train.stacked()
    validation_images = np.concatenate([h for h in validation.high]) if len(validation.high) == 1 else None
    extractor, metrics = feature_net.train_feature_net(high, steps=config.feature_steps, seed=config.seed,
                                                       validation=validation_images)
    record = {"feature_net": extractor.name, "feature_net_training": metrics}
    if workdir is not None:
      workdir.mkdir(parents=True, exist_ok=True)
      feature_net.save_feature_net(workdir / FEATURE_NET_FILE, extractor, record)
  return extractor.replace(scale=config.feature_scale), record


class SuperResolutionExperiment(loop.Experiment):
  """An SRResNet or SRGAN run over the shared loop."""

  plot_metric, plot_label = "g_loss", "generator objective"

  def __init__(self, config: SuperResolutionConfig, workdir: pathlib.Path | None = None):
    self.config, self.workdir = config, workdir
    self.start_generator = None
    name = "SRGAN" if config.adversarial_weight else "SRResNet"
    self.title = f"{name} {config.scale}x on {config.dataset} ({config.content} content)"
    self.players = {"g": "generator", "d": "discriminator"}

  def validate(self, num_devices: int) -> None:
    validate(self.config, num_devices)
    if self.config.init_from:
      _check_init_from(self.config)

  def prepare(self, mesh) -> dict:
    config = self.config
    train = load_data(config, "train")
    self.validation = load_data(config, "validation")
    low, high = train.stacked()
    if len(high) < config.batch_size:
      raise ValueError(f"dataset {config.dataset!r} has {len(high)} training images, fewer than batch_size "
                       f"{config.batch_size}")
    self.channels = high.shape[-1]
    if config.init_from:  # read here, outside any trace: the loop traces init_state for a resume's restore target
      self.start_generator = trained_generator(config.init_from)
    self.extractor, record = feature_extractor(config, train, self.validation, self.workdir)
    self.source = parallel.replicate(PairedSource.from_arrays(low, high), mesh)
    self.extractor_on_mesh = parallel.replicate(self.extractor, mesh)
    self.step = parallel.compile_step(functools.partial(srgan.train_step, config=config, axis_name=parallel.AXIS),
                                      mesh)
    self.shown = sr_data.head(self.validation, config.num_samples)
    self.evaluated = sr_data.head(self.validation, config.eval_samples)
    self.bicubic = evaluate.set_scores(evaluate.bicubic_set(self.evaluated, config.scale), self.evaluated,
                                       config.scale, classifier_domain(config))
    if config.eval_every:
      self.headline = "psnr_y"
    return {"channels": self.channels, "train_examples": len(high), "validation_examples": self.validation.count,
            "validation_bicubic": self.bicubic, **record}

  def init_state(self) -> MultiNetState:
    return create_state(self.config, self.channels, parallel.AXIS, self.start_generator)

  def advance(self, state, start, count, stop):
    del start
    return loop.call_each_iteration(self.step, state, (self.source, self.extractor_on_mesh), count, stop)

  def write_samples(self, state, step, workdir, writer, primary):
    config, shown = self.config, self.shown
    outputs = evaluate.upscale_set(for_evaluation(state, config, self.channels), shown, config.batch_size)
    if not primary:
      return
    bicubic = evaluate.bicubic_set(shown, config.scale)
    side = min(GRID_SIDE, *(h.shape[1] for h in shown.high), *(h.shape[2] for h in shown.high))
    side -= side % config.scale
    rows = []
    for low, cubic, out, high in zip(shown.low, bicubic, outputs, shown.high):
      enlarged = np.repeat(np.repeat(low, config.scale, axis=1), config.scale, axis=2)  # the input's own pixels
      top, left = ((high.shape[1] - side) // 2, (high.shape[2] - side) // 2)
      for images in zip(enlarged, cubic, out, high):  # low | bicubic | SR | high, each its central side x side
        rows.append(np.concatenate([im[top:top + side, left:left + side] for im in images], axis=1))
    picture = image_io.grid(np.stack(rows), columns=1 if len(rows) < 4 else 2)
    image_io.save_png(workdir / "samples" / f"step_{step:06d}.png", picture)
    writer.image(step, "samples", picture)

  def evaluate(self, state):
    config = self.config
    outputs = evaluate.upscale_set(for_evaluation(state, config, self.channels), self.evaluated, config.batch_size)
    scores = evaluate.set_scores(outputs, self.evaluated, config.scale, classifier_domain(config))
    uci = uci_scores(for_evaluation(state, config, self.channels), config, "validation")
    return {**scores, **{f"bicubic_{k}": v for k, v in self.bicubic.items()}, **uci}


def run(config: SuperResolutionConfig, workdir: str | pathlib.Path, *, resume: bool = False, overwrite: bool = False,
        progress: bool = True, mesh=None) -> MultiNetState:
  """Trains the SRResNet or SRGAN `config` describes, writing metrics, grids and checkpoints under `workdir`."""
  workdir = pathlib.Path(workdir)
  return loop.run(SuperResolutionExperiment(config, workdir), workdir, resume=resume, overwrite=overwrite,
                  progress=progress, mesh=mesh)


def load(run_dir: str | pathlib.Path) -> tuple[MultiNetState, SuperResolutionConfig, dict]:
  """`(state, config, meta)` restored from the latest checkpoint of `run_dir`, its nets ready to upscale."""
  # The generator alone decides the outputs; the state is rebuilt without `init_from` (that run need not exist).
  config_here = lambda meta: SuperResolutionConfig(**{**meta["config"], "init_from": ""})
  state, meta = checkpoint.load_run(run_dir, lambda meta: create_state(config_here(meta), int(meta["channels"])))
  return (for_evaluation(state, config_here(meta), int(meta["channels"])), SuperResolutionConfig(**meta["config"]),
          meta)


def final_scores(run_dir: str | pathlib.Path, split: str = "test") -> dict:
  """The scores of a run's latest checkpoint on the whole `split` (the test split: read once per reported number),
  beside bicubic upscaling's on the same images."""
  state, config, meta = load(run_dir)
  dataset = load_data(config, split)
  outputs = evaluate.upscale_set(state, dataset, config.batch_size)
  scores = evaluate.set_scores(outputs, dataset, config.scale, classifier_domain(config))
  bicubic = evaluate.set_scores(evaluate.bicubic_set(dataset, config.scale), dataset, config.scale,
                                classifier_domain(config))
  return {**scores, **{f"bicubic_{k}": v for k, v in bicubic.items()}, **uci_scores(state, config, split),
          "split": split, "images": dataset.count,
          "names": dataset.names if len(dataset.high) > 1 else None, "step": int(np.asarray(state.step))}
