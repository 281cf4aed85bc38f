"""Runs one command as N cooperating CPU processes on this machine: a multi-host run in miniature.

    python -m jgan.launch --processes 2 --local-devices 2 -- python -m jgan.experiments.wgan --out runs/two

Each process gets `JAX_PLATFORMS=cpu`, `--xla_force_host_platform_device_count=D` in `XLA_FLAGS` (D CPU devices;
other XLA flags are kept), and `JGAN_COORDINATOR=127.0.0.1:<free port>`, `JGAN_NUM_PROCESSES=N`,
`JGAN_PROCESS_ID=i`, which `jgan.distributed.initialize` (and so every experiment's command line) reads; process 0
hosts the coordinator. With `--processes 1` no coordinator is set: an ordinary single process with D devices.

Guarantees:
* Output: every line a process writes to stdout or stderr is written to the launcher's stdout or stderr prefixed
  with `[p<i>] ` (carriage-return updates, as progress bars draw, are prefixed too).
* Signals: SIGTERM and SIGINT to the launcher are forwarded to every process still running (the processes run in
  their own session, so a terminal's Ctrl-C reaches them once, through the launcher); a second signal kills them.
* Fail fast: once a process exits with a non-zero status, the others get `--grace` seconds to end by themselves (as
  all do after a preemption), then SIGTERM, then after `--grace` more seconds SIGKILL (a process waiting in a
  collective on a dead peer cannot act on SIGTERM). The launcher's status is then that of the first process that
  failed (128 + n for death by signal n); 0 only if all exited with 0.

For TPU pod slices and SLURM clusters see `jgan.distributed` (no launcher is needed there).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import BinaryIO

_DEVICE_COUNT_FLAG = re.compile(r"--xla_force_host_platform_device_count=\S*")


def free_port() -> int:
  """A TCP port free on 127.0.0.1 right now (another program could still take it before it is used).

  Drawn below the kernel's ephemeral range where possible: ports there are handed out to every outgoing
  connection (the processes' own included) and could be taken between this check and the coordinator's bind.
  """
  try:
    low = int(pathlib.Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
  except (OSError, ValueError, IndexError):
    low = 32768
  draw = random.Random()  # a private generator, seeded from the OS
  for _ in range(100):
    port = draw.randrange(max(low - 12288, 1024), low) if low > 2048 else 0
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
      try:
        s.bind(("127.0.0.1", port))
      except OSError:
        continue
      return s.getsockname()[1]
  with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def process_env(base: dict[str, str], *, process_id: int, num_processes: int, local_devices: int,
                coordinator: str | None) -> dict[str, str]:
  """The environment of process `process_id`: `base`, on CPU with `local_devices` devices, joined to the run."""
  flags = _DEVICE_COUNT_FLAG.sub("", base.get("XLA_FLAGS", "")).split()
  env = {**base, "JAX_PLATFORMS": "cpu", "PYTHONUNBUFFERED": "1",
         "XLA_FLAGS": " ".join([*flags, f"--xla_force_host_platform_device_count={local_devices}"])}
  for name in ("JGAN_COORDINATOR", "JGAN_NUM_PROCESSES", "JGAN_PROCESS_ID"):
    env.pop(name, None)
  if coordinator is not None:
    env.update(JGAN_COORDINATOR=coordinator, JGAN_NUM_PROCESSES=str(num_processes), JGAN_PROCESS_ID=str(process_id))
  return env


def _relay(stream: BinaryIO, out: BinaryIO, prefix: bytes, lock: threading.Lock) -> None:
  """Copies `stream` to `out` line by line (a line ends with \\n or \\r), each line starting with `prefix`.

  Whole lines only, so that lines of different processes never interleave (an unfinished one waits for its end).
  """
  pending = b""
  while chunk := stream.read1(65536):
    *lines, pending = re.split(rb"(?<=\n)|(?<=\r)(?!\n)", pending + chunk)
    if lines:
      with lock:
        out.write(b"".join(prefix + line for line in lines))
        out.flush()
  if pending:
    with lock:
      out.write(prefix + pending + b"\n")
      out.flush()
  stream.close()


def _exit_status(returncode: int) -> int:
  return 128 - returncode if returncode < 0 else returncode


def launch(command: list[str], *, processes: int, local_devices: int = 1, grace: float = 5.0,
           env: dict[str, str] | None = None) -> int:
  """Runs `command` as `processes` processes of `local_devices` CPU devices each; returns the launcher's status."""
  if processes < 1 or local_devices < 1:
    raise ValueError(f"--processes and --local-devices must be >= 1, got {processes} and {local_devices}")
  if not command:
    raise ValueError("no command to run (give it after --)")
  env = dict(os.environ if env is None else env)
  coordinator = f"127.0.0.1:{free_port()}" if processes > 1 else None
  lock = threading.Lock()
  children: list[subprocess.Popen] = []
  relays: list[threading.Thread] = []
  received: list[int] = []

  def forward(signum, frame):
    # The first signal is passed on, so that the processes save and stop by themselves; a second one kills them
    # (a process waiting in a collective on a dead peer never acts on the first).
    del frame
    received.append(signum)
    for child in children:
      if child.poll() is None:
        if len(received) == 1:
          child.send_signal(signum)
        else:
          child.kill()

  previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
  try:
    for i in range(processes):
      child = subprocess.Popen(command, env=process_env(env, process_id=i, num_processes=processes,
                                                        local_devices=local_devices, coordinator=coordinator),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
      children.append(child)
      for stream, out in ((child.stdout, sys.stdout.buffer), (child.stderr, sys.stderr.buffer)):
        relays.append(threading.Thread(target=_relay, args=(stream, out, f"[p{i}] ".encode(), lock), daemon=True))
        relays[-1].start()
    status, failed_at, terminated = 0, None, False
    while [child.poll() for child in children].count(None):  # a list, not any(): every child must be polled
      for i, child in enumerate(children):
        if failed_at is None and child.returncode not in (None, 0):
          status, failed_at = _exit_status(child.returncode), time.monotonic()
          print(f"[launch] process {i} exited with status {status}; stopping the others", file=sys.stderr,
                flush=True)
      if failed_at is not None:
        waited = time.monotonic() - failed_at
        for child in children:
          if child.poll() is None and waited > 2 * grace:
            child.kill()
          elif child.poll() is None and waited > grace and not terminated:
            child.terminate()
        terminated = terminated or waited > grace
      time.sleep(0.05)
    if failed_at is None:  # all ended within one poll: the first in process order that failed
      status = next((_exit_status(c.returncode) for c in children if c.returncode), 0)
  finally:
    for sig, handler in previous.items():
      signal.signal(sig, handler)
    for child in children:
      if child.poll() is None:
        child.kill()
        child.wait()
    for relay in relays:
      relay.join(timeout=5)
  return status


def main(argv: list[str] | None = None) -> int:
  parser = argparse.ArgumentParser(prog="python -m jgan.launch", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--processes", type=int, default=2, help="number of processes (default: %(default)s)")
  parser.add_argument("--local-devices", type=int, default=1, help="CPU devices per process (default: %(default)s)")
  parser.add_argument("--grace", type=float, default=5.0,
                      help="seconds the others get to end by themselves after one fails, then again after SIGTERM "
                           "(default: %(default)s)")
  parser.add_argument("command", nargs=argparse.REMAINDER, help="the command each process runs, after --")
  args = parser.parse_args(argv)
  command = args.command[1:] if args.command[:1] == ["--"] else args.command
  try:
    return launch(command, processes=args.processes, local_devices=args.local_devices, grace=args.grace)
  except (ValueError, OSError) as error:
    print(f"error: {error}", file=sys.stderr)
    return 2


if __name__ == "__main__":
  sys.exit(main())
