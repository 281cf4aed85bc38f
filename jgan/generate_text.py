"""Samples text from a trained sequence GAN (SeqGAN, `jgan.experiments.seqgan`).

    python -m jgan.generate_text --checkpoint DIR --num 10 [--temperature 0.8] [--seed 0] [--out FILE]

Prints one sequence per line: the decoded text of a text run (its vocabulary is read from the checkpoint), or the
token ids of an oracle run. `--temperature` divides the logits (below 1: safer, above 1: more varied).
"""

from __future__ import annotations

import argparse
import pathlib
import sys


def sample_lines(checkpoint: str | pathlib.Path, num: int, temperature: float = 1.0, seed: int = 0) -> list[str]:
  """`num` sequences of the generator of `checkpoint`'s latest step, as text lines."""
  if num < 1:
    raise ValueError(f"num must be >= 1, got {num}")
  if not temperature > 0:
    raise ValueError(f"temperature must be > 0, got {temperature}")
  import jax

  from jgan.seqgan import experiment
  state, config, meta = experiment.load(checkpoint)
  params = jax.device_get(state.nets["generator"].params)
  ids = experiment.generate(params, jax.random.PRNGKey(seed), num, config.seq_len, temperature)
  vocab = experiment.vocabulary_of(meta)
  if vocab is None:
    return [" ".join(map(str, row)) for row in ids]
  return experiment.decode(vocab, ids, config.token_unit)


def main(argv: list[str] | None = None) -> int:
  parser = argparse.ArgumentParser(prog="python -m jgan.generate_text", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--checkpoint", required=True, help="a SeqGAN run directory (its latest checkpoint is used)")
  parser.add_argument("--num", type=int, default=10, help="sequences to generate (default: %(default)s)")
  parser.add_argument("--temperature", type=float, default=1.0, help="softmax temperature (default: %(default)s)")
  parser.add_argument("--seed", type=int, default=0, help="the sampling seed (default: %(default)s)")
  parser.add_argument("--out", type=pathlib.Path, default=None, help="write the lines to this file instead")
  args = parser.parse_args(argv)
  try:
    lines = sample_lines(args.checkpoint, args.num, args.temperature, args.seed)
  except (ValueError, FileNotFoundError) as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  text = "\n".join(lines) + "\n"
  if args.out is None:
    sys.stdout.write(text)
  else:
    args.out.write_text(text, encoding="utf-8")
  return 0


if __name__ == "__main__":
  sys.exit(main())
