"""StackGAN's nets (Zhang et al. 2017, arXiv:1612.03242, Sec. 3 and Figure 2), sized for 16x16 and 32x32 digits.

  * `ConditioningAugmentation` (Sec. 3.1): mu(phi_t) and log sigma^2(phi_t) from the text embedding phi_t by a fully
    connected layer, then c = mu + sigma * eps with eps ~ N(0, I) (the reparameterisation; eps is an input, so nets
    stay pure functions of their inputs). Its KL term, D_KL(N(mu, sigma^2) || N(0, I)), is `kl_divergence`. With
    `augment` off (the ablation of Sec. 5.2) c is a deterministic dense map of phi_t and the KL is 0.
  * `StageOneGenerator` (Sec. 3.2): [c, z] -> dense to 4x4 -> up-sampling blocks (nearest x2, 3x3 conv, batch norm,
    ReLU) -> 16x16 image (tanh).
  * `StageTwoGenerator` (Sec. 3.3): the Stage-I image is down-sampled by stride-2 convolutions to 8x8, the text
    condition c (from its own conditioning augmentation) is replicated spatially and concatenated, joint by a 3x3
    convolution, then residual blocks (`jgan.models.resnet.ResnetBlock`, batch norm) and up-sampling blocks to 32x32.
  * `TextDiscriminator` (Sec. 3.2 and 3.3): stride-2 4x4 convolutions (batch norm and leaky ReLU 0.2 but on the
    first) down to 4x4 (Md = 4); the embedding is compressed to `projection` dims by a dense layer, replicated to
    4x4 and concatenated, then a 1x1 convolution, batch norm, leaky ReLU, and a 4x4 convolution to one logit.
The paper's 64x64 / 256x256 sizes are reached from 4x4 by 4 / 2+4 up-samplings; these nets use 2 to 16x16 and 2 to
32x32 after Stage II's 16 -> 8 down-sampling. Widths are flags (`jgan.stackgan.config`).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from jgan.models import layers
from jgan.models.dcgan import conv_init
from jgan.models.norms import batch_norm
from jgan.models.resnet import ResnetBlock


def kl_divergence(mu: jax.Array, log_var: jax.Array) -> jax.Array:
  """Per-example D_KL(N(mu, diag(exp(log_var))) || N(0, I)), the conditioning augmentation's regulariser (Eq. 3)."""
  return 0.5 * jnp.sum(jnp.exp(log_var) + jnp.square(mu) - 1.0 - log_var, axis=-1)


def _conv(features: int, kernel: int, stride: int = 1, padding: int | None = None, use_bias: bool = False,
          name: str | None = None) -> layers.Conv:
  """A convolution without bias by default (batch norm follows); `padding` None: 'same' for stride 1."""
  pads = ((kernel - 1) // 2, kernel // 2) if padding is None else (padding, padding)
  return layers.Conv(features, (kernel, kernel), (stride, stride), padding=(pads, pads), use_bias=use_bias,
                     kernel_init=conv_init, name=name)


def _upsample(x: jax.Array) -> jax.Array:
  """Nearest-neighbour x2 (the paper's up-sampling blocks: nearest up-sampling, then a 3x3 convolution)."""
  return jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)


