"""The super-resolution nets: sub-pixel shuffling, PReLU, SRResNet and the SRGAN discriminator (Ledig et al. 2017,
arXiv:1609.04802, Figure 4) against the PyTorch ruler's counts (perf-reference/apps_torch.py) and hand computations,
and VGG19's features with their loaders on small fake weights files."""

from __future__ import annotations

import functools
import math
import os
import subprocess
import textwrap

import chex
import h5py
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jgan.models import srresnet, vgg
from jgan.models.srresnet import PReLU, SRDiscriminator, SRResNet, pixel_shuffle, pixel_unshuffle
from jgan.superres.features import FeatureExtractor

# Optional: with a PyTorch environment and the ruler at hand, one test runs the ruler's nets on our weights.
TORCH_PYTHON = os.environ.get("JGAN_TORCH_PYTHON", "/work/.venv-torch/bin/python")
RULER_DIR = os.environ.get("JGAN_RULER_DIR", "/work/shared/perf-reference")


def _variables_shapes(module, x_shape, **kwargs):
  """Shapes of `module`'s variables on an input of `x_shape`, computed without running anything."""
  return jax.eval_shape(functools.partial(module.init, **kwargs), jax.random.PRNGKey(0),
                        jax.ShapeDtypeStruct(x_shape, jnp.float32))


def _count(tree) -> int:
  return sum(math.prod(leaf.shape) for leaf in jax.tree.leaves(tree))


def _init(module, x_shape, seed: int = 0, **kwargs):
  """Variables for `module` without compiling its `init` (XLA:CPU's compile time is most of these tests'): kernels
  ~ N(0, 1 / fan-in), biases, norm offsets and running means ~ N(0, 0.1), norm scales and running variances
  ~ U(0.5, 1.5), PReLU slopes ~ U(0.1, 0.4): all different from their init, so that a misplaced one shows."""
  rng = np.random.default_rng(seed)

  def value(path, leaf):
    name = path[-1].key
    if name == "kernel":
      return jnp.asarray(rng.normal(size=leaf.shape) / math.sqrt(math.prod(leaf.shape[:-1])), leaf.dtype)
    if name in ("scale", "var"):
      return jnp.asarray(rng.uniform(0.5, 1.5, size=leaf.shape), leaf.dtype)
    if name == "negative_slope":
      return jnp.asarray(rng.uniform(0.1, 0.4, size=leaf.shape), leaf.dtype)
    return jnp.asarray(rng.normal(size=leaf.shape) * 0.1, leaf.dtype)

  return jax.tree_util.tree_map_with_path(value, _variables_shapes(module, x_shape, **kwargs))


def _inputs(shape, seed: int = 0) -> jax.Array:
  return jnp.asarray(np.random.default_rng(seed).uniform(-1, 1, size=shape), jnp.float32)


# ------------------------------------------------------------------------------------------------ pixel shuffle
def test_pixel_shuffle_is_pytorchs_order():
  """PyTorch's nn.PixelShuffle(2) on channels 0..7 (C = 2): channel c r^2 + i r + j goes to channel c, (i, j)."""
  y = pixel_shuffle(jnp.arange(8.0).reshape(1, 1, 1, 8), 2)
  chex.assert_shape(y, (1, 2, 2, 2))
  np.testing.assert_array_equal(y[0, :, :, 0], [[0, 1], [2, 3]])  # torch: out[0, 0] = [[0, 1], [2, 3]]
  np.testing.assert_array_equal(y[0, :, :, 1], [[4, 5], [6, 7]])
  # The rule at every position of a larger map, factor 3, written out as loops.
  x = np.random.default_rng(0).normal(size=(2, 3, 4, 2 * 9)).astype(np.float32)
  expected = np.zeros((2, 9, 12, 2), np.float32)
  for h in range(3):
    for w in range(4):
      for c in range(2):
        for i in range(3):
          for j in range(3):
            expected[:, h * 3 + i, w * 3 + j, c] = x[:, h, w, c * 9 + i * 3 + j]
  np.testing.assert_array_equal(pixel_shuffle(jnp.asarray(x), 3), expected)


