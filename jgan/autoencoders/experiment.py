"""The adversarial autoencoder (and the VAE baseline) as an `Experiment` of the shared loop: `run(config, workdir)`.

Data: the configured image set minus `heldout` images (half validation, half test: `load_data`); the
semi-supervised model sees `labels` of the training labels (balanced), the labeled prior `labels` of them (the rest
marked unlabeled), the supervised model all of them. Outputs besides the loop's: `samples/step_N.png` (decoded
prior samples: one row per style and one column per class for the supervised model, one row per category for the
semi-supervised and clustering ones), `samples/reconstructions_step_N.png` (validation images over their
reconstructions), for 2-D codes `samples/codes_step_N.png` (validation codes coloured by label over prior samples,
the paper's Fig. 2) and, with a 2-D unlabeled decoder input, `samples/manifold_step_N.png` (decoded grid of codes,
Fig. 2e).
"""

from __future__ import annotations

import functools
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgan import data, loop, parallel, transforms
from jgan import images as image_io
from jgan.autoencoders import evaluate, steps
from jgan.configs.aae import AAEConfig, validate
from jgan.data import labeled, priors
from jgan.data.source import Source
from jgan.models import autoencoder
from jgan.state import MultiNetState, Net, Phase

Split = tuple[np.ndarray, np.ndarray | None]


def run_keys(seed: int) -> dict[str, jax.Array]:
  """The run's keys from `seed`: initialization, the training stream, samples and evaluation."""
  init_rng, step_rng, sample_rng = jax.random.split(jax.random.PRNGKey(seed), 3)
  return {"init": init_rng, "step": step_rng, "sample": sample_rng}


def load_data(config: AAEConfig) -> tuple[Split, Split, Split]:
  """(train, validation, test) as (images, labels), uint8 (N, H, W, C).

  `heldout` images are held out of training by the digit classifier's seeded permutation
  (`labeled.split_heldout`), and split in halves by `jgan.data.splits`' seeded order: with the embedded digits'
  2,000 these are exactly the project's 'validation' and 'test' splits (1,000 each), and the 8,000 left its
  'train'. Validation draws the curves and every choice; test is read once per reported number."""
  from jgan.data import splits
  dataset = data.load(config.dataset, split=config.split, data_dir=config.data_dir)
  needs_labels = config.mode in ("supervised", "semi_supervised") or config.labels
  if needs_labels and dataset.labels is None:
    raise ValueError(f"mode {config.mode!r} with labels {config.labels} needs labels; dataset {config.dataset!r} "
                     "has none")
  if dataset.labels is not None and dataset.labels.max() >= config.num_classes and needs_labels:
    raise ValueError(f"dataset {config.dataset!r} has labels up to {dataset.labels.max()}, outside "
                     f"[0, num_classes={config.num_classes})")
  if not config.heldout:
    empty = (dataset.images[:0], None if dataset.labels is None else dataset.labels[:0])
    return (dataset.images, dataset.labels), empty, empty
  train, (images, labels) = labeled.split_heldout(dataset.images, dataset.labels, config.heldout)
  validation, test = splits.validation_and_test(len(images))
  pick = lambda index: (images[index], None if labels is None else labels[index])
  return train, pick(validation), pick(test)


def make_source(config: AAEConfig, train: Split) -> Source:
  """The training stream: what each mode may see of the labels (see the module docstring)."""
  images, labels = train
  if len(images) < config.batch_size:
    raise ValueError(f"dataset {config.dataset!r} has {len(images)} training images, fewer than batch_size "
                     f"{config.batch_size}")
  labeled_key = jax.random.fold_in(run_keys(config.seed)["init"], 1)
  if config.mode == "semi_supervised":
    chosen = labeled.balanced_labels(labels, config.labels, config.num_classes, labeled_key)
    return labeled.SemiSupervisedSource.create(images, labels, chosen, config.batch_size)
  if config.mode == "supervised":
    return Source.from_arrays(images, labels)
  if config.labels:  # the labeled prior: the extra class num_classes marks the unlabeled examples
    chosen = labeled.balanced_labels(labels, config.labels, config.num_classes, labeled_key)
    prior_labels = np.full(len(images), config.num_classes, np.int32)
    prior_labels[chosen] = labels[chosen]
    return Source.from_arrays(images, prior_labels)
  return Source.from_arrays(images)


