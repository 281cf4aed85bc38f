"""The image-to-image layers: instance norm, the pix2pix U-Net and PatchGAN, the CycleGAN ResNet generator and
the image pool, against the PyTorch ruler (perf-reference/apps_torch.py), hand computations and the papers."""

from __future__ import annotations

import functools
import math

import chex
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jgan.models import image_pool, layers, norms
from jgan.models.patchgan import PatchDiscriminator, patch_layers, receptive_field
from jgan.models.resnet import UP_PADDING, ResnetBlock, ResnetGenerator, pad
from jgan.models.unet import UNetGenerator, default_levels, skip_shapes, unet_levels


def _variables_shapes(module, x_shape, dtype=jnp.float32):
  """Shapes of `module`'s variables on an input of `x_shape`, computed without running anything."""
  return jax.eval_shape(functools.partial(module.init, train=False), jax.random.PRNGKey(0),
                        jax.ShapeDtypeStruct(x_shape, dtype))


def _count(tree) -> int:
  return sum(math.prod(leaf.shape) for leaf in jax.tree.leaves(tree))


def _init(module, x, seed: int = 0):
  """Variables for `module` on x without compiling its `init` (XLA:CPU's compile time is most of these tests'):
  kernels ~ N(0, 1 / fan-in), so that signals keep their scale through the layers, norm scales and running
  variances 1, biases, offsets and running means 0."""
  rng = np.random.default_rng(seed)

  def value(path, leaf):
    name = path[-1].key
    if name == "kernel":
      return jnp.asarray(rng.normal(size=leaf.shape) / math.sqrt(math.prod(leaf.shape[:-1])), leaf.dtype)
    return (jnp.ones if name in ("scale", "var") else jnp.zeros)(leaf.shape, leaf.dtype)

  return jax.tree_util.tree_map_with_path(value, _variables_shapes(module, x.shape))


def _inputs(shape, seed: int = 0) -> jax.Array:
  return jnp.asarray(np.random.default_rng(seed).uniform(-1, 1, size=shape), jnp.float32)


# ------------------------------------------------------------------------------------------------ the ruler
# Parameter lists of the ruler's nets, read off its constructors line by line: ('conv', kernel (kh, kw, in, out)),
# ('bias', (c,)) for a convolution's bias, ('norm', (c,)) for a batch norm's scale-and-offset pair. PyTorch's
# Conv2d weight (out, in, kh, kw) and ConvTranspose2d weight (in, out, kh, kw) both map to Flax's (kh, kw, in, out).

def _torch_conv(in_ch, out_ch, k, bias=True):
  return [("conv", (k, k, in_ch, out_ch))] + ([("bias", (out_ch,))] if bias else [])


def _torch_unet_level(outer, inner, inner_level=None, in_ch=None, outermost=False):
  """`UNetLevel.__init__`: its parameters (inner levels' included)."""
  in_ch = in_ch or outer
  down = _torch_conv(in_ch, inner, 4, bias=False)
  if not outermost:
    down = down + ([("norm", (inner,))] if inner_level else [])
  up_in = inner if inner_level is None else inner * 2
  up = _torch_conv(up_in, outer, 4, bias=outermost)
  up += [] if outermost else [("norm", (outer,))]
  return down + (inner_level or []) + up


def _torch_unet(size, in_ch=3, out_ch=3, ngf=64):
  """`unet(size)`; also the dropout flags of its levels by depth, as `unet` sets them."""
  levels = int(math.log2(size))
  widths = [min(ngf * 2**i, ngf * 8) for i in range(levels)]
  block = _torch_unet_level(widths[levels - 2], widths[levels - 1])
  dropout = {levels - 1: False}
  for d in range(levels - 2, 0, -1):
    dropout[d] = d >= levels - 4 and widths[d - 1] == ngf * 8
    block = _torch_unet_level(widths[d - 1], widths[d], block)
  dropout[0] = False
  return _torch_unet_level(out_ch, widths[0], block, in_ch=in_ch, outermost=True), dropout


