"""SRResNet (Ledig et al. 2017, arXiv:1609.04802): a residual network trained for 4x super-resolution with MSE.

    python -m jgan.experiments.srresnet [--dataset photos|digits|FOLDER] [--steps N] [--out DIR]
    python -m jgan.experiments.srresnet evaluate DIR [--split test]

The first trains (every config field is a flag; the defaults are the paper's SRResNet-MSE: 16 residual blocks, two
x2 sub-pixel stages, bicubic-downsampled inputs in [0, 1], Adam 1e-4 beta1 0.9, batch 16) on crops of the offline
training photographs. Writes under --out: metrics.jsonl, tensorboard/, samples/step_*.png (validation
low | bicubic | super-resolved | high), checkpoints/. The second scores the run's latest checkpoint on a split
(PSNR and SSIM on the Y channel with a border of `scale` pixels removed, sharpness; the same for bicubic upscaling)
and writes DIR/scores_<split>.json. SRGAN starts from such a run: python -m jgan.experiments.srgan --init-from DIR.
Upscale your own images: python -m jgan.upscale --checkpoint DIR IMAGE... --out DIR.
Config: jgan/superres/config.py; step: jgan/superres/srgan.py; nets: jgan/models/srresnet.py.
"""

from __future__ import annotations

import sys

from jgan.configs.presets import Preset
from jgan.superres import cli
from jgan.superres.config import SuperResolutionConfig


def get_config() -> SuperResolutionConfig:
  """SRResNet-MSE as the paper trains it, on 64x64 crops of the offline photographs (the paper: 96x96 crops of
  ImageNet for 1e6 updates; a 2-core CPU affords a few thousand)."""
  return SuperResolutionConfig(dataset="photos", image_size=64, adversarial_weight=0.0, content="mse", steps=20_000,
                               sample_every=500, checkpoint_every=500, eval_every=500, eval_samples=1)



# `--preset fast` (jgan.configs.presets): the changes to the recipe above, and why.
PRESETS = {"fast": Preset("sharp 4x upscalings in a few minutes: the digits (7x7 -> 28x28) instead of the "
                          "photographs, 1,000 iterations (experiments/superres/ trains 2,000)",
                          dict(dataset="digits", image_size=28, eval_samples=1000, steps=1000, eval_every=250,
                               sample_every=250, checkpoint_every=250))}


def main(argv: list[str] | None = None) -> int:
  return cli.main("srresnet", get_config(), __doc__, argv, presets=PRESETS)


if __name__ == "__main__":
  sys.exit(main())
