"""The command line of every experiment: one flag per config field (defaults from the experiment's recipe), then
`jgan.train.run`. A thin layer: notebooks call the same `train.run(config, workdir)`."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import sys
import typing

from jgan.configs import presets as presets_lib
from jgan.configs.presets import Preset


# The help groups of every experiment, in the order `--help` shows them: (key, title).
GROUPS = (
    ("data", "data: the data set, its split and how it is read"),
    ("nets", "nets: architectures, their sizes and normalizations"),
    ("game", "game and losses: the objective and its weights"),
    ("optimizer", "optimizer: rates, moments and their schedules"),
    ("schedule", "schedule: length, batch and the players' steps"),
    ("outputs", "outputs: the run directory, metrics, samples, checkpoints and evaluations"),
    ("run", "run: seed, resume, computation and progress"),
)

# The group of each field declared in a section that mixes groups (the GAN `Config`, `RunConfig`, `AAEConfig`, a
# family's model section). A field whose metadata names a `group` (`jgan.configs.run.field`) needs no entry, and
# fields of a single-purpose section go to the group its title starts with ("data: ...", "nets: ...").
FIELD_GROUPS = {name: group for group, names in {
    "data": "dataset split data_dir image_size resize skip_bad_images input stream_threshold_mb heldout labels "
            "num_classes source target",
    "nets": "arch latent_dim latent generator_features critic_features discriminator_features mlp_layers mlp_output "
            "norm generator_norm spectral_norm minibatch_kernels minibatch_kernel_dim encoder hidden layers code_dim "
            "generator_blocks dropout refiner_blocks refiner_features refiner_output generator_init critic_label_init "
            "architecture width init_from",
    "game": "game g_loss real_label clip_value aux_weight categorical_codes continuous_codes info_weight gp_weight "
            "feature_layer historical_averaging historical_averaging_player model mode prior clusters conditional "
            "gan_weight l1_weight cycle cycle_weight identity_weight pool_size adversarial_weight content "
            "feature_scale feature_weights lambda_gamma lambda_max const_weight tid_weight tv_weight "
            "self_regularization history_size d_l2 d_negatives rollouts rollout_update_rate recipe lp lp_weight "
            "gdl_alpha gdl_weight",
    "optimizer": "optimizer learning_rate generator_learning_rate discriminator_learning_rate "
                 "reconstruction_learning_rate supervised_learning_rate d_learning_rate g_learning_rate g_grad_clip "
                 "beta1 beta2 momentum momentum_final momentum_ramp_steps lr_decay max_col_norm decay_steps "
                 "anneal_alpha anneal_beta learning_rate_drop_at",
    "schedule": "steps batch_size n_critic warmup_steps warmup_n_critic warmup_every updates d_epochs d_rounds "
                "pretrain_d_rounds pretrain_g_epochs feature_steps discriminator_steps generator_steps "
                "refiner_pretrain discriminator_pretrain",
    "outputs": "log_every sample_every checkpoint_every keep_checkpoints num_samples eval_every eval_samples",
    "run": "seed loop compute_dtype",
}.items() for name in names.split()}

# Section titles whose first word names a group (`title: ClassVar[str]` of `jgan.configs.sections` and families).
_TITLE_GROUPS = {"data": "data", "nets": "nets", "losses": "game", "optimizer": "optimizer", "run": "run"}


def _section(config_cls: type, name: str) -> type:
  """The most basic class of `config_cls`'s hierarchy that declares field `name`: the section it belongs to."""
  return next(cls for cls in reversed(config_cls.__mro__) if name in cls.__dict__.get("__annotations__", {}))


def field_group(config_cls: type, name: str) -> str | None:
  """The help group (a key of `GROUPS`) of `config_cls`'s field `name`: its metadata's `group`, else
  `FIELD_GROUPS`, else the group its section's title starts with; None when none says."""
  field = config_cls.__dataclass_fields__[name]
  if "group" in field.metadata:
    return field.metadata["group"]
  if name in FIELD_GROUPS:
    return FIELD_GROUPS[name]
  title = getattr(_section(config_cls, name), "title", "")
  return _TITLE_GROUPS.get(title.split(":")[0].strip())


def add_groups(parser: argparse.ArgumentParser) -> dict[str, argparse._ArgumentGroup]:
  """The help groups of `GROUPS`, in their order, by key."""
  return {key: parser.add_argument_group(title) for key, title in GROUPS}


def add_config_flags(parser: argparse.ArgumentParser, config_cls: type, defaults=None,
                     groups: dict[str, argparse._ArgumentGroup] | None = None) -> dict[str, argparse._ArgumentGroup]:
  """Adds `--field-name` for every field of `config_cls` (choices from `Literal` annotations); default values
  come from the instance `defaults` when given (the experiment's recipe: what --help shows), else from the class.
  Where `defaults` says which fields its recipe uses (`used_fields()`), the help lists only those; the others are
  still accepted. Flags are grouped by what they set (`GROUPS`, `field_group`; a field no rule names goes with the
  game), each group saying which config sections (their `title`) its flags come from; returns the groups, by key,
  for the caller's own flags."""
  groups = add_groups(parser) if groups is None else groups
  hints = typing.get_type_hints(config_cls)
  sources = {key: [] for key in groups}  # the titles of the config sections each group's flags come from
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
    key = field_group(config_cls, field.name) or "game"
    groups[key].add_argument("--" + field.name.replace("_", "-"), dest=field.name, **kwargs)
    title = getattr(_section(config_cls, field.name), "title", None)
    if shown and title and title not in sources[key]:
      sources[key].append(title)
  for key, titles in sources.items():  # where the flags are declared, in the config's own words
    if titles:
      groups[key].description = ("config section: " if len(titles) == 1 else "config sections: ") + "; ".join(titles)
  return groups