def build_nets(config: AAEConfig, shape: tuple[int, ...]) -> dict[str, tuple[object, np.ndarray]]:
  """{name: (module, example input)} of the model's nets."""
  kwargs = dict(hidden=config.hidden, layers=config.layers, init_std=config.init_std)
  extra = config.num_classes if config.mode == "supervised" else config.categorical
  nets = {
      "encoder": (autoencoder.Encoder(config.code_dim, gaussian=steps.is_gaussian(config),
                                      categories=config.categorical, **kwargs), np.zeros((1, *shape), np.float32)),
      "decoder": (autoencoder.Decoder(tuple(shape), **kwargs), np.zeros((1, config.code_dim + extra), np.float32)),
  }
  if config.model == "aae":
    onehot = config.num_classes + 1 if config.mode == "unsupervised" and config.labels else 0
    nets["discriminator"] = (autoencoder.CodeDiscriminator(**kwargs),
                             np.zeros((1, config.code_dim + onehot), np.float32))
    if config.categorical:
      nets["discriminator_y"] = (autoencoder.CodeDiscriminator(**kwargs),
                                 np.zeros((1, config.categorical), np.float32))
  return nets


def learning_rate(config: AAEConfig, rate: float) -> float | optax.Schedule:
  """`rate`, multiplied by `decay_factor` once the phase has made `first_decay_step` updates and again after
  `second_decay_step` (the paper's step schedules, Appendix A.2, A.3); the plain number without decays."""
  boundaries = [b for b in (config.first_decay_step, config.second_decay_step) if b]
  if not boundaries:
    return rate
  return lambda count: rate * config.decay_factor ** sum((count >= b).astype(jnp.float32) for b in boundaries)


def make_phases(config: AAEConfig) -> tuple[Phase, ...]:
  """The model's phases, each with its own optimizer (see jgan/configs/aae.py for the rates): Adam, or SGD with
  momentum (`momentum` for the reconstruction and supervised phases, `regularization_momentum` for the
  discriminator and generator phases, as the paper's Appendix A.3 sets them apart)."""
  def optimizer(rate: float, momentum: float):
    if config.optimizer == "sgd":
      return optax.sgd(learning_rate(config, rate), momentum=momentum or None)
    return transforms.adam(learning_rate(config, rate), b1=config.beta1, b2=0.999)

  phases = [Phase("reconstruction", ("encoder", "decoder"),
                  optimizer(config.reconstruction_learning_rate, config.momentum))]
  if config.model == "aae":
    discriminators = ("discriminator", "discriminator_y") if config.categorical else ("discriminator",)
    phases += [Phase("discriminator", discriminators,
                     optimizer(config.discriminator_learning_rate, config.regularization_momentum)),
               Phase("generator", ("encoder",), optimizer(config.generator_learning_rate,
                                                          config.regularization_momentum))]
    if config.mode == "semi_supervised":
      phases.append(Phase("supervised", ("encoder",), optimizer(config.supervised_learning_rate, config.momentum)))
  return tuple(phases)


def create_state(config: AAEConfig, shape: tuple[int, ...]) -> MultiNetState:
  """A fresh state for images of `shape`, from `config.seed`."""
  keys = run_keys(config.seed)
  nets = {}
  for i, (name, (module, example)) in enumerate(build_nets(config, shape).items()):
    params, batch_stats = Net.init_variables(module, jax.random.fold_in(keys["init"], 100 + i), example)
    nets[name] = Net(params=params, batch_stats=batch_stats, apply_fn=module.apply)
  return MultiNetState.create(nets, make_phases(config), keys["step"])