def _torch_patchgan(in_ch, ndf=64):
  """`patchgan(in_ch)` with batch norm."""
  params, c = _torch_conv(in_ch, ndf, 4), ndf
  for _ in (2, 2, 1):
    params += _torch_conv(c, min(c * 2, 512), 4, bias=False) + [("norm", (min(c * 2, 512),))]
    c = min(c * 2, 512)
  return params + _torch_conv(c, 1, 4)


def _torch_resnet_generator(blocks, ngf=64):
  """`resnet_generator(blocks)`: every convolution has a bias, InstanceNorm2d (affine=False) has no parameters."""
  params = _torch_conv(3, ngf, 7) + _torch_conv(ngf, 2 * ngf, 3) + _torch_conv(2 * ngf, 4 * ngf, 3)
  params += blocks * (_torch_conv(4 * ngf, 4 * ngf, 3) + _torch_conv(4 * ngf, 4 * ngf, 3))
  params += _torch_conv(4 * ngf, 2 * ngf, 3) + _torch_conv(2 * ngf, ngf, 3) + _torch_conv(ngf, 3, 7)
  return params


def _torch_count(params) -> int:
  return sum(math.prod(shape) * (2 if kind == "norm" else 1) for kind, shape in params)


def _ours(params) -> list[tuple[str, tuple[int, ...]]]:
  """Our parameters in the ruler's terms: a kernel is a 'conv', a scale a 'norm' (its offset, also named 'bias',
  goes with it), any other bias a convolution's."""
  out = []
  for path, leaf in jax.tree_util.tree_leaves_with_path(params):
    names = [getattr(k, "key", str(k)) for k in path]
    is_norm = "norm" in names[-2]
    if names[-1] == "kernel":
      out.append(("conv", leaf.shape))
    elif names[-1] == "scale":
      out.append(("norm", leaf.shape))
    elif names[-1] == "bias" and not is_norm:
      out.append(("bias", leaf.shape))
  return out


def _same_parameters(ours, ruler):
  assert sorted(ours) == sorted(ruler)


@pytest.mark.parametrize("net", ["unet", "patchgan", "resnet"])
def test_parameters_match_the_ruler_layer_for_layer(net: str):
  """At the paper's 256x256: every kernel shape, bias and norm of the ruler's net, and its stated count."""
  if net == "unet":
    module, shape, ruler, millions = UNetGenerator(3), (1, 256, 256, 3), _torch_unet(256)[0], 54.41
  elif net == "patchgan":
    module, shape, ruler, millions = PatchDiscriminator(), (1, 256, 256, 6), _torch_patchgan(6), 2.77
  else:
    module, shape, ruler, millions = ResnetGenerator(3, blocks=9), (1, 256, 256, 3), _torch_resnet_generator(9), 11.38
  params = _variables_shapes(module, shape)["params"]
  _same_parameters(_ours(params), ruler)
  assert _count(params) == _torch_count(ruler)
  assert round(_count(params) / 1e6, 2) == millions


@pytest.mark.parametrize("size", [32, 64, 128, 256, 512])
@pytest.mark.parametrize("features", [8, 64])
def test_unet_levels_are_the_rulers(size: int, features: int):
  """Widths, norms, biases and the dropout levels (three at 256, fewer for small nets) at other sizes too."""
  ruler, dropout = _torch_unet(size, in_ch=2, out_ch=5, ngf=features)
  plan = unet_levels(default_levels(size, size), 5, features)
  assert {lv.depth: lv.dropout for lv in plan} == dropout
  if size == 256:
    assert [lv.depth for lv in plan if lv.dropout] == [4, 5, 6]
  params = _variables_shapes(UNetGenerator(5, features=features), (1, size, size, 2))["params"]
  _same_parameters(_ours(params), ruler)


# ------------------------------------------------------------------------------------------------ norms

