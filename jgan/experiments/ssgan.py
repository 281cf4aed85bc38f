"""Semi-supervised GAN with K + 1 classes (Salimans et al. 2016) on the embedded digits, and its test error.

    python -m jgan.experiments.ssgan [--labels 100] [--steps N] [--seed S] [--out DIR] [--resume]
    python -m jgan.experiments.ssgan test-error DIR [--split test|validation]

The first trains the paper's recipe (jgan/configs/ssgan.py; outputs as every experiment: metrics.jsonl with
supervised_loss, unsupervised_loss, labeled_accuracy, feature_distance, ... and, every `eval_every` updates, the
validation error as `eval_validation_error`; samples/; checkpoints/). The second chooses the run's checkpoint on
the 'validation' split of `jgan.data.splits` (the error of every kept checkpoint, with its trained parameters and
with their average over the checkpoints, written to DIR/validation_errors.json), then reads `--split` (default
'test') once with the chosen discriminator and writes DIR/test_error.json. Runs that hold out another number of
digits than the splits (older runs) get the error of their latest checkpoint on their whole held-out set.

What this module adds to the GAN run (`jgan.train.GANExperiment`): the data-dependent initialization of the
weight-normalized discriminator on 500 training images, the authors' Adam (epsilon inside the root), and the
validation error as the run's evaluation. Losses: jgan/games/ssgan.py; nets: jgan/models/layers_improved.py; data:
jgan/data/labeled.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np

from jgan import cli
from jgan.configs import ssgan
from jgan.configs.base import Config

INIT_IMAGES = 500  # their `init_param(trainx[:500])`
SPLIT_HELDOUT = 2000  # the validation and test splits of `jgan.data.splits` are the classifier's 2,000 held out


def their_adam(learning_rate: float, config: Config):
  """The authors' `nn.adam_updates`: Adam with epsilon 1e-8 inside the square root, g / sqrt(v_hat + 1e-8).
  Its state has optax.adam's structure, so any jgan loader restores these runs' checkpoints."""
  import optax
  return optax.adam(learning_rate, b1=config.beta1, b2=config.beta2, eps=0.0, eps_root=1e-8)


def create_state(config: Config, shape: tuple[int, ...], images: np.ndarray):
  """`jgan.train.create_state` with the discriminator initialized on data and the authors' Adam for both players.

  The discriminator is initialized (`init` in training mode, so its noise is on, as their `init_param` pass) on
  `INIT_IMAGES` training images (`images`: uint8, as the run holds them) drawn from the run's init key: the
  weight-normalized layers take their scales and biases from that batch (`jgan.models.layers_improved`)."""
  from jgan import data, train
  if len(images) < INIT_IMAGES:
    raise ValueError(f"the data-dependent initialization needs {INIT_IMAGES} training images, got {len(images)}")
  state = train.create_state(config, shape)
  key = jax.random.fold_in(train.run_keys(config.seed)["init"], 3)  # 1: labeled draw, 2: VBN reference codes
  pick_key, params_key, noise_key = jax.random.split(key, 3)
  pick = jnp.sort(jax.random.choice(pick_key, len(images), (INIT_IMAGES,), replace=False))
  _, critic = train.build_models(config, shape)
  init = jax.jit(functools.partial(critic.init, train=True))  # one program, not one per operation
  variables = init({"params": params_key, "dropout": noise_key}, data.to_unit_range(jnp.asarray(images)[pick]))
  d_tx = their_adam(config.learning_rate, config)
  g_tx = their_adam(config.generator_learning_rate or config.learning_rate, config)
  discriminator = state.discriminator.replace(params=variables["params"], batch_stats=variables["batch_stats"],
                                              opt_state=d_tx.init(variables["params"]), tx=d_tx)
  generator = state.generator.replace(opt_state=g_tx.init(state.generator.params), tx=g_tx)
  return state.replace(generator=generator, discriminator=discriminator)


def split_examples(config: Config, split: str) -> tuple[np.ndarray, np.ndarray]:
  """(uint8 images at the run's size, labels) of `split` of `jgan.data.splits`; ValueError for a run whose training
  digits are not that split's 'train' (another data set, or another number held out)."""
  from jgan import data
  from jgan.data import splits
  if config.dataset != "digits" or config.heldout != SPLIT_HELDOUT:
    raise ValueError(f"the validation and test splits need dataset 'digits' and heldout {SPLIT_HELDOUT}, so that "
                     f"training used the 'train' split only; this run has dataset {config.dataset!r} and heldout "
                     f"{config.heldout}")
  examples = splits.load_split("digits", split)
  return data.resize_images(examples.images, config.image_size, config.resize), np.asarray(examples.labels)


@functools.cache
def experiment_class() -> type:
  """`SSGANExperiment`, made on first use so that `--help` need not import the training stack."""
  from jgan import train

  class SSGANExperiment(train.GANExperiment):
    """The GAN run with `create_state` for its state and the validation error as its evaluation."""

    def prepare(self, mesh) -> dict:
      # The GAN run's own evaluator (sample scores) is not this run's measure: prepare without it, then evaluate
      # the classifier on the validation split.
      config = self.config
      self.config = dataclasses.replace(config, eval_every=0)
      try:
        info = super().prepare(mesh)
      finally:
        self.config = config
      self.images = np.asarray(self.source.images)
      if config.eval_every:
        self.validation = split_examples(config, "validation")
        self.headline = "validation_error"
      return info

    def init_state(self):
      return create_state(self.config, self.shape, self.images)

    def evaluate(self, state):
      if not self.config.eval_every:
        return None
      from jgan.games.ssgan import error_rate
      return {"validation_error": error_rate(state, *self.validation)}

  return SSGANExperiment


def run(config: Config, workdir: str | pathlib.Path, *, resume: bool = False, overwrite: bool = False,
        progress: bool = True, mesh=None):
  """Trains the semi-supervised GAN `config` describes (`jgan.train.run` with `SSGANExperiment`)."""
  from jgan import loop
  experiment = experiment_class()(config)
  try:
    return loop.run(experiment, workdir, resume=resume, overwrite=overwrite, progress=progress, mesh=mesh)
  finally:
    experiment.close()


def _restore(run_dir: pathlib.Path, step: int | None = None):
  """(state, config) of checkpoint `step` (None: the newest) of an ssgan run."""
  import orbax.checkpoint as ocp

  from jgan import checkpoint, data
  from jgan.data import labeled
  _, meta, _ = checkpoint.restore(run_dir)
  config = Config(**meta["config"])
  shape = tuple(meta["shape"])
  dataset = data.load(config.dataset, split=config.split, data_dir=config.data_dir)
  (train_images, _), _ = labeled.split_heldout(dataset.images, dataset.labels, config.heldout)
  images = data.resize_images(train_images, config.image_size, config.resize)
  target = checkpoint.abstract_target(lambda: create_state(config, shape, images))
  with checkpoint.manager(run_dir, read_only=True) as mngr:
    step = mngr.latest_step() if step is None else step
    restored = mngr.restore(step, args=ocp.args.Composite(
        state=ocp.args.StandardRestore(jax.tree.map(ocp.utils.to_shape_dtype_struct, target))))
  return restored["state"], config


def checkpoint_steps(run_dir: str | pathlib.Path) -> list[int]:
  from jgan import checkpoint
  with checkpoint.manager(checkpoint.find_run_dir(run_dir), read_only=True) as mngr:
    return sorted(mngr.all_steps())


AVERAGE_RATE = 1e-4  # their disc_param_avg: a <- a + 0.0001 (p - a) after every update


def validation_errors(run_dir: str | pathlib.Path) -> dict[str, dict[int, float]]:
  """The validation error of every kept checkpoint of the run, by step: 'trained', its parameters as trained, and
  'averaged', the discriminator's parameters averaged over the kept checkpoints up to that step with the weights of
  their exponential moving average (rate `AVERAGE_RATE` per update; debiased, so no zero start), an
  approximation of their evaluation weights from the checkpoints, sampled every `checkpoint_every` updates."""
  from jgan import checkpoint
  from jgan.games.ssgan import error_rate
  run_dir = checkpoint.find_run_dir(run_dir)
  errors, average, weight, previous = {"trained": {}, "averaged": {}}, None, 0.0, 0
  for step in checkpoint_steps(run_dir):
    state, config = _restore(run_dir, step)
    validation = split_examples(config, "validation")
    errors["trained"][step] = error_rate(state, *validation)
    decay = (1.0 - AVERAGE_RATE) ** (step - previous)
    params = state.discriminator.params
    average = params if average is None else jax.tree.map(lambda a, p: decay * a + (1 - decay) * p, average, params)
    weight, previous = (1.0 if weight == 0.0 else decay * weight + (1 - decay)), step
    averaged = jax.tree.map(lambda a: a / weight, average)
    errors["averaged"][step] = error_rate(_with_params(state, averaged), *validation)
  return errors


def _with_params(state, params):
  return state.replace(discriminator=state.discriminator.replace(params=params))


def _averaged_params(run_dir: pathlib.Path, until: int):
  """The 'averaged' parameters of `validation_errors` at checkpoint `until`."""
  average, weight, previous = None, 0.0, 0
  for step in [s for s in checkpoint_steps(run_dir) if s <= until]:
    params = _restore(run_dir, step)[0].discriminator.params
    decay = (1.0 - AVERAGE_RATE) ** (step - previous)
    average = params if average is None else jax.tree.map(lambda a, p: decay * a + (1 - decay) * p, average, params)
    weight, previous = (1.0 if weight == 0.0 else decay * weight + (1 - decay)), step
  return jax.tree.map(lambda a: a / weight, average)


def test_error(run_dir: str | pathlib.Path, split: str = "test") -> dict:
  """The error on `split` of the checkpoint and weights ('trained' or 'averaged') with the lowest validation error
  (the earliest, and 'trained', of ties); also writes DIR/validation_errors.json. Read the test split once per
  reported number."""
  from jgan import checkpoint
  from jgan.games.ssgan import error_rate
  run_dir = checkpoint.find_run_dir(run_dir)
  errors = validation_errors(run_dir)
  (run_dir / "validation_errors.json").write_text(json.dumps(
      {"split": "validation", "average_rate": AVERAGE_RATE,
       **{kind: {str(k): v for k, v in by_step.items()} for kind, by_step in errors.items()}}, indent=2))
  kind, step = min(((kind, step) for kind in ("trained", "averaged") for step in errors[kind]),
                   key=lambda c: (errors[c[0]][c[1]], c[1], c[0] != "trained"))
  state, config = _restore(run_dir, step)
  if kind == "averaged":
    state = _with_params(state, _averaged_params(run_dir, step))
  images, labels = split_examples(config, split)
  error = error_rate(state, images, labels)
  return {"split": split, "error": error, "errors": int(round(error * len(images))), "images": len(images),
          "step": step, "weights": kind, "chosen_on": "validation", "validation_error": errors[kind][step],
          "labels": config.labels, "seed": config.seed, **({"test_error": error} if split == "test" else {})}


def held_out_error(run_dir: str | pathlib.Path) -> dict:
  """{'test_error', 'errors', 'test_images', 'train_images', 'labels', 'step'} of the run's latest checkpoint on its
  whole held-out set: the measure of runs made before the validation/test splits (any `heldout`)."""
  from jgan import data, sample
  from jgan.data import labeled
  from jgan.games.ssgan import error_rate
  state, config, _ = sample.load_generator(run_dir)
  if not config.heldout:
    raise ValueError(f"{run_dir}: the run held nothing out (heldout 0): no test set")
  dataset = data.load(config.dataset, split=config.split, data_dir=config.data_dir)
  (train_images, _), (images, labels) = labeled.split_heldout(dataset.images, dataset.labels, config.heldout)
  error = error_rate(state, data.resize_images(images, config.image_size, config.resize), labels)
  return {"test_error": error, "errors": int(round(error * len(images))), "test_images": len(images),
          "train_images": len(train_images), "labels": config.labels, "step": int(np.asarray(state.step))}


def _test_error_main(argv: list[str]) -> int:
  parser = argparse.ArgumentParser(prog="python -m jgan.experiments.ssgan test-error",
                                   description="the error of the checkpoint chosen on the validation split")
  parser.add_argument("run_dir")
  parser.add_argument("--split", choices=("test", "validation"), default="test")
  args = parser.parse_args(argv)
  try:
    from jgan import checkpoint
    config = Config(**checkpoint.restore(checkpoint.find_run_dir(args.run_dir))[1]["config"])
    if config.dataset == "digits" and config.heldout == SPLIT_HELDOUT:
      result = test_error(args.run_dir, args.split)
    else:
      result = held_out_error(args.run_dir)
  except (ValueError, FileNotFoundError) as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  (pathlib.Path(args.run_dir) / "test_error.json").write_text(json.dumps(result, indent=2))
  print(json.dumps(result))
  return 0


def main(argv: list[str] | None = None) -> int:
  argv = sys.argv[1:] if argv is None else argv
  if argv[:1] == ["test-error"]:
    return _test_error_main(argv[1:])
  return cli.main("ssgan", ssgan.get_config(), __doc__, argv, run=run)


if __name__ == "__main__":
  sys.exit(main())
