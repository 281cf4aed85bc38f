"""Orbax checkpoints of a run: the `GANState`, the fixed sample noise and the run's metadata (config, data shape).

A run directory holds `checkpoints/<step>/` written atomically by Orbax (a half-written step never becomes visible
as finished); `latest_step` and `restore` only see finished ones.
"""

from __future__ import annotations

import pathlib
from typing import Any

import jax
import orbax.checkpoint as ocp


def manager(workdir: str | pathlib.Path, *, keep: int = 3, read_only: bool = False) -> ocp.CheckpointManager:
  directory = pathlib.Path(workdir).absolute() / "checkpoints"
  options = ocp.CheckpointManagerOptions(max_to_keep=keep, create=not read_only, read_only=read_only)
  return ocp.CheckpointManager(directory, options=options, item_names=("state", "meta"))


def find_run_dir(path: str | pathlib.Path) -> pathlib.Path:
  """Accepts a run directory or its `checkpoints/` folder; raises ValueError if it holds no checkpoint."""
  path = pathlib.Path(path).absolute()
  if path.name == "checkpoints":
    path = path.parent
  if latest_step(path) is None:
    raise ValueError(f"no checkpoint found in {path} (expected {path / 'checkpoints'}/<step>/)")
  return path


def latest_step(workdir: str | pathlib.Path) -> int | None:
  if not (pathlib.Path(workdir) / "checkpoints").is_dir():
    return None
  with manager(workdir, read_only=True) as mngr:
    return mngr.latest_step()


def save(mngr: ocp.CheckpointManager, step: int, state: Any, meta: dict) -> None:
  mngr.save(step, args=ocp.args.Composite(state=ocp.args.StandardSave(state), meta=ocp.args.JsonSave(meta)))


def restore_meta(workdir: str | pathlib.Path, step: int | None = None) -> dict:
  with manager(workdir, read_only=True) as mngr:
    step = mngr.latest_step() if step is None else step
    return mngr.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))["meta"]


def restore_state(workdir: str | pathlib.Path, target: Any, step: int | None = None) -> Any:
  """Restores the state into the structure, shapes and shardings of `target`."""
  abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, target)
  with manager(workdir, read_only=True) as mngr:
    step = mngr.latest_step() if step is None else step
    return mngr.restore(step, args=ocp.args.Composite(state=ocp.args.StandardRestore(abstract)))["state"]
