"""Shapes, dtypes, initialization and parameter counts of the DCGAN and MLP generator/critic pairs."""

import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jgan import models

BATCH = 2


def _shapes(module, x: jax.Array):
  """(variables, output) shapes of `module` in training mode, computed without running anything."""
  variables = jax.eval_shape(functools.partial(module.init, train=False), jax.random.PRNGKey(0), x)
  out, mutated = jax.eval_shape(lambda v, x: module.apply(v, x, train=True, mutable=["batch_stats"]), variables, x)
  return variables, out


def _count(tree) -> int:
  return sum(int(np.prod(leaf.shape)) for leaf in jax.tree.leaves(tree))


def _init(module, x: jax.Array, seed: int = 0):
  return jax.jit(functools.partial(module.init, train=False))(jax.random.PRNGKey(seed), x)


@pytest.mark.parametrize("arch", ["dcgan", "mlp"])
@pytest.mark.parametrize("image_size", [8, 16, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_and_dtypes(arch: str, image_size: int, channels: int):
  generator, critic = models.build(arch, shape=(image_size, image_size, channels), generator_features=8,
                                   critic_features=8)
  z = jnp.zeros((BATCH, 10))
  _, images = _shapes(generator, z)
  chex.assert_shape(images, (BATCH, image_size, image_size, channels))
  chex.assert_type(images, jnp.float32)
  _, values = _shapes(critic, jnp.zeros((BATCH, image_size, image_size, channels)))
  chex.assert_shape(values, (BATCH,))
  chex.assert_type(values, jnp.float32)


def test_dcgan_generator_output_in_unit_range():
  """With large random weights the pre-activations are large: outputs saturate at +-1 and never pass it."""
  generator, _ = models.build("dcgan", shape=(16, 16, 3), generator_features=8, critic_features=8)
  z = jnp.asarray(np.random.default_rng(0).normal(size=(8, 10)), jnp.float32)
  shapes, _ = _shapes(generator, z)
  rng = np.random.default_rng(1)
  variables = jax.tree.map(lambda s: jnp.asarray(rng.normal(size=s.shape), s.dtype), shapes)
  images, _ = jax.jit(functools.partial(generator.apply, train=True, mutable=["batch_stats"]))(variables, z)
  assert float(jnp.max(jnp.abs(images))) <= 1.0
  assert float(jnp.max(images)) > 0.99 and float(jnp.min(images)) < -0.99
  assert float(jnp.mean(jnp.abs(images) > 0.9)) > 0.5


def _paths(params) -> list[tuple[str, ...]]:
  return [tuple(getattr(k, "key", k) for k in path) for path, _ in jax.tree_util.tree_leaves_with_path(params)]


@pytest.mark.parametrize("image_size", [8, 32])
def test_dcgan_has_no_biases(image_size: int):
  """Only batch norm has an offset (named 'bias' by Flax); convolutions and dense layers have kernels only."""
  generator, critic = models.build("dcgan", shape=(image_size, image_size, 1), generator_features=8,
                                   critic_features=8)
  g_paths = _paths(_shapes(generator, jnp.zeros((BATCH, 10)))[0]["params"])
  d_paths = _paths(_shapes(critic, jnp.zeros((BATCH, image_size, image_size, 1)))[0]["params"])
  # Batch norm after every generator layer but the last, after every critic conv but the first (none at 8x8).
  expected_norms = {8: (1, 0), 32: (3, 2)}[image_size]
  for paths, norms in zip((g_paths, d_paths), expected_norms):
    assert all(p[-2].startswith("BatchNorm") for p in paths if p[-1] in ("bias", "scale")), paths
    assert all(p[-1] == "kernel" for p in paths if not p[-2].startswith("BatchNorm")), paths
    assert sum(p[-1] == "bias" for p in paths) == sum(p[-1] == "scale" for p in paths) == norms


@pytest.fixture(scope="module")
def reference_dcgan_32():
  """The WGAN reference's DCGAN pair for 32x32x1 images (ngf = ndf = 64, latent 100), as parameter shapes."""
  generator, critic = models.build("dcgan", shape=(32, 32, 1), generator_features=64, critic_features=64)
  return (_shapes(generator, jnp.zeros((1, 100)))[0]["params"],
          _shapes(critic, jnp.zeros((1, 32, 32, 1)))[0]["params"])


def test_dcgan_reference_parameter_count(reference_dcgan_32):
  # Generator, widths 256, 128, 64 (the reference's cngf loop):
  #   project (a 4x4 transposed conv of the 1x1 z) 100*4*4*256 = 409,600; BN 2*256 = 512
  #   convT 256->128: 4*4*256*128 = 524,288; BN 256;  convT 128->64: 4*4*128*64 = 131,072; BN 128
  #   convT 64->1: 4*4*64 = 1,024                                                 total 1,066,880
  # Critic: conv 1->64: 4*4*64 = 1,024; conv 64->128: 131,072; BN 256; conv 128->256: 524,288; BN 512;
  #   output (a 4x4 valid conv to 1) 4*4*256 = 4,096                              total   661,248
  g_params, d_params = reference_dcgan_32
  assert _count(g_params) == 1_066_880
  assert _count(d_params) == 661_248


def _leaves(params, name: str) -> np.ndarray:
  return np.concatenate([np.ravel(leaf) for path, leaf in zip(_paths(params), jax.tree.leaves(params))
                         if path[-1] == name])


def test_dcgan_init_statistics():
  """Kernels ~ N(0, 0.02), batch-norm scales ~ N(1, 0.02) and offsets 0 (the reference's `weights_init`)."""
  _, critic = models.build("dcgan", shape=(32, 32, 1), generator_features=64, critic_features=64)
  params = _init(critic, jnp.zeros((1, 32, 32, 1)))["params"]
  kernels, scales, offsets = (_leaves(params, name) for name in ("kernel", "scale", "bias"))
  assert len(kernels) == 660_480 and len(scales) == len(offsets) == 384
  assert abs(kernels.mean()) < 1e-4 and abs(kernels.std() - 0.02) < 2e-4  # standard errors 2.5e-5, 1.7e-5
  assert abs(scales.mean() - 1.0) < 4e-3 and abs(scales.std() - 0.02) < 3e-3  # standard errors 1e-3, 7e-4
  np.testing.assert_array_equal(offsets, 0.0)


@pytest.mark.parametrize("shape", [(4, 4, 3, 64), (4, 4, 64, 128), (100, 4096), (7,)])
def test_dcgan_conv_init_draws_the_numbers_of_flax_normal(shape):
  # The flat draw is only faster to compile; the numbers must be nn.initializers.normal(0.02)'s, bit for bit.
  import flax.linen as nn
  from jgan.models import dcgan
  key = jax.random.key(11)
  ours, flax_normal = dcgan.conv_init(key, shape), nn.initializers.normal(0.02)(key, shape, jnp.float32)
  chex.assert_shape(ours, shape)
  chex.assert_type(ours, jnp.float32)
  np.testing.assert_array_equal(np.asarray(ours), np.asarray(flax_normal))


def test_dcgan_generator_init_statistics():
  generator, _ = models.build("dcgan", shape=(8, 8, 1), generator_features=8, critic_features=8)
  params = _init(generator, jnp.zeros((1, 100)))["params"]
  kernels, scales = _leaves(params, "kernel"), _leaves(params, "scale")
  assert len(kernels) == 100 * 4 * 4 * 8 + 4 * 4 * 8 and len(scales) == 8
  assert abs(kernels.mean()) < 1e-3 and abs(kernels.std() - 0.02) < 1e-3  # standard errors 1.8e-4, 1.3e-4
  assert np.all(np.abs(scales - 1.0) < 0.1) and len(np.unique(scales)) == 8


@pytest.mark.parametrize("image_size", [24, 4, 0, 100])
def test_dcgan_refuses_bad_image_size(image_size: int):
  with pytest.raises(ValueError, match=f"power of two >= 8, got {image_size}"):
    models.build("dcgan", shape=(image_size, image_size, 1), generator_features=8, critic_features=8)


def test_dcgan_critic_refuses_bad_input_size():
  _, critic = models.build("dcgan", shape=(32, 32, 1), generator_features=8, critic_features=8)
  with pytest.raises(ValueError, match="got 24"):
    _shapes(critic, jnp.zeros((BATCH, 24, 24, 1)))


def test_unknown_arch_refused():
  with pytest.raises(ValueError, match="unknown arch 'resnet'"):
    models.build("resnet", shape=(32, 32, 1), generator_features=8, critic_features=8)


def test_mlp_parameter_count():
  generator, critic = models.build("mlp", shape=(32, 32, 1), generator_features=512, critic_features=512)
  g_vars, _ = _shapes(generator, jnp.zeros((BATCH, 100)))
  d_vars, _ = _shapes(critic, jnp.zeros((BATCH, 32, 32, 1)))
  hidden = 2 * (512 * 512 + 512)
  assert _count(g_vars) == (100 * 512 + 512) + hidden + (512 * 1024 + 1024) == 1_102_336
  assert _count(d_vars) == (1024 * 512 + 512) + hidden + (512 + 1) == 1_050_625
  assert "batch_stats" not in g_vars and "batch_stats" not in d_vars


def test_mlp_init_is_pytorch_linear():
  """Kernels and biases ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as torch.nn.Linear."""
  _, critic = models.build("mlp", shape=(32, 32, 1), generator_features=512, critic_features=512)
  params = _init(critic, jnp.zeros((1, 32, 32, 1)))["params"]
  layers = [params[f"TorchLinear_{i}"]["Dense_0"] for i in range(4)]
  for layer, fan_in in zip(layers, [1024, 512, 512, 512]):
    bound = fan_in ** -0.5
    kernel, bias = np.asarray(layer["kernel"]), np.asarray(layer["bias"])
    assert kernel.shape[0] == fan_in
    assert np.abs(kernel).max() <= bound and np.abs(kernel).max() > 0.99 * bound
    assert np.abs(bias).max() <= bound and (bias.size == 1 or np.abs(bias).max() > 0.9 * bound)
  first = np.asarray(layers[0]["kernel"])  # 524,288 draws: std of U(-b, b) is b / sqrt(3)
  assert abs(first.std() - 1024 ** -0.5 / np.sqrt(3)) < 0.01 * 1024 ** -0.5 / np.sqrt(3)
  assert abs(first.mean()) < 1e-4


@pytest.mark.parametrize("arch,extra_outputs", [("dcgan", 0), ("dcgan", 3), ("mlp", 0), ("mlp", 3)])
def test_bfloat16_compute_keeps_float32_parameters_and_outputs(arch: str, extra_outputs: int):
  """Mixed precision: convolutions and matrix products in bfloat16; parameters, batch norm and outputs float32,
  and the outputs within bfloat16 rounding of the float32 nets' with the same parameters."""
  shape, z = (16, 16, 3), jax.random.normal(jax.random.PRNGKey(0), (4, 10))
  build = functools.partial(models.build, arch, shape=shape, generator_features=8, critic_features=8,
                            extra_outputs=extra_outputs)
  (generator, critic), (generator16, critic16) = build(), build(dtype=jnp.bfloat16)
  g_vars, d_vars = _init(generator, z), _init(critic, jnp.zeros((4, *shape)))
  assert {leaf.dtype for leaf in jax.tree.leaves((_init(generator16, z), _init(critic16, jnp.zeros((4, *shape)))))} \
      == {jnp.dtype(jnp.float32)}

  def run(generator, critic):
    images, _ = generator.apply(g_vars, z, train=True, mutable=["batch_stats"])
    values, _ = critic.apply(d_vars, images, train=True, mutable=["batch_stats"])
    return images, values

  images, values = run(generator, critic)
  images16, values16 = run(generator16, critic16)
  chex.assert_trees_all_equal_dtypes((images16, values16), (images, values))  # float32 out
  for got, want in zip(jax.tree.leaves((images16, values16)), jax.tree.leaves((images, values))):
    np.testing.assert_allclose(got, want, atol=0.05 * float(jnp.max(jnp.abs(want))))
    assert not np.array_equal(got, want)  # really computed in bfloat16
  # The heavy operations run on bfloat16 operands.
  jaxpr = str(jax.make_jaxpr(lambda: run(generator16, critic16))())
  heavy = "conv_general_dilated" if arch == "dcgan" else "dot_general"
  assert "bf16" in jaxpr and heavy in jaxpr
  eqns = [line for line in jaxpr.splitlines() if f"= {heavy}[" in line or f" {heavy}[" in line]
  assert eqns and all("bf16" in line for line in eqns), eqns[:3]
