"""The progressive generator and discriminator (Karras et al. 2018, arXiv:1710.10196, Sec. 2-4 and Table 2).

* Equalised learning rate (Sec. 4.1): weights are drawn from N(0, 1) and scaled at run time by He's constant
  c = gain / sqrt(fan_in), so Adam's scale-invariant updates move every layer at the same speed.
* Pixel-wise feature normalisation (Sec. 4.2): b = a / sqrt(mean_j a_j^2 + 1e-8) over the channels of each pixel,
  after every convolution of the generator (and on the latent code).
* Minibatch standard deviation (Sec. 3): the standard deviation of each feature at each pixel over a group of
  examples, averaged to one number per group and appended as a constant feature map before the last block.
* Fade-in (Sec. 2, Fig. 2): while a block of resolution R is faded in, the output is
  (1 - alpha) * upsample(toRGB_{R/2}(x_{R/2})) + alpha * toRGB_R(block_R(x_{R/2})), and the discriminator sees
  (1 - alpha) * fromRGB_{R/2}(downsample(image)) + alpha * block_R(fromRGB_R(image)).

Both nets hold the blocks of every resolution from initialisation on (parameters of blocks not yet used get zero
gradients), so one state with one structure covers every stage: a checkpoint of any stage restores into it.
Layer widths follow the official code: nf(stage) = min(feature_base / 2^stage, feature_max), the block at
resolution 2^k using nf(k - 1).
"""

from __future__ import annotations

import math

import flax.linen as nn
import jax
import jax.numpy as jnp

SQRT2 = math.sqrt(2.0)


def he_constant(fan_in: int, gain: float = SQRT2) -> float:
  """He et al.'s per-layer normalisation constant gain / sqrt(fan_in), applied at run time (Sec. 4.1)."""
  return gain / math.sqrt(fan_in)


class EqualizedDense(nn.Module):
  """x @ (c W) + b with W ~ N(0, 1) stored and c = `he_constant(fan_in, gain)` applied at every call."""

  features: int
  gain: float = SQRT2

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    fan_in = x.shape[-1]
    kernel = self.param("kernel", nn.initializers.normal(1.0), (fan_in, self.features))
    bias = self.param("bias", nn.initializers.zeros, (self.features,))
    return x @ (kernel * he_constant(fan_in, self.gain)) + bias