def test_pixel_unshuffle_inverts_pixel_shuffle():
  x = _inputs((2, 3, 5, 12))
  np.testing.assert_array_equal(pixel_unshuffle(pixel_shuffle(x, 2), 2), x)
  y = _inputs((2, 6, 4, 3))
  np.testing.assert_array_equal(pixel_shuffle(pixel_unshuffle(y, 2), 2), y)
  with pytest.raises(ValueError, match="divisible by 4"):
    pixel_shuffle(jnp.zeros((1, 2, 2, 6)), 2)


# ------------------------------------------------------------------------------------------------ PReLU
def test_prelu_is_x_above_zero_and_quarter_x_below_at_init():
  x = jnp.array([[-4.0, -1.0, 0.0, 0.5, 3.0]])
  variables = PReLU().init(jax.random.PRNGKey(0), x)
  chex.assert_shape(variables["params"]["negative_slope"], (1,))  # nn.PReLU(): one shared slope
  np.testing.assert_allclose(PReLU().apply(variables, x), [[-1.0, -0.25, 0.0, 0.5, 3.0]])
  per_channel = PReLU(num_parameters=5).init(jax.random.PRNGKey(0), x)
  np.testing.assert_array_equal(per_channel["params"]["negative_slope"], np.full(5, 0.25, np.float32))
  y = PReLU(num_parameters=5).apply({"params": {"negative_slope": jnp.arange(5.0)}}, -jnp.ones((1, 5)))
  np.testing.assert_array_equal(y, [[0.0, -1.0, -2.0, -3.0, -4.0]])
  with pytest.raises(ValueError, match="3 slopes got 5 channels"):
    PReLU(num_parameters=3).init(jax.random.PRNGKey(0), x)


# ------------------------------------------------------------------------------------------------ SRResNet, SRGAN D
# The ruler's SRResNet(blocks=16, scale=4), all convolutions with biases, one slope per nn.PReLU():
#   head   9x9 3->64:      3*81*64 + 64 = 15,616, PReLU 1                            ->     15,617
#   block  2 x (3x3 64->64: 64*9*64 + 64 = 36,928) + 2 BN x 128 + PReLU 1 = 74,113   x 16 = 1,185,808
#   body   3x3 64->64 36,928 + BN 128                                                ->     37,056
#   up     3x3 64->256: 64*9*256 + 256 = 147,712, PReLU 1 = 147,713                  x 2  =   295,426
#   tail   9x9 64->3:      64*81*3 + 3 = 15,555                                       ->     15,555
#   total 1,549,462; at scale 2 one up stage fewer (1,401,749), at 8 one more (1,697,175).
SRRESNET_PARAMETERS = {2: 1_401_749, 4: 1_549_462, 8: 1_697_175}
# The ruler's sr_discriminator(96): 3x3 convolutions with biases, each but the first with BN (2 c):
#   3->64 1,792; 64->64 36,928 + 128; 64->128 73,856 + 256; 128->128 147,584 + 256; 128->256 295,168 + 512;
#   256->256 590,080 + 512; 256->512 1,180,160 + 1,024; 512->512 2,359,808 + 1,024  (convolutions: 4,689,088)
#   dense 512*6*6 -> 1024: 18,874,368 + 1,024 = 18,875,392; dense 1024 -> 1: 1,025     total 23,565,505.
SR_DISCRIMINATOR_PARAMETERS_96 = 23_565_505


@pytest.mark.parametrize("scale", [2, 4, 8])
def test_srresnet_shapes_and_parameters_match_the_ruler(scale: int):
  variables = _variables_shapes(SRResNet(scale=scale), (2, 24, 40, 3), train=False)
  assert _count(variables["params"]) == SRRESNET_PARAMETERS[scale]
  # Running averages are state, not parameters (PyTorch's buffers): 2 x 16 + 1 batch norms x 64 x (mean, var).
  assert _count(variables["batch_stats"]) == 33 * 64 * 2
  out = jax.eval_shape(functools.partial(SRResNet(scale=scale).apply, train=False), variables,
                       jax.ShapeDtypeStruct((2, 24, 40, 3), jnp.float32))
  chex.assert_shape(out, (2, 24 * scale, 40 * scale, 3))


