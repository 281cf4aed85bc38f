"""The command line of every experiment: one flag per config field (defaults from the experiment's recipe), then
`jgan.train.run`. A thin layer: notebooks call the same `train.run(config, workdir)`."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import sys
import typing


def _section(config_cls: type, name: str) -> type:
  """The most basic class of `config_cls`'s hierarchy that declares field `name`: the section it belongs to."""
  return next(cls for cls in reversed(config_cls.__mro__) if name in cls.__dict__.get("__annotations__", {}))


def add_config_flags(parser: argparse.ArgumentParser, config_cls: type, defaults=None) -> None:
  """Adds `--field-name` for every field of `config_cls` (choices from `Literal` annotations); default values
  come from the instance `defaults` when given, else from the class. Where `defaults` says which fields its recipe
  uses (`used_fields()`), the help lists only those; the others are still accepted. Flags are grouped by the configuration
  section that declares them (`jgan.configs.sections`), under the section's `title`."""
  hints = typing.get_type_hints(config_cls)
  groups = {}
  for field in dataclasses.fields(config_cls):
    section = _section(config_cls, field.name)
    if section not in groups:
      groups[section] = parser.add_argument_group(getattr(section, "title", section.__name__))
  for field in dataclasses.fields(config_cls):
    hint = hints[field.name]
    default = field.default if defaults is None else getattr(defaults, field.name)
    shown = defaults is None or not hasattr(defaults, "used_fields") or field.name in defaults.used_fields()
    kwargs = {"default": default,
              "help": f"{field.metadata.get('help', '')} (default: %(default)s)" if shown else argparse.SUPPRESS}
    if typing.get_origin(hint) is typing.Literal:
      kwargs["choices"] = typing.get_args(hint)
      kwargs["type"] = str
    elif hint is bool:  # --flag / --no-flag: `type=bool` would read the string "False" as True
      kwargs["action"] = argparse.BooleanOptionalAction
    else:
      kwargs["type"] = hint
    groups[_section(config_cls, field.name)].add_argument("--" + field.name.replace("_", "-"), dest=field.name,
                                                          **kwargs)


def config_from_args(args: argparse.Namespace, config_cls: type):
  return config_cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(config_cls)})


def parse(name: str, recipe, doc: str, argv: list[str] | None = None) -> argparse.Namespace:
  parser = argparse.ArgumentParser(prog=f"python -m jgan.experiments.{name}", description=doc,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  add_config_flags(parser, type(recipe), recipe)
  parser.add_argument("--out", default=None, help=f"run directory (default: runs/{name}/<timestamp>)")
  parser.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --out")
  parser.add_argument("--overwrite", action="store_true", help="allow writing into a non-empty --out")
  parser.add_argument("--no-progress", action="store_true", help="no progress bar")
  add_compilation_cache_flags(parser)
  group = parser.add_argument_group(
      "many processes (jgan.distributed)",
      "Only for a run over several processes; detected by JAX on TPU pod slices, SLURM and Open MPI, and set by "
      "python -m jgan.launch on one machine. Each defaults to its environment variable.")
  group.add_argument("--coordinator", default=None, metavar="HOST:PORT",
                     help="address of process 0's coordination service (env JGAN_COORDINATOR)")
  group.add_argument("--num-processes", type=int, default=None, help="number of processes (env JGAN_NUM_PROCESSES)")
  group.add_argument("--process-id", type=int, default=None, help="this process's id, 0 .. N-1 (env JGAN_PROCESS_ID)")
  return parser.parse_args(argv)


def add_compilation_cache_flags(parser: argparse.ArgumentParser) -> None:
  """`--compilation-cache DIR` / `--no-compilation-cache`, for every command that compiles (see
  `enable_compilation_cache`)."""
  cache = parser.add_mutually_exclusive_group()
  cache.add_argument("--compilation-cache", default=None, metavar="DIR",
                     help="keep compiled programs in DIR and reuse those of earlier runs (default: "
                          "$JAX_COMPILATION_CACHE_DIR, else ~/.cache/jgan/xla; jgan.compilation_cache)")
  cache.add_argument("--no-compilation-cache", action="store_true",
                     help="compile every program afresh and keep none on disk")


def enable_compilation_cache(args: argparse.Namespace) -> None:
  """Turns on the persistent cache the flags of `add_compilation_cache_flags` ask for, before anything compiles.

  A bad `--compilation-cache DIR` raises ValueError; an unusable default directory only costs the speed-up, so it
  just warns.
  """
  if args.no_compilation_cache:
    return
  from jgan import compilation_cache
  try:
    compilation_cache.enable(args.compilation_cache)
  except ValueError as error:
    if args.compilation_cache is not None:
      raise ValueError(f"--compilation-cache: {error}") from None
    print(f"warning: {error}; compiling without a persistent cache", file=sys.stderr)


def main(name: str, recipe, doc: str, argv: list[str] | None = None, *, run=None,
         unit: str = "generator iterations") -> int:
  """Runs experiment `name`: flags over the `recipe` config, then `run(config, out, ...)` (default
  `jgan.train.run`; `unit` names what its `state.step` counts). Exit status: 0 done, 2 bad input, 3 stopped by a
  signal after saving a checkpoint, 4 non-finite values."""
  args = parse(name, recipe, doc, argv)
  if args.resume and args.out is None:
    print("error: --resume needs --out, the run directory to continue", file=sys.stderr)
    return 2
  from jgan import distributed, host_memory, loop, train  # imported after parsing so that --help is fast
  run = train.run if run is None else run
  host_memory.keep_freed_memory()  # steps then reuse their buffers' pages instead of faulting them in each call
  host_memory.run_computations_inline()  # so their largest buffer, too (before any device is used)
  try:
    enable_compilation_cache(args)
    distributed.initialize(args.coordinator, args.num_processes, args.process_id)  # before anything uses a device
    # Every process must write into the same directory: process 0's clock names it.
    out = args.out or distributed.broadcast_text(f"runs/{name}/{datetime.datetime.now():%Y%m%d-%H%M%S}")
    config = config_from_args(args, type(recipe))
    state = run(config, out, resume=args.resume, overwrite=args.overwrite, progress=not args.no_progress)
  except ValueError as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  except loop.Preempted as stopped:
    if distributed.is_primary():
      print(f"stopped: {stopped}", file=sys.stderr)
    return 3
  except loop.NonFiniteError as error:
    print(f"error: {error}", file=sys.stderr)
    return 4
  if distributed.is_primary():
    print(f"done: {int(state.step)} {unit}; outputs in {out}")
  return 0
