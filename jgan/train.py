"""The training loop of every GAN-family experiment: `run(config, workdir)`, used by the command lines and by
notebooks alike."""

from __future__ import annotations

import dataclasses
import functools
import json
import pathlib
import signal
import threading
import time
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from jgan import checkpoint, data, distributed, games, models, parallel, steps, transforms
from jgan import images as image_io
from jgan.configs.base import Config, validate
from jgan.data import labeled
from jgan.data.source import Source
from jgan.metrics import MetricsWriter
from jgan.state import GANState, PlayerState

# Fields that may change when a run is resumed; every other field must match the checkpoint's config.
RESUMABLE_FIELDS = ("steps", "log_every", "sample_every", "checkpoint_every", "keep_checkpoints", "loop",
                    "eval_every", "eval_samples")


# ---------------------------------------------------------------------------------------------------------------------
# Building blocks: keys, data, game, nets, optimizers, state.
# ---------------------------------------------------------------------------------------------------------------------

def run_keys(seed: int) -> dict[str, jax.Array]:
  """The run's keys, all from `seed`: initialization, the training stream (folded per step), and sample noise."""
  init_rng, step_rng, sample_rng = jax.random.split(jax.random.PRNGKey(seed), 3)
  return {"init": init_rng, "step": step_rng, "sample": sample_rng}


def latent_distribution(config: Config) -> str:
  """'uniform' or 'normal': config.latent, where 'auto' follows the data set (U(0, 1) for the 1-D toy task)."""
  if config.latent != "auto":
    return config.latent
  if data.is_toy(config.dataset):
    from jgan.data import toys
    return toys.latent_distribution(config.dataset)
  return "normal"


def make_game(config: Config) -> games.Game:
  return games.from_config(config, latent_distribution(config))


def load_source(config: Config) -> tuple[Source, list[int]]:
  """The training data as a `Source` (not yet on the devices), and the shape of one example as stored."""
  if data.is_toy(config.dataset):
    source = Source(toy=config.dataset)
    return source, list(source.shape)
  dataset = data.load(config.dataset, split=config.split)
  images, labels = dataset.images, dataset.labels
  if config.heldout:  # never trained on: ssgan's test set (jgan.experiments.ssgan)
    (images, labels), _ = labeled.split_heldout(images, labels, config.heldout)
  if len(images) < config.batch_size:
    raise ValueError(f"dataset {config.dataset!r} has {len(images)} training images, fewer than batch_size "
                     f"{config.batch_size}")
  if make_game(config).uses_labels:  # cgan, acgan, ssgan
    _check_labels(config, labels)
  images = data.resize_images(images, config.image_size, config.resize)
  if config.game == "ssgan":
    chosen = labeled.balanced_labels(labels, config.labels, config.num_classes, labeled_examples_key(config.seed))
    return labeled.SemiSupervisedSource.create(images, labels, chosen, config.batch_size), list(dataset.shape)
  return Source.from_arrays(images, labels), list(dataset.shape)


def labeled_examples_key(seed: int) -> jax.Array:
  """The key that picks the labeled examples of a semi-supervised run (its own stream of the run's init key)."""
  return jax.random.fold_in(run_keys(seed)["init"], 1)


def _check_labels(config: Config, labels: np.ndarray | None) -> None:
  if labels is None:
    raise ValueError(f"game {config.game!r} needs labels; dataset {config.dataset!r} has none")
  if labels.min() < 0 or labels.max() >= config.num_classes:
    raise ValueError(f"dataset {config.dataset!r} has labels in [{labels.min()}, {labels.max()}], outside "
                     f"[0, num_classes={config.num_classes})")