def test_srresnet_runs_on_any_size_and_rejects_other_scales():
  module = SRResNet(scale=4, blocks=2, features=8)
  x = _inputs((2, 5, 7, 3))  # odd, non-square: fully convolutional
  variables = _init(module, x.shape, train=False)
  # Jitted: one compilation of the whole net, where eager application compiles each operation apart.
  out, _ = jax.jit(functools.partial(module.apply, train=True, mutable=["batch_stats"]))(variables, x)
  chex.assert_shape(out, (2, 20, 28, 3))
  chex.assert_tree_all_finite(out)
  assert out.dtype == jnp.float32
  assert float(jnp.min(out)) < -1 or float(jnp.max(out)) > 1  # no output activation, as the ruler
  with pytest.raises(ValueError, match="got 3"):
    SRResNet(scale=3).init(jax.random.PRNGKey(0), x, train=False)


def test_sr_discriminator_shapes_and_parameters_match_the_ruler():
  variables = _variables_shapes(SRDiscriminator(), (4, 96, 96, 3), train=False)
  assert _count(variables["params"]) == SR_DISCRIMINATOR_PARAMETERS_96
  kernels = {name: p["kernel"].shape for name, p in variables["params"].items() if "kernel" in p}
  assert kernels["conv_7"] == (3, 3, 512, 512) and kernels["dense_0"] == (512 * 6 * 6, 1024)
  out = jax.eval_shape(functools.partial(SRDiscriminator().apply, train=False), variables,
                       jax.ShapeDtypeStruct((4, 96, 96, 3), jnp.float32))
  chex.assert_shape(out, (4,))
  # Stride 2 pads 1 on both sides as PyTorch, so an odd side rounds up: 33 -> 17 -> 9 -> 5 -> 3.
  small = SRDiscriminator(features=8)
  variables = _init(small, (2, 33, 33, 3), train=False)
  assert variables["params"]["dense_0"]["kernel"].shape == (64 * 3 * 3, 128)
  logits = jax.jit(functools.partial(small.apply, train=False))(variables, _inputs((2, 33, 33, 3)))
  chex.assert_shape(logits, (2,))
  assert logits.dtype == jnp.float32


def test_stride_two_convolutions_pad_one_on_both_sides_as_pytorch():
  """PyTorch's Conv2d(3, stride 2, padding 1) on a 4x4 map: output (0, 0) sees rows and columns -1..1, (1, 1)
  sees 1..3; 'SAME' would pad (0, 1) and see 0..2 and 2..4 instead."""
  x = jnp.arange(16.0).reshape(1, 4, 4, 1)
  conv = srresnet._conv(1, 3, None, "conv", stride=2)
  y = conv.apply({"params": {"kernel": jnp.ones((3, 3, 1, 1)), "bias": jnp.zeros(1)}}, x)
  chex.assert_shape(y, (1, 2, 2, 1))
  xs = np.pad(np.arange(16.0).reshape(4, 4), 1)  # x padded by 1: x[r, c] at xs[r + 1, c + 1]
  np.testing.assert_array_equal(y[0, :, :, 0], [[xs[0:3, 0:3].sum(), xs[0:3, 2:5].sum()],
                                                [xs[2:5, 0:3].sum(), xs[2:5, 2:5].sum()]])


RULER_SCRIPT = """
import sys
import numpy as np
import torch
sys.path.insert(0, sys.argv[1])
import apps_torch as a
torch.set_num_threads(1)
w = dict(np.load(sys.argv[2]))
out = {}
for name, net in (("g", a.SRResNet(blocks=2, scale=4)), ("d", a.sr_discriminator(32)), ("vgg", a.vgg19_54()[:9])):
  state = net.state_dict()
  given = {k[len(name) + 1:]: torch.from_numpy(v) for k, v in w.items() if k.startswith(name + ".")}
  missing = [k for k in state if k not in given and not k.endswith("num_batches_tracked")]
  assert not missing and not set(given) - set(state), (name, missing, set(given) - set(state))
  state.update(given)
  net.load_state_dict(state)
  x = torch.from_numpy(w["x_" + name])
  with torch.no_grad():
    out[name + "_eval"] = net.eval()(x).numpy()
    if name == "g":
      out[name + "_train"] = net.train()(x).numpy()
np.savez(sys.argv[3], **out)
"""


def _torch_conv(prefix, p):
  return {f"{prefix}.weight": np.asarray(p["kernel"]).transpose(3, 2, 0, 1), f"{prefix}.bias": np.asarray(p["bias"])}


def _torch_norm(prefix, p, s):
  return {f"{prefix}.weight": np.asarray(p["scale"]), f"{prefix}.bias": np.asarray(p["bias"]),
          f"{prefix}.running_mean": np.asarray(s["mean"]), f"{prefix}.running_var": np.asarray(s["var"])}


