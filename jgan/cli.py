"""Command-line flags generated from a config dataclass: one flag per field, its default and help shown."""

from __future__ import annotations

import argparse
import dataclasses
import typing


def add_config_flags(parser: argparse.ArgumentParser, config_cls: type) -> None:
  """Adds `--field-name` for every field of `config_cls` (choices from `Literal` annotations)."""
  hints = typing.get_type_hints(config_cls)
  for field in dataclasses.fields(config_cls):
    hint = hints[field.name]
    kwargs = {"default": field.default, "help": f"{field.metadata.get('help', '')} (default: %(default)s)"}
    if typing.get_origin(hint) is typing.Literal:
      kwargs["choices"] = typing.get_args(hint)
      kwargs["type"] = str
    else:
      kwargs["type"] = hint
    parser.add_argument("--" + field.name.replace("_", "-"), dest=field.name, **kwargs)


def config_from_args(args: argparse.Namespace, config_cls: type):
  return config_cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(config_cls)})