def make_optimizer(config: Config, learning_rate: float | None = None):
  """The Optax chain `config.optimizer` at `learning_rate` (default: config.learning_rate)."""
  learning_rate = config.learning_rate if learning_rate is None else learning_rate
  if config.optimizer == "rmsprop":
    return transforms.rmsprop_torch(learning_rate)
  if config.optimizer == "sgd":
    import optax
    if config.lr_decay == 1 and not config.momentum_ramp_steps:
      return optax.sgd(learning_rate, momentum=config.momentum or None)
    # Goodfellow et al.'s schedules (pylearn2 ExponentialDecay, MomentumAdjustor), counted in this player's updates.
    rate = optax.exponential_decay(learning_rate, 1, 1 / config.lr_decay, end_value=min(1e-6, learning_rate))
    momentum = (optax.linear_schedule(config.momentum, config.momentum_final, config.momentum_ramp_steps)
                if config.momentum_ramp_steps else config.momentum)
    return optax.inject_hyperparams(optax.sgd)(learning_rate=rate, momentum=momentum)
  return transforms.adam(learning_rate, b1=config.beta1, b2=config.beta2)


def build_models(config: Config, shape: tuple[int, ...], game: games.Game | None = None):
  game = make_game(config) if game is None else game
  return models.build(config.arch, shape=tuple(shape), generator_features=config.generator_features,
                      critic_features=config.critic_features, mlp_layers=config.mlp_layers,
                      mlp_output=config.mlp_output, extra_outputs=game.extra_outputs, axis_name=parallel.AXIS,
                      norm=config.norm, generator_norm=config.generator_norm, spectral_norm=config.spectral_norm,
                      minibatch_kernels=config.minibatch_kernels, minibatch_kernel_dim=config.minibatch_kernel_dim)


def create_state(config: Config, shape: tuple[int, ...]) -> GANState:
  """A fresh state for samples of `shape` (one example, as the generator makes it), from `config.seed`."""
  game = make_game(config)
  generator, discriminator = build_models(config, shape, game)
  keys = run_keys(config.seed)
  g_rng, d_rng = jax.random.split(keys["init"])
  example = game.sample_latent(jax.random.PRNGKey(0), 1)
  if config.generator_norm == "virtual":  # the generator keeps the input it is initialized with as VBN's reference
    example = game.sample_latent(jax.random.fold_in(keys["init"], 2), config.batch_size)
  g_tx = with_historical_averaging(config, "generator",
                                   make_optimizer(config, config.generator_learning_rate or config.learning_rate))
  g = PlayerState.create(generator, g_tx, g_rng, game.generator_input(example))
  d_input = game.discriminator_input(jnp.zeros((1, *shape)), jnp.zeros((1,), jnp.int32))
  d_tx = with_historical_averaging(config, "discriminator", make_optimizer(config))
  d = PlayerState.create(discriminator, d_tx, d_rng, d_input)
  return GANState.create(g, d, keys["step"])


def with_historical_averaging(config: Config, player: str, tx):
  """`tx` preceded by historical averaging (its mean kept in the opt_state) when `config` asks for it for `player`."""
  if not config.historical_averaging or config.historical_averaging_player not in ("both", player):
    return tx
  import optax
  return optax.chain(transforms.historical_averaging(config.historical_averaging), tx)


def fixed_latent(config: Config, game: games.Game | None = None) -> dict[str, jax.Array]:
  """The latent codes of the run's sample grids, drawn once from the run's sample key."""
  game = make_game(config) if game is None else game
  return game.fixed_latent(run_keys(config.seed)["sample"], config.num_samples)


def generate(state: GANState, game: games.Game, latent: dict[str, jax.Array]) -> jax.Array:
  """Generator outputs for `latent` in inference mode (batch norm with its running statistics)."""
  return state.generator(game.generator_input(latent), train=False)[0]


def choose_loop(config: Config) -> str:
  """'host' for convolutional nets on CPU (XLA:CPU runs convolutions 20-45x slower inside loops), else 'device'."""
  if config.loop != "auto":
    return config.loop
  return "host" if config.arch == "dcgan" and jax.default_backend() == "cpu" else "device"


# ---------------------------------------------------------------------------------------------------------------------
# Compiled steps.
# ---------------------------------------------------------------------------------------------------------------------