# Slow: importing torch and compiling the three nets takes 10-20 s on two shared cores. Run it with
# `pytest tests/test_superres_models.py -n 0 -m slow`.
@pytest.mark.slow
@pytest.mark.skipif(not (os.path.exists(TORCH_PYTHON) and os.path.exists(os.path.join(RULER_DIR, "apps_torch.py"))),
                    reason="needs a PyTorch environment and the ruler (JGAN_TORCH_PYTHON, JGAN_RULER_DIR)")
def test_nets_equal_the_rulers_on_the_same_weights(tmp_path):
  """Our weights put into the ruler's modules by its names: the same outputs, so the same layers in the same order
  (PReLU, skips, pixel-shuffle order, padding, the discriminator's flattening, VGG's pooling)."""
  w = {}
  g = SRResNet(scale=4, blocks=2)
  gv = _init(g, (2, 6, 5, 3), seed=1, train=False)
  gp, gs = gv["params"], gv["batch_stats"]
  w |= _torch_conv("g.head.0", gp["head"]) | {"g.head.1.weight": np.asarray(gp["head_prelu"]["negative_slope"])}
  for i in range(2):
    bp, bs = gp[f"block_{i}"], gs[f"block_{i}"]
    w |= _torch_conv(f"g.body.{i}.body.0", bp["conv_0"]) | _torch_norm(f"g.body.{i}.body.1", bp["norm_0"], bs["norm_0"])
    w |= {f"g.body.{i}.body.2.weight": np.asarray(bp["prelu"]["negative_slope"])}
    w |= _torch_conv(f"g.body.{i}.body.3", bp["conv_1"]) | _torch_norm(f"g.body.{i}.body.4", bp["norm_1"], bs["norm_1"])
  w |= _torch_conv("g.body.2", gp["body_conv"]) | _torch_norm("g.body.3", gp["body_norm"], gs["body_norm"])
  for k in range(2):
    w |= _torch_conv(f"g.tail.{3 * k}", gp[f"up_{k}"])
    w |= {f"g.tail.{3 * k + 2}.weight": np.asarray(gp[f"up_prelu_{k}"]["negative_slope"])}
  w |= _torch_conv("g.tail.6", gp["tail"])
  w["x_g"] = np.asarray(_inputs((2, 6, 5, 3), seed=2)).transpose(0, 3, 1, 2)

  d = SRDiscriminator()
  dv = _init(d, (2, 32, 32, 3), seed=3, train=False)
  dp, ds = dv["params"], dv["batch_stats"]
  w |= _torch_conv("d.0", dp["conv_0"])
  for i in range(1, 8):
    w |= _torch_conv(f"d.{3 * i - 1}", dp[f"conv_{i}"]) | _torch_norm(f"d.{3 * i}", dp[f"norm_{i}"], ds[f"norm_{i}"])
  # PyTorch flattens (c, h, w), we flatten (h, w, c): the first dense layer's rows permuted, 2x2 maps here.
  dense = np.asarray(dp["dense_0"]["kernel"]).reshape(2, 2, 512, 1024).transpose(2, 0, 1, 3).reshape(-1, 1024)
  w |= {"d.24.weight": dense.T, "d.24.bias": np.asarray(dp["dense_0"]["bias"])}
  w |= {"d.26.weight": np.asarray(dp["dense_1"]["kernel"]).T, "d.26.bias": np.asarray(dp["dense_1"]["bias"])}
  w["x_d"] = np.asarray(_inputs((2, 32, 32, 3), seed=4)).transpose(0, 3, 1, 2)

  v = vgg.VGG19Features("relu2_2", preprocessing="torch")
  vp = _init(v, (2, 10, 9, 3), seed=5)["params"]
  for conv in ("conv1_1", "conv1_2", "conv2_1", "conv2_2"):
    w |= _torch_conv(f"vgg.{vgg.TORCH_INDEX[conv]}", vp[conv])
  x_vgg = _inputs((2, 10, 9, 3), seed=6)
  # The ruler's VGG takes preprocessed input: torchvision's normalization of our [-1, 1] images.
  w["x_vgg"] = np.asarray(((x_vgg + 1) / 2 - np.array(vgg.TORCH_MEAN)) / np.array(vgg.TORCH_STD),
                          np.float32).transpose(0, 3, 1, 2)
  np.savez(tmp_path / "w.npz", **{k: np.ascontiguousarray(a, np.float32) for k, a in w.items()})
  (tmp_path / "ruler.py").write_text(textwrap.dedent(RULER_SCRIPT))
  # The ruler runs (importing torch takes seconds) while our nets compile.
  ruler_run = subprocess.Popen([TORCH_PYTHON, str(tmp_path / "ruler.py"), RULER_DIR, str(tmp_path / "w.npz"),
                                str(tmp_path / "out.npz")], env={**os.environ, "OMP_NUM_THREADS": "1"})

  def ours(x_g, x_d, x_vgg):
    g_train, _ = g.apply(gv, x_g, train=True, mutable=["batch_stats"])  # batch statistics (the generator's suffice)
    return {"g_eval": g.apply(gv, x_g, train=False), "g_train": g_train, "d_eval": d.apply(dv, x_d, train=False),
            "vgg_eval": v.apply({"params": vp}, x_vgg)}

  out = jax.jit(ours)(_inputs((2, 6, 5, 3), seed=2), _inputs((2, 32, 32, 3), seed=4), x_vgg)
  assert ruler_run.wait(timeout=120) == 0
  ruler = np.load(tmp_path / "out.npz")
  assert sorted(ruler.files) == sorted(out)
  for name, y in out.items():
    y = np.asarray(y).transpose(0, 3, 1, 2) if y.ndim == 4 else np.asarray(y)[:, None]  # NCHW; logits (N, 1)
    np.testing.assert_allclose(y, ruler[name], rtol=1e-3, atol=1e-3, err_msg=name)