def config_from_args(args: argparse.Namespace, config_cls: type):
  return config_cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(config_cls)})


def parse(name: str, recipe, doc: str, argv: list[str] | None = None,
          presets: dict[str, Preset] | None = None) -> argparse.Namespace:
  """The flags of `argv`, their defaults from `recipe` changed by the `--preset` it names (`jgan.configs.presets`)."""
  argv = sys.argv[1:] if argv is None else argv
  chosen = _preset_parser().parse_known_args(argv)[0].preset
  if chosen != presets_lib.PAPER and chosen in (presets or {}):
    recipe = presets[chosen].apply(recipe)
  # An unknown name is left to the full parser, whose error lists the allowed presets.
  return build_parser(name, recipe, doc, presets).parse_args(argv)


def _preset_parser() -> argparse.ArgumentParser:
  parser = argparse.ArgumentParser(add_help=False)
  parser.add_argument("--preset", default=presets_lib.PAPER)
  return parser


def build_parser(name: str, recipe, doc: str, presets: dict[str, Preset] | None = None) -> argparse.ArgumentParser:
  """The parser of `python -m jgan.experiments.NAME`: `--preset`, then a flag per field of the `recipe`'s config,
  defaults from the recipe (as the preset chosen changed it), in the help groups of `GROUPS`, then the run's own
  flags."""
  parser = argparse.ArgumentParser(prog=f"python -m jgan.experiments.{name}", description=doc,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  others = {key: preset for key, preset in (presets or {}).items() if key != presets_lib.PAPER}
  paper = (presets or {}).get(presets_lib.PAPER)
  described = [f"{presets_lib.PAPER}: the paper's recipe (the defaults below without --preset)"
               + (f"; {paper.purpose}" if paper else ""),
               *(f"{key}: {preset.describe()}" for key, preset in others.items())]
  names = (presets_lib.PAPER, *others)
  parser.add_argument_group(
      "preset: the recipe the defaults below come from (flags given still win)", "\n".join(described)
  ).add_argument("--preset", default=presets_lib.PAPER, choices=names,
                 help="the recipe: " + " or ".join(names) + " (default: %(default)s)")
  groups = add_config_flags(parser, type(recipe), recipe)
  groups["outputs"].add_argument("--out", default=None, help=f"run directory (default: runs/{name}/<timestamp>)")
  groups["run"].add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --out")
  groups["run"].add_argument("--overwrite", action="store_true", help="allow writing into a non-empty --out")
  groups["run"].add_argument("--no-progress", action="store_true",
                             help="no progress bar, and no closing lines saying where the outputs are")
  add_compilation_cache_flags(groups["run"])
  group = parser.add_argument_group(
      "run: many processes (jgan.distributed)",
      "Only for a run over several processes; detected by JAX on TPU pod slices, SLURM and Open MPI, and set by "
      "python -m jgan.launch on one machine. Each defaults to its environment variable.")
  group.add_argument("--coordinator", default=None, metavar="HOST:PORT",
                     help="address of process 0's coordination service (env JGAN_COORDINATOR)")
  group.add_argument("--num-processes", type=int, default=None, help="number of processes (env JGAN_NUM_PROCESSES)")
  group.add_argument("--process-id", type=int, default=None, help="this process's id, 0 .. N-1 (env JGAN_PROCESS_ID)")
  return parser


def add_compilation_cache_flags(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
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


# What a GAN-family run is used with (`jgan.loop.Launch.commands`); other families' command lines name their own.
GAN_COMMANDS = ("python -m jgan.sample --checkpoint {dir} --num 64 --out samples.npz --grid samples.png",
                "python -m jgan.latent --checkpoint {dir} --out latent")


def main(name: str, recipe, doc: str, argv: list[str] | None = None, *, run=None,
         unit: str = "generator iterations", presets: dict[str, Preset] | None = None) -> int:
  """Runs experiment `name`: flags over the `recipe` config (or a preset of `presets` changing it), then
  `run(config, out, ...)` (default `jgan.train.run`; `unit` names what its `state.step` counts). Exit status: 0
  done, 2 bad input, 3 stopped by a signal after saving a checkpoint, 4 non-finite values."""
  args = parse(name, recipe, doc, argv, presets)
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
    if not args.no_progress and distributed.is_primary():
      for line in presets_lib.what_to_expect(args.preset, presets):
        print(line, file=sys.stderr)
    # The run's closing lines name this command (to resume) and the family's commands that use the run.
    with loop.launched(f"jgan.experiments.{name}", sys.argv[1:] if argv is None else argv,
                       GAN_COMMANDS if run is train.run else None):
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
