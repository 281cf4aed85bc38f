"""The training loop every experiment family shares: `run(experiment, workdir)`.

An `Experiment` says what is trained: its state, how the state advances by iterations, what its samples look
like and how it is scored. This loop does the rest, identically for the GANs (`jgan.train.GANExperiment`) and
the autoencoders (`jgan.autoencoders.experiment.AAEExperiment`): validation before any work, the run directory and
`config.json`, Orbax checkpoints and `--resume`, metrics (`metrics.jsonl`, TensorBoard) and their plots, sample
grids, evaluation every `eval_every` iterations, non-finite detection that never saves the bad state, and
preemption by SIGTERM/SIGINT agreed across processes. Only process 0 writes outputs; all take part in checkpoints.
"""

from __future__ import annotations

import abc
import contextlib
import contextvars
import dataclasses
import json
import pathlib
import shlex
import shutil
import signal
import sys
import threading
import time
from typing import Any, Callable, Sequence

import jax
import numpy as np

from jgan import checkpoint, distributed, parallel
from jgan.configs.run import RunConfig
from jgan.metrics import MetricsWriter


class Experiment(abc.ABC):
  """What a run trains. Subclasses set `config`, `title`, `plot_metric`, `plot_label` and `players` (metric
  prefix -> player name: a row whose `<prefix>_nonfinite` is set names that player in the error)."""

  config: RunConfig
  title: str
  plot_metric: str
  plot_label: str
  players: dict[str, str]
  headline: str = ""  # the evaluation metric drawn to eval.png (set by `prepare` when evaluating)
  unit: str = "iteration"  # what one step of `state.step` is called in messages
  # Whether `advance` costs the same for any `count` (no program compiled per count), so that the loop may take the
  # first iterations one by one and show a time estimate within the first minute. False where a call compiles one
  # program per count (the GAN family's 'device' loop).
  any_chunk: bool = True

  @abc.abstractmethod
  def validate(self, num_devices: int) -> None:
    """Raises ValueError for a bad config. Cheap: reads no data, compiles nothing."""

  @abc.abstractmethod
  def prepare(self, mesh) -> dict:
    """Loads the data (replicated over `mesh`) and builds the evaluator; returns metadata for `config.json`."""

  @abc.abstractmethod
  def init_state(self) -> Any:
    """The fresh state, from `config.seed` (not yet on the mesh)."""

  @abc.abstractmethod
  def advance(self, state: Any, start: int, count: int, stop: Callable[[], bool]) -> tuple[Any, list[dict]]:
    """Iterations start .. start+count-1 (fewer if `stop()` turns true); returns per-iteration metric rows."""

  @abc.abstractmethod
  def write_samples(self, state: Any, step: int, workdir: pathlib.Path, writer: MetricsWriter,
                    primary: bool) -> None:
    """Computes the sample grids (every process: one global program) and, on the primary, writes them."""

  def evaluate(self, state: Any) -> dict[str, float] | None:
    """Scores of `state`, or None when the run does not evaluate (`eval_every` 0)."""
    del state
    return None

  def iteration_costs(self, steps: np.ndarray) -> np.ndarray:
    """The relative cost of each iteration in `steps` (0-based), for the progress bar's time estimate. Equal by
    default; a family whose iterations differ in cost (the WGAN's warm-up of 100 critic steps) says so, and the
    estimate is right from the first iterations instead of extrapolating the warm-up's rate to the whole run."""
    return np.ones(len(steps))

  def phase(self, step: int) -> str:
    """What iteration `step` does, shown beside the bar while it lasts ('' for an ordinary iteration)."""
    del step
    return ""

  def commands(self, workdir: pathlib.Path) -> list[str]:
    """The family's commands that use a finished run (sampling, translating, scoring), named in the run's closing
    lines. By default those its command line declared (`Launch.commands`, `launched`) with the run directory filled
    in; a subclass may name its own."""
    launch = _LAUNCH.get()
    if launch is None:
      return []
    return [command.format(dir=shlex.quote(str(workdir)), module=launch.module) for command in launch.commands]


@dataclasses.dataclass(frozen=True)
class Launch:
  """How a command line started the run, for its closing lines: `python -m {module} {argv}`, and the family's
  commands that use a finished run, with `{dir}` (the run directory) and `{module}` to fill in."""

  module: str
  argv: tuple[str, ...] = ()
  commands: tuple[str, ...] = ()

  def resume_command(self, workdir: pathlib.Path) -> str:
    """The same command with `--resume --out DIR` (and without `--overwrite`): a resumed run must have the same
    configuration, so every other flag is kept."""
    argv, skip = [], False
    for arg in self.argv:
      if skip:
        skip = False
      elif arg == "--out":
        skip = True
      elif arg not in ("--resume", "--overwrite") and not arg.startswith("--out="):
        argv.append(arg)
    return shlex.join(["python", "-m", self.module, *argv, "--resume", "--out", str(workdir)])


