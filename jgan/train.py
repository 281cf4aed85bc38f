"""GAN-family training: the game, data, nets, optimizers and state a config names, the compiled `Stepper`, and
`run(config, workdir)` (the shared loop of `jgan.loop` over a `GANExperiment`), used by the command lines and by
notebooks alike."""

from __future__ import annotations

import functools
import pathlib
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgan import data, games, loop, models, parallel, steps, transforms, updates
from jgan import images as image_io
from jgan.configs.base import Config, validate
from jgan.data import examples as data_examples
from jgan.data import labeled, stream
from jgan.data.source import Source
from jgan.state import GANState, PlayerState

# Fields that may change when a run is resumed; every other field must match the checkpoint's config.
RESUMABLE_FIELDS = Config.resumable


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


def can_stream(config: Config) -> bool:
  """Whether the game's real data can come from a `jgan.data.stream.Stream`: a batch per critic step and none in
  the generator step (feature matching draws one there) and no labeled subset drawn on the device (ssgan)."""
  return not data.is_toy(config.dataset) and config.game != "ssgan" and config.g_loss != "feature_matching"


def load_source(config: Config) -> tuple[Source | data_examples.Examples, list[int]]:
  """The training data as a `Source` (not yet on the devices), or, where `config.input` (by size when 'auto':
  `jgan.data.stream.choose_input`) streams it, as the `jgan.data.examples.Examples` to stream from; and the shape of
  one example as stored."""
  if data.is_toy(config.dataset):
    source = Source(toy=config.dataset)
    return source, list(source.shape)
  # A folder or TFDS set is sized before it is read (None: a set that is in memory anyway, sized once loaded).
  lazy = data_examples.set_bytes(config.dataset, split=config.split, data_dir=config.data_dir,
                                 image_size=config.image_size)
  if lazy is not None and _input(config, lazy) == "stream":
    examples = data_examples.open_examples(config.dataset, split=config.split, data_dir=config.data_dir,
                                           image_size=config.image_size, resize=config.resize,
                                           skip_bad_images=config.skip_bad_images)
    return _streamed(config, examples), list(examples.stored_shape)
  # A folder's files may differ in size, so `load` brings each to image_size as it reads it (centred square,
  # BICUBIC). Every other set is loaded as stored, its stored shape kept for samples, and resized below by `resize`.
  folder_size = config.image_size if data.is_image_folder(config.dataset, config.data_dir) else None
  dataset = data.load(config.dataset, split=config.split, data_dir=config.data_dir, image_size=folder_size,
                      skip_bad_images=config.skip_bad_images)
  images, labels = dataset.images, dataset.labels
  if config.heldout:  # never trained on: ssgan's test set (jgan.experiments.ssgan)
    (images, labels), _ = labeled.split_heldout(images, labels, config.heldout)
  if len(images) < config.batch_size:
    raise ValueError(f"dataset {config.dataset!r} has {len(images)} training images, fewer than batch_size "
                     f"{config.batch_size}")
  if make_game(config).uses_labels:  # cgan, acgan, ssgan
    _check_labels(config, labels)
  images = data.resize_images(images, config.image_size, config.resize)
  if lazy is None and _input(config, images.nbytes) == "stream":  # arrays in memory anyway: streamed from there
    return _streamed(config, data_examples.ArrayExamples(images, labels, config.dataset)), list(dataset.shape)
  if config.game == "ssgan":
    chosen = labeled.balanced_labels(labels, config.labels, config.num_classes, labeled_examples_key(config.seed))
    return labeled.SemiSupervisedSource.create(images, labels, chosen, config.batch_size), list(dataset.shape)
  return Source.from_arrays(images, labels), list(dataset.shape)


def _input(config: Config, nbytes: int) -> str:
  return stream.choose_input(config.input, nbytes, threshold_mb=config.stream_threshold_mb, name=config.dataset,
                             can_stream=can_stream(config))