def test_instance_norm_matches_a_hand_computation():
  """PyTorch's InstanceNorm2d: per example and channel over (H, W), biased variance, eps 1e-5, no parameters.

  A channel with a large mean checks the two-pass variance; one with a tiny spread, where eps dominates, the eps.
  """
  rng = np.random.default_rng(0)
  x = rng.normal(size=(2, 5, 6, 3))
  x[..., 1] = 300.0 + x[..., 1]
  x[..., 2] *= 1e-3
  x = x.astype(np.float32).astype(np.float64)  # the expected values of the very inputs the layer sees
  mean = x.mean(axis=(1, 2), keepdims=True)
  var = ((x - mean) ** 2).mean(axis=(1, 2), keepdims=True)
  expected = (x - mean) / np.sqrt(var + 1e-5)
  for train in (True, False):
    layer = norms.make_norm("instance", train)
    variables = layer.init(jax.random.PRNGKey(0), jnp.asarray(x, jnp.float32))
    assert not jax.tree.leaves(variables)  # affine=False and no running statistics
    out = np.asarray(layer.apply(variables, jnp.asarray(x, jnp.float32)))
    # float32 means carry an error of about 1e-7 of the mean: 3e-5 of the spread at mean 300 (E[x^2] - E[x]^2
    # would be off by about 3e-3 there).
    np.testing.assert_allclose(out[..., 1], expected[..., 1], atol=1e-4)
    np.testing.assert_allclose(out[..., ::2], expected[..., ::2], atol=2e-6)
  # Each example on its own: changing one example leaves the other's output alone.
  y = x.copy()
  y[1] *= 7.0
  out_x, out_y = (norms.instance_norm().apply({}, jnp.asarray(v, jnp.float32)) for v in (x, y))
  np.testing.assert_array_equal(np.asarray(out_x[0]), np.asarray(out_y[0]))


def test_make_norm():
  batch = norms.make_norm("batch", train=True, axis_name="batch")
  assert isinstance(batch, nn.BatchNorm)
  assert (batch.momentum, batch.epsilon, batch.use_running_average, batch.axis_name) == (0.9, 1e-5, False, "batch")
  assert norms.make_norm("batch", train=False, axis_name="batch").axis_name is None
  x = _inputs((2, 4, 4, 3))
  np.testing.assert_array_equal(np.asarray(norms.make_norm("none", True)(x)), np.asarray(x))
  with pytest.raises(ValueError, match="not one of"):
    norms.make_norm("group", True)


# ------------------------------------------------------------------------------------------------ shapes

def _train_shape(module, x, **kwargs):
  """Output shape of `module` on x in training mode, without running it."""
  return jax.eval_shape(lambda v, x: module.apply(v, x, train=True, mutable=["batch_stats"], **kwargs)[0],
                        _variables_shapes(module, x.shape), x)


@pytest.mark.parametrize("norm", ["batch", "instance", "none"])
def test_shapes(norm: str):
  """Fully convolutional: the outputs follow the input's size (non-square too), in training mode, float32."""
  x = _inputs((2, 32, 64, 3))
  for out in (_train_shape(UNetGenerator(2, features=8, norm=norm), x, dropout=False),
              _train_shape(ResnetGenerator(2, features=8, blocks=2, norm=norm), x)):
    chex.assert_shape(out, (2, 32, 64, 2))
    chex.assert_type(out, jnp.float32)
  for n_layers, expected in ((0, (32, 64)), (1, (14, 30)), (3, (2, 6))):
    out = _train_shape(PatchDiscriminator(features=8, layers=n_layers, norm=norm), x)
    chex.assert_shape(out, (2, *expected, 1))
    chex.assert_type(out, jnp.float32)
  block = ResnetBlock(8, norm=norm)
  h = _inputs((2, 8, 8, 8))
  chex.assert_shape(jax.eval_shape(lambda v, h: block.apply(v, h, train=False), _variables_shapes(block, h.shape), h),
                    (2, 8, 8, 8))


def test_resnet_generator_runs():
  """CycleGAN's generator on a small non-square batch: images in [-1, 1] of the input's size, each example on its
  own (instance norm): the same output for an example whatever its batch mates."""
  resnet = ResnetGenerator(3, features=8, blocks=2)
  x = _inputs((2, 16, 24, 3))
  apply = jax.jit(lambda v, x: resnet.apply(v, x, train=True))
  variables = _init(resnet, x)
  out = apply(variables, x)
  chex.assert_shape(out, (2, 16, 24, 3))
  assert float(jnp.max(jnp.abs(out))) <= 1.0 and float(jnp.std(out)) > 1e-3
  np.testing.assert_allclose(np.asarray(apply(variables, x.at[1].multiply(-3.0))[0]), np.asarray(out[0]), atol=1e-6)


