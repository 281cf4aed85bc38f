"""`jgan.models.layers.ConvTranspose` against `flax.linen.ConvTranspose`: parameters, outputs and gradients."""

import functools
import time

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from jgan.models import dcgan, layers

# (input shape, kernel size, strides, padding, features, use_bias). The first ones are DCGAN generator layers.
CASES = [
    ((2, 4, 4, 8), (4, 4), (2, 2), ((2, 2), (2, 2)), 16, False),
    ((8, 16, 16, 32), (4, 4), (2, 2), ((2, 2), (2, 2)), 1, False),
    ((3, 5, 7, 3), (3, 4), (2, 3), "SAME", 5, True),
    ((2, 6, 5, 2), (3, 3), (3, 2), "VALID", 4, True),
    ((2, 6, 6, 3), (4, 2), 2, ((-1, 3), (5, 0)), 2, False),  # cropping, and padding past the kernel's reach
    ((2, 9, 3), (5,), (3,), 1, 4, True),  # 1-D
    ((2, 3, 5, 5, 2), (3, 3), 1, "SAME", 3, True),  # two batch dims, stride 1
    # At least layers.TAPS_MIN_FEATURES input channels: the kernel gradient by per-tap products on CPU.
    ((2, 4, 5, 32), (4, 4), (2, 2), ((2, 2), (2, 2)), 8, False),
    ((2, 5, 5, 40), (3, 3), (2, 2), ((3, 1), (1, 3)), 4, True),  # the adjoint convolution crops (padding k-1-lo < 0)
]


def _pair(input_shape, kernel_size, strides, padding, features, use_bias):
  kw = dict(features=features, kernel_size=kernel_size, strides=strides, padding=padding, use_bias=use_bias,
            kernel_init=nn.initializers.normal(0.5), bias_init=nn.initializers.normal(0.5))
  return nn.ConvTranspose(**kw), layers.ConvTranspose(**kw)


def _assert_close(actual, expected, tol=1e-5):
  """Equal to `tol` relative to the magnitude of `expected` (float32 sums of different order)."""
  actual, expected = np.asarray(actual), np.asarray(expected)
  scale = float(np.max(np.abs(expected))) or 1.0
  np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol * scale)


@functools.partial(jax.jit, static_argnums=0)
def _init_apply_grad(modules, key, x, r):
  """Per module: parameters, output, and gradients w.r.t. parameters and input of a nonlinear scalar of the output.

  All modules in one program: tests spend their time compiling.
  """
  def results(module):
    variables = module.init(key, x)
    loss = lambda v, x: jnp.sum(r * jnp.sin(module.apply(v, x)))
    return variables, module.apply(variables, x), jax.grad(loss, argnums=(0, 1))(variables, x)
  return tuple(results(module) for module in modules)


def _outputs_and_gradients(reference, layer, shape):
  """(y, y_ref, grads, grads_ref) of `layer` and the Flax `reference` on one input of `shape`, after checking that
  both have the same parameter names, shapes and initial values (checkpoints of one load into the other)."""
  # NumPy draws: eager jax.random calls would each compile for their shape.
  rng, key_init = np.random.default_rng(0), jax.random.PRNGKey(1)
  x = rng.standard_normal(shape, dtype=np.float32)
  r = rng.standard_normal(jax.eval_shape(reference.init_with_output, key_init, x)[0].shape, dtype=np.float32)
  (variables, y_ref, grads_ref), (new_variables, y, grads) = _init_apply_grad((reference, layer), key_init, x, r)
  assert jax.tree.structure(new_variables) == jax.tree.structure(variables)
  jax.tree.map(np.testing.assert_array_equal, new_variables, variables)
  return y, y_ref, grads, grads_ref


def _penalty_gradients(reference, layer, x):
  """Parameter gradients of a gradient penalty on the input gradient (as in WGAN-GP) through `layer` and through
  the Flax `reference`, from the same parameters."""
  @jax.jit
  def penalty_grads(key):
    def penalty(module, v):
      input_grad = jax.grad(lambda x: jnp.sum(jnp.sin(module.apply(v, x))))(x)
      return jnp.sum(input_grad ** 2)
    v = reference.init(key, x)
    return tuple(jax.grad(functools.partial(penalty, module))(v) for module in (layer, reference))

  return penalty_grads(jax.random.PRNGKey(1))


