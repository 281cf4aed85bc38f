"""One run over many processes with `jax.distributed`: the same experiment on one process or on many, unchanged.

Joining: `initialize(coordinator, num_processes, process_id)` (the command lines' `--coordinator`,
`--num-processes`, `--process-id`, or the environment variables `JGAN_COORDINATOR`, `JGAN_NUM_PROCESSES`,
`JGAN_PROCESS_ID`; `JAX_COORDINATOR_ADDRESS` is read by JAX itself) must run before anything touches a device. With
none of them set, JAX's own detection of a managed cluster of several processes (a Cloud TPU pod slice, SLURM
`srun`, Open MPI `mpirun`) fills them in; otherwise it does nothing, and a single process needs nothing. On CPU the
processes exchange collectives with gloo (over TCP, the loopback address when they share a machine).

Launching:

* On this machine: `python -m jgan.launch --processes 2 --local-devices 2 -- python -m jgan.experiments.wgan ...`
  starts the processes with the coordinator on 127.0.0.1 (`jgan.launch`).
* On a Cloud TPU pod slice: the same command on every worker, nothing to add; JAX finds the workers and the
  coordinator itself:

      gcloud compute tpus tpu-vm ssh NAME --zone ZONE --worker=all \\
        --command "cd jgan && python -m jgan.experiments.wgan --batch-size 256 --out /mnt/shared/run"

* On SLURM GPUs: one task per GPU, e.g.
  `srun --nodes 2 --ntasks-per-node 4 --gpus-per-task 1 python -m jgan.experiments.wgan --out /shared/run`;
  JAX reads the SLURM variables (job, node list, task ids) for the coordinator, the process count and the ids,
  and gives each task one GPU. For one task per node using all of its GPUs, also set
  `JAX_LOCAL_DEVICE_IDS=0,1,2,3` (JAX's variable), else each task sees only GPU 0.
* Anywhere else: `--coordinator HOST:PORT --num-processes N --process-id I` on every process (HOST is the
  address of process 0, the port free there).

What is guaranteed (`tests/test_multihost.py`, with real processes on CPU):

* One global device mesh over every device of every process, ordered by process, and the same compiled step as
  local data parallelism (`jgan.parallel`); the global batch must divide evenly over all devices (checked, with a
  clear error, before anything is compiled). N processes x D devices give the same losses and parameters as one
  process with N x D devices, to float tolerance.
* Data: every process loads the data set and keeps it on its devices, as one process does; each device gathers
  only its own slice of every global batch from the batch's key and position, so process p reads the rows
  [p B / N, (p + 1) B / N) of the global batch of B and the global batch is the same whatever the process count. The
  whole data set is therefore read by every process (fine for sets that fit on a device); batches are never sent
  between processes.
* Outputs: metrics (global, averaged over all devices in the compiled step), TensorBoard, PNG grids, plots,
  config.json, the progress bar and the final message come from process 0 only. Every process takes part in
  each checkpoint save and restore (Orbax; writes stay atomic), so `--out` must be a directory all processes see
  (a shared file system). A run saved with one process count resumes with another when the global batch is
  unchanged.
* Preemption: SIGTERM or SIGINT delivered to any one process stops all of them at the same generator iteration:
  at each point where a single process would look at its signal flag, the processes agree (`any_process`, a
  tiny all-gather of the flags), then all save that step's checkpoint and exit with status 3; `--resume`
  continues. (JAX's own preemption sync point watches only SIGTERM through a handler of its own; the explicit
  agreement covers both signals with jgan's handler.)
* Failure: a process that dies leaves the others waiting in a collective; `jgan.launch` then stops them all (on a
  cluster, the scheduler or JAX's heartbeat timeout does).
* Compiled programs: on CPU with jax 0.12.1 or later, a run of several processes compiles without the persistent
  compilation cache (`jgan.compilation_cache`), after a warning: there a program with a collective that process 0
  loads from the cache, while the others compile it, waits forever in its first collective.
"""

from __future__ import annotations

import os
import sys

import jax
import numpy as np

ENV_COORDINATOR = "JGAN_COORDINATOR"
ENV_NUM_PROCESSES = "JGAN_NUM_PROCESSES"
ENV_PROCESS_ID = "JGAN_PROCESS_ID"

# Managed clusters that JAX configures by itself (`jax._src.clusters`); Kubernetes and mpi4py are left to explicit
# flags, since merely running in a container or with mpi4py installed is no sign of a multi-process job.
_AUTO_DETECTED = ("slurm", "ompi", "gce_tpu", "gke_tpu")


def _env_int(name: str) -> int | None:
  value = os.environ.get(name, "").strip()
  if not value:
    return None
  try:
    return int(value)
  except ValueError:
    raise ValueError(f"environment variable {name} must be an integer, got {value!r}") from None


def _detected_cluster() -> str | None:
  """The name of the managed multi-process environment JAX would configure itself from, or None.

  Only environments with more than one process count: a single SLURM task or a single-host TPU VM is an ordinary
  single process (initializing there would, on SLURM GPUs, also hide all but one GPU).
  """
  try:
    from jax._src import clusters  # JAX's own detection; private, so any failure means "none detected"
    for env in clusters.ClusterEnv._cluster_types:
      if env.name in _AUTO_DETECTED and env.is_env_present() and env.get_process_count() > 1:
        return env.name
  except Exception:  # noqa: BLE001  (a change in JAX's internals must not stop a single-process run)
    return None
  return None


