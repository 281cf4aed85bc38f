"""`clip_params`, `clip_to_box`, `max_column_norm` and `rmsprop_torch` against values worked out by hand."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jgan import transforms

CLIP = 0.1
LEARNING_RATE = 0.1
# Parameters, gradients, and the SGD step p - lr * g clipped to [-0.1, 0.1], leaf by leaf:
#   w: 0.05 -> 0.08 (inside); -0.08 -> -0.13 -> -0.1 (pushed out); 0.2 -> 0.2 -> 0.1 (was out, g = 0);
#      0.0 -> -0.1 (lands on the edge)
#   b: 0.09 -> 0.11 -> 0.1 (pushed out); -0.09 -> -0.07 (inside)
PARAMS = {"w": jnp.array([0.05, -0.08, 0.2, 0.0]), "b": jnp.array([[0.09, -0.09]])}
GRADS = {"w": jnp.array([-0.3, 0.5, 0.0, 1.0]), "b": jnp.array([[-0.2, -0.2]])}
EXPECTED_CLIPPED = {"w": np.array([0.08, -0.1, 0.1, -0.1]), "b": np.array([[0.1, -0.07]])}
EXPECTED_UNCLIPPED = {"w": np.array([0.08, -0.13, 0.2, -0.1]), "b": np.array([[0.11, -0.07]])}


def _step(tx: optax.GradientTransformation, params, grads):
  updates, state = tx.update(grads, tx.init(params), params)
  return optax.apply_updates(params, updates), state


def test_clip_params_after_sgd_matches_hand_computed():
  clipped, _ = _step(optax.chain(optax.sgd(LEARNING_RATE), transforms.clip_params(CLIP)), PARAMS, GRADS)
  unclipped, _ = _step(optax.sgd(LEARNING_RATE), PARAMS, GRADS)
  for name in PARAMS:
    np.testing.assert_allclose(clipped[name], EXPECTED_CLIPPED[name], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(unclipped[name], EXPECTED_UNCLIPPED[name], rtol=1e-6, atol=1e-7)
  # p + (clip(p + u) - p) can round one ulp past the edge; the box holds to float32 precision.
  assert max(float(jnp.max(jnp.abs(leaf))) for leaf in jax.tree.leaves(clipped)) <= np.float32(CLIP) * (1 + 1e-6)


def test_clip_params_keeps_empty_state_and_dtype():
  tx = transforms.clip_params(CLIP)
  state = tx.init(PARAMS)
  assert isinstance(state, optax.EmptyState)
  updates, new_state = tx.update(GRADS, state, PARAMS)
  assert isinstance(new_state, optax.EmptyState)
  chex.assert_trees_all_equal_shapes_and_dtypes(updates, PARAMS)


@pytest.mark.parametrize("clip_value", [0.0, -0.01])
def test_clip_params_refuses_non_positive_clip(clip_value: float):
  with pytest.raises(ValueError, match="clip_value must be > 0"):
    transforms.clip_params(clip_value)


def test_clip_params_needs_params():
  tx = transforms.clip_params(CLIP)
  with pytest.raises(ValueError, match="needs the current params"):
    tx.update(GRADS, tx.init(PARAMS))


def test_max_column_norm_after_sgd_matches_hand_computed():
  """c = 1, SGD at rate 1 (p - g). Kernel columns after the step: (3, 4) has norm 5 -> (0.6, 0.8); (0.6, 0) has
  norm 0.6 -> kept; (0, -2) -> (0, -1). The bias (5, -7), far past c, is no kernel column: kept. A 3-axis 'kernel'
  (a convolution) and a leaf named otherwise pass unchanged."""
  params = {"layer": {"kernel": jnp.array([[1.0, 0.6, 0.0], [2.0, 0.0, -1.0]]), "bias": jnp.array([4.0, -6.0, 0.0])},
            "conv": {"kernel": jnp.full((1, 1, 2), 3.0)}, "scale": jnp.array([[9.0]])}
  grads = {"layer": {"kernel": jnp.array([[-2.0, 0.0, 0.0], [-2.0, 0.0, 1.0]]), "bias": jnp.array([-1.0, 1.0, 0.0])},
           "conv": {"kernel": jnp.zeros((1, 1, 2))}, "scale": jnp.zeros((1, 1))}
  new, state = _step(optax.chain(optax.sgd(1.0), transforms.max_column_norm(1.0)), params, grads)
  np.testing.assert_allclose(new["layer"]["kernel"], [[0.6, 0.6, 0.0], [0.8, 0.0, -1.0]], rtol=1e-6)
  np.testing.assert_allclose(new["layer"]["bias"], [5.0, -7.0, 0.0])
  np.testing.assert_array_equal(new["conv"]["kernel"], params["conv"]["kernel"])
  np.testing.assert_array_equal(new["scale"], params["scale"])
  assert isinstance(state[1], optax.EmptyState)


@pytest.mark.parametrize("max_norm", [0.0, -1.0, float("inf")])
def test_max_column_norm_refuses_bad_norms(max_norm: float):
  with pytest.raises(ValueError, match="max_norm must be a finite number > 0"):
    transforms.max_column_norm(max_norm)


def test_max_column_norm_needs_params():
  tx = transforms.max_column_norm(1.0)
  with pytest.raises(ValueError, match="needs the current params"):
    tx.update(GRADS, tx.init(PARAMS))


def test_clip_params_does_not_retrace():
  tx = optax.chain(optax.sgd(LEARNING_RATE), transforms.clip_params(CLIP))

  @jax.jit
  @chex.assert_max_traces(n=1)
  def step(params, grads):
    return _step(tx, params, grads)[0]

  first = step(PARAMS, GRADS)
  second = step(first, GRADS)  # same shapes: no new trace (assert_max_traces would raise)
  np.testing.assert_allclose(second["w"], [0.1, -0.1, 0.1, -0.1], rtol=1e-6)
  assert step._cache_size() == 1


def test_clip_to_box():
  tree = {"a": jnp.array([-3.0, -0.01, 0.0, 0.005, 2.0]), "b": {"c": jnp.array(0.5)}}
  clipped = transforms.clip_to_box(tree, 0.01)
  np.testing.assert_array_equal(clipped["a"], np.float32([-0.01, -0.01, 0.0, 0.005, 0.01]))
  np.testing.assert_array_equal(clipped["b"]["c"], np.float32(0.01))
  assert jax.tree.structure(clipped) == jax.tree.structure(tree)


def _torch_rmsprop(params: np.ndarray, grads: list[np.ndarray], lr: float) -> list[np.ndarray]:
  """torch.optim.RMSprop with its defaults (alpha 0.99, eps 1e-8 outside the root, v starts at 0), in float64."""
  v, p, out = np.zeros_like(params), params.copy(), []
  for g in grads:
    v = 0.99 * v + 0.01 * g ** 2
    p = p - lr * g / (np.sqrt(v) + 1e-8)
    out.append(p)
  return out


def test_rmsprop_torch_matches_pytorch_recurrence():
  lr = 1e-3
  params = np.array([0.5, -1.0, 2.0, 0.0])
  # The last coordinate's gradients are so small that eps matters: its placement (outside the root) is tested.
  grads = [np.array([0.1, -2.0, 0.5, 1e-6]), np.array([0.3, 1.0, -0.5, 2e-6]), np.array([-0.2, 0.5, 0.0, 1e-6])]
  tx = transforms.rmsprop_torch(lr)
  p = jnp.asarray(params, jnp.float32)
  state = tx.init(p)
  for step, (g, expected) in enumerate(zip(grads, _torch_rmsprop(params, grads, lr))):
    updates, state = tx.update(jnp.asarray(g, jnp.float32), state, p)
    p = optax.apply_updates(p, updates)
    np.testing.assert_allclose(p, expected, rtol=1e-5, atol=1e-7, err_msg=f"step {step}")


def test_rmsprop_torch_differs_from_optax_defaults():
  """First step from v = 0: PyTorch moves by lr / sqrt(0.01) = 10 lr, optax's defaults by lr / sqrt(0.1)."""
  lr, g = 1e-3, jnp.array([0.5, -2.0])
  torch_step, _ = _step(transforms.rmsprop_torch(lr), jnp.zeros(2), g)
  optax_step, _ = _step(optax.rmsprop(lr), jnp.zeros(2), g)
  np.testing.assert_allclose(torch_step, [-10 * lr, 10 * lr], rtol=1e-5)
  np.testing.assert_allclose(optax_step, [-lr / np.sqrt(0.1), lr / np.sqrt(0.1)], rtol=1e-4)


@pytest.mark.parametrize("factory", [transforms.rmsprop_torch, transforms.adam])
@pytest.mark.parametrize("learning_rate", [-1e-4, 0.0])
def test_optimizers_refuse_non_positive_learning_rate(factory, learning_rate: float):
  with pytest.raises(ValueError, match="learning_rate must be > 0"):
    factory(learning_rate)
