"""The streamed input: batches read on the host while the devices compute, for image sets not held on the device.

The device-resident `Source` gathers batch p inside the compiled step from the set on the device
(`jgan.data.batch_indices`: slice p mod B of the permutation of epoch p div B, keyed by the run's data key). A
`Stream` gives the compiled step the very same batches without the set ever being on the device, or whole anywhere:

  * Order: `BatchOrder` computes each epoch's permutation once, on the host's CPU, with the same `jax.random` calls
    (threefry bits and a stable sort, so every backend gives the same permutation), so for the same key and
    position the streamed global batch is the device path's, example for example.
  * Position: the state's own counter, `critic_steps` (a batch per critic step), with the state's key. Nothing else
    is kept, so a checkpoint holds the stream's position already: a resumed run, or one resumed with another input
    or process count, reads exactly the batches an uninterrupted run reads.
  * Processes: each process reads only its own devices' rows of each global batch (`jgan.parallel.process_rows`:
    one contiguous block on a mesh grouped by process) and puts them on its own devices; the global batch exists
    only as a jax.Array split over the data axis (`jgan.parallel.from_process_rows`), which the step takes split
    (`StreamedSource.specs`, the shard_map's in_specs) rather than replicated.
  * Prefetch: Grain (`grain.MapDataset` over the batch positions; `ReadOptions` threads read and decode batches
    ahead, in order) and a `ThreadPrefetchIterDataset` stage that puts finished batches on the devices, so a
    compiled call's batches are read and transferred while the previous call computes.

With the environment variable `JGAN_STREAM_TRACE` set to a folder, each process appends a line per batch it reads
to `process_<i>.txt` there: the position, then the example indices it read (for checking who reads what).
"""

from __future__ import annotations

import os
import pathlib
import sys
import threading

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct
from jax.sharding import PartitionSpec

from jgan import parallel
from jgan.data import to_unit_range
from jgan.data.examples import Examples

AUTO_DEVICE_FRACTION = 0.25  # 'auto' streams a set above this share of one accelerator's memory...
AUTO_CPU_MB = 1024  # ... or above this many MB on CPU, where devices report no memory
TRACE_ENV = "JGAN_STREAM_TRACE"
_MAX_POSITION = 2 ** 31 - 1  # critic_steps is an int32


# ---------------------------------------------------------------------------------------------------------------------
# Which input: the device-resident set or the stream.
# ---------------------------------------------------------------------------------------------------------------------

def warn(message: str) -> None:
  """`message` on stderr, from process 0 only (every process takes the same decisions)."""
  if jax.process_index() == 0:
    print(f"warning: {message}", file=sys.stderr)


def device_memory(device: jax.Device) -> int | None:
  """The bytes one device can hold (`memory_stats()['bytes_limit']`: GPUs, TPUs), else None (CPU reports none)."""
  stats = device.memory_stats()
  return int(stats["bytes_limit"]) if stats and "bytes_limit" in stats else None


def host_memory() -> int | None:
  """The host's physical memory in bytes, where the OS says (Linux, macOS)."""
  try:
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
  except (ValueError, OSError, AttributeError):
    return None


def stream_threshold(threshold_mb: float, device: jax.Device) -> int:
  """The size in bytes above which `auto` streams: `threshold_mb` when > 0, else AUTO_DEVICE_FRACTION of the device's
  memory, or AUTO_CPU_MB where the device reports none (CPU)."""
  if threshold_mb > 0:
    return int(threshold_mb * 2 ** 20)
  memory = device_memory(device)
  return int(AUTO_DEVICE_FRACTION * memory) if memory else AUTO_CPU_MB * 2 ** 20


def choose_input(requested: str, nbytes: int, *, threshold_mb: float, name: str, can_stream: bool = True,
                 devices: list[jax.Device] | None = None) -> str:
  """'device' or 'stream' for a set of `nbytes` (uint8 at the training size): `requested` unless 'auto', which streams
  above `stream_threshold` or where the set cannot fit. 'device' for a set that cannot fit at all (more than a
  device's memory; on CPU, where each local device holds a copy, more than the host's) is a ValueError; short of
  that it is tried."""
  devices = jax.local_devices() if devices is None else devices
  too_big = _cannot_fit(nbytes, devices)
  if requested == "auto":
    if can_stream and (too_big or nbytes > stream_threshold(threshold_mb, devices[0])):
      return "stream"
    requested = "device"
  if requested == "device" and too_big:
    advice = "use input 'stream' (--input stream, or auto)" if can_stream else "this game cannot stream its data"
    raise ValueError(f"dataset {name!r} is {_mb(nbytes)} as uint8 at the training size; held whole on each device it "
                     f"cannot fit: {too_big}; {advice}")
  return requested