def initialize(coordinator: str | None = None, num_processes: int | None = None,
               process_id: int | None = None) -> bool:
  """Joins this process to a multi-process run; returns whether `jax.distributed` is now initialized.

  Arguments left None are read from `JGAN_COORDINATOR`, `JGAN_NUM_PROCESSES`, `JGAN_PROCESS_ID` (and
  `JAX_COORDINATOR_ADDRESS`). If none is set anywhere, JAX's cluster detection decides (TPU pod slices, SLURM,
  Open MPI with several processes); with no cluster either, nothing happens and False is returned. Must be called
  before any JAX computation (RuntimeError from JAX otherwise); calling it again is a no-op. ValueError if only
  some of the three are given outside a managed cluster.
  """
  if jax.distributed.is_initialized():
    return True
  coordinator = coordinator or os.environ.get(ENV_COORDINATOR) or os.environ.get("JAX_COORDINATOR_ADDRESS") or None
  num_processes = _env_int(ENV_NUM_PROCESSES) if num_processes is None else num_processes
  process_id = _env_int(ENV_PROCESS_ID) if process_id is None else process_id
  given = {"coordinator": coordinator, "num_processes": num_processes, "process_id": process_id}
  cluster = _detected_cluster()
  if cluster is None:
    if all(v is None for v in given.values()):
      return False  # a single process
    missing = [name for name, v in given.items() if v is None]
    if missing:
      raise ValueError(f"a multi-process run needs the coordinator address, the number of processes and this "
                       f"process's id; missing: {', '.join(missing)} (flags --coordinator, --num-processes, "
                       f"--process-id or environment {ENV_COORDINATOR}, {ENV_NUM_PROCESSES}, {ENV_PROCESS_ID})")
    if not 0 <= process_id < num_processes:
      raise ValueError(f"process id {process_id} must be in [0, num_processes={num_processes})")
  # Collectives between processes on CPU need an implementation; gloo ships with jaxlib (recent versions default
  # to it, older ones to none). Accelerators use their own (NCCL, ICI) whatever this says.
  if not jax.config.jax_cpu_collectives_implementation:
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
  jax.distributed.initialize(coordinator_address=coordinator, num_processes=num_processes, process_id=process_id)
  _avoid_cached_collectives()
  return True


# Version-conditional because only some jax versions need it. With jax and jaxlib 0.12.1 (0.12.0.1 and 0.10.2 are
# fine) a multi-process CPU run waits forever in its first cross-process collective (both processes in gloo's
# allreduce) when process 0 loads that program from the persistent compilation cache while the others compile it,
# which is every run after the first: each process has its own cache keys and only process 0 writes entries. Seen
# with the training step and with a jitted shard_map holding one pmean (experiments/benchmarks/jax-0.12.md).
# Open-ended (>=) because a hang costs more than compiling: lift it once a jax is seen to be fixed
# (tests/test_multihost.py::test_second_multi_process_run_with_a_warm_compilation_cache_finishes).
_CACHED_COLLECTIVES_HANG_FROM = (0, 12, 1)


def _avoid_cached_collectives() -> None:
  """Turns off the persistent compilation cache in a multi-process CPU run on a jax that hangs with it (above)."""
  if (jax.__version_info__ >= _CACHED_COLLECTIVES_HANG_FROM and jax.config.jax_enable_compilation_cache
      and jax.config.jax_compilation_cache_dir and jax.process_count() > 1 and jax.default_backend() == "cpu"):
    jax.config.update("jax_enable_compilation_cache", False)
    if is_primary():
      print(f"warning: jax {jax.__version__} can hang a multi-process CPU run whose programs come from the "
            "persistent compilation cache; compiling without it", file=sys.stderr)


def is_primary() -> bool:
  """Whether this process writes the run's outputs: process 0 (the only process of a single-process run)."""
  return jax.process_index() == 0


def any_process(flag: bool) -> bool:
  """True on every process if `flag` is true on any process.

  A collective: every process must call it the same number of times, in the same order relative to the other
  collectives. A single process returns `flag` without communicating.
  """
  if jax.process_count() == 1:
    return bool(flag)
  from jax.experimental import multihost_utils
  return bool(np.any(multihost_utils.process_allgather(np.asarray(bool(flag)))))


def barrier(name: str) -> None:
  """Returns once every process has reached `barrier(name)` (at once for a single process)."""
  if jax.process_count() > 1:
    from jax.experimental import multihost_utils
    multihost_utils.sync_global_devices(name)


def broadcast_text(text: str, *, max_bytes: int = 256) -> str:
  """Process 0's `text` (UTF-8, at most `max_bytes` bytes), on every process; a collective like `any_process`."""
  if jax.process_count() == 1:
    return text
  from jax.experimental import multihost_utils
  raw = text.encode()
  if len(raw) > max_bytes:
    raise ValueError(f"text of {len(raw)} bytes is longer than max_bytes={max_bytes}")
  buffer = np.zeros(max_bytes + 1, np.int32)  # int32: collectives of small integer types are not everywhere
  buffer[0], buffer[1:len(raw) + 1] = len(raw), np.frombuffer(raw, np.uint8)
  out = np.asarray(multihost_utils.broadcast_one_to_all(buffer))
  return bytes(out[1:out[0] + 1].astype(np.uint8)).decode()