class Stepper:
  """Advances a `GANState` by generator iterations with compiled, data-parallel functions.

  'device' loop: `steps.train_iterations` runs many iterations (schedule included) per call. 'host' loop: one call
  of `steps.generator_iteration` per usual iteration; a long (warm-up) iteration of n critic steps runs as
  n / n_critic - 1 calls of an unrolled `steps.critic_block` followed by the usual iteration, so no graph larger
  than one iteration is ever compiled.
  """

  def __init__(self, config: Config, mesh, loop: str, game: games.Game | None = None):
    self.config, self.mesh, self.loop = config, mesh, loop
    game = make_game(config) if game is None else game
    self.kwargs = dict(game=game, batch_size=config.batch_size, axis_name=parallel.AXIS)
    self._cache: dict = {}

  def _compiled(self, key, fn: Callable) -> Callable:
    if key not in self._cache:
      self._cache[key] = jax.jit(parallel.data_parallel(fn, self.mesh), donate_argnums=0)
    return self._cache[key]

  def iteration(self, n_critic: int) -> Callable:
    return self._compiled(("iteration", n_critic), functools.partial(
        steps.generator_iteration, n_critic=n_critic, unroll=n_critic, **self.kwargs))

  def block(self, count: int) -> Callable:
    return self._compiled(("block", count), functools.partial(steps.critic_block, count=count, **self.kwargs))

  def chunk(self, num_iterations: int) -> Callable:
    return self._compiled(("chunk", num_iterations), functools.partial(
        steps.train_iterations, num_iterations=num_iterations, schedule=self.config.schedule, **self.kwargs))

  def advance(self, state: GANState, source: Source, start: int, count: int,
              stop: Callable[[], bool] = lambda: False) -> tuple[GANState, list[dict]]:
    """Runs generator iterations start .. start+count-1; returns per-iteration metrics (still on the device).

    In the 'host' loop, `stop()` is asked before each iteration and ends the call early when true.
    """
    if self.loop == "device":
      state, stacked = self.chunk(count)(state, source)
      return state, [jax.tree.map(lambda v, i=i: v[i], stacked) for i in range(count)]
    rows = []
    for step in range(start, start + count):
      if stop() and rows:
        break
      state, metrics = self._host_iteration(state, source, steps.critic_iterations(step, **self.config.schedule))
      rows.append(metrics)
    return state, rows

  def _host_iteration(self, state: GANState, source: Source, n_critic: int) -> tuple[GANState, dict]:
    k = self.config.n_critic
    if n_critic <= k:
      state, metrics = self.iteration(n_critic)(state, source)
      return state, {**metrics, "n_critic": n_critic}
    totals = []
    blocks, rest = divmod(n_critic - k, k)
    for _ in range(blocks):
      state, total = self.block(k)(state, source)
      totals.append(total)
    if rest:
      state, total = self.block(rest)(state, source)
      totals.append(total)
    state, metrics = self.iteration(k)(state, source)
    for key in totals[0] if totals else ():
      metrics[key] = (sum(t[key] for t in totals) + k * metrics[key]) / n_critic
    return state, {**metrics, "n_critic": n_critic}


# ---------------------------------------------------------------------------------------------------------------------
# The run.
# ---------------------------------------------------------------------------------------------------------------------

def _default(field: str):
  """A field's default: what a checkpoint written before the field existed was trained with."""
  return Config.__dataclass_fields__[field].default


def check_workdir(config: Config, workdir: pathlib.Path, *, resume: bool, overwrite: bool) -> dict | None:
  """Validates the output directory before any work; returns the checkpoint's metadata when resuming."""
  if resume:
    checkpoint.find_run_dir(workdir)  # raises if there is no checkpoint
    _, meta, _ = checkpoint.restore(workdir)
    stored = meta["config"]
    differing = sorted(k for k, v in dataclasses.asdict(config).items()
                       if k not in RESUMABLE_FIELDS and stored.get(k, _default(k)) != v)
    if differing:
      details = ", ".join(f"{k}: checkpoint {stored.get(k)!r} vs now {getattr(config, k)!r}" for k in differing)
      raise ValueError(f"cannot resume {workdir} with a different configuration ({details}); "
                       f"only {', '.join(RESUMABLE_FIELDS)} may change")
    return meta
  if workdir.exists() and any(workdir.iterdir()) and not overwrite:
    raise ValueError(f"output directory {workdir} exists and is not empty; pass resume=True (--resume) to continue "
                     "it or overwrite=True (--overwrite) to start over in it")
  return None