class AAEExperiment(loop.Experiment):
  """An adversarial-autoencoder (or VAE) run over the shared loop."""

  plot_metric, plot_label = "reconstruction_loss", "reconstruction error (nats per image)"
  any_chunk = False  # `advance` compiles one program per chunk length

  def __init__(self, config: AAEConfig):
    self.config = config
    model = "VAE" if config.model == "vae" else "AAE"
    self.title = f"{model} ({config.mode}, {config.prior} prior) on {config.dataset}"
    self.players = {"ae": "autoencoder (reconstruction phase)", "d": "code discriminator",
                    "g": "encoder (regularization phase)", "s": "encoder (supervised phase)"}
    self._compiled: dict = {}

  def validate(self, num_devices: int) -> None:
    validate(self.config, num_devices)

  def prepare(self, mesh) -> dict:
    config = self.config
    self.train, self.validation, _ = load_data(config)  # the test split is read only by `final_scores`
    self.shape = tuple(self.train[0].shape[1:])
    self.source = parallel.replicate(make_source(config, self.train), mesh)
    keys = run_keys(config.seed)
    self.evaluator = None
    if config.eval_every:
      if not len(self.validation[0]):
        raise ValueError("evaluation needs held-out images: set heldout > 0 or eval_every 0")
      self.evaluator = evaluate.Evaluator(config, scored=self.validation, reference=self.validation,
                                          rng=jax.random.fold_in(keys["sample"], 1))
      self.headline = self.evaluator.headline
    self.mesh = mesh
    self.fixed_z = self._fixed_codes(keys["sample"])
    return {"shape": list(self.shape), "source_shape": list(self.shape)}

  def init_state(self) -> MultiNetState:
    return create_state(self.config, self.shape)

  def _chunk(self, count: int):
    if count not in self._compiled:
      fn = functools.partial(steps.train_iterations, num_iterations=count, config=self.config,
                             batch_size=self.config.batch_size, axis_name=parallel.AXIS)
      self._compiled[count] = parallel.compile_iterations(fn, self.mesh, count)
    return self._compiled[count]

  def advance(self, state, start, count, stop):
    del start, stop  # dense nets: one compiled call runs the whole chunk
    return self._chunk(count)(state, self.source)

  # --- Pictures. ---

  def _fixed_codes(self, rng: jax.Array) -> tuple[np.ndarray, np.ndarray | None, int]:
    """(codes, one-hots, columns) of the sample grid, drawn once per run."""
    config = self.config
    k = config.num_classes if config.mode == "supervised" else config.categorical
    if not k:
      z = priors.sample(config.prior, rng, config.num_samples, config.code_dim, k=config.num_classes)
      return np.asarray(z), None, 0
    styles = 10
    z = np.asarray(priors.gaussian(rng, styles, config.code_dim))
    if config.mode == "supervised":  # one row per style, one column per class (the paper's Fig. 6)
      return np.repeat(z, k, axis=0), np.tile(np.eye(k, dtype=np.float32), (styles, 1)), k
    return np.tile(z, (k, 1)), np.repeat(np.eye(k, dtype=np.float32), styles, axis=0), styles  # row = category

  def write_samples(self, state, step, workdir, writer, primary):
    config = self.config
    z, onehot, columns = self.fixed_z
    samples = evaluate.decode(state, config, z, onehot)
    heldout_images, heldout_labels = self.validation
    shown = heldout_images[:50]
    pictures = {}
    if len(shown):
      recon, _ = evaluate.reconstruct(state, config, shown, None if heldout_labels is None else heldout_labels[:50])
      pairs = np.concatenate([shown.reshape(5, 10, *shown.shape[1:]),
                              data.to_uint8(recon).reshape(5, 10, *shown.shape[1:])], axis=1)
      pictures["reconstructions"] = image_io.grid(pairs.reshape(-1, *shown.shape[1:]), columns=10)
    if not primary:
      return
    samples_dir = workdir / "samples"
    picture = image_io.grid(data.to_uint8(samples), columns=columns or None)
    image_io.save_png(samples_dir / f"step_{step:06d}.png", picture)
    writer.image(step, "samples", picture)
    for name, picture in pictures.items():
      image_io.save_png(samples_dir / f"{name}_step_{step:06d}.png", picture)
      writer.image(step, name, picture)
    if config.code_dim == 2 and len(heldout_images):
      self._plot_codes(state, step, samples_dir, writer)

  def _plot_codes(self, state, step: int, samples_dir: pathlib.Path, writer) -> None:
    config = self.config
    images, labels = self.validation[0][:2000], None if self.validation[1] is None else self.validation[1][:2000]
    codes = evaluate.encode(state, config, images)["z"]
    prior = np.asarray(priors.sample(config.prior, jax.random.PRNGKey(0), 2000, 2, k=config.num_classes))
    picture = image_io.plot_codes(samples_dir / f"codes_step_{step:06d}.png", codes, labels, prior=prior,
                                  title=f"{self.title}: held-out codes, iteration {step}")
    writer.image(step, "codes", picture)
    if config.mode == "unsupervised":  # the decoded manifold over the prior's extent
      span = np.linspace(-2.5, 2.5, 20) if config.prior == "gaussian" else np.linspace(-2.8, 2.8, 20)
      grid_z = np.stack(np.meshgrid(span, -span), axis=-1).reshape(-1, 2)  # rows: z2 from high to low
      manifold = image_io.grid(data.to_uint8(evaluate.decode(state, config, grid_z)), columns=20, padding=0)
      image_io.save_png(samples_dir / f"manifold_step_{step:06d}.png", manifold)

  def evaluate(self, state):
    return self.evaluator(state) if self.evaluator else None


