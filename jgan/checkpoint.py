"""Orbax checkpoints of a run: the `GANState`, the fixed sample noise and the run's metadata (config, data shape).

A run directory holds `checkpoints/<step>/` written atomically by Orbax (a half-written step never becomes visible
as finished); `latest_step` and `restore` only see finished ones.

With several processes (`jgan.distributed`) every process makes the same calls in the same order: each one writes
the shards it owns (a replicated array once, by its first replica) and Orbax commits a step only after all of
them have finished, so the run directory must be on a file system every process sees. The state's shardings at
restore come from `target`, not from the checkpoint: replicated state saved by one process count is restored by
another.
"""

from __future__ import annotations

import json
import pathlib
import sys
from typing import Any, Callable

import jax
import orbax.checkpoint as ocp


def manager(workdir: str | pathlib.Path, *, keep: int = 3, read_only: bool = False) -> ocp.CheckpointManager:
  directory = pathlib.Path(workdir).absolute() / "checkpoints"
  if read_only:  # a reader that never deletes or creates anything (Orbax's read_only mode logs warnings)
    options = ocp.CheckpointManagerOptions(max_to_keep=None, create=False)
  else:
    options = ocp.CheckpointManagerOptions(max_to_keep=keep, create=True)
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


def load_run(run_dir: str | pathlib.Path, make_state: Callable[[dict], Any],
             step: int | None = None) -> tuple[Any, dict]:
  """`(state, meta)` of the newest readable checkpoint of `run_dir` (a run directory or its `checkpoints/`), or of
  checkpoint `step`: the metadata is read first, then the state is restored into the structure `make_state(meta)`
  would build (traced, not run: see `abstract_target`). What every family's `load` shares."""
  run_dir = find_run_dir(run_dir)
  _, meta, _ = restore(run_dir, step=step)
  _, meta, state = restore(run_dir, abstract_target(lambda: make_state(meta)), step=step)
  return state, meta


def abstract_target(make_state: Callable[[], Any], sharding: jax.sharding.Sharding | None = None) -> Any:
  """What `make_state()` would return, as shapes and dtypes placed by `sharding` (default: the first device), found
  by tracing it without running it (no initializer runs, nothing compiles): a restore target that costs nothing to
  make."""
  sharding = sharding or jax.sharding.make_single_device_sharding(jax.devices()[0])
  return jax.tree.map(lambda leaf: jax.ShapeDtypeStruct(leaf.shape, leaf.dtype, sharding=sharding),
                      jax.eval_shape(make_state))


# What a damaged checkpoint raises, and only that is a reason to try an older one: a missing file
# (FileNotFoundError; a missing array directory), a truncated JSON metadata file (JSONDecodeError), and TensorStore's
# statuses for a missing or short data chunk, which Orbax passes on as a ValueError whose text begins with the code.
_DAMAGED = (FileNotFoundError, json.JSONDecodeError)
_DAMAGED_STATUSES = ("NOT_FOUND", "OUT_OF_RANGE", "DATA_LOSS")


def is_damaged(error: BaseException) -> bool:
  """Whether `error`, raised while restoring, says the checkpoint's files are missing or truncated."""
  return isinstance(error, _DAMAGED) or (isinstance(error, ValueError) and str(error).startswith(_DAMAGED_STATUSES))


def restore(workdir: str | pathlib.Path, target: Any = None, step: int | None = None) -> tuple[int, dict, Any]:
  """Restores the newest readable checkpoint: `(step, meta, state)` (`state` is None without a `target`). With
  `step`, that checkpoint only: ValueError naming the kept steps if there is none, or if it is damaged.

  A checkpoint whose files are missing or truncated (a crash, a full disk; `is_damaged`) is reported on stderr and
  the next older one is tried; ValueError if none can be read. Any other failure stops with the checkpoint named:
  a state of another structure, shapes or dtypes than `target` (another config), or an I/O error such as a
  permission refused, which an older checkpoint would only hide. `target` gives the structure, shapes and
  shardings.
  """
  errors = []
  with manager(workdir, read_only=True) as mngr:
    kept, requested = sorted(mngr.all_steps(), reverse=True), step
    if requested is not None and requested not in kept:
      raise ValueError(f"no checkpoint {requested} in {workdir}: the kept steps are {sorted(kept)}")
    for step in kept if requested is None else [requested]:
      items = {"meta": ocp.args.JsonRestore()}
      if target is not None:
        items["state"] = ocp.args.StandardRestore(jax.tree.map(ocp.utils.to_shape_dtype_struct, target))
      try:
        metadata = pathlib.Path(mngr.directory) / str(step) / "state" / "_METADATA"
        if target is not None and not metadata.exists():  # else Orbax reads an empty tree: a structure error
          raise FileNotFoundError(f"{metadata} is missing")
        restored = mngr.restore(step, args=ocp.args.Composite(**items))
      except Exception as error:  # noqa: BLE001 -- sorted below: damage is skipped, anything else stops
        message = f"checkpoint {step} in {workdir}: {type(error).__name__}: {str(error)[:300]}"
        if not is_damaged(error) or requested is not None:  # a requested checkpoint has no stand-in
          raise ValueError(f"cannot restore {message}") from error
        errors.append(message)
        print(f"warning: {message}: damaged, trying an older one", file=sys.stderr)
        continue
      return step, restored["meta"], restored.get("state")
  raise ValueError(f"no readable checkpoint in {workdir}: " + ("; ".join(errors) or "none found"))
