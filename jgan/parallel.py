"""Data parallelism over a device mesh: one step body, mapped with `shard_map`, arguments replicated unless said.

The step functions in `jgan.steps` take an `axis_name`; inside `shard_map` each device keeps its slice of the
global batch and the body averages gradients, metrics and batch-norm statistics over the axis with `lax.pmean`.
Arguments are replicated by default; a streamed input (`jgan.data.stream`) enters split along the data axis instead
(`in_specs`), each process having supplied only its own devices' rows (`process_rows`, `from_process_rows`).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from jgan import compiler_options

AXIS = "data"


def make_mesh(devices: Sequence[jax.Device] | None = None) -> Mesh:
  """A 1-D mesh over `devices` (default: all devices of all processes, grouped by process) with axis `AXIS`.

  With the default, process p's devices hold consecutive positions along the axis, so its share of a global batch
  (`local_slice` on each of its devices) is one contiguous block of rows.
  """
  if devices is None:
    devices = sorted(jax.devices(), key=lambda d: (d.process_index, d.id))
  return Mesh(np.asarray(list(devices)), (AXIS,))


def check_batch_size(batch_size: int, mesh: Mesh) -> None:
  """ValueError unless the global `batch_size` splits evenly over the devices of `mesh` (of all its processes)."""
  processes = len({d.process_index for d in mesh.devices.flat})
  layout = f" ({processes} processes x {mesh.size // processes} devices)" if processes > 1 else ""
  if batch_size <= 0 or batch_size % mesh.size:
    raise ValueError(f"batch_size {batch_size} must be divisible by the device count {mesh.size}{layout}: every "
                     "device takes an equal slice of each global batch")


def replicated(mesh: Mesh) -> NamedSharding:
  """The sharding of an array with a full copy on every device of `mesh`."""
  return NamedSharding(mesh, PartitionSpec())


def replicate(tree, mesh: Mesh):
  """Places every leaf of `tree` on every device of `mesh`.

  With several processes each one supplies the copies on its own devices from its own `tree`, so every process
  must pass the same values (as it does for the state and data built from the same config and seed).
  """
  return jax.device_put(tree, replicated(mesh))


def batch_sharded(mesh: Mesh) -> NamedSharding:
  """The sharding of a global batch split along its first axis over the devices of `mesh`, in mesh order."""
  return NamedSharding(mesh, PartitionSpec(AXIS))


def process_rows(mesh: Mesh, batch_size: int) -> tuple[int, int]:
  """The rows [lo, hi) of a global batch of `batch_size` that this process's devices of `mesh` hold (each device
  i of the axis holding rows [i b, (i + 1) b), b = batch_size / mesh.size): one contiguous block on a mesh grouped by
  process, as `make_mesh` builds it."""
  mine = [i for i, d in enumerate(mesh.devices.flat) if d.process_index == jax.process_index()]
  if not mine or mine != list(range(mine[0], mine[-1] + 1)):
    raise ValueError(f"process {jax.process_index()}'s devices are not one contiguous block of the mesh "
                     f"(positions {mine}); build the mesh with jgan.parallel.make_mesh")
  rows = batch_size // mesh.size
  return mine[0] * rows, (mine[-1] + 1) * rows


def from_process_rows(local: np.ndarray, mesh: Mesh, batch_size: int) -> jax.Array:
  """The global batch (batch_size, ...) split over `mesh`'s data axis, made from this process's rows only
  (`process_rows`): no process ever holds, or sends, another's rows."""
  return jax.make_array_from_process_local_data(batch_sharded(mesh), local, (batch_size, *local.shape[1:]))


def data_parallel(fn: Callable, mesh: Mesh, in_specs: Any = None) -> Callable:
  """Maps `fn` (whose collectives use axis `AXIS`) over `mesh`; results are replicated, and so are the arguments
  unless `in_specs` (a tuple with one pytree prefix of `PartitionSpec`s per argument) says otherwise."""
  # check_vma=False: with it on, autodiff psums the gradients of replicated parameters over the axis by itself, and
  # the steps' explicit pmean then leaves an n-device run with n times the gradient (tests/test_steps.py).
  in_specs = PartitionSpec() if in_specs is None else in_specs
  return jax.shard_map(fn, mesh=mesh, in_specs=in_specs, out_specs=PartitionSpec(), check_vma=False)


def compile_step(fn: Callable, mesh: Mesh, in_specs: Any = None) -> Callable:
  """`fn` (state, *args) -> (state, ...) mapped over `mesh` (`data_parallel`) and jitted, its state argument
  donated, with the compiler options measured best for the mesh's platform (`jgan.compiler_options`)."""
  return compiler_options.jit(data_parallel(fn, mesh, in_specs), mesh.devices.flat, donate_argnums=0)


def compile_iterations(fn: Callable, mesh: Mesh, count: int) -> Callable:
  """`compile_step` of `fn` (state, *args) -> (state, metrics stacked over `count` iterations), returning instead
  (state, `count` per-iteration rows of metrics).

  The rows are split inside the compiled call: slicing each leaf eagerly would cost one dispatch per leaf and row,
  and even one jitted split a second dispatch, a measurable share of a small model's call.
  """
  def as_rows(state, *args):
    state, stacked = fn(state, *args)
    return state, [jax.tree.map(lambda v, i=i: v[i], stacked) for i in range(count)]

  return compile_step(as_rows, mesh)


def local_slice(x: jax.Array, axis_name: str | None) -> jax.Array:
  """This device's slice of a global batch along axis 0 (all of it without data parallelism)."""
  if axis_name is None:
    return x
  size = x.shape[0] // jax.lax.axis_size(axis_name)
  return jax.lax.dynamic_slice_in_dim(x, jax.lax.axis_index(axis_name) * size, size)


def pmean(tree: Any, axis_name: str | None) -> Any:
  """The mean of `tree` over the devices of `axis_name` (`tree` itself without data parallelism or on one device).

  On a one-device axis the mean is the tree itself, but XLA:CPU still copies it through an all-reduce: about 2 ms
  per critic step for the 64x64 MLP critic's 27 MB of gradients, 7% of its WGAN iteration. So none is emitted.
  """
  if axis_name is None or jax.lax.axis_size(axis_name) == 1:
    return tree
  return jax.lax.pmean(tree, axis_name)