def test_unet_rejects_sizes_its_strides_do_not_allow():
  with pytest.raises(ValueError, match="divisible"):
    _variables_shapes(UNetGenerator(3, features=8, levels=5), (1, 48, 48, 3))


# ------------------------------------------------------------------------------------------------ U-Net

def test_unet_skips_are_the_encoder_activations_and_carry_information():
  """The decoder concatenates, innermost first, the encoder activation of each level (shapes as `skip_shapes`).
  With every level below the outermost cut off (the depth-1 down convolution zeroed: with zero biases and running
  means, what comes back up from there is 0) the outermost skip alone still carries the input through: the output
  is tanh(up_0(ReLU(concatenate([down_0(x), 0])))), and a change of the input reaches it near where it is made
  and nowhere else."""
  x = _inputs((2, 32, 32, 3))
  unet = UNetGenerator(3, features=8)
  variables = _init(unet, x)
  apply = jax.jit(lambda v, x: unet.apply(v, x, train=False, dropout=False, mutable=["intermediates"]))
  _, state = apply(variables, x)
  skips = state["intermediates"]["skips"]
  assert [s.shape for s in skips] == skip_shapes(x.shape, features=8)[::-1]
  # The outermost skip is the outermost down convolution's output (its input x is the image: not concatenated).
  down_0 = layers.Conv(8, (4, 4), (2, 2), padding=((1, 1), (1, 1)), use_bias=False)
  np.testing.assert_allclose(np.asarray(skips[-1]),
                             np.asarray(down_0.apply({"params": variables["params"]["down_0"]}, x)), atol=1e-6)

  params = jax.tree.map(lambda a: a, variables["params"])
  params["down_1"] = {"kernel": jnp.zeros_like(params["down_1"]["kernel"])}
  cut = {**variables, "params": params}
  out = apply(cut, x)[0]
  assert float(jnp.std(out[0] - out[1])) > 1e-3  # two inputs, two outputs
  skip = down_0.apply({"params": params["down_0"]}, x)
  up_0 = layers.ConvTranspose(3, (4, 4), (2, 2), padding=((2, 2), (2, 2)))
  by_hand = jnp.tanh(up_0.apply({"params": params["up_0"]},
                                nn.relu(jnp.concatenate([skip, jnp.zeros_like(skip)], axis=-1))))
  np.testing.assert_allclose(np.asarray(out), np.asarray(by_hand), atol=1e-5)
  # Input rows/cols 0-3 reach skip positions 0-2 (4x4 stride-2 convolution, padding 1), which reach output rows/cols
  # 0-6 (4x4 stride-2 transposed convolution).
  y = x.at[:, :4, :4].set(0.0)
  diff = np.abs(np.asarray(apply(cut, y)[0] - out)).max(axis=(0, 3))
  assert diff[:4, :4].min() > 1e-6
  assert diff[7:].max() == diff[:, 7:].max() == 0.0


@pytest.fixture(scope="module")
def unet_64():
  """A 64x64 U-Net (features 8), which has one level with dropout (depth 4, the 4x4 one), its variables, an input
  batch, and `run(train, dropout, rng)` -> (output, state), jitted."""
  unet = UNetGenerator(3, features=8)
  x = _inputs((2, 64, 64, 3))
  assert [lv.depth for lv in unet_levels(6, 3, 8) if lv.dropout] == [4]
  variables = _init(unet, x)

  @functools.partial(jax.jit, static_argnums=(0, 1))
  def run(train: bool, dropout: bool, rng=None):
    rngs = {"dropout": rng} if rng is not None else {}
    return unet.apply(variables, x, train=train, dropout=dropout, rngs=rngs, mutable=["batch_stats"])

  return unet, variables, x, run


