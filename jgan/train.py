"""The training loop of every GAN-family experiment: `run(config, workdir)`, used by the command lines and by
notebooks alike."""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import pathlib
import signal
import threading
import time
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from jgan import checkpoint, data, games, models, parallel, steps, transforms
from jgan import images as image_io
from jgan.configs.base import Config, validate
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
  if len(dataset) < config.batch_size:
    raise ValueError(f"dataset {config.dataset!r} has {len(dataset)} images, fewer than batch_size "
                     f"{config.batch_size}")
  if config.conditional:
    _check_labels(config, dataset.labels)
  images = data.resize_images(dataset.images, config.image_size, config.resize)
  return Source.from_arrays(images, dataset.labels), list(dataset.shape)


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
    return optax.sgd(learning_rate, momentum=config.momentum or None)
  return transforms.adam(learning_rate, b1=config.beta1, b2=config.beta2)


def build_models(config: Config, shape: tuple[int, ...], game: games.Game | None = None):
  game = make_game(config) if game is None else game
  return models.build(config.arch, shape=tuple(shape), generator_features=config.generator_features,
                      critic_features=config.critic_features, mlp_layers=config.mlp_layers,
                      mlp_output=config.mlp_output, extra_outputs=game.extra_outputs, axis_name=parallel.AXIS)


def create_state(config: Config, shape: tuple[int, ...]) -> GANState:
  """A fresh state for samples of `shape` (one example, as the generator makes it), from `config.seed`."""
  game = make_game(config)
  generator, discriminator = build_models(config, shape, game)
  keys = run_keys(config.seed)
  g_rng, d_rng = jax.random.split(keys["init"])
  example = game.sample_latent(jax.random.PRNGKey(0), 1)
  g_tx = make_optimizer(config, config.generator_learning_rate or config.learning_rate)
  g = PlayerState.create(generator, g_tx, g_rng, game.generator_input(example))
  d_input = game.discriminator_input(jnp.zeros((1, *shape)), jnp.zeros((1,), jnp.int32))
  d = PlayerState.create(discriminator, make_optimizer(config), d_rng, d_input)
  return GANState.create(g, d, keys["step"])


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

def check_workdir(config: Config, workdir: pathlib.Path, *, resume: bool, overwrite: bool) -> dict | None:
  """Validates the output directory before any work; returns the checkpoint's metadata when resuming."""
  if resume:
    checkpoint.find_run_dir(workdir)  # raises if there is no checkpoint
    _, meta, _ = checkpoint.restore(workdir)
    stored = meta["config"]
    differing = sorted(k for k, v in dataclasses.asdict(config).items()
                       if k not in RESUMABLE_FIELDS and stored.get(k) != v)
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
  validate(config, mesh.size)
  workdir = pathlib.Path(workdir)
  meta = check_workdir(config, workdir, resume=resume, overwrite=overwrite)

  # --- Data: an image set kept whole on every device, or a toy distribution drawn on the device. ---
  game = make_game(config)
  source, source_shape = load_source(config)  # samples are brought back to source_shape (jgan.sample)
  shape = source.shape
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
  (workdir / "config.json").write_text(json.dumps(meta, indent=2))

  # --- Outputs. ---
  writer = MetricsWriter(workdir, resume_step=start if resume else None)
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
    samples = np.asarray(sample_fn(state, latent=latent_fixed))
    path = workdir / "samples" / f"step_{step:06d}.png"
    if source.toy:
      picture = image_io.plot_points(path, samples, title=f"{title}, iteration {step}", reference=reference)
    else:
      picture = image_io.grid(data.to_uint8(samples), columns=game.grid_columns(len(samples)))
      image_io.save_png(path, picture)
    writer.image(step, "samples", picture)
    writer.plot(game.plot_metric, workdir / f"{game.plot_metric}.png", ylabel=game.plot_label, title=title)

  # --- Train. ---
  from tqdm import tqdm
  bar = tqdm(total=config.steps, initial=start, disable=not progress, unit="it", dynamic_ncols=True)
  if start == 0:
    write_samples(state, 0)
  step, t0, saved = start, time.perf_counter(), None
  try:
    with _StopOnSignal() as stop:
      while step < config.steps:
        count = min(config.log_every - step % config.log_every, config.steps - step)
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
        if _crossed(previous, step, config.checkpoint_every) or step == config.steps or stop.is_set():
          checkpoint.save(mngr, step, state, meta)
          saved = step
        if stop.is_set():
          mngr.wait_until_finished()
          raise Preempted(f"stopped by {stop.signal_name} at generator iteration {step}; checkpoint {saved} saved "
                          f"in {workdir}; continue with --resume")
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
  """Within the block, SIGTERM and SIGINT set a flag (checked at iteration boundaries) instead of killing."""

  signals = (signal.SIGTERM, signal.SIGINT)

  def __enter__(self):
    self.signal_name, self._previous = None, {}
    if threading.current_thread() is threading.main_thread():  # handlers can only be set from the main thread
      for sig in self.signals:
        self._previous[sig] = signal.signal(sig, self._handle)
    return self

  def _handle(self, signum, frame):
    del frame
    self.signal_name = signal.Signals(signum).name

  def is_set(self) -> bool:
    return self.signal_name is not None

  def __exit__(self, *exc):
    for sig, handler in self._previous.items():
      signal.signal(sig, handler)
    return False


def _crossed(previous: int, current: int, every: int) -> bool:
  """Whether a multiple of `every` lies in (previous, current]."""
  return current // every > previous // every
