"""GAN losses against TF-GAN's fixed discriminator outputs (`losses_impl_test.py`)."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jgan import losses

# TF-GAN's `_LossesTest` inputs.
REAL = jnp.array([-5.0, 1.4, 12.5, 2.7])
GENERATED = jnp.array([10.0, 4.4, -5.5, 3.6])

# Each loss pair: (generator loss fn, discriminator loss fn, expected mean G loss, expected mean D loss).
LOSS_PAIRS = {
    "wasserstein": (losses.wasserstein_generator_loss, losses.wasserstein_discriminator_loss, -3.125, 0.225),
}


@pytest.mark.parametrize("name", sorted(LOSS_PAIRS))
def test_mean_losses_match_tfgan(name: str):
  generator_loss, discriminator_loss, expected_g, expected_d = LOSS_PAIRS[name]
  np.testing.assert_allclose(jnp.mean(generator_loss(GENERATED)), expected_g, rtol=1e-6)
  np.testing.assert_allclose(jnp.mean(discriminator_loss(REAL, GENERATED)), expected_d, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(LOSS_PAIRS))
@pytest.mark.parametrize("shape", [(4,), (2, 2), (4, 1)])
def test_losses_are_per_example(name: str, shape: tuple[int, ...]):
  generator_loss, discriminator_loss, _, _ = LOSS_PAIRS[name]
  real, generated = REAL.reshape(shape), GENERATED.reshape(shape)
  g, d = generator_loss(generated), discriminator_loss(real, generated)
  chex.assert_shape([g, d], shape)
  chex.assert_type([g, d], jnp.float32)


def test_wasserstein_per_example_values():
  np.testing.assert_array_equal(losses.wasserstein_generator_loss(GENERATED), -GENERATED)
  np.testing.assert_allclose(losses.wasserstein_discriminator_loss(REAL, GENERATED), [15.0, 3.0, -18.0, 0.9],
                             rtol=1e-6)


def test_wasserstein_gradients():
  """d mean(G loss) / d f(G(z)_i) = -1/n; the critic's loss pushes real outputs up and generated ones down."""
  n = GENERATED.shape[0]
  grad_g = jax.grad(lambda g: jnp.mean(losses.wasserstein_generator_loss(g)))(GENERATED)
  grad_real, grad_gen = jax.grad(lambda r, g: jnp.mean(losses.wasserstein_discriminator_loss(r, g)),
                                 argnums=(0, 1))(REAL, GENERATED)
  np.testing.assert_array_equal(grad_g, np.full(n, -1.0 / n))
  np.testing.assert_array_equal(grad_real, np.full(n, -1.0 / n))
  np.testing.assert_array_equal(grad_gen, np.full(n, 1.0 / n))