def test_unet_dropout_at_test_time_is_noise_given_by_the_rng(unet_64):
  # In training mode, as pix2pix runs at test time too (batch statistics rescale every level to unit spread; with
  # the initial running averages, N(0, 0.02) weights leave the deep levels' share of the output tiny).
  unet, variables, x, run = unet_64
  a, b, a_again = (run(True, True, jax.random.PRNGKey(seed))[0] for seed in (1, 2, 1))
  np.testing.assert_array_equal(np.asarray(a), np.asarray(a_again))
  assert float(jnp.max(jnp.abs(a - b))) > 1e-2
  # Without dropout no rng is needed; with it, one is.
  off = run(True, False)[0]
  assert float(jnp.max(jnp.abs(a - off))) > 1e-2
  with pytest.raises(Exception, match="dropout"):
    jax.eval_shape(lambda: unet.apply(variables, x, train=False))


def test_unet_batch_norm_uses_batch_statistics_when_training(unet_64):
  _, variables, _, run = unet_64
  (train, state), (test, _) = run(True, False), run(False, False)
  assert float(jnp.max(jnp.abs(train - test))) > 1e-3
  moved = jax.tree.map(lambda a, b: float(jnp.max(jnp.abs(a - b))), state["batch_stats"], variables["batch_stats"])
  assert all(v > 0 for v in jax.tree.leaves(moved))


# ------------------------------------------------------------------------------------------------ PatchGAN

def test_receptive_fields_are_the_papers():
  """1x1 PixelGAN, 16x16, 70x70 and 286x286 ImageGAN (pix2pix Sec. 4.4), from kernel sizes and strides."""
  assert [receptive_field(n) for n in (0, 1, 3, 5)] == [1, 16, 70, 286]
  assert [(layer.kernel, layer.stride) for layer in patch_layers(3)] == [(4, 2)] * 3 + [(4, 1)] * 2


@pytest.mark.parametrize("n_layers,size", [(0, 8), (1, 32), (3, 128), (5, 320)])
def test_receptive_field_is_the_window_one_patch_sees(n_layers: int, size: int):
  """The gradient of one (central) output logit w.r.t. the input is nonzero on exactly a receptive_field-sided
  square inside the image. Batch norm in inference mode (running averages) couples no pixels."""
  disc = PatchDiscriminator(features=4, layers=n_layers)
  x = _inputs((1, size, size, 3))
  variables = _init(disc, x)
  out_shape = jax.eval_shape(lambda x: disc.apply(variables, x, train=False), x).shape
  i, j = out_shape[1] // 2, out_shape[2] // 2
  grad = jax.jit(jax.grad(lambda x: disc.apply(variables, x, train=False)[0, i, j, 0]))(x)
  seen = np.asarray(jnp.any(grad[0] != 0, axis=-1))
  rows, cols = np.nonzero(seen.any(axis=1))[0], np.nonzero(seen.any(axis=0))[0]
  rf = receptive_field(n_layers)
  assert rows[0] > 0 and cols[0] > 0 and rows[-1] < size - 1 and cols[-1] < size - 1  # not cut by the border
  assert rows[-1] - rows[0] + 1 == cols[-1] - cols[0] + 1 == rf
  assert seen.sum() == rf * rf


def test_pixelgan_and_instance_norm_biases():
  """The reference code's PixelDiscriminator has no output bias under batch norm; the ruler's CycleGAN PatchGAN
  (instance norm) has biases on its first and last convolutions only."""
  pixel = _variables_shapes(PatchDiscriminator(features=8, layers=0), (1, 8, 8, 6))["params"]
  assert [(k, v.get("bias") is not None) for k, v in pixel.items() if k.startswith("conv")] == [
      ("conv_0", True), ("conv_1", False), ("conv_2", False)]
  assert _count(pixel) == 6 * 8 + 8 + 8 * 16 + 2 * 16 + 16
  cyclegan = _variables_shapes(PatchDiscriminator(norm="instance"), (1, 64, 64, 3))["params"]
  assert [k for k, v in cyclegan.items() if "bias" in v] == ["conv_0", "conv_4"]
  assert _count(cyclegan) == _torch_count(_torch_patchgan(3)) - 2 * (128 + 256 + 512)


# ------------------------------------------------------------------------------------------------ ResNet

