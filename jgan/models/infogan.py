"""The MNIST nets of InfoGAN (Chen et al. 2016, arXiv:1606.03657, Appendix C.1, Table 1), as the authors' code
builds them (github.com/openai/InfoGAN, `infogan/models/regularized_gan.py`, network_type "mnist";
`infogan/misc/custom_ops.py` for the layers).

* Discriminator D and recognition network Q, one trunk: 4x4 conv 64 stride 2, lReLU; 4x4 conv 128 stride 2,
  batch norm, lReLU; FC 1024, batch norm, lReLU (the shared layer). D: FC 1 (a logit). Q: FC 128, batch norm,
  lReLU, FC to the codes' parameters (10 categorical logits and the means of the 2 continuous codes).
* Generator G: FC 1024, batch norm, ReLU; FC (size/4)^2 x 128, batch norm, ReLU; 4x4 transposed conv 64 stride 2,
  batch norm, ReLU; 4x4 transposed conv to the image's channels, stride 2. The output is the mean of a Bernoulli
  per pixel (`MeanBernoulli`: sigmoid of the last layer, which D is fed directly, real digits being in [0, 1]).
  jgan keeps images in [-1, 1], so G returns 2 sigmoid(a) - 1 and D maps its input back by (x + 1) / 2 before
  its first layer: D sees exactly the probabilities the authors' D sees.

Layers as `custom_ops.py`: convolutions 'SAME' (4x4 stride 2: padding 1 on each side, 28 -> 14 -> 7), kernels of
convolutions ~ truncated N(0, 0.02) (TF1's `truncated_normal_initializer`: the stddev before truncation), of
transposed convolutions and dense layers ~ N(0, 0.02), every layer with a bias starting at 0. Batch norm: batch
statistics in training, eps 1e-5, scale ~ N(1, 0.02), offset 0, running averages by `ExponentialMovingAverage(0.9)`
(Flax momentum 0.9, which is PyTorch's 0.1): `jgan.models.norms.batch_norm`. The paper gives lReLU a leak of 0.1
(Appendix C); the code's `leaky_rectify` defaults to 0.01 (`leak` below; 0.1 by default).

Widths scale with `features` (the first conv's channels in D, the last hidden layer's in G; 64 is the paper):
D 64 -> 128 -> 1024 (16 x), Q 128 (2 x); G 1024 (16 x) -> 128 (2 x) -> 64.
"""

from __future__ import annotations

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp

from jgan.models import layers
from jgan.models.norms import batch_norm

PAPER_FEATURES = 64
WEIGHT_INIT = nn.initializers.normal(0.02)
CONV_INIT = nn.initializers.truncated_normal(0.02)  # TF1 truncated_normal_initializer(stddev=0.02)


def check_shape(shape: tuple[int, ...]) -> None:
  """Images (size, size, channels) whose side is a multiple of 4 (two stride-2 layers), e.g. 28 for MNIST."""
  if len(shape) != 3 or shape[0] != shape[1] or shape[0] % 4 or shape[0] < 4:
    raise ValueError(f"the infogan arch makes square images whose side is a multiple of 4 (28 for the digits: "
                     f"image_size 28), not samples of shape {tuple(shape)}")


class Generator(nn.Module):
  """[z, c] (batch, latent) -> images (batch, size, size, channels) in [-1, 1]: 2 p - 1, p the Bernoulli mean."""

  image_size: int = 28
  channels: int = 1
  features: int = PAPER_FEATURES
  axis_name: str | None = None

  @nn.compact
  def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
    norm = functools.partial(batch_norm, train, self.axis_name)
    dense = functools.partial(nn.Dense, kernel_init=WEIGHT_INIT)
    side, width = self.image_size // 4, 2 * self.features
    x = nn.relu(norm()(dense(16 * self.features)(z)))
    x = nn.relu(norm()(dense(side * side * width)(x)))
    x = x.reshape(z.shape[0], side, side, width)
    # TF's conv2d_transpose 'SAME' with 4x4 stride 2 doubles the side: a stride-2 dilated input padded by 2.
    up = functools.partial(layers.ConvTranspose, kernel_size=(4, 4), strides=(2, 2), padding=((2, 2), (2, 2)),
                           kernel_init=WEIGHT_INIT)
    x = nn.relu(norm()(up(self.features)(x)))
    logits = up(self.channels)(x)
    return 2.0 * nn.sigmoid(logits) - 1.0


class Discriminator(nn.Module):
  """images in [-1, 1] -> (logit (batch,), Q's code parameters (batch, extra_outputs)); the logit alone when
  `extra_outputs` is 0. Q's head sits on the shared FC-1024 layer, as in the paper."""

  features: int = PAPER_FEATURES
  extra_outputs: int = 0
  axis_name: str | None = None
  leak: float = 0.1

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool):
    norm = functools.partial(batch_norm, train, self.axis_name)
    dense = functools.partial(nn.Dense, kernel_init=WEIGHT_INIT)
    lrelu = functools.partial(nn.leaky_relu, negative_slope=self.leak)
    conv = functools.partial(layers.Conv, kernel_size=(4, 4), strides=(2, 2), padding=((1, 1), (1, 1)),
                             kernel_init=CONV_INIT)
    x = (x + 1.0) / 2.0  # the Bernoulli means (and real pixels) in [0, 1], as the authors' D sees them
    x = lrelu(conv(self.features)(x))
    self.sow("intermediates", "features", x)
    x = lrelu(norm()(conv(2 * self.features)(x)))
    self.sow("intermediates", "features", x)
    shared = lrelu(norm()(dense(16 * self.features)(x.reshape(x.shape[0], -1))))
    self.sow("intermediates", "features", shared)
    logit = dense(1, name="output")(shared)[:, 0]
    if not self.extra_outputs:
      return logit
    q = lrelu(norm()(dense(2 * self.features)(shared)))
    return logit, dense(self.extra_outputs, name="q")(q)


def build(*, shape: tuple[int, ...], generator_features: int, critic_features: int, extra_outputs: int = 0,
          axis_name: str | None = None) -> tuple[nn.Module, nn.Module]:
  """(generator, discriminator) for images of `shape`; `jgan.models.registry.build` calls it for arch 'infogan'."""
  check_shape(tuple(shape))
  return (Generator(image_size=shape[0], channels=shape[2], features=generator_features, axis_name=axis_name),
          Discriminator(features=critic_features, extra_outputs=extra_outputs, axis_name=axis_name))