def _streamed(config: Config, examples: data_examples.Examples) -> data_examples.Examples:
  """`examples` less the held-out ones, checked as `load_source` checks the arrays it holds."""
  if config.heldout:  # the training part of `labeled.split_heldout`, by index
    from jgan.eval.classifier import heldout_split
    if not 0 < config.heldout < len(examples):
      raise ValueError(f"heldout must be in (0, {len(examples)}) for a set of {len(examples)} images, got "
                       f"{config.heldout}")
    examples = data_examples.Subset(examples, heldout_split(len(examples), num_heldout=config.heldout)[0])
  if len(examples) < config.batch_size:
    raise ValueError(f"dataset {config.dataset!r} has {len(examples)} training images, fewer than batch_size "
                     f"{config.batch_size}")
  if make_game(config).uses_labels:  # cgan, acgan: every label of a folder or array set is known without decoding
    if not examples.labels_known:
      _check_labels(config, None)
    if examples.all_labels is not None:
      _check_labels(config, examples.all_labels)
  return examples


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
                      minibatch_kernels=config.minibatch_kernels, minibatch_kernel_dim=config.minibatch_kernel_dim,
                      dtype=None if config.compute_dtype == "float32" else jnp.dtype(config.compute_dtype),
                      condition_dim=game.condition_dim, generator_init=config.generator_init,
                      critic_label_init=config.critic_label_init)


def create_state(config: Config, shape: tuple[int, ...], generator_output_bias: np.ndarray | None = None) -> GANState:
  """A fresh state for samples of `shape` (one example, as the generator makes it), from `config.seed`;
  `generator_output_bias` replaces the initial biases of the generator's `output` layer (`generator_init`
  'goodfellow': `jgan.models.maxout.output_bias_from_marginals` of the training images)."""
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
  if generator_output_bias is not None:
    if "bias" not in g.params.get("output", {}):  # a nested layer's biases would be added beside it, never read
      raise ValueError(f"generator_output_bias needs a generator whose 'output' layer holds its biases; "
                       f"{type(generator).__name__} has {sorted(g.params.get('output', {}))} there")
    params = {**g.params, "output": {**g.params["output"], "bias": jnp.asarray(generator_output_bias)}}
    g = g.replace(params=params, opt_state=g_tx.init(params))
  d_input = game.discriminator_input(jnp.zeros((1, *shape)), jnp.zeros((1,), jnp.int32))
  d_tx = with_historical_averaging(config, "discriminator", make_optimizer(config))
  if config.max_col_norm:  # a projection of the updated weights: last in the chain
    d_tx = optax.chain(d_tx, transforms.max_column_norm(config.max_col_norm))
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


