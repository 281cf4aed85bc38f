"""StackGAN (Zhang et al. 2017, arXiv:1612.03242): text-to-image generation in two stages, on captioned digits.

    python -m jgan.experiments.stackgan --stage 1 --out runs/stage1            # text + z -> 16x16
    python -m jgan.experiments.stackgan --stage 2 --stage1 runs/stage1 --out runs/stage2   # + text -> 32x32
    python -m jgan.experiments.stackgan evaluate DIR [--split test]
    python -m jgan.generate --checkpoint DIR --text "a thick, slanted 7" --num 16 --grid seven.png

Each digit gets captions from its class and attributes measured on its pixels (stroke thickness, slant, width,
size), by templates with synonyms ("a thick, slanted seven"; `jgan.stackgan.captions`). A text encoder trained at
the start of Stage I, then fixed, embeds them (`jgan.stackgan.text_encoder`). Conditioning augmentation samples the
generator's condition from N(mu(phi_t), sigma(phi_t)) with a KL penalty (--kl-weight;
--no-conditioning-augmentation for the ablation). Both discriminators see the text and are matching-aware.
The paper's recipe: Adam 2e-4, beta1 0.5, rate halved every 100 of 600 epochs, batch 64, for each stage; Stage II
trained with Stage I fixed. The offline recipe below is that schedule shortened for a 2-core CPU.
Writes under --out: metrics.jsonl, tensorboard/, samples/step_*.png (10 classes across; rows: "a D", thin, thick,
left-leaning, slanted, wide, repeated with new noise; Stage II also step_*_stage1.png, the Stage-I images it refined),
checkpoints/. `evaluate` scores a checkpoint (FD and Inception score from the digit classifier, caption class
accuracy, attribute agreement) and writes DIR/scores_<split>.json.
Config: jgan/stackgan/config.py; step: jgan/stackgan/stackgan.py; nets: jgan/stackgan/nets.py.
"""

from __future__ import annotations

import sys

from jgan.stackgan import cli
from jgan.stackgan.config import StackGANConfig


def get_config() -> StackGANConfig:
  """The paper's recipe at 16x16 / 32x32 on the digits, its 600 epochs shortened to 2,000 iterations (16 epochs of
  8,000 images at batch 64), the rate halved every sixth of the run as the paper's every 100 of 600 epochs."""
  return StackGANConfig(stage=1, steps=2000, halve_every=333, sample_every=500, checkpoint_every=500,
                        eval_every=500, eval_samples=1000)


def main(argv: list[str] | None = None) -> int:
  return cli.main("stackgan", get_config(), __doc__, argv)


if __name__ == "__main__":
  sys.exit(main())