_LAUNCH: contextvars.ContextVar[Launch | None] = contextvars.ContextVar("jgan_loop_launch", default=None)


@contextlib.contextmanager
def launched(module: str | None = None, argv: tuple[str, ...] | list[str] | None = None,
             commands: tuple[str, ...] | None = None):
  """Within the block, runs were started by this command line (`jgan.cli.main`); arguments left out keep those of
  an enclosing block (a family's command line adds its `commands` inside the shared one's)."""
  outer = _LAUNCH.get() or Launch(module or "")
  launch = Launch(module if module is not None else outer.module, tuple(argv if argv is not None else outer.argv),
                  tuple(commands if commands is not None else outer.commands))
  token = _LAUNCH.set(launch)
  try:
    yield launch
  finally:
    _LAUNCH.reset(token)


def where_to_look(experiment: Experiment, workdir: pathlib.Path, end: str = "finished") -> list[str]:
  """The closing lines of a run that `end`ed ('finished', 'stopped' by a signal, or 'non-finite'): its sample
  grids, metrics and their plots and TensorBoard folder where they exist, the family's commands that use it, and
  how to resume it (finished: to train on, with a larger --steps). A non-finite run is not worth resuming: resumed
  exactly, from its last good checkpoint and with the same configuration, it would reach the same values."""
  lines = [f"outputs in {workdir}:"]
  if (workdir / "samples").is_dir():
    lines.append(f"  sample grids:  {workdir / 'samples'}")
  plots = [workdir / f"{experiment.plot_metric}.png", workdir / "eval.png"]
  for plot in plots:
    if plot.is_file():
      lines.append(f"  metrics plot:  {plot}")
  if (workdir / "metrics.jsonl").is_file():
    lines.append(f"  metrics:       {workdir / 'metrics.jsonl'}")
  if (workdir / "tensorboard").is_dir():
    lines.append(f"  TensorBoard:   tensorboard --logdir {shlex.quote(str(workdir / 'tensorboard'))}")
  for command in experiment.commands(workdir):
    lines.append(f"  use it:        {command}")
  launch = _LAUNCH.get()
  resume = (launch.resume_command(workdir) if launch is not None and launch.module
            else f"the same command with --resume --out {shlex.quote(str(workdir))}")
  if end == "non-finite":
    lines.append(f"  start over:    with other settings (a lower --learning-rate, say) and a new --out; resumed, "
                 f"this run would reach the same values")
  else:
    lines.append(f"  resume:        {resume}" + ("  (with a larger --steps, to train on)" if end == "finished" else ""))
  return lines


def call_each_iteration(step: Callable, state: Any, args: tuple, count: int,
                        stop: Callable[[], bool]) -> tuple[Any, list[dict]]:
  """An `Experiment.advance` for steps compiled one iteration per call: `step(state, *args)` `count` times, or
  fewer once `stop()` turns true (after at least one), with the per-iteration metric rows. One call per iteration
  keeps convolutions unrolled, which XLA:CPU runs many times faster than inside a loop, and stop() cheap to ask."""
  rows = []
  for _ in range(count):
    if stop() and rows:
      break
    state, metrics = step(state, *args)
    rows.append(metrics)
  return state, rows


def call_scheduled_iterations(schedule: Sequence[tuple[int | None, Callable]], state: Any, args: tuple, start: int,
                              count: int, stop: Callable[[], bool]) -> tuple[Any, list[dict]]:
  """`call_each_iteration` for a run whose step function changes with the iteration (pre-training phases, then the
  game): `schedule` is ((end, step), ...) in order, each step serving the iterations before its `end` (None: the
  rest of the run); iterations `start` to `start + count` run, fewer once `stop()` turns true. Each phase is its
  own compiled program, picked on the host: XLA:CPU runs convolutions behind `lax.switch` many times slower."""
  rows: list[dict] = []
  for end, step in schedule:
    if len(rows) == count or (rows and stop()):
      break
    if end is not None and start >= end:
      continue  # a phase over before this call
    todo = count - len(rows) if end is None else min(count - len(rows), end - start)
    state, more = call_each_iteration(step, state, args, todo, stop)
    rows += more
    start += len(more)
    if len(more) < todo:
      break  # stopped
  return state, rows


def _default(config: RunConfig, field: str):
  """A field's default: what a checkpoint written before the field existed was trained with."""
  return type(config).__dataclass_fields__[field].default