def run(config: Config, workdir: str | pathlib.Path, *, resume: bool = False, overwrite: bool = False,
        progress: bool = True, mesh=None) -> GANState:
  """Trains the GAN `config` describes (its `game`, nets, data, schedule), writing metrics, samples, plots and checkpoints under `workdir`.

  Returns the final state (replicated over the mesh). Every input is checked before data is read or anything
  is compiled.
  """
  # --- Validate everything first. ---
  mesh = parallel.make_mesh() if mesh is None else mesh
  validate(config, 1)
  parallel.check_batch_size(config.batch_size, mesh)  # over all devices of all processes, saying so
  workdir = pathlib.Path(workdir)
  meta = check_workdir(config, workdir, resume=resume, overwrite=overwrite)
  # Only process 0 writes outputs (metrics, grids, plots, config.json, the bar); all take part in checkpoints.
  # The barrier keeps it from writing into `workdir` before every process has checked that directory.
  primary = distributed.is_primary()
  distributed.barrier("jgan.train.run: inputs checked")

  # --- Data: an image set kept whole on every device, or a toy distribution drawn on the device. ---
  game = make_game(config)
  source, source_shape = load_source(config)  # samples are brought back to source_shape (jgan.sample)
  shape = source.shape
  from jgan.eval.during_training import make_evaluator
  eval_rng = jax.random.fold_in(run_keys(config.seed)["sample"], 1)
  evaluator = make_evaluator(config, game, source, source_shape, eval_rng)
  source = parallel.replicate(source, mesh)

  # --- State: fresh, or restored from the latest checkpoint. ---
  workdir.mkdir(parents=True, exist_ok=True)
  state = parallel.replicate(create_state(config, shape), mesh)
  start = 0
  if resume:
    _, _, state = checkpoint.restore(workdir, state)
    start = int(state.step)
  meta = {"config": dataclasses.asdict(config), "shape": list(shape), "source_shape": source_shape,
          "jax": jax.__version__}
  if primary:
    (workdir / "config.json").write_text(json.dumps(meta, indent=2))

  # --- Outputs. ---
  writer = MetricsWriter(workdir, resume_step=start if resume else None, enabled=primary)
  if primary:
    (workdir / "samples").mkdir(exist_ok=True)
  mngr = checkpoint.manager(workdir, keep=config.keep_checkpoints)
  latent_fixed = parallel.replicate(fixed_latent(config, game), mesh)
  sample_fn = jax.jit(functools.partial(generate, game=game))
  stepper = Stepper(config, mesh, choose_loop(config), game)
  title = f"{config.game.upper()} ({config.arch}) on {config.dataset}"
  reference = None
  if source.toy:  # data points drawn beside the generated ones
    from jgan.data import toys
    reference = np.asarray(toys.sample(source.toy, run_keys(config.seed)["sample"], 1000))

  def write_samples(state, step):
    samples = np.asarray(sample_fn(state, latent=latent_fixed))  # computed by all processes: one global program
    if not primary:
      return
    path = workdir / "samples" / f"step_{step:06d}.png"
    if source.toy:
      picture = image_io.plot_points(path, samples, title=f"{title}, iteration {step}", reference=reference)
    else:
      picture = image_io.grid(data.to_uint8(samples), columns=game.grid_columns(len(samples)))
      image_io.save_png(path, picture)
    writer.image(step, "samples", picture)
    writer.plot(game.plot_metric, workdir / f"{game.plot_metric}.png", ylabel=game.plot_label, title=title)

  def evaluate(state, step):
    scores = evaluator(state)
    writer.write([{"step": step, **{f"eval_{k}": v for k, v in scores.items()}}])
    writer.plot(f"eval_{evaluator.headline}", workdir / "eval.png", ylabel=evaluator.headline, title=title)
    return scores

  # --- Train. ---
  from tqdm import tqdm
  bar = tqdm(total=config.steps, initial=start, disable=not progress or not primary, unit="it", dynamic_ncols=True)
  if start == 0:
    write_samples(state, 0)
    if evaluator:
      evaluate(state, 0)
  step, t0, saved = start, time.perf_counter(), None
  try:
    with _StopOnSignal(agree=distributed.any_process) as stop:
      while step < config.steps:
        count = min([every - step % every for every in (config.log_every, config.sample_every,
                                                        config.checkpoint_every, config.eval_every) if every]
                    + [config.steps - step])  # stop at every boundary, so each output has its exact step
        state, rows = stepper.advance(state, source, step, count, stop=stop.is_set)
        rows = [{k: float(v) for k, v in r.items()} for r in jax.device_get(rows)]
        bad = next((i for i, r in enumerate(rows) if r["d_nonfinite"] or r["g_nonfinite"]), None)
        elapsed = time.perf_counter() - t0
        writer.write([{"step": step + i + 1, **r, "time": elapsed} for i, r in enumerate(rows[:bad])])
        if bad is not None:
          player = "critic (discriminator)" if rows[bad]["d_nonfinite"] else "generator"
          raise NonFiniteError(f"non-finite loss or parameters in the {player} at generator iteration "
                               f"{step + bad + 1}; that state was not saved, the last good checkpoint "
                               f"({mngr.latest_step()}) is untouched")
        previous, step = step, step + len(rows)
        bar.update(len(rows))
        bar.set_postfix({game.plot_metric: f"{rows[-1][game.plot_metric]:.4f}", "n_critic": int(rows[-1]["n_critic"])})
        if _crossed(previous, step, config.sample_every):
          write_samples(state, step)
        if evaluator and (_crossed(previous, step, config.eval_every) or step == config.steps):
          evaluate(state, step)
        if _crossed(previous, step, config.checkpoint_every) or step == config.steps or stop.is_set():
          checkpoint.save(mngr, step, state, meta)
          saved = step
        if stop.is_set():
          mngr.wait_until_finished()
          raise Preempted(f"stopped by {stop.signal_name or 'a signal to another process'} at generator iteration "
                          f"{step}; checkpoint {saved} saved in {workdir}; continue with --resume")
    mngr.wait_until_finished()
    write_samples(state, step)
  finally:
    bar.close()
    mngr.close()
    writer.close()
  return state