# ------------------------------------------------------------------------------------------------ VGG19
def test_vgg19_parameters_and_shapes():
  """Table 1 (E) without its dense layers: 16 convolutions, 20,024,384 parameters (the ruler's vgg19_54):
  3*9*64+64 + 64*9*64+64 + 64*9*128+128 + 128*9*128+128 + 128*9*256+256 + 3 x (256*9*256+256)
  + 256*9*512+512 + 7 x (512*9*512+512) = 38,720 + 221,440 + 2,360,064 + 17,404,160."""
  params = _variables_shapes(vgg.VGG19Features("pool5"), (1, 32, 32, 3))["params"]
  assert list(params) == list(vgg.CONVS) and len(params) == 16
  assert _count(params) == 20_024_384
  assert all(p["kernel"].shape == vgg.KERNEL_SHAPES[name] for name, p in params.items())
  for layer, shape, convs in (("relu2_2", (2, 48, 48, 128), 4), ("relu5_4", (2, 6, 6, 512), 16),
                              ("conv5_4", (2, 6, 6, 512), 16), ("pool4", (2, 6, 6, 512), 12)):
    module = vgg.VGG19Features(layer)
    variables = _variables_shapes(module, (2, 96, 96, 3))
    assert len(variables["params"]) == convs == len(vgg.convs_up_to(layer))
    chex.assert_shape(jax.eval_shape(module.apply, variables, jax.ShapeDtypeStruct((2, 96, 96, 3), jnp.float32)),
                      shape)
  with pytest.raises(ValueError, match="no layer 'relu6_1'"):
    vgg.convs_up_to("relu6_1")


def _weights(convs, seed=0):
  rng = np.random.default_rng(seed)
  return {conv: (rng.normal(size=vgg.KERNEL_SHAPES[conv]).astype(np.float32) * 0.01,
                 rng.normal(size=vgg.KERNEL_SHAPES[conv][-1:]).astype(np.float32)) for conv in convs}


# Keras Applications' layer names, written out rather than taken from `vgg.keras_name`, which they check.
KERAS_NAMES = {"conv1_1": "block1_conv1", "conv1_2": "block1_conv2", "conv2_1": "block2_conv1"}


def _write_keras_h5(path, weights, nested=False):
  """A weights file in Keras Applications' layout (vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5): a group per
  layer, `block1_conv1/block1_conv1_W_1:0` and `..._b_1:0`, the names in `layer_names` / `weight_names`; `nested`:
  Keras 2's `block1_conv1/block1_conv1/kernel:0`."""
  with h5py.File(path, "w") as f:
    f.attrs["layer_names"] = [b"input_1"] + [KERAS_NAMES[conv].encode() for conv in weights]
    f.create_group("input_1").attrs["weight_names"] = []
    for conv, (kernel, bias) in weights.items():
      name = KERAS_NAMES[conv]
      group = f.create_group(name)
      names = [f"{name}/kernel:0", f"{name}/bias:0"] if nested else [f"{name}_W_1:0", f"{name}_b_1:0"]
      group.attrs["weight_names"] = [n.encode() for n in names]
      group[names[0]], group[names[1]] = kernel, bias
  return path