def _torch_conv_transpose_1d(x: np.ndarray, kernel: np.ndarray, stride: int, padding: int,
                             output_padding: int) -> np.ndarray:
  """PyTorch's ConvTranspose1d on one channel, by its definition: input i scatters x[i] * kernel[t] to output
  stride * i - padding + t; the output has (n - 1) * stride - 2 padding + k + output_padding positions."""
  n, k = len(x), len(kernel)
  length = (n - 1) * stride - 2 * padding + k + output_padding
  out = np.zeros(length)
  for i in range(n):
    for t in range(k):
      o = stride * i - padding + t
      if 0 <= o < length:
        out[o] += x[i] * kernel[t]
  return out


def test_up_convolution_is_pytorchs_with_output_padding():
  """ConvTranspose2d(3, stride 2, padding 1, output_padding 1) as our padding (1, 2): exactly twice the size, the
  same numbers as PyTorch's for the spatially flipped kernel, and the gradients of Flax's own layer."""
  rng = np.random.default_rng(0)
  x = rng.normal(size=(5, 7))
  # A separable 2-D kernel k_row (x) k_col makes the 2-D transposed convolution two 1-D ones.
  kr, kc = rng.normal(size=3), rng.normal(size=3)
  k = np.outer(kr, kc)
  expected = np.stack([_torch_conv_transpose_1d(col, kr, 2, 1, 1) for col in x.T], axis=1)
  expected = np.stack([_torch_conv_transpose_1d(row, kc, 2, 1, 1) for row in expected])
  up = layers.ConvTranspose(1, (3, 3), (2, 2), padding=UP_PADDING, use_bias=False)
  params = {"kernel": jnp.asarray(k[::-1, ::-1, None, None], jnp.float32)}
  out = jax.jit(up.apply)({"params": params}, jnp.asarray(x[None, :, :, None], jnp.float32))
  chex.assert_shape(out, (1, 10, 14, 1))
  np.testing.assert_allclose(np.asarray(out[0, :, :, 0]), expected, atol=1e-5)

  flax_up = nn.ConvTranspose(4, (3, 3), (2, 2), padding=UP_PADDING)
  h = _inputs((2, 6, 6, 8))
  variables = flax_up.init(jax.random.PRNGKey(0), h)
  ours = layers.ConvTranspose(4, (3, 3), (2, 2), padding=UP_PADDING)
  loss = lambda module: jax.jit(jax.grad(lambda v, h: jnp.sum(jnp.sin(module.apply(v, h))), argnums=(0, 1)))(
      variables, h)
  for a, b in zip(jax.tree.leaves(loss(ours)), jax.tree.leaves(loss(flax_up))):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-4)


def test_reflection_padding_is_pytorchs():
  """ReflectionPad2d mirrors without repeating the edge: [1 2 3 4] padded by 2 is [3 2 1 2 3 4 3 2]."""
  row = jnp.arange(1.0, 5.0)[None, None, :, None]
  np.testing.assert_array_equal(np.asarray(pad(row, 2, "reflect"))[0, 2, :, 0], [3, 2, 1, 2, 3, 4, 3, 2])
  np.testing.assert_array_equal(np.asarray(pad(row, 1, "replicate"))[0, 1, :, 0], [1, 1, 2, 3, 4, 4])


def test_resnet_block_adds_its_input():
  """With its second convolution zeroed the block is the identity (norm of zeros is zero): the input is added."""
  block = ResnetBlock(8)
  h = _inputs((2, 8, 8, 8))
  variables = _init(block, h)
  params = dict(variables["params"])
  params["conv_1"] = jax.tree.map(jnp.zeros_like, params["conv_1"])
  apply = jax.jit(functools.partial(block.apply, train=False))
  np.testing.assert_allclose(np.asarray(apply({"params": params}, h)), np.asarray(h), atol=1e-6)
  assert float(jnp.max(jnp.abs(apply(variables, h) - h))) > 1e-2


# ------------------------------------------------------------------------------------------------ image pool

