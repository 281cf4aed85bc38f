"""SRGAN (Ledig et al. 2017, arXiv:1609.04802): super-resolution with a content loss in a feature space plus an
adversarial loss, started from a trained SRResNet.

    python -m jgan.experiments.srgan --init-from SRRESNET_DIR [--content vgg54 --feature-weights VGG19.h5]
    python -m jgan.experiments.srgan evaluate DIR [--split test]

The defaults are the paper's SRGAN: generator from SRResNet-MSE (`--init-from`), content loss on VGG19's relu5_4
features rescaled by 1/12.75 ("VGG54") plus 1e-3 times -log D(G(x)), the 8-convolution discriminator, Adam beta1
0.9 at 1e-4 then 1e-5 (`--learning-rate-drop-at`), batch 16. No VGG weights ship or download: pass the Keras
`vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5` (or a file from `python -m jgan.models.vgg convert`) with
--content vgg54 --feature-weights FILE. Offline the default content loss is the pixel MSE (the paper's SRGAN-MSE);
`--content rotation` takes features from a network trained at the start on the same training images to predict
their rotation (`jgan.superres.feature_net`): a substitute for VGG, not VGG, which learns on the digits but not on
the photographs' crops (its rotation accuracy is in config.json).
Config: jgan/superres/config.py; step: jgan/superres/srgan.py; nets: jgan/models/srresnet.py, jgan/models/vgg.py.
"""

from __future__ import annotations

import sys

from jgan.superres import cli
from jgan.superres.config import SuperResolutionConfig


def get_config() -> SuperResolutionConfig:
  """SRGAN as the paper trains it, on 64x64 crops of the offline photographs, with the pixel MSE as its content loss
  (the paper's SRGAN-MSE, Table 1): the paper's VGG54 needs a VGG19 file (--content vgg54 --feature-weights FILE),
  and the offline rotation features learn nothing on these photographs (they do on the digits: --dataset digits
  --image-size 28 --content rotation)."""
  return SuperResolutionConfig(dataset="photos", image_size=64, adversarial_weight=1e-3, content="mse",
                               steps=20_000, learning_rate_drop_at=10_000, sample_every=500, checkpoint_every=500,
                               eval_every=500, eval_samples=1)


def main(argv: list[str] | None = None) -> int:
  return cli.main("srgan", get_config(), __doc__, argv)


if __name__ == "__main__":
  sys.exit(main())
