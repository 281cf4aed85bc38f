"""The discriminator's loss of a mode-coverage run, averaged per block of updates: does it leave chance (2 ln 2)?

    .venv/bin/python experiments/mode_coverage/d_loss_blocks.py RUN_DIR OUT.json [--block 1000]

RUN_DIR is a run's folder (`--out`/DATASET/MODEL/seedS of run.py), whose metrics.jsonl logs every update; OUT.json
gets one segment per block (mean, min and max of d_loss, mean D(real) and D(fake)). The run's command is read from
the result file of run.py beside OUT.json when one matches the run's folder.
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib


def blocks(metrics: pathlib.Path, block: int) -> list[dict]:
  rows = [r for r in map(json.loads, metrics.read_text().splitlines()) if "d_loss" in r]
  segments: dict[int, list[dict]] = {}
  for r in rows:
    segments.setdefault((r["step"] - 1) // block, []).append(r)
  mean = lambda rs, key: sum(r[key] for r in rs) / len(rs)
  return [{"updates": [k * block + 1, (k + 1) * block], "d_loss_mean": mean(rs, "d_loss"),
           "d_loss_min": min(r["d_loss"] for r in rs), "d_loss_max": max(r["d_loss"] for r in rs),
           "d_real_mean": mean(rs, "d_real"), "d_fake_mean": mean(rs, "d_fake")} for k, rs in sorted(segments.items())]


def main(argv: list[str] | None = None) -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("run", type=pathlib.Path)
  parser.add_argument("out", type=pathlib.Path)
  parser.add_argument("--block", type=int, default=1000)
  args = parser.parse_args(argv)
  dataset, model, seed = args.run.parts[-3:]
  result = args.out.parent / f"{dataset}_{model}_{seed}.json"
  run = json.loads(result.read_text())["command"] if result.exists() else str(args.run)
  args.out.write_text(json.dumps({"run": run, "source": f"metrics.jsonl of the run (every update logged), averaged "
                                                         f"per {args.block:,} updates",
                                  "chance": 2 * math.log(2), "segments": blocks(args.run / "metrics.jsonl", args.block)},
                                 indent=1) + "\n")


if __name__ == "__main__":
  main()