def _cannot_fit(nbytes: int, devices: list[jax.Device]) -> str | None:
  """Why a set of `nbytes` held whole on each of `devices` cannot fit, or None where it may."""
  memory, copies = device_memory(devices[0]), 1
  if memory is None and devices[0].platform == "cpu":
    memory, copies = host_memory(), len(devices)
  if memory is None or nbytes * copies <= memory:
    return None
  if devices[0].platform == "cpu":
    return f"{copies} CPU device(s) sharing {_mb(memory)} of host memory"
  return f"{_mb(memory)} of memory on {devices[0].device_kind}"


def _mb(nbytes: int) -> str:
  return f"{nbytes / 2 ** 20:,.3g} MB"


# ---------------------------------------------------------------------------------------------------------------------
# The order of batches, on the host.
# ---------------------------------------------------------------------------------------------------------------------

class BatchOrder:
  """`order(p)`: the example indices of global batch p, those `jgan.data.batch_indices(data_rng, p, n, batch_size)`
  gives on the device. Each epoch's permutation is computed once, on the host's CPU, by the same jax.random calls."""

  _KEPT = 4  # epochs kept: reader threads a few batches apart may straddle an epoch's end

  def __init__(self, data_rng: jax.Array | np.ndarray, num_examples: int, batch_size: int):
    self.cpu = jax.local_devices(backend="cpu")[0]  # this process's: another's cannot run its computations
    self.rng = jax.device_put(np.asarray(data_rng), self.cpu)
    self.batch_size, self.batches_per_epoch = batch_size, num_examples // batch_size
    self._permute = jax.jit(lambda rng, epoch: jax.random.permutation(jax.random.fold_in(rng, epoch), num_examples))
    self._epochs: dict[int, np.ndarray] = {}
    self._lock = threading.Lock()

  def permutation(self, epoch: int) -> np.ndarray:
    with self._lock:
      if epoch not in self._epochs:
        # epoch as int32, as `jnp.divmod` of the int32 position makes it on the device (fold_in sees its bits).
        self._epochs[epoch] = np.asarray(self._permute(self.rng, jax.device_put(np.int32(epoch), self.cpu)))
        for old in sorted(self._epochs)[:-self._KEPT]:
          del self._epochs[old]
      return self._epochs[epoch]

  def __call__(self, position: int) -> np.ndarray:
    epoch, offset = divmod(position, self.batches_per_epoch)
    return self.permutation(epoch)[offset * self.batch_size:(offset + 1) * self.batch_size]


# ---------------------------------------------------------------------------------------------------------------------
# What a compiled call gets, and the pipeline that makes it.
# ---------------------------------------------------------------------------------------------------------------------

class StreamedSource(struct.PyTreeNode):
  """The batches of one compiled call, read on the host: `images[j]` is global batch `start + j`, (B, H, W, C) uint8
  split over the data axis (inside the step each device sees its own rows); `labels` likewise (int32) or None.

  `batch(rng, position, ...)` is `Source.batch`'s: the same rows of the same global batch, for the steps' same call.
  """

  images: tuple[jax.Array, ...]
  labels: tuple[jax.Array, ...] | None
  start: jax.Array

  def specs(self) -> "StreamedSource":
    """The shard_map in_specs of this argument: the batches split over the data axis, `start` replicated."""
    split = lambda arrays: None if arrays is None else tuple(PartitionSpec(parallel.AXIS) for _ in arrays)
    return StreamedSource(images=split(self.images), labels=split(self.labels), start=PartitionSpec())

  def batch(self, rng: jax.Array, position: jax.Array, batch_size: int,
            axis_name: str | None = None) -> dict[str, jax.Array]:
    """This device's rows of global batch `position`: {'x': float32 in [-1, 1], 'label' if known}."""
    del rng  # the host drew these batches from the same key (`BatchOrder`)
    rows = self.images[0].shape[0] * (jax.lax.axis_size(axis_name) if axis_name else 1)
    if rows != batch_size:
      raise ValueError(f"streamed batches of {rows} rows for a step of batch_size {batch_size}")
    index = position - self.start
    batch = {"x": to_unit_range(jax.lax.dynamic_index_in_dim(jnp.stack(self.images), index, keepdims=False))}
    if self.labels is not None:
      batch["label"] = jax.lax.dynamic_index_in_dim(jnp.stack(self.labels), index, keepdims=False)
    return batch


