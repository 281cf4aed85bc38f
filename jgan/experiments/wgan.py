"""Wasserstein GAN (Arjovsky, Chintala and Bottou 2017) on the embedded digits or any data set jgan reads.

    python -m jgan.experiments.wgan [--arch dcgan|mlp] [--dataset digits] [--steps 2000] [--out DIR] [--resume]

Writes under --out: metrics.jsonl, tensorboard/, samples/step_*.png (fixed noise), wasserstein.png, checkpoints/.
Loss: jgan/losses/_wasserstein.py; step: jgan/steps.py; config: jgan/configs/wgan.py; loop: jgan/train.py.
"""

from __future__ import annotations

import argparse
import datetime
import sys

from jgan import cli
from jgan.configs.wgan import WGANConfig


def parse(argv: list[str] | None = None) -> argparse.Namespace:
  parser = argparse.ArgumentParser(prog="python -m jgan.experiments.wgan", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  cli.add_config_flags(parser, WGANConfig)
  parser.add_argument("--out", default=None, help="run directory (default: runs/wgan/<timestamp>)")
  parser.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --out")
  parser.add_argument("--overwrite", action="store_true", help="allow writing into a non-empty --out")
  parser.add_argument("--no-progress", action="store_true", help="no progress bar")
  return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
  args = parse(argv)
  if args.resume and args.out is None:
    print("error: --resume needs --out, the run directory to continue", file=sys.stderr)
    return 2
  out = args.out or f"runs/wgan/{datetime.datetime.now():%Y%m%d-%H%M%S}"
  from jgan import train  # imported after parsing so that --help is fast
  try:
    config = cli.config_from_args(args, WGANConfig)
    state = train.run(config, out, resume=args.resume, overwrite=args.overwrite, progress=not args.no_progress)
  except ValueError as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  except train.Preempted as stopped:
    print(f"stopped: {stopped}", file=sys.stderr)
    return 3
  except train.NonFiniteError as error:
    print(f"error: {error}", file=sys.stderr)
    return 4
  print(f"done: {int(state.step)} generator iterations; outputs in {out}")
  return 0


if __name__ == "__main__":
  sys.exit(main())