def run(config: AAEConfig, workdir: str | pathlib.Path, *, resume: bool = False, overwrite: bool = False,
        progress: bool = True, mesh=None) -> MultiNetState:
  """Trains the autoencoder `config` describes, writing metrics, pictures and checkpoints under `workdir`."""
  return loop.run(AAEExperiment(config), workdir, resume=resume, overwrite=overwrite, progress=progress, mesh=mesh)


def load(run_dir: str | pathlib.Path) -> tuple[MultiNetState, AAEConfig, dict]:
  """`(state, config, meta)` restored from the latest checkpoint of `run_dir`."""
  from jgan import checkpoint
  state, meta = checkpoint.load_run(run_dir, lambda meta: create_state(AAEConfig(**meta["config"]),
                                                                        tuple(meta["shape"])))
  return state, AAEConfig(**meta["config"]), meta


def final_scores(run_dir: str | pathlib.Path, split: str = "test", *, parzen_samples: int = 10000) -> dict:
  """The held-out figures of a run's latest checkpoint (`evaluate.Evaluator`) on `split` ('validation' to choose,
  'test' read once per reported number; clustering labels always from validation), plus, with `parzen_samples`
  > 0, the Parzen-window log-likelihood of the split's digits (sigma chosen on 1,000 training images)."""
  if split not in ("validation", "test"):
    raise ValueError(f"split must be 'validation' or 'test', got {split!r}")
  state, config, _ = load(run_dir)
  train, validation, test = load_data(config)
  scored = {"validation": validation, "test": test}[split]
  if not len(scored[0]):
    raise ValueError(f"{run_dir}: the run held nothing out (heldout 0): no {split} set")
  scores = evaluate.Evaluator(config, scored=scored, reference=validation, rng=jax.random.PRNGKey(1))(state)
  if parzen_samples:
    sigma_set = train[0][np.asarray(jax.random.permutation(jax.random.PRNGKey(2), len(train[0])))[:1000]]
    parzen = evaluate.parzen(state, config, sigma_set, scored[0], num_samples=parzen_samples)
    scores.update({f"parzen_{k}": v for k, v in parzen.items()})
  return {**scores, "split": split, "step": int(np.asarray(state.step)), "train_images": len(train[0]),
          f"{split}_images": len(scored[0]), "labels": config.labels, "mode": config.mode, "model": config.model,
          "prior": config.prior, "seed": config.seed}