def choose_loop(config: Config, streamed: bool = False) -> str:
  """'host' for convolutional nets on CPU (XLA:CPU runs convolutions 20-45x slower inside loops), else 'device';
  always 'host' for a streamed input, whose batches the host passes to each call."""
  if streamed:
    if config.loop == "device":  # only where 'auto' input chose to stream: an explicit 'stream' refuses it
      stream.warn(f"dataset {config.dataset!r} is streamed (input 'auto'), which runs the 'host' loop, not 'device'")
    return "host"
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
    self.simultaneous = config.updates == "simultaneous"
    self._cache: dict = {}
    self._next_step: int | None = None  # the iteration a streamed input's pipeline is positioned for

  def _compiled(self, key, fn: Callable, rows: int | None = None, source=None) -> Callable:
    """`fn` compiled once per `key`; with `rows`, its stacked metrics come back as that many per-iteration rows. A
    streamed `source` (`jgan.data.stream.StreamedSource`) enters split over the data axis, not replicated."""
    if isinstance(source, stream.StreamedSource):
      key, in_specs = (*key, "streamed"), (jax.sharding.PartitionSpec(), source.specs())
      if key not in self._cache:
        self._cache[key] = parallel.compile_step(fn, self.mesh, in_specs)
      return self._cache[key]
    if key not in self._cache:
      self._cache[key] = (parallel.compile_step(fn, self.mesh) if rows is None
                          else parallel.compile_iterations(fn, self.mesh, rows))
    return self._cache[key]

  def iteration(self, n_critic: int, source=None) -> Callable:
    return self._compiled(("iteration", n_critic), functools.partial(
        steps.generator_iteration, n_critic=n_critic, unroll=n_critic, simultaneous=self.simultaneous,
        **self.kwargs), source=source)

  def block(self, count: int, source=None) -> Callable:
    return self._compiled(("block", count), functools.partial(steps.critic_block, count=count, **self.kwargs),
                          source=source)

  def chunk(self, num_iterations: int) -> Callable:
    return self._compiled(("chunk", num_iterations), functools.partial(
        steps.train_iterations, num_iterations=num_iterations, schedule=self.config.schedule,
        simultaneous=self.simultaneous, **self.kwargs),
        rows=num_iterations)

  def advance(self, state: GANState, source: Source, start: int, count: int,
              stop: Callable[[], bool] = lambda: False) -> tuple[GANState, list[dict]]:
    """Runs generator iterations start .. start+count-1; returns per-iteration metrics (still on the device).

    In the 'host' loop, `stop()` is asked before each iteration and ends the call early when true.
    """
    if self.loop == "device":
      return self.chunk(count)(state, source)
    if isinstance(source, stream.Stream) and start != self._next_step:
      source.restart(*stream_position(state))  # a fresh or resumed run: positioned from the state's counters
    self._next_step = None  # until this call ends well, the pipeline's position is not known to match
    rows = []
    for step in range(start, start + count):
      if stop() and rows:
        break
      state, metrics = self._host_iteration(state, source, steps.critic_iterations(step, **self.config.schedule))
      rows.append(metrics)
    self._next_step = start + len(rows)
    return state, rows

  @staticmethod
  def _feed(source, count: int):
    """What one compiled call of `count` critic steps takes: a held `Source` itself, or a stream's next batches."""
    return source.take(count) if isinstance(source, stream.Stream) else source

  def _host_iteration(self, state: GANState, source: Source | stream.Stream, n_critic: int) -> tuple[GANState, dict]:
    k = self.config.n_critic
    if n_critic <= k:
      fed = self._feed(source, n_critic)
      state, metrics = self.iteration(n_critic, fed)(state, fed)
      return state, {**metrics, "n_critic": n_critic}
    totals = []
    blocks, rest = divmod(n_critic - k, k)
    for _ in range(blocks):
      fed = self._feed(source, k)
      state, total = self.block(k, fed)(state, fed)
      totals.append(total)
    if rest:
      fed = self._feed(source, rest)
      state, total = self.block(rest, fed)(state, fed)
      totals.append(total)
    fed = self._feed(source, k)
    state, metrics = self.iteration(k, fed)(state, fed)
    for key in totals[0] if totals else ():
      metrics[key] = (sum(t[key] for t in totals) + k * metrics[key]) / n_critic
    return state, {**metrics, "n_critic": n_critic}


def stream_position(state: GANState) -> tuple[np.ndarray, int]:
  """(the key of the critic steps' real batches, the position of the next one) of `state`: where a streamed input
  continues (`jgan.data.stream.Stream.restart`). Both come from the state, so a checkpoint holds them."""
  local = lambda x: np.asarray(x.addressable_data(0)) if isinstance(x, jax.Array) else np.asarray(x)
  # The key `steps.discriminator_step` hands `Source.batch`, computed on the host's CPU from the state's key.
  rng = jax.device_put(local(state.rng), jax.local_devices(backend="cpu")[0])
  return np.asarray(updates.stream_key(rng, steps._DATA, 0)), int(local(state.critic_steps))


# ---------------------------------------------------------------------------------------------------------------------
# The run: a GAN as an `Experiment` of the shared loop (`jgan.loop`).
# ---------------------------------------------------------------------------------------------------------------------