class Preempted(RuntimeError):
  """Training stopped by SIGTERM or SIGINT after saving a checkpoint."""


class NonFiniteError(RuntimeError):
  """A loss or parameter became NaN or infinite; the bad state was not saved."""


class _StopOnSignal:
  """Within the block, SIGTERM and SIGINT set a flag (checked at iteration boundaries) instead of killing.

  `is_set` is the decision to stop. With `agree` (`distributed.any_process`) it is agreed by all processes: true
  on every process from the same call on once any process got a signal, and then it stays true without further
  communication. Every process must therefore call `is_set` at the same points, as the training loop does.
  """

  signals = (signal.SIGTERM, signal.SIGINT)

  def __init__(self, agree: Callable[[bool], bool] | None = None):
    self._agree = agree

  def __enter__(self):
    self.signal_name, self._previous, self._stopping = None, {}, False
    if threading.current_thread() is threading.main_thread():  # handlers can only be set from the main thread
      for sig in self.signals:
        self._previous[sig] = signal.signal(sig, self._handle)
    return self

  def _handle(self, signum, frame):
    del frame
    self.signal_name = signal.Signals(signum).name

  def is_set(self) -> bool:
    if not self._stopping:
      received = self.signal_name is not None
      self._stopping = self._agree(received) if self._agree else received
    return self._stopping

  def __exit__(self, *exc):
    for sig, handler in self._previous.items():
      signal.signal(sig, handler)
    return False


def _crossed(previous: int, current: int, every: int) -> bool:
  """Whether a multiple of `every` lies in (previous, current]."""
  return current // every > previous // every