class Stream:
  """Batches of `examples` for a run over `mesh`, read ahead on the host: `restart(data_rng, position)` then, per
  compiled call, `take(count)` -> the `StreamedSource` of the next `count` global batches.

  `read_threads` Grain threads read batches (decoding files) up to `read_ahead` batches ahead; a further thread puts
  up to `device_ahead` finished batches on the devices. `close()` stops them.
  """

  toy = ""  # what `jgan.train` asks of a source: a stream holds images, never a toy

  def __init__(self, examples: Examples, mesh, batch_size: int, *, read_threads: int | None = None,
               read_ahead: int = 10, device_ahead: int = 5):
    if len(examples) < batch_size:
      raise ValueError(f"dataset {examples.name!r} has {len(examples)} training images, fewer than batch_size "
                       f"{batch_size}")
    parallel.check_batch_size(batch_size, mesh)
    self.examples, self.mesh, self.batch_size = examples, mesh, batch_size
    self.shape = tuple(examples.shape)
    self.rows = parallel.process_rows(mesh, batch_size)
    self.read_threads = read_threads or max(1, min(8, os.cpu_count() or 1))
    self.read_ahead, self.device_ahead = read_ahead, device_ahead
    self._iterator = None
    self._position: int | None = None
    trace = os.environ.get(TRACE_ENV)
    self._trace = pathlib.Path(trace) / f"process_{jax.process_index()}.txt" if trace else None
    self._trace_lock = threading.Lock()

  @property
  def position(self) -> int | None:
    """The global batch the next `take` starts at (None before `restart`)."""
    return self._position

  def read(self, order: BatchOrder, position: int) -> tuple[int, np.ndarray, np.ndarray | None]:
    """This process's rows of global batch `position`, read from the examples (on a reader thread)."""
    lo, hi = self.rows
    index = order(position)[lo:hi]
    images, labels = self.examples.read(index)
    if self._trace is not None:
      with self._trace_lock, self._trace.open("a") as f:
        f.write(f"{position} {' '.join(map(str, index))}\n")
    return position, images, labels

  def _to_devices(self, element):
    position, images, labels = element
    put = lambda local: parallel.from_process_rows(local, self.mesh, self.batch_size)
    # Not `device_put`: onto devices of several processes it checks the value across them, a collective that this
    # thread would interleave with the training step's (a deadlock). Each process fills its own devices here.
    start = jax.make_array_from_callback((), parallel.replicated(self.mesh), lambda _: np.int32(position))
    return position, put(images), None if labels is None else put(labels), start

  def restart(self, data_rng: jax.Array | np.ndarray, position: int) -> None:
    """Starts reading at global batch `position` of the stream keyed by `data_rng` (the step's data key)."""
    import grain  # imported here: only streamed runs need it
    self.close()
    order = BatchOrder(data_rng, len(self.examples), self.batch_size)
    batches = grain.MapDataset.range(position, _MAX_POSITION).map(lambda p: self.read(order, p))
    reading = batches.to_iter_dataset(grain.ReadOptions(num_threads=self.read_threads,
                                                        prefetch_buffer_size=self.read_ahead))
    placed = grain.experimental.ThreadPrefetchIterDataset(reading.map(self._to_devices),
                                                          prefetch_buffer_size=self.device_ahead)
    self._iterator, self._position = iter(placed), position

  def take(self, count: int) -> StreamedSource:
    """The next `count` global batches, on the devices, for one compiled call."""
    if self._iterator is None:
      raise RuntimeError("Stream.take before Stream.restart: the stream does not know its position")
    elements = [next(self._iterator) for _ in range(count)]
    expected = list(range(self._position, self._position + count))
    if [e[0] for e in elements] != expected:  # the pipeline is in order by construction: this guards that
      raise RuntimeError(f"streamed batches {[e[0] for e in elements]} where {expected} were due")
    self._position += count
    labels = None if elements[0][2] is None else tuple(e[2] for e in elements)
    return StreamedSource(images=tuple(e[1] for e in elements), labels=labels, start=elements[0][3])

  def close(self) -> None:
    """Stops the reader threads (a later `restart` starts them again)."""
    if self._iterator is not None:
      self._iterator.close()
      self._iterator = None  # dropped now: Grain's finalizer fails if it runs at interpreter shutdown