def test_keras_h5_loads_the_written_weights_with_caffe_preprocessing(tmp_path):
  weights = _weights(["conv1_1", "conv1_2"])
  for nested in (False, True):
    path = _write_keras_h5(tmp_path / f"vgg19_{nested}.h5", weights, nested)
    extractor = vgg.load_vgg19(path, "conv1_1", scale=1.0)
    assert isinstance(extractor, FeatureExtractor) and extractor.name == "vgg19/conv1_1"
    assert list(extractor.params) == ["conv1_1"]  # only what the layer needs
    assert float(extractor.params["conv1_1"]["kernel"][1, 2, 0, 5]) == weights["conv1_1"][0][1, 2, 0, 5]
    np.testing.assert_array_equal(extractor.params["conv1_1"]["bias"], weights["conv1_1"][1])
    images = np.asarray(_inputs((1, 3, 4, 3), seed=1))
    # By hand: RGB in [-1, 1] -> BGR in 0..255 minus the BGR mean, zero padding 1, a 3x3 cross-correlation.
    caffe = (images[..., ::-1] + 1) * 127.5 - np.array([103.939, 116.779, 123.68])
    padded = np.pad(caffe, ((0, 0), (1, 1), (1, 1), (0, 0)))
    kernel, bias = weights["conv1_1"]
    expected = np.zeros((1, 3, 4, 64))
    for y in range(3):
      for x in range(4):
        expected[0, y, x] = np.einsum("hwi,hwio->o", padded[0, y:y + 3, x:x + 3], kernel) + bias
    np.testing.assert_allclose(extractor(jnp.asarray(images)), expected, rtol=1e-4, atol=1e-3)
  # relu1_2: both convolutions, the ReLUs; SRGAN's 1/12.75 by default; pool1 its 2x2 maxima (odd sides floored).
  features = vgg.load_vgg19(path, "relu1_2", scale=1.0)(jnp.asarray(images))
  chex.assert_shape(features, (1, 3, 4, 64))
  assert float(jnp.min(features)) == 0.0
  np.testing.assert_allclose(vgg.load_vgg19(path, "relu1_2")(jnp.asarray(images)), features / 12.75, rtol=1e-6)
  pooled = np.asarray(features)[:, :2].reshape(1, 1, 2, 2, 2, 64).max(axis=(2, 4))
  np.testing.assert_array_equal(vgg.load_vgg19(path, "pool1", scale=1.0)(jnp.asarray(images)), pooled)


def test_preprocessing_of_the_weights_origins():
  """'caffe' (Keras's vgg19.preprocess_input): BGR, 0..255, minus the BGR mean; 'torch' (torchvision): [0, 1],
  minus the ImageNet mean, over its std. Pixel (R, G, B) = (-1, 0, 1) in [-1, 1]."""
  pixel = jnp.array([[[[-1.0, 0.0, 1.0]]]])
  np.testing.assert_allclose(vgg.preprocess(pixel, "caffe")[0, 0, 0], [255 - 103.939, 127.5 - 116.779, 0 - 123.68],
                             rtol=1e-6)
  np.testing.assert_allclose(vgg.preprocess(pixel, "torch")[0, 0, 0],
                             [(0 - 0.485) / 0.229, (0.5 - 0.456) / 0.224, (1 - 0.406) / 0.225], rtol=1e-6)
  with pytest.raises(ValueError, match="'bgr'"):
    vgg.preprocess(pixel, "bgr")


def test_converter_round_trip_gives_identical_features(tmp_path):
  path = _write_keras_h5(tmp_path / "vgg19.h5", _weights(["conv1_1", "conv1_2", "conv2_1"], seed=2))
  out = tmp_path / "vgg19.npz"
  assert vgg.main(["convert", str(path), str(out), "--layer", "relu2_1"]) == 0
  with np.load(out) as data:
    assert sorted(data.files) == sorted(["preprocessing"] + [f"{c}/{k}" for c in ("conv1_1", "conv1_2", "conv2_1")
                                                             for k in ("kernel", "bias")])
    assert str(data["preprocessing"]) == "caffe"
  images = _inputs((2, 8, 6, 3), seed=3)
  np.testing.assert_array_equal(vgg.load_vgg19(out, "relu2_1")(images), vgg.load_vgg19(path, "relu2_1")(images))
  assert vgg.main(["convert", str(path), str(tmp_path / "all.npz")]) == 1  # the file stops at conv2_1


