"""GAN losses against TF-GAN's fixed discriminator outputs (`losses_impl_test.py`) and against values worked out by
hand."""

import math

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
    # TF-GAN's ModifiedLossTest (no label smoothing on the generator) and the unsmoothed minimax D loss of its
    # early MinimaxLossTest (5.83386).
    "non_saturating": (losses.non_saturating_generator_loss, losses.minimax_discriminator_loss, 1.38582, 5.83386),
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


# --- The cross-entropy losses of Goodfellow et al. 2014 (minimax and non-saturating). ---

def test_minimax_losses_match_tfgan_conventions():
  """TF-GAN smooths real labels to 1 - 0.25 + 0.25 / 2 = 0.875 by default (6.19637), and its minimax generator loss
  is minus its discriminator loss with real outputs 1, i.e. ours minus -log sigmoid(1) (-4.82408)."""
  d_loss = jnp.mean(losses.minimax_discriminator_loss(REAL, GENERATED, real_label=0.875))
  np.testing.assert_allclose(d_loss, 6.19637, rtol=1e-5)
  g_loss = jnp.mean(losses.minimax_generator_loss(GENERATED))
  np.testing.assert_allclose(g_loss, -4.82408 + math.log1p(math.exp(-1.0)), rtol=1e-5)


def test_cross_entropy_losses_by_hand():
  """Logits log 3 and -log 3 are probabilities 3/4 and 1/4: every term is a log of 3/4 or 1/4."""
  real, fake = jnp.array([math.log(3.0)]), jnp.array([-math.log(3.0)])
  np.testing.assert_allclose(losses.minimax_discriminator_loss(real, fake), [-2 * math.log(0.75)], rtol=1e-6)
  np.testing.assert_allclose(losses.minimax_generator_loss(fake), [math.log(0.75)], rtol=1e-6)
  np.testing.assert_allclose(losses.non_saturating_generator_loss(fake), [-math.log(0.25)], rtol=1e-6)
  np.testing.assert_allclose(losses.discriminator_probability(real), [0.75], rtol=1e-6)
  # At D = 1/2 everywhere the discriminator's loss is 2 log 2, i.e. V(D, G) = -log 4 (Goodfellow et al. Thm. 1).
  np.testing.assert_allclose(losses.minimax_discriminator_loss(jnp.zeros(1), jnp.zeros(1)), [2 * math.log(2)],
                             rtol=1e-6)


def test_one_sided_label_smoothing_by_hand():
  """Real target a = 0.9: -(0.9 log 3/4 + 0.1 log 1/4) on the real logit; the generated term is unchanged."""
  real, fake = jnp.array([math.log(3.0)]), jnp.array([-math.log(3.0)])
  expected = -(0.9 * math.log(0.75) + 0.1 * math.log(0.25)) - math.log(0.75)
  np.testing.assert_allclose(losses.minimax_discriminator_loss(real, fake, real_label=0.9), [expected], rtol=1e-6)
  # Smoothing moves the real logit's optimum from +inf to log(a / (1 - a)): the gradient vanishes there.
  grad = jax.grad(lambda r: losses.minimax_discriminator_loss(r, fake, real_label=0.9)[0])(jnp.array([math.log(9.0)]))
  np.testing.assert_allclose(grad, [0.0], atol=1e-6)


@pytest.mark.parametrize("real_label", [1.0, 0.9])
def test_cross_entropy_losses_stay_finite_for_huge_logits(real_label: float):
  """log(sigmoid(l)) underflows to log 0 for l < -88 in float32; the losses from logits do not."""
  huge = jnp.array([-1e4, -100.0, 100.0, 1e4])
  d_loss = losses.minimax_discriminator_loss(huge, -huge, real_label=real_label)
  values = [d_loss, losses.minimax_generator_loss(huge), losses.non_saturating_generator_loss(huge)]
  grads = [jax.grad(lambda l, f=f: jnp.sum(f(l)))(huge) for f in (
      losses.minimax_generator_loss, losses.non_saturating_generator_loss,
      lambda l: losses.minimax_discriminator_loss(l, l, real_label=real_label))]
  assert all(bool(jnp.all(jnp.isfinite(v))) for v in values + grads)
  # Confidently wrong costs |l|, confidently right costs ~0.
  np.testing.assert_allclose(losses.non_saturating_generator_loss(huge), [1e4, 100.0, 0.0, 0.0], atol=1e-4)
  np.testing.assert_allclose(losses.minimax_generator_loss(huge), [0.0, 0.0, -100.0, -1e4], atol=1e-4)


def test_non_saturating_gradient_does_not_vanish_where_minimax_does():
  """Sec. 3 of the paper: when D confidently rejects samples (l << 0), d log(1 - D)/dl = -sigmoid(l) -> 0 but
  d(-log D)/dl = sigmoid(l) - 1 -> -1."""
  logit = jnp.array(-10.0)
  np.testing.assert_allclose(jax.grad(losses.minimax_generator_loss)(logit), -jax.nn.sigmoid(logit), rtol=1e-5)
  np.testing.assert_allclose(jax.grad(losses.non_saturating_generator_loss)(logit), jax.nn.sigmoid(logit) - 1,
                             rtol=1e-5)
  assert abs(float(jax.grad(losses.minimax_generator_loss)(logit))) < 1e-4
