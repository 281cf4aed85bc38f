"""SeqGAN (Yu et al. 2017, "SeqGAN: Sequence Generative Adversarial Nets with Policy Gradient", arXiv:1609.05473):
an LSTM policy trained by policy gradient, its rewards a CNN discriminator's scores of Monte Carlo rollouts.

    python -m jgan.experiments.seqgan --task oracle                       # the synthetic benchmark (NLL-oracle)
    python -m jgan.experiments.seqgan --task text --dataset tang_poems    # the Tang poems' lines (BLEU)
    python -m jgan.experiments.seqgan --task text --dataset FILE.txt [--token-unit word]
    python -m jgan.experiments.seqgan evaluate DIR [--split test]
    python -m jgan.generate_text --checkpoint DIR --num 10 [--temperature 0.8]

The defaults are the paper's and its official code's (jgan/seqgan/config.py): 120 MLE epochs, 50 discriminator
rounds, 200 adversarial epochs with 16 rollouts per prefix and a rollout policy updated at rate 0.8. An MLE baseline
is `--pretrain-d-rounds 0 --steps N --pretrain-g-epochs N`. The Tang poems are built once from Debian's fortunes-zh
(python -m jgan.data.build_tang_poems). The budgets used on a 2-core CPU are in experiments/seqgan/run.py.
"""

from __future__ import annotations

import sys

from jgan.seqgan import cli
from jgan.seqgan.config import SeqGANConfig


def get_config() -> SeqGANConfig:
  """SeqGAN as the paper and its official code train it on the oracle."""
  return SeqGANConfig()


def main(argv: list[str] | None = None) -> int:
  return cli.main("seqgan", get_config(), __doc__, argv)


if __name__ == "__main__":
  sys.exit(main())