class GANExperiment(loop.Experiment):
  """A GAN-family run: its game, its data `Source`, a `GANState` advanced by the `Stepper`, sample grids (or
  scatter plots for toys) from one fixed batch of codes, and `jgan.eval.during_training` scores."""

  unit = "generator iteration"
  players = {"d": "critic (discriminator)", "g": "generator"}

  def iteration_costs(self, steps_: np.ndarray) -> np.ndarray:
    """n_critic(i) critic steps plus the generator step, which costs about one critic step."""
    return np.asarray(steps.critic_iterations(steps_, **self.config.schedule), np.float64) + 1.0

  def phase(self, step: int) -> str:
    n_critic = steps.critic_iterations(step, **self.config.schedule)
    if n_critic == self.config.n_critic:
      return ""
    return f"{'warm-up' if step < self.config.warmup_steps else 'every ' + str(self.config.warmup_every) + 'th'}: " \
           f"{n_critic} critic steps"

  def __init__(self, config: Config):
    self.config = config
    self.game = make_game(config)
    self.title = f"{config.game.upper()} ({config.arch}) on {config.dataset}"
    self.plot_metric, self.plot_label = self.game.plot_metric, self.game.plot_label

  def validate(self, num_devices: int) -> None:
    validate(self.config, num_devices)

  def prepare(self, mesh) -> dict:
    config, game = self.config, self.game
    source, source_shape = load_source(config)  # samples are brought back to source_shape (jgan.sample)
    self.shape = source.shape
    streamed = isinstance(source, data_examples.Examples)
    self.generator_output_bias = None
    if config.generator_init == "goodfellow":  # the code's output biases: the training pixels' marginals
      if streamed or source.toy:
        raise ValueError(f"generator_init 'goodfellow' starts the output biases at the training images' pixel "
                         f"means, which needs a set held in memory; {config.dataset!r} is "
                         f"{'streamed' if streamed else 'a toy'} (use generator_init 'torch')")
      from jgan.models import maxout
      self.generator_output_bias = maxout.output_bias_from_marginals(np.asarray(source.images))
    from jgan.eval.during_training import Evaluator, make_evaluator
    eval_rng = jax.random.fold_in(run_keys(config.seed)["sample"], 1)
    if streamed:  # the evaluator's real reference: eval_samples examples read by index
      self.evaluator = (Evaluator(config, game, images=source, source_shape=source_shape, rng=eval_rng)
                        if config.eval_every else None)
      self.source = stream.Stream(source, mesh, config.batch_size, read_ahead=2 * config.n_critic,
                                  device_ahead=config.n_critic)
    else:
      self.evaluator = make_evaluator(config, game, source, source_shape, eval_rng)
      self.source = parallel.replicate(source, mesh)
    self.headline = self.evaluator.headline if self.evaluator else ""
    self.latent_fixed = parallel.replicate(fixed_latent(config, game), mesh)
    self.sample_fn = jax.jit(functools.partial(generate, game=game))
    self.stepper = Stepper(config, mesh, choose_loop(config, streamed), game)
    self.reference = None
    if not streamed and source.toy:  # data points drawn beside the generated ones
      from jgan.data import toys
      # Its own key: the fixed sample noise is drawn from the "sample" key itself, the evaluator's from fold_in 1.
      self.reference = np.asarray(toys.sample(source.toy, jax.random.fold_in(run_keys(config.seed)["sample"], 2),
                                              1000))
    return {"shape": list(self.shape), "source_shape": source_shape, "input": "stream" if streamed else "device"}

  def close(self) -> None:
    """Stops a streamed input's reader threads."""
    if isinstance(getattr(self, "source", None), stream.Stream):
      self.source.close()

  def init_state(self) -> GANState:
    return create_state(self.config, self.shape, self.generator_output_bias)

  @property
  def any_chunk(self) -> bool:  # the 'device' loop compiles one program per chunk length
    return self.stepper.loop != "device"

  def advance(self, state, start, count, stop):
    return self.stepper.advance(state, self.source, start, count, stop=stop)

  def write_samples(self, state, step, workdir, writer, primary):
    samples = np.asarray(self.sample_fn(state, latent=self.latent_fixed))  # all processes: one global program
    if not primary:
      return
    path = workdir / "samples" / f"step_{step:06d}.png"
    if self.source.toy:
      picture = image_io.plot_points(path, samples, title=f"{self.title}, iteration {step}", reference=self.reference)
    else:
      picture = image_io.grid(data.to_uint8(samples), columns=self.game.grid_columns(len(samples)))
      image_io.save_png(path, picture)
    writer.image(step, "samples", picture)

  def evaluate(self, state):
    return self.evaluator(state) if self.evaluator else None


def run(config: Config, workdir: str | pathlib.Path, *, resume: bool = False, overwrite: bool = False,
        progress: bool = True, mesh=None) -> GANState:
  """Trains the GAN `config` describes (its `game`, nets, data, schedule), writing metrics, samples, plots and
  checkpoints under `workdir` (`jgan.loop.run`).

  Returns the final state (replicated over the mesh). Every input is checked before data is read or anything
  is compiled.
  """
  experiment = GANExperiment(config)
  try:
    return loop.run(experiment, workdir, resume=resume, overwrite=overwrite, progress=progress, mesh=mesh)
  finally:
    experiment.close()


# The loop's names, where callers have always found them.
Preempted, NonFiniteError, check_workdir = loop.Preempted, loop.NonFiniteError, loop.check_workdir
