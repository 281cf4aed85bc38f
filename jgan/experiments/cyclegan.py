"""CycleGAN (Zhu et al. 2017, arXiv:1703.10593): unpaired image-to-image translation with cycle consistency.

    python -m jgan.experiments.cyclegan [--dataset digits+mnist_m|uci_digits+digits|FOLDER] [--cycle both|forward|
        backward|none] [--gan-weight 0] [--steps N] [--out DIR]
    python -m jgan.experiments.cyclegan evaluate DIR [--split test]

The first trains (every config field is a flag; the defaults are the paper's recipe at 32x32 on the offline
digits <-> MNIST-M domains: ResNet generators with 6 blocks (the paper's choice below 256x256), 70x70 PatchGANs,
least-squares GAN loss, cycle lambda 10, identity 0.5 lambda, pools of 50, Adam 2e-4 beta1 0.5 constant then
linearly to 0 over the second half, batch 1). Writes under --out: metrics.jsonl, tensorboard/, samples/step_*.png
(validation input | translation | reconstruction, A rows then B rows), checkpoints/. The second scores a split:
the target-domain classifier's accuracy on translations in each direction and the cycle reconstruction error.
Config: jgan/translation/config.py; step: jgan/translation/cyclegan.py; nets: jgan/models/resnet.py, patchgan.py.
"""

from __future__ import annotations

import sys

from jgan.configs.presets import Preset
from jgan.translation import cli
from jgan.translation.config import CycleGANConfig


def get_config() -> CycleGANConfig:
  """The paper's recipe on the offline unpaired domains (32x32: 6 residual blocks, jitter 36 -> 32)."""
  return CycleGANConfig(dataset="digits+mnist_m", image_size=32, load_size=36, generator_blocks=6, steps=50_000,
                        decay_steps=25_000, sample_every=1000, checkpoint_every=5000)



# `--preset fast` (jgan.configs.presets): the changes to the recipe above, and why.
PRESETS = {"fast": Preset("translations that start to take the other domain's look in a few minutes: nets of width "
                          "32, batch 8, 400 iterations, the rate decayed over the last 200 (the budget of "
                          "experiments/translation/)",
                          dict(batch_size=8, generator_features=32, discriminator_features=32, steps=400,
                               decay_steps=200, sample_every=100, checkpoint_every=200))}


def main(argv: list[str] | None = None) -> int:
  return cli.main("cyclegan", get_config(), __doc__, argv, presets=PRESETS)


if __name__ == "__main__":
  sys.exit(main())