# What a run writes into its folder and `overwrite` removes before starting over (plots are rewritten in place).
RUN_OUTPUTS = ("checkpoints", "metrics.jsonl", "tensorboard", "samples")


def check_workdir(config: RunConfig, workdir: pathlib.Path, *, resume: bool, overwrite: bool) -> dict | None:
  """Validates the output directory before any work; returns the checkpoint's metadata when resuming."""
  if resume:
    checkpoint.find_run_dir(workdir)  # raises if there is no checkpoint
    _, meta, _ = checkpoint.restore(workdir)
    stored, resumable = meta["config"], type(config).resumable
    differing = sorted(k for k, v in dataclasses.asdict(config).items()
                       if k not in resumable and stored.get(k, _default(config, k)) != v)
    if differing:
      details = ", ".join(f"{k}: checkpoint {stored.get(k)!r} vs now {getattr(config, k)!r}" for k in differing)
      raise ValueError(f"cannot resume {workdir} with a different configuration ({details}); "
                       f"only {', '.join(resumable)} may change")
    return meta
  if workdir.exists() and any(workdir.iterdir()) and not overwrite:
    raise ValueError(f"output directory {workdir} exists and is not empty; pass resume=True (--resume) to continue "
                     "it or overwrite=True (--overwrite) to start over in it")
  return None


