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

from jgan.configs.presets import Preset
from jgan.seqgan import cli
from jgan.seqgan.config import SeqGANConfig


def get_config() -> SeqGANConfig:
  """SeqGAN as the paper and its official code train it on the oracle."""
  return SeqGANConfig()



# `--preset fast` (jgan.configs.presets): the changes to the recipe above, and why.
PRESETS = {"fast": Preset("the whole schedule in a few minutes: 6 MLE epochs, 2 D rounds of 640 negatives, 10 "
                          "adversarial epochs with 1 D round each (experiments/seqgan/'s budget)",
                          dict(pretrain_g_epochs=6, pretrain_d_rounds=2, d_rounds=1, d_negatives=640, steps=18,
                               eval_every=2, eval_samples=2000, sample_every=4, checkpoint_every=2))}


def main(argv: list[str] | None = None) -> int:
  return cli.main("seqgan", get_config(), __doc__, argv, presets=PRESETS)


if __name__ == "__main__":
  sys.exit(main())
