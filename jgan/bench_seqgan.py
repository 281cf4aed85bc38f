"""Seconds per iteration of jgan's SeqGAN updates beside a PyTorch ruler of the same nets and work
(experiments/seqgan/bench/seqgan_torch.py, run by the PyTorch interpreter given).

    python -m jgan.bench_seqgan [--vocab 5000] [--repeats 3] [--torch-python /work/.venv-torch/bin/python]

Iterations timed (batch 64, length 20, the paper's nets): `mle` one MLE update of G; `d` one update of D;
`adversarial` one policy-gradient step of G with its 16 x 19 rollouts scored by D. jgan's are the compiled steps
of `jgan.seqgan.steps` (the first call compiles and is not timed); the median of `--repeats` calls is printed.
"""

from __future__ import annotations

import argparse
import functools
import json
import pathlib
import subprocess
import sys

RULER = pathlib.Path(__file__).resolve().parent.parent / "experiments" / "seqgan" / "bench" / "seqgan_torch.py"


def jgan_times(vocab: int, repeats: int) -> dict[str, float]:
  import jax
  import jax.numpy as jnp

  from jgan import compiler_options
  from jgan.bench import median_seconds
  from jgan.seqgan import nets, steps
  from jgan.seqgan.config import SeqGANConfig
  config = SeqGANConfig(vocab_size=vocab, pretrain_g_epochs=0, pretrain_d_rounds=0, steps=1, num_sequences=64)
  state = steps.create_state(config, vocab)
  data = jax.random.randint(jax.random.PRNGKey(1), (64, config.seq_len), 0, vocab)
  labels = jax.random.randint(jax.random.PRNGKey(2), (64,), 0, 2)
  jit = compiler_options.jit

  def mle_step(state):
    def loss_fn(params):
      return nets.nll(params["generator"], data), {}
    from jgan.updates import phase_update
    return phase_update(state, "mle", loss_fn, axis_name=None, prefix="g")[0]

  mle = jit(mle_step)
  d = jit(functools.partial(steps.d_batch_step, config=config))
  reward = jit(functools.partial(steps.sample_and_reward, config=config))
  policy = jit(functools.partial(steps.policy_step, config=config))

  def adversarial():
    s, samples, rewards = reward(state)
    return policy(s, samples, rewards, data)[0]

  return {"mle": median_seconds(lambda: mle(state), repeats),
          "d": median_seconds(lambda: d(state, data, labels, jnp.int32(0), jnp.int32(0))[0], repeats),
          "adversarial": median_seconds(adversarial, repeats)}


def main(argv: list[str] | None = None) -> int:
  parser = argparse.ArgumentParser(prog="python -m jgan.bench_seqgan", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--vocab", type=int, default=5000)
  parser.add_argument("--repeats", type=int, default=3)
  parser.add_argument("--torch-python", default="/work/.venv-torch/bin/python",
                      help="a Python with PyTorch for the ruler ('' to skip it)")
  args = parser.parse_args(argv)
  ours = jgan_times(args.vocab, args.repeats)
  ruler = None
  if args.torch_python:
    out = subprocess.run([args.torch_python, str(RULER), "--vocab", str(args.vocab), "--repeats",
                          str(args.repeats)], check=True, capture_output=True, text=True).stdout
    ruler = json.loads(out.strip().splitlines()[-1])
  print(f"{'iteration':<12} {'jgan s/it':>10} {'torch s/it':>11} {'speed-up':>9}")
  for name, seconds in ours.items():
    theirs = ruler[name] if ruler else float("nan")
    print(f"{name:<12} {seconds:>10.4f} {theirs:>11.4f} {theirs / seconds:>8.2f}x")
  print(json.dumps({"jgan": ours, "torch": ruler}))
  return 0


if __name__ == "__main__":
  sys.exit(main())