class _ReferencePool:
  """apps_torch.py's `ImagePool.query`, with its random.random() < 0.5 and randrange(size) taken from the draws."""

  def __init__(self, size):
    self.size, self.images = size, []

  def query(self, batch, swap, index):
    out = []
    for image, s, i in zip(batch, swap, index):
      if len(self.images) < self.size:
        self.images.append(image)
        out.append(image)
      elif s:
        out.append(self.images[i])
        self.images[i] = image
      else:
        out.append(image)
    return np.stack(out)


def _images(values, shape=(2, 2, 1)) -> jax.Array:
  """Images filled each with one value."""
  values = np.asarray(list(values), np.float32)
  return jnp.asarray(np.broadcast_to(values.reshape(-1, *[1] * len(shape)), (len(values), *shape)))


def _values(images) -> list[float]:
  return [float(v) for v in np.asarray(images)[:, 0, 0, 0]]


def test_image_pool_hand_example():
  pool = image_pool.ImagePool.create(2, (2, 2, 1))
  # Images 1, 2 fill the pool (the draws do not matter); 3 swaps with slot 1 (returns 2); 4 is returned as is.
  out, pool = image_pool.apply_draws(pool, _images([1, 2, 3, 4]), jnp.array([True, True, True, False]),
                                     jnp.array([1, 0, 1, 0]))
  assert _values(out) == [1, 2, 2, 4]
  assert _values(pool.images) == [1, 3] and int(pool.count) == 2
  out, pool = image_pool.apply_draws(pool, _images([5]), jnp.array([True]), jnp.array([0]))
  assert _values(out) == [1] and _values(pool.images) == [5, 3]


def test_image_pool_replays_the_reference_decisions():
  """Batches of several sizes through a jitted `query`: the outputs and the pool are the reference's under the same
  draws (`draw` with the key `query` got)."""
  size, reference = 5, _ReferencePool(5)
  pool = image_pool.ImagePool.create(size, (2, 2, 1))
  query = jax.jit(image_pool.query)
  value = 0
  # The pool fills up within the second batch; two batch sizes, two compilations.
  for step, batch_size in enumerate([3, 4, 4, 3, 4, 4, 3]):
    batch = _images(range(value, value + batch_size))
    value += batch_size
    rng = jax.random.PRNGKey(step)
    out, pool = query(pool, batch, rng)
    swap, index = image_pool.draw(rng, batch_size, size)
    expected = reference.query(np.asarray(batch), np.asarray(swap), np.asarray(index))
    np.testing.assert_array_equal(np.asarray(out), expected)
    assert int(pool.count) == len(reference.images)
    np.testing.assert_array_equal(np.asarray(pool.images[:len(reference.images)]), np.stack(reference.images))


def test_image_pool_returns_history_half_the_time_once_full():
  pool = image_pool.ImagePool.create(4, (1, 1, 1))
  _, pool = image_pool.query(pool, _images(range(4), (1, 1, 1)), jax.random.PRNGKey(0))
  n = 2000
  batch = _images(range(10, 10 + n), (1, 1, 1))
  out, pool = jax.jit(image_pool.query)(pool, batch, jax.random.PRNGKey(1))
  from_history = np.asarray(out != batch)[:, 0, 0, 0]
  # Binomial(2000, 1/2): sd 0.011; 0.05 is 4.5 sd.
  assert abs(from_history.mean() - 0.5) < 0.05
  # Every slot is drawn, and what comes back from history was stored before.
  swap, index = image_pool.draw(jax.random.PRNGKey(1), n, 4)
  assert set(np.asarray(index)[np.asarray(swap)].tolist()) == {0, 1, 2, 3}
  assert int(pool.count) == 4


def test_image_pool_of_size_zero_and_no_gradient():
  pool = image_pool.ImagePool.create(0, (2, 2, 1))
  batch = _inputs((3, 2, 2, 1))
  out, same = image_pool.query(pool, batch, jax.random.PRNGKey(0))
  assert out is batch and same is pool
  # The reference detaches what it pools: no gradient flows back through the pool.
  pool = image_pool.ImagePool.create(2, (2, 2, 1))
  grad = jax.grad(lambda b: jnp.sum(image_pool.query(pool, b, jax.random.PRNGKey(0))[0]))(batch)
  np.testing.assert_array_equal(np.asarray(grad), 0.0)
