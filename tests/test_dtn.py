"""DTN: the ternary discriminator's labels, f-constancy, TV, the step's wiring and a short run with resume."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jgan.adaptation import dtn, experiment
from jgan.adaptation.config import DTNConfig, validate
from jgan.testing import tree_equal


def test_ternary_discriminator_labels_are_source_generated_target_generated_real():
  labels = np.asarray(dtn.discriminator_labels(2, 3))
  np.testing.assert_array_equal(labels, [0, 0, 1, 1, 1, 2, 2, 2])
  assert (dtn.SOURCE_GENERATED, dtn.TARGET_GENERATED, dtn.TARGET_REAL) == (0, 1, 2)
  # L_D of Eq. 3 with those labels: -log D_1 on G(x_s), -log D_2 on G(x_t), -log D_3 on x_t, by hand.
  logits = jnp.asarray(np.random.default_rng(0).normal(size=(8, 3)), jnp.float32)
  p = np.asarray(jax.nn.softmax(logits))
  by_hand = -(np.log(p[:2, 0]).sum() + np.log(p[2:5, 1]).sum() + np.log(p[5:, 2]).sum()) / 8
  loss = float(jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, dtn.discriminator_labels(2, 3))))
  np.testing.assert_allclose(loss, by_hand, rtol=1e-5)


def test_f_constancy_is_zero_when_g_inverts_f_and_positive_otherwise():
  rng = np.random.default_rng(0)
  a = jnp.asarray(rng.normal(size=(6, 3)), jnp.float32)  # f(x) = x A: 6 -> 3, onto
  f = lambda x: x @ a
  g = lambda z: z @ jnp.linalg.pinv(a)  # a right inverse of f: f(g(z)) = z
  x = jnp.asarray(rng.normal(size=(5, 6)), jnp.float32)
  assert float(dtn.f_constancy(f(x), f(g(f(x))))) < 1e-9
  assert float(dtn.f_constancy(f(x), f(g(f(x)) + 0.5))) > 1e-2  # a g that does not invert f is penalized


def test_total_variation_of_a_ramp_and_of_a_constant():
  ramp = jnp.tile(jnp.arange(6, dtype=jnp.float32)[None, None, :, None], (1, 6, 1, 1))  # x steps of 1, no y steps
  np.testing.assert_allclose(float(dtn.total_variation(ramp)), 1.0, rtol=1e-4)
  assert float(dtn.total_variation(jnp.ones((2, 5, 5, 1)))) < 1e-3


def test_f_is_frozen_and_gets_no_gradient():
  config = DTNConfig()
  f_params = dtn.source_f_params(config)
  x = jnp.zeros((2, 32, 32, 1))
  # compiled: faster than op by op
  grads = jax.jit(jax.grad(lambda p, x: jnp.sum(dtn.f_features(p, x, 3)), argnums=(0, 1)))(f_params, x)
  assert all(float(jnp.max(jnp.abs(leaf))) == 0.0 for leaf in jax.tree.leaves(grads[0]))
  assert float(jnp.max(jnp.abs(grads[1]))) > 0.0  # but the images do: L_CONST reaches g through f(G(x))


@pytest.mark.parametrize("overrides, match", [
    (dict(const_weight=-1.0), "const_weight"), (dict(target="mnist_m"), "differ"), (dict(generator_features=0),
                                                                                      "generator_features"),
])
def test_bad_configs_are_refused_naming_the_field(overrides, match):
  with pytest.raises(ValueError, match=match):
    validate(dataclasses.replace(DTNConfig(), **overrides))


TINY = dict(batch_size=8, steps=2, log_every=1, sample_every=1, checkpoint_every=1, eval_every=1, eval_samples=8,
            num_samples=2, generator_features=4, discriminator_features=4)


@pytest.mark.slow  # compiles the DTN step twice over: about a minute on 2 cores
def test_resume_is_bit_identical(tmp_path, one_device_mesh):
  config = DTNConfig(**TINY)
  straight = experiment.run(config, tmp_path / "straight", mesh=one_device_mesh, progress=False)
  experiment.run(dataclasses.replace(config, steps=1), tmp_path / "resumed", mesh=one_device_mesh, progress=False)
  resumed = experiment.run(config, tmp_path / "resumed", resume=True, mesh=one_device_mesh, progress=False)
  assert tree_equal(straight, resumed)
  scores = experiment.final_scores(tmp_path / "straight", "validation")
  assert 0.0 <= scores["transfer_accuracy"] <= 1.0 and scores["real_target_accuracy"] > 0.9