def test_torch_state_dict_is_transposed_to_hwio():
  """torchvision's `features.{i}.weight` (out, in, kh, kw) at its indices -> (kh, kw, in, out), no flip."""
  assert [vgg.TORCH_INDEX[c] for c in vgg.CONVS] == [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34]
  rng = np.random.default_rng(0)
  state = {"features.0.weight": rng.normal(size=(64, 3, 3, 3)), "features.0.bias": rng.normal(size=64),
           "features.2.weight": rng.normal(size=(64, 64, 3, 3)), "features.2.bias": rng.normal(size=64)}
  weights = vgg.torch_state_to_weights(state, "vgg19.pth", ["conv1_1", "conv1_2"])
  assert weights["conv1_2"]["kernel"][0, 2, 5, 7] == np.float32(state["features.2.weight"][7, 5, 0, 2])
  with pytest.raises(ValueError, match="no layer conv2_1"):
    vgg.torch_state_to_weights(state, "vgg19.pth", ["conv1_1", "conv2_1"])


def test_loader_errors_name_the_file_and_layer(tmp_path):
  weights = _weights(["conv1_1", "conv1_2"])
  good = _write_keras_h5(tmp_path / "good.h5", weights)
  with pytest.raises(ValueError, match=r"good\.h5: no layer 'block2_conv1' \(VGG19's conv2_1\)"):
    vgg.load_vgg19(good, "relu2_1")
  wrong = dict(weights, conv1_2=(weights["conv1_2"][0][..., :32], weights["conv1_2"][1][:32]))
  bad = _write_keras_h5(tmp_path / "bad.h5", wrong)
  with pytest.raises(ValueError, match=r"bad\.h5: layer conv1_2 .*expected kernel \(3, 3, 64, 64\)"):
    vgg.load_vgg19(bad, "relu1_2")
  with h5py.File(tmp_path / "two.h5", "w") as f:  # a kernel without its bias
    f.create_group("block1_conv1")["block1_conv1_W_1:0"] = weights["conv1_1"][0]
  with pytest.raises(ValueError, match="'block1_conv1'.*expected one 4-d kernel"):
    vgg.load_vgg19(tmp_path / "two.h5", "relu1_1")
  np.savez(tmp_path / "old.npz", **{"conv1_1/kernel": weights["conv1_1"][0], "conv1_1/bias": weights["conv1_1"][1]})
  with pytest.raises(ValueError, match=r"old\.npz: no 'preprocessing'"):
    vgg.load_vgg19(tmp_path / "old.npz", "relu1_1")
  with pytest.raises(ValueError, match=r"missing\.h5: no such file"):
    vgg.load_vgg19(tmp_path / "missing.h5")
  (tmp_path / "vgg19.txt").write_text("")
  with pytest.raises(ValueError, match=r"vgg19\.txt: unknown extension '\.txt'"):
    vgg.load_vgg19(tmp_path / "vgg19.txt")
  (tmp_path / "vgg19.pth").write_bytes(b"")
  with pytest.raises(ValueError, match="through the converter"):
    vgg.load_vgg19(tmp_path / "vgg19.pth")
  with pytest.raises(ValueError, match="no layer 'relu5_5'"):
    vgg.load_vgg19(good, "relu5_5")


def test_extractor_is_frozen_but_passes_gradients_to_its_input(tmp_path):
  extractor = vgg.load_vgg19(_write_keras_h5(tmp_path / "vgg19.h5", _weights(["conv1_1", "conv1_2"])), "relu1_2")
  images = _inputs((2, 6, 6, 3), seed=4)
  loss = lambda ex, x: jnp.sum(jnp.square(ex(x)))
  grad_params, grad_images = jax.jit(jax.grad(loss, argnums=(0, 1)))(extractor, images)
  assert all(not np.any(g) for g in jax.tree.leaves(grad_params))
  assert np.any(np.asarray(grad_images))