class EqualizedConv(nn.Module):
  """A stride-1 'same' convolution (NHWC) with weights N(0, 1) scaled by `he_constant(k * k * C_in, gain)`."""

  features: int
  kernel_size: int = 3
  gain: float = SQRT2

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    k, channels = self.kernel_size, x.shape[-1]
    kernel = self.param("kernel", nn.initializers.normal(1.0), (k, k, channels, self.features))
    bias = self.param("bias", nn.initializers.zeros, (self.features,))
    kernel = kernel * he_constant(k * k * channels, self.gain)
    y = jax.lax.conv_general_dilated(x, kernel, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
    return y + bias


def pixel_norm(x: jax.Array, epsilon: float = 1e-8) -> jax.Array:
  """Each pixel's feature vector divided by its root mean square over the channels (Sec. 4.2, epsilon 1e-8)."""
  return x * jax.lax.rsqrt(jnp.mean(jnp.square(x), axis=-1, keepdims=True) + epsilon)


def minibatch_stddev(x: jax.Array, group_size: int = 4) -> jax.Array:
  """(N, H, W, C) -> (N, H, W, C + 1): the official layer. Examples are split into groups of `group_size` (example n
  in group n mod N/G); per group, the standard deviation of every feature at every pixel, averaged over features and
  pixels, is one number, appended as a constant feature map to each of the group's examples."""
  n, h, w, c = x.shape
  group = min(group_size, n)
  if n % group:
    raise ValueError(f"minibatch stddev: batch {n} is not divisible by the group size {group}")
  y = x.reshape(group, n // group, h, w, c).astype(jnp.float32)
  y = y - jnp.mean(y, axis=0, keepdims=True)
  y = jnp.sqrt(jnp.mean(jnp.square(y), axis=0) + 1e-8)  # (M, H, W, C)
  y = jnp.mean(y, axis=(1, 2, 3))  # (M,)
  y = jnp.tile(y, group)[:, None, None, None]  # example n gets group n mod M's value
  return jnp.concatenate([x, jnp.broadcast_to(y, (n, h, w, 1)).astype(x.dtype)], axis=-1)


def upscale(x: jax.Array, factor: int = 2) -> jax.Array:
  """Nearest-neighbour upsampling (N, H, W, C) -> (N, fH, fW, C), as the official code."""
  return jnp.repeat(jnp.repeat(x, factor, axis=1), factor, axis=2)


def downscale(x: jax.Array, factor: int = 2) -> jax.Array:
  """Box (average-pool) downsampling (N, H, W, C) -> (N, H/f, W/f, C)."""
  n, h, w, c = x.shape
  return jnp.mean(x.reshape(n, h // factor, factor, w // factor, factor, c), axis=(2, 4))


def lerp(a: jax.Array, b: jax.Array, t: jax.Array) -> jax.Array:
  """a + (b - a) t: a at t = 0, b at t = 1."""
  return a + (b - a) * t


def features_at(stage: int, feature_base: int, feature_max: int) -> int:
  """nf(stage) = min(feature_base / 2^stage, feature_max), at least 1 (the official `nf`, fmap_decay 1)."""
  return max(1, min(int(feature_base / 2.0 ** stage), feature_max))


def resolutions(start_size: int, image_size: int) -> list[int]:
  """start_size, 2 start_size, ..., image_size."""
  return [start_size * 2 ** i for i in range(int(math.log2(image_size // start_size)) + 1)]


def _lrelu(x: jax.Array) -> jax.Array:
  return nn.leaky_relu(x, 0.2)


class ProgressiveGenerator(nn.Module):
  """z (N, latent) -> images (N, R, R, channels) at `resolution` R (default image_size), fading from R / 2 when
  `fading` (then `alpha` in [0, 1] weighs the new block). Layout of the paper's Table 2: pixel-normalised z, a dense
  layer to start_size^2 maps (gain sqrt(2)/4, as the official code), 3x3 conv; then per resolution nearest
  upsampling and two 3x3 convs, each followed by leaky ReLU 0.2 and pixel norm; toRGB a linear 1x1 conv (gain 1)."""

  image_size: int
  channels: int
  feature_base: int = 8192
  feature_max: int = 512
  start_size: int = 4
  examples_independent = True

  def nf(self, resolution: int) -> int:
    return features_at(int(math.log2(resolution)) - 1, self.feature_base, self.feature_max)

  @nn.compact
  def __call__(self, z: jax.Array, train: bool = False, *, resolution: int | None = None, fading: bool = False,
               alpha: jax.Array | float = 1.0) -> jax.Array:
    del train  # no batch statistics, no dropout
    resolution = resolution or self.image_size
    init = self.is_initializing()  # every block and every toRGB is created at initialisation
    s = self.start_size
    x = pixel_norm(z)
    x = EqualizedDense(self.nf(s) * s * s, gain=SQRT2 / 4, name=f"dense_{s}")(x).reshape(-1, s, s, self.nf(s))
    x = pixel_norm(_lrelu(x))
    x = pixel_norm(_lrelu(EqualizedConv(self.nf(s), name=f"conv_{s}")(x)))
    rgb = {}
    for res in resolutions(s, self.image_size):
      if res > s:
        x = upscale(x)
        x = pixel_norm(_lrelu(EqualizedConv(self.nf(res), name=f"conv0_{res}")(x)))
        x = pixel_norm(_lrelu(EqualizedConv(self.nf(res), name=f"conv1_{res}")(x)))
      if init or res == resolution or (fading and res == resolution // 2):
        rgb[res] = EqualizedConv(self.channels, 1, gain=1.0, name=f"to_rgb_{res}")(x)
      if res == resolution and not init:
        break
    out = rgb[resolution]
    if fading:
      out = lerp(upscale(rgb[resolution // 2]), out, alpha)
    return out


class ProgressiveDiscriminator(nn.Module):
  """images (N, R, R, channels) at any resolution R of the schedule -> critic values (N,). Mirror of the generator:
  fromRGB (1x1 conv, leaky ReLU), per resolution two 3x3 convs and a 2x2 average pool; at start_size the minibatch
  stddev map, a 3x3 conv, a dense layer over the start_size^2 maps and a linear output (gain 1). No normalisation
  (Sec. 4). With `fading`, the block of R is faded in over the path from R / 2 with weight `alpha`."""

  image_size: int
  channels: int
  feature_base: int = 8192
  feature_max: int = 512
  start_size: int = 4
  mbstd_group: int = 4

  def nf(self, resolution: int) -> int:
    return features_at(int(math.log2(resolution)) - 1, self.feature_base, self.feature_max)

  def block(self, x: jax.Array, res: int) -> jax.Array:
    x = _lrelu(EqualizedConv(self.nf(res), name=f"conv0_{res}")(x))
    x = _lrelu(EqualizedConv(self.nf(res // 2), name=f"conv1_{res}")(x))
    return downscale(x)

  @nn.compact
  def __call__(self, images: jax.Array, train: bool = False, *, fading: bool = False,
               alpha: jax.Array | float = 1.0) -> jax.Array:
    del train
    resolution, s = images.shape[1], self.start_size
    from_rgb = lambda image, res: _lrelu(EqualizedConv(self.nf(res), 1, name=f"from_rgb_{res}")(image))
    if self.is_initializing():  # create every fromRGB, on the images brought to each resolution
      small = images
      for res in reversed(resolutions(s, resolution)[:-1]):
        small = downscale(small)
        from_rgb(small, res)
    x = from_rgb(images, resolution)
    res = resolution
    if res > s:
      x = self.block(x, res)
      if fading:
        x = lerp(from_rgb(downscale(images), res // 2), x, alpha)
      res //= 2
    while res > s:
      x = self.block(x, res)
      res //= 2
    x = minibatch_stddev(x, self.mbstd_group)
    x = _lrelu(EqualizedConv(self.nf(s), name=f"conv_{s}")(x))
    x = _lrelu(EqualizedDense(self.nf(s // 2) if s > 2 else self.nf(s), name=f"dense0_{s}")(x.reshape(len(x), -1)))
    return EqualizedDense(1, gain=1.0, name="dense_out")(x)[:, 0]


def conv_macs(image_size: int, channels: int, feature_base: int, feature_max: int, start_size: int,
              resolution: int) -> float:
  """Multiply-accumulates of one generator and one discriminator forward pass per example at `resolution`: the
  relative cost of a stage's iteration (`jgan.progan.schedule`)."""
  g = ProgressiveGenerator(image_size, channels, feature_base, feature_max, start_size)
  total = 0.0
  for res in resolutions(start_size, resolution):
    n = g.nf(res)
    cin = g.nf(res // 2) if res > start_size else n
    total += res * res * 9 * (cin * n + n * n)  # G's two convs
    total += res * res * 9 * (n * n + n * g.nf(res // 2) if res > start_size else (n + 1) * n)  # D's mirror
  return total + 2 * resolution * resolution * channels * g.nf(resolution)  # toRGB and fromRGB
