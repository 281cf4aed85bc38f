"""Records a new user's first run of the main job from a fresh clone, as the terminal showed it (issue 38, item 6).

    .venv/bin/python experiments/first_hour/record.py [--repo .] [--work /tmp/jgan-first-hour] [--reuse-venv VENV]

Clones `--repo` (its committed HEAD) into `--work`, runs the README's first command there (a new virtual
environment, `pip install -e .`, then `python -m jgan.experiments.wgan`; `--reuse-venv` skips the install and runs the
clone's code with an existing environment's packages instead, which the record says), and reads the job's terminal output as it comes. Writes
beside this script:
* `session_<cpu>.txt`: what the terminal showed: every line the job printed, and the progress bar as it stood every
  30 seconds (each with the seconds since the job started);
* `result_<cpu>.json`: the machine, the install and job times, and every 30 seconds the bar's estimate of the total
  (seconds so far plus its "remaining") against the true total, as a relative error. The README quotes the first
  minute's.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import re
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).parent
ROOT = HERE.parent.parent
BAR = re.compile(r"\[(?P<elapsed>[\d:]+)<(?P<remaining>[\d:?]+)")
SNAPSHOT_EVERY = 30.0


def seconds(clock: str) -> float | None:
  """tqdm's [H:]MM:SS as seconds; None for its '?' (no estimate yet)."""
  if "?" in clock:
    return None
  parts = [int(p) for p in clock.split(":")]
  return float(sum(p * 60 ** i for i, p in enumerate(reversed(parts))))


def cpu_model() -> str:
  for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
    if line.startswith("model name"):
      return line.split(":", 1)[1].strip()
  return "unknown"


def watch(command: list[str], cwd: pathlib.Path, env: dict) -> tuple[list[tuple[float, str]], list[tuple], float]:
  """Runs `command`, reading its merged output byte by byte: (lines with their times, bar snapshots every
  SNAPSHOT_EVERY seconds as (t, bar text, estimated total), wall seconds)."""
  start = time.monotonic()
  process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
  lines, snapshots, current, bar = [], [], b"", None
  next_snapshot = SNAPSHOT_EVERY
  while True:
    byte = process.stdout.read(1)
    now = time.monotonic() - start
    if byte in (b"\r", b"\n", b""):
      text = current.decode(errors="replace").rstrip()
      current = b""
      if BAR.search(text):
        bar = text
      elif text:
        lines.append((now, text))
      while bar is not None and now >= next_snapshot:  # the bar as the terminal shows it at this moment
        match = BAR.search(bar)
        remaining = seconds(match.group("remaining"))
        snapshots.append((round(next_snapshot), bar, None if remaining is None else round(now + remaining, 1)))
        next_snapshot += SNAPSHOT_EVERY
      if byte == b"":
        break
    else:
      current += byte
  process.wait()
  if process.returncode != 0:
    raise SystemExit(f"the job failed with status {process.returncode}: {lines[-5:]}")
  return lines, snapshots, time.monotonic() - start


def main(argv: list[str] | None = None) -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--repo", type=pathlib.Path, default=ROOT, help="the repository to clone (its HEAD)")
  parser.add_argument("--work", type=pathlib.Path, default=pathlib.Path("/tmp/jgan-first-hour"))
  parser.add_argument("--reuse-venv", type=pathlib.Path, default=None,
                      help="an existing environment with jgan's dependencies (skips the install)")
  args = parser.parse_args(argv)
  subprocess.run(["rm", "-rf", str(args.work)], check=True)
  subprocess.run(["git", "clone", "-q", str(args.repo), str(args.work)], check=True)
  commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=args.work, capture_output=True, text=True).stdout.strip()
  env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "JAX_COMPILATION_CACHE_DIR")}
  env["JAX_COMPILATION_CACHE_DIR"] = str(args.work / "xla-cache")  # a new user's cache starts empty
  env["COLUMNS"] = "110"
  start = time.monotonic()
  if args.reuse_venv is None:
    subprocess.run([sys.executable, "-m", "venv", ".venv"], cwd=args.work, check=True)
    subprocess.run([".venv/bin/pip", "install", "-q", "-e", "."], cwd=args.work, check=True)
    python = str(args.work / ".venv" / "bin" / "python")
  else:  # the clone's jgan first on the path, the environment left as it is
    env["PYTHONPATH"] = str(args.work)
    python = str(args.reuse_venv / "bin" / "python")
  install = time.monotonic() - start
  lines, snapshots, total = watch([python, "-m", "jgan.experiments.wgan"], args.work, env)
  cpu = cpu_model()
  tag = re.sub(r"[^a-z0-9]+", "-", cpu.lower()).strip("-")
  estimates = [{"at_s": t, "estimated_total_s": est,
                "relative_error": None if est is None else round(est / total - 1, 3)} for t, _, est in snapshots]
  result = {"cpu": cpu, "cores": os.cpu_count(), "date": datetime.date.today().isoformat(), "commit": commit,
            "command": "python -m jgan.experiments.wgan", "install_s": round(install, 1),
            "installed": "fresh venv, pip install -e ." if args.reuse_venv is None else "reused an environment",
            "job_s": round(total, 1), "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "estimates": estimates}
  (HERE / f"result_{tag}.json").write_text(json.dumps(result, indent=2) + "\n")
  text = [f"$ git clone ... && python3 -m venv .venv && .venv/bin/pip install -e .   # {install:.0f} s "
          f"({result['installed']})", "$ .venv/bin/python -m jgan.experiments.wgan"]
  events = sorted([(t, line) for t, line in lines] + [(t, f"{bar}    <- the bar at {t} s") for t, bar, _ in snapshots])
  text += [f"[{t:7.1f} s] {line}" for t, line in events]
  text.append(f"# the job took {total:.0f} s on {cpu} ({os.cpu_count()} cores), commit {commit[:10]}")
  (HERE / f"session_{tag}.txt").write_text("\n".join(text) + "\n")
  print(json.dumps(result, indent=2))


if __name__ == "__main__":
  main()