def _with_and_without(monkeypatch, name, flax_layer, run):
  """`run()` with `layers.<name>` and with `flax_layer` in its place, as one jitted program (traced once per layer
  class: tests spend their time compiling). `run` returns (variables, *results); the variables must be identical.
  Returns the two `results` tuples."""
  @jax.jit
  def both():
    ours = run()
    with monkeypatch.context() as patch:
      patch.setattr(layers, name, flax_layer)
      return ours, run()

  (variables, *ours), (flax_variables, *reference) = both()
  assert jax.tree.structure(flax_variables) == jax.tree.structure(variables)
  jax.tree.map(np.testing.assert_array_equal, flax_variables, variables)
  return ours, reference


@pytest.mark.parametrize("case", CASES, ids=lambda c: "x".join(map(str, c[0])) + f"-k{c[1]}-s{c[2]}-p{c[3]}")
def test_matches_flax_conv_transpose(case):
  y, y_ref, grads, grads_ref = _outputs_and_gradients(*_pair(*case), case[0])
  assert y.shape == y_ref.shape
  _assert_close(y, y_ref)
  jax.tree.map(_assert_close, grads, grads_ref)


def test_gradient_compiles_fast():
  """The gradient is two regular convolutions: compiling it takes well under a second on XLA:CPU."""
  layer = layers.ConvTranspose(64, (4, 4), strides=(2, 2), padding=((2, 2), (2, 2)), use_bias=False)
  x = jax.ShapeDtypeStruct((8, 8, 8, 128), jnp.float32)
  variables = jax.eval_shape(layer.init, jax.random.PRNGKey(0), x)
  grad = jax.jit(jax.grad(lambda v, x: jnp.sum(layer.apply(v, x) ** 2), argnums=(0, 1)))
  start = time.perf_counter()
  grad.lower(variables, x).compile()
  assert time.perf_counter() - start < 5.0


def test_second_order_reverse_mode():
  """Reverse-over-reverse works (the backward pass is itself made of differentiable convolutions)."""
  reference, layer = _pair((2, 4, 4, 3), (4, 4), (2, 2), ((2, 2), (2, 2)), 2, False)
  x = np.random.default_rng(0).standard_normal((2, 4, 4, 3), dtype=np.float32)
  jax.tree.map(_assert_close, *_penalty_gradients(reference, layer, x))


def test_generator_same_as_with_flax_layers(monkeypatch):
  """The DCGAN generator has the parameter tree and (to rounding) the outputs of its `nn.ConvTranspose` version."""
  generator = dcgan.Generator(image_size=16, channels=3, features=8)
  z = jax.random.normal(jax.random.PRNGKey(0), (4, 16))

  def run():
    variables = generator.init(jax.random.PRNGKey(1), z, train=False)

    def loss(params):
      fake, _ = generator.apply({**variables, "params": params}, z, train=True, mutable=["batch_stats"])
      return jnp.sum(jnp.sin(fake)), fake

    (_, fake), grads = jax.value_and_grad(loss, has_aux=True)(variables["params"])
    return variables, fake, grads

  (fake, grads), (fake_ref, grads_ref) = _with_and_without(monkeypatch, "ConvTranspose", nn.ConvTranspose, run)
  _assert_close(fake, fake_ref)
  jax.tree.map(_assert_close, grads, grads_ref)


@pytest.mark.parametrize("padding", ["CIRCULAR", ((1, 1),), ((1, 2, 3), (1, 1))])
def test_rejects_unsupported_padding(padding):
  layer = layers.ConvTranspose(2, (3, 3), padding=padding)
  with pytest.raises(ValueError, match="padding"):
    layer.init(jax.random.PRNGKey(0), jnp.ones((1, 4, 4, 1)))


# ---------------------------------------------------------------------------------------------------------------------
# The sub-pixel form of lhs-dilated convolutions, and `layers.Conv` against `nn.Conv`.
# ---------------------------------------------------------------------------------------------------------------------