class ConditioningAugmentation(nn.Module):
  """(embedding (N, E), eps (N, features)) -> (c, mu, log_var), each (N, features)."""

  features: int
  augment: bool = True

  @nn.compact
  def __call__(self, embedding: jax.Array, eps: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    if not self.augment:
      c = nn.relu(nn.Dense(self.features, name="fc")(embedding))
      zeros = jnp.zeros_like(c)
      return c, zeros, zeros  # mu 0 and sigma 1: a KL of exactly 0
    h = nn.Dense(2 * self.features, name="fc")(embedding)
    mu, log_var = h[:, :self.features], h[:, self.features:]
    return mu + jnp.exp(0.5 * log_var) * eps, mu, log_var


class _UpBlock(nn.Module):
  features: int
  axis_name: str | None = None

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    x = _conv(self.features, 3, name="conv")(_upsample(x))
    return nn.relu(batch_norm(train, self.axis_name, name="norm")(x))


class StageOneGenerator(nn.Module):
  """(embedding (N, E), z (N, noise), eps (N, condition)) -> (image (N, 16, 16, C) in [-1, 1], mu, log_var)."""

  features: int = 32  # the width at 16x16 (Ng of the paper's Stage I: 128 at 64x64); 4x that at 4x4
  condition: int = 128  # Ng: dimension of c
  channels: int = 1
  augment: bool = True
  axis_name: str | None = None

  @nn.compact
  def __call__(self, inputs, *, train: bool):
    embedding, z, eps = inputs
    c, mu, log_var = ConditioningAugmentation(self.condition, self.augment, name="ca")(embedding, eps)
    h = nn.Dense(4 * 4 * 4 * self.features, use_bias=False, kernel_init=conv_init, name="fc")(
        jnp.concatenate([c, z], axis=-1))
    h = nn.relu(batch_norm(train, self.axis_name, name="fc_norm")(h)).reshape(-1, 4, 4, 4 * self.features)
    h = _UpBlock(2 * self.features, self.axis_name, name="up_0")(h, train=train)  # 8x8
    h = _UpBlock(self.features, self.axis_name, name="up_1")(h, train=train)  # 16x16
    image = jnp.tanh(_conv(self.channels, 3, use_bias=True, name="out")(h))
    return image, mu, log_var


class StageTwoGenerator(nn.Module):
  """(Stage-I image (N, 16, 16, C), embedding (N, E), eps (N, condition)) -> (image (N, 32, 32, C), mu, log_var)."""

  features: int = 32  # the width at 16x16; twice that at 8x8 (the residual blocks), half at 32x32
  condition: int = 128
  blocks: int = 2  # residual blocks at 8x8 (the paper's code: 4 at 16x16)
  channels: int = 1
  augment: bool = True
  axis_name: str | None = None

  @nn.compact
  def __call__(self, inputs, *, train: bool):
    low, embedding, eps = inputs
    c, mu, log_var = ConditioningAugmentation(self.condition, self.augment, name="ca")(embedding, eps)
    wide = 2 * self.features
    h = nn.relu(_conv(self.features, 3, use_bias=True, name="in")(low))  # 16x16, no norm on the first (the code)
    h = _conv(wide, 4, stride=2, padding=1, name="down")(h)  # 8x8
    h = nn.relu(batch_norm(train, self.axis_name, name="down_norm")(h))
    tiled = jnp.broadcast_to(c[:, None, None, :], h.shape[:3] + (c.shape[-1],))
    h = _conv(wide, 3, name="joint")(jnp.concatenate([h, tiled], axis=-1))
    h = nn.relu(batch_norm(train, self.axis_name, name="joint_norm")(h))
    for i in range(self.blocks):
      h = ResnetBlock(wide, norm="batch", padding="zero", axis_name=self.axis_name, name=f"residual_{i}")(
          h, train=train)
    h = _UpBlock(self.features, self.axis_name, name="up_0")(h, train=train)  # 16x16
    h = _UpBlock(max(self.features // 2, 1), self.axis_name, name="up_1")(h, train=train)  # 32x32
    image = jnp.tanh(_conv(self.channels, 3, use_bias=True, name="out")(h))
    return image, mu, log_var


class TextDiscriminator(nn.Module):
  """(image (N, S, S, C) with S = 4 * 2^downsamples, embedding (N, E)) -> logits (N,): is the image real AND
  described by the text (matching-aware: `jgan.stackgan.stackgan.matching_aware_discriminator_loss`)."""

  features: int = 32  # the first convolution's width, doubled by each further one
  downsamples: int = 2  # stride-2 convolutions to the 4x4 map: 2 from 16x16 (Stage I), 3 from 32x32 (Stage II)
  projection: int = 64  # Nd: the compressed embedding
  axis_name: str | None = None

  @nn.compact
  def __call__(self, inputs, *, train: bool) -> jax.Array:
    image, embedding = inputs
    h = image
    for i in range(self.downsamples):
      h = _conv(self.features * 2 ** i, 4, stride=2, padding=1, use_bias=i == 0, name=f"down_{i}")(h)
      if i:
        h = batch_norm(train, self.axis_name, name=f"down_norm_{i}")(h)
      h = nn.leaky_relu(h, 0.2)
    if h.shape[1:3] != (4, 4):
      raise ValueError(f"the discriminator's {self.downsamples} down-samplings leave {h.shape[1:3]}, not 4x4")
    t = nn.leaky_relu(nn.Dense(self.projection, name="text")(embedding), 0.2)
    h = jnp.concatenate([h, jnp.broadcast_to(t[:, None, None, :], h.shape[:3] + (t.shape[-1],))], axis=-1)
    h = _conv(h.shape[-1] - t.shape[-1], 1, name="joint")(h)
    h = nn.leaky_relu(batch_norm(train, self.axis_name, name="joint_norm")(h), 0.2)
    return _conv(1, 4, padding=0, use_bias=True, name="logit")(h).reshape(-1)