def run(experiment: Experiment, workdir: str | pathlib.Path, *, resume: bool = False, overwrite: bool = False,
        progress: bool = True, mesh=None) -> Any:
  """Trains `experiment`, writing metrics, samples, plots and checkpoints under `workdir`; returns the final state
  (replicated over the mesh). Every input is checked before data is read or anything is compiled."""
  config = experiment.config
  # --- Validate everything first. ---
  mesh = parallel.make_mesh() if mesh is None else mesh
  experiment.validate(1)
  parallel.check_batch_size(config.batch_size, mesh)  # over all devices of all processes, saying so
  workdir = pathlib.Path(workdir)
  check_workdir(config, workdir, resume=resume, overwrite=overwrite)
  # The barrier keeps process 0 from writing into `workdir` before every process has checked that directory.
  primary = distributed.is_primary()
  distributed.barrier("jgan.loop.run: inputs checked")

  # --- Data, then the state: fresh, or restored from the latest checkpoint. ---
  meta = {"config": dataclasses.asdict(config), **experiment.prepare(mesh), "jax": jax.__version__}
  workdir.mkdir(parents=True, exist_ok=True)
  if overwrite and not resume and primary:
    # Starting over: an earlier run's checkpoints would otherwise stay the latest ones, and `--resume`, sampling
    # and evaluation would read them instead of this run's; its metrics would be appended to by this run (one
    # curve of two runs) and its later sample grids would outlive this run's. Other files in the folder stay.
    for name in RUN_OUTPUTS:
      path = workdir / name
      if path.is_dir():
        shutil.rmtree(path)
      else:
        path.unlink(missing_ok=True)
  distributed.barrier("jgan.loop.run: old outputs removed")
  start = 0
  if resume:  # restored into the fresh state's shapes, which need no initializer to run
    target = checkpoint.abstract_target(experiment.init_state, parallel.replicated(mesh))
    _, _, state = checkpoint.restore(workdir, target)
    start = int(state.step)
  else:
    state = parallel.replicate(experiment.init_state(), mesh)
  if primary:
    (workdir / "config.json").write_text(json.dumps(meta, indent=2))

  # --- Outputs. ---
  writer = MetricsWriter(workdir, resume_step=start if resume else None, enabled=primary)
  if primary:
    (workdir / "samples").mkdir(exist_ok=True)
  mngr = checkpoint.manager(workdir, keep=config.keep_checkpoints)

  def write_samples(state, step):
    experiment.write_samples(state, step, workdir, writer, primary)
    writer.plot(experiment.plot_metric, workdir / f"{experiment.plot_metric}.png", ylabel=experiment.plot_label,
                title=experiment.title, xlabel=f"{experiment.unit}s")

  def evaluate(state, step):
    scores = experiment.evaluate(state)
    if scores is None:
      return
    writer.write([{"step": step, **{f"eval_{k}": v for k, v in scores.items()}}])
    writer.plot(f"eval_{experiment.headline}", workdir / "eval.png", ylabel=experiment.headline,
                title=experiment.title, xlabel=f"{experiment.unit}s")

  # --- Train. ---
  # The bar counts work, not iterations: iteration i weighs iteration_costs(i), so the remaining time holds while
  # the costs change (warm-up, phases); the iteration count is shown in the postfix.
  work = np.concatenate([[0.0], np.cumsum(experiment.iteration_costs(np.arange(config.steps)))])
  bar = _progress_bar(total=float(work[-1]), initial=float(work[start]), disable=not progress or not primary,
                      dynamic_ncols=True, bar_format="{percentage:3.0f}%|{bar}| [{elapsed}<{remaining}{postfix}]")
  first_update = None  # (step, time) at the end of the first chunk, which includes compiling
  bar.set_postfix_str(f"{experiment.unit} {start}/{config.steps}")
  if start == 0:
    write_samples(state, 0)
    if config.eval_every:
      evaluate(state, 0)
  step, t0 = start, time.perf_counter()
  # Closing lines on stderr, after the bar: at the end, on a stop by a signal and on non-finite values. Only with
  # `progress`, the switch for a person watching: notebooks and tests (progress=False) stay quiet.
  end = None
  try:
    with StopOnSignal(agree=distributed.any_process) as stop:
      while step < config.steps:
        count = min([every - step % every for every in (config.log_every, config.sample_every,
                                                        config.checkpoint_every, config.eval_every) if every]
                    + [config.steps - step])  # stop at every boundary, so each output has its exact step
        if experiment.any_chunk and step - start < config.log_every:
          count = min(count, max(1, step - start))  # chunks of 1, 1, 2, 4, ...: an estimate after the first ones
        state, rows = experiment.advance(state, step, count, stop.is_set)
        rows = [{k: float(v) for k, v in r.items()} for r in jax.device_get(rows)]
        bad = next((i for i, r in enumerate(rows)
                    if any(r.get(f"{prefix}_nonfinite") for prefix in experiment.players)), None)
        elapsed = time.perf_counter() - t0
        writer.write([{"step": step + i + 1, **r, "time": elapsed} for i, r in enumerate(rows[:bad])])
        if bad is not None:
          player = next(name for prefix, name in experiment.players.items() if rows[bad].get(f"{prefix}_nonfinite"))
          end = "non-finite"
          raise NonFiniteError(f"non-finite loss or parameters in the {player} at {experiment.unit} "
                               f"{step + bad + 1}; that state was not saved, the last good checkpoint "
                               f"({mngr.latest_step()}) is untouched")
        previous, step = step, step + len(rows)
        now = time.perf_counter()
        if first_update is None:
          first_update = (step, now)
        elif now > first_update[1]:
          bar.work_rate = float(work[step] - work[first_update[0]]) / (now - first_update[1])
        bar.update(float(work[step] - work[previous]))
        postfix = [f"{experiment.unit} {step}/{config.steps}",
                   f"{experiment.plot_metric} {rows[-1][experiment.plot_metric]:.4f}"]
        phase = experiment.phase(step) if step < config.steps else ""
        if phase:
          postfix.append(phase)
        bar.set_postfix_str(", ".join(postfix))
        if crossed(previous, step, config.sample_every):
          write_samples(state, step)
        if config.eval_every and (crossed(previous, step, config.eval_every) or step == config.steps):
          evaluate(state, step)
        # Asked once: a signal arriving between a "save?" and a "stop?" question would stop without saving.
        stopping = stop.is_set()
        if crossed(previous, step, config.checkpoint_every) or step == config.steps or stopping:
          checkpoint.save(mngr, step, state, meta)
        if stopping:
          mngr.wait_until_finished()
          end = "stopped"
          raise Preempted(f"stopped by {stop.signal_name or 'a signal to another process'} at {experiment.unit} "
                          f"{step}; checkpoint {step} saved in {workdir}; continue with --resume")
    mngr.wait_until_finished()
    write_samples(state, step)
    end = "finished"
  finally:
    bar.close()
    mngr.close()
    writer.close()
    if end is not None and progress and primary:
      print("\n".join(where_to_look(experiment, workdir, end)), file=sys.stderr, flush=True)
  return state


class Preempted(RuntimeError):
  """Training stopped by SIGTERM or SIGINT after saving a checkpoint."""


class NonFiniteError(RuntimeError):
  """A loss or parameter became NaN or infinite; the bad state was not saved."""


class StopOnSignal:
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


def _progress_bar(**kwargs):
  """A tqdm bar whose remaining time comes from `work_rate`, the work per second measured from the end of the
  first update on ('?' until then): tqdm's own rate would include the first chunk's compilation, which at the start
  of a run is most of the time elapsed and would inflate the estimate for minutes."""
  from tqdm import tqdm

  class Bar(tqdm):
    work_rate = 0.0

    @property
    def format_dict(self):
      return {**super().format_dict, "rate": self.work_rate}

  return Bar(**kwargs)


def crossed(previous: int, current: int, every: int) -> bool:
  """Whether a multiple of `every` lies in (previous, current]."""
  return current // every > previous // every