# (input shape, kernel size, strides, padding of the dilated input, output channels): DCGAN's 4x4 stride-2 layers,
# unequal strides and kernels, stride 3, cropping (negative padding) and padding past the kernel's reach.
DILATED_CASES = [
    ((2, 4, 4, 8), (4, 4), (2, 2), ((2, 2), (2, 2)), 16),
    ((3, 8, 8, 5), (4, 4), (2, 2), ((2, 2), (2, 2)), 3),
    ((2, 5, 7, 3), (4, 6), (2, 3), ((1, 1), (3, 1)), 5),
    ((1, 6, 6, 2), (3, 3), (3, 3), ((2, 2), (2, 2)), 3),
    ((2, 6, 6, 3), (4, 2), (2, 2), ((-1, 3), (1, 1)), 2),
    ((2, 6, 6, 3), (4, 2), (2, 2), ((5, 1), (0, 2)), 2),
]


@pytest.mark.parametrize("flipped", [False, True], ids=["forward", "flipped"])
@pytest.mark.parametrize("case", DILATED_CASES, ids=lambda c: "x".join(map(str, c[0])) + f"-k{c[1]}-s{c[2]}-p{c[3]}")
def test_sub_pixel_equals_the_dilated_convolution(case, flipped):
  shape, window, strides, padding, features = case
  assert layers._sub_pixel_plan(shape[1:-1], window, strides, padding) is not None
  rng = np.random.default_rng(0)
  x = rng.standard_normal(shape, dtype=np.float32)
  kernel = rng.standard_normal(window + ((features, shape[-1]) if flipped else (shape[-1], features)), dtype=np.float32)
  # The definition: lax.conv_transpose of the kernel, or of the kernel reversed in space with in/out swapped.
  reference_kernel = np.swapaxes(kernel[::-1, ::-1], 2, 3) if flipped else kernel
  expected = lax.conv_transpose(x, reference_kernel, strides, padding, dimension_numbers=("NHWC", "HWIO", "NHWC"))
  for method in ("xla", "sub_pixel"):
    _assert_close(layers.lhs_dilated_conv(x, kernel, strides, padding, method=method, flipped=flipped), expected)


@pytest.mark.parametrize("shape,window,strides,padding", [
    ((2, 5, 7, 3), (4, 4), (2, 2), ((2, 1), (2, 2))),  # odd output length: no equal phases
    ((2, 6, 6, 3), (3, 3), (2, 2), ((1, 1), (1, 1))),  # kernel not a multiple of the stride
    ((2, 6, 6, 3), (3, 3), (1, 1), ((1, 1), (1, 1))),  # stride 1: nothing to split
])
def test_sub_pixel_plan_declines_uneven_splits(shape, window, strides, padding):
  assert layers._sub_pixel_plan(shape[1:-1], window, strides, padding) is None
  x = np.ones(shape, np.float32)
  kernel = np.ones(window + (3, 2), np.float32)
  expected = lax.conv_transpose(x, kernel, strides, padding, dimension_numbers=("NHWC", "HWIO", "NHWC"))
  _assert_close(layers.lhs_dilated_conv(x, kernel, strides, padding, method="sub_pixel"), expected)


def test_lhs_dilated_conv_rejects_an_unknown_method():
  with pytest.raises(ValueError, match="'fast' is not one of"):
    layers.lhs_dilated_conv(np.ones((1, 4, 4, 1)), np.ones((2, 2, 1, 1)), (2, 2), ((1, 1), (1, 1)), method="fast")


def test_auto_runs_the_sub_pixel_form_on_cpu_for_large_layers():
  """A DCGAN-sized layer compiles without any input-dilated convolution on CPU; a 3-channel one keeps XLA's."""
  def hlo(shape, features):
    x = jax.ShapeDtypeStruct(shape, jnp.float32)
    kernel = jax.ShapeDtypeStruct((4, 4, shape[-1], features), jnp.float32)
    fn = lambda x, k: layers.lhs_dilated_conv(x, k, (2, 2), ((2, 2), (2, 2)))
    return jax.jit(fn).lower(x, kernel).compile().as_text()
  assert "lhs_dilate=" not in hlo((2, 8, 8, 32), 16)
  assert "lhs_dilate=2x2" in hlo((2, 8, 8, 32), 3)


CONV_CASES = [
    ((4, 16, 16, 24), (4, 4), (2, 2), ((1, 1), (1, 1)), 16, False),  # a DCGAN critic layer: sub-pixel input gradient
    ((2, 8, 8, 20), (4, 4), 2, 1, 24, True),
    ((2, 9, 7, 3), (3, 3), (2, 2), "SAME", 5, True),
    ((2, 9, 7, 3), (3, 2), (2, 1), "VALID", 5, True),
    ((2, 3, 6, 6, 2), (3, 3), 1, "SAME", 3, False),  # two batch dims, stride 1
    # At least layers.TAPS_MIN_FEATURES output channels: the kernel gradient by per-tap products on CPU.
    ((2, 8, 8, 8), (3, 3), 1, 1, 32, True),
    ((2, 10, 9, 4), (4, 4), (2, 2), ((1, 2), (0, 1)), 40, False),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: "x".join(map(str, c[0])) + f"-k{c[1]}-s{c[2]}-p{c[3]}")
def test_conv_matches_flax_conv(case):
  shape, window, strides, padding, features, use_bias = case
  kw = dict(features=features, kernel_size=window, strides=strides, padding=padding, use_bias=use_bias,
            kernel_init=nn.initializers.normal(0.5), bias_init=nn.initializers.normal(0.5))
  y, y_ref, grads, grads_ref = _outputs_and_gradients(nn.Conv(**kw), layers.Conv(**kw), shape)
  np.testing.assert_array_equal(y, y_ref)  # the forward is the same XLA convolution
  jax.tree.map(_assert_close, grads, grads_ref)


@pytest.mark.parametrize("features", [16, 32])  # XLA's kernel gradient, and the per-tap products
def test_conv_second_order_reverse_mode(features):
  """A gradient penalty through `layers.Conv` (WGAN-GP's) has the gradient it has through `nn.Conv`."""
  kw = dict(features=features, kernel_size=(4, 4), strides=(2, 2), padding=((1, 1), (1, 1)), use_bias=False)
  x = np.random.default_rng(0).standard_normal((2, 8, 8, 24), dtype=np.float32)
  jax.tree.map(_assert_close, *_penalty_gradients(nn.Conv(**kw), layers.Conv(**kw), x))


def test_critic_same_as_with_flax_layers(monkeypatch):
  """The DCGAN critic has the parameter tree, the outputs, and (to rounding) the gradients of its `nn.Conv` version."""
  critic = dcgan.Critic(features=16)
  images = jax.random.normal(jax.random.PRNGKey(0), (4, 32, 32, 3))

  def run():
    variables = critic.init(jax.random.PRNGKey(1), images, train=False)

    def loss(params, images):
      values, _ = critic.apply({**variables, "params": params}, images, train=True, mutable=["batch_stats"])
      return jnp.sum(jnp.sin(values))

    return variables, critic.apply(variables, images, train=False), jax.grad(loss, argnums=(0, 1))(
        variables["params"], images)

  (values, grads), (values_ref, grads_ref) = _with_and_without(monkeypatch, "Conv", nn.Conv, run)
  np.testing.assert_array_equal(values, values_ref)
  jax.tree.map(_assert_close, grads, grads_ref)


def test_kernel_gradient_takes_the_per_tap_products_only_on_cpu_with_enough_features():
  """On CPU a kernel gradient with at least TAPS_MIN_FEATURES output channels is matrix products (no convolution
  left in the program); with fewer, XLA's own convolution; both equal JAX's gradient."""
  rng = np.random.default_rng(0)
  for features, products in ((layers.TAPS_MIN_FEATURES, True), (layers.TAPS_MIN_FEATURES - 1, False)):
    x = rng.standard_normal((2, 7, 6, 5), dtype=np.float32)
    g = rng.standard_normal((2, 4, 3, features), dtype=np.float32)
    args = ((3, 3, 5, features), (2, 2), ((1, 1), (1, 0)))
    fn = jax.jit(lambda x, g, args=args: layers.conv_kernel_gradient(x, g, *args))
    forward = lambda k: lax.conv_general_dilated(x, k, (2, 2), args[2], dimension_numbers=("NHWC", "HWIO", "NHWC"))
    (expected,) = jax.linear_transpose(forward, jax.ShapeDtypeStruct(args[0], jnp.float32))(g)
    _assert_close(fn(x, g), expected)
    assert ("convolution(" not in fn.lower(x, g).compile().as_text()) == products
