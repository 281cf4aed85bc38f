"""Short real trainings must improve the samples: the sliced Wasserstein distance to real digits falls.

Distances are between 500 generated images (fresh noise) and 500 real digits, in [0, 1] pixels. For scale, on
these 32x32 digits: real vs other real digits ~0.017; the mean digit repeated ~0.18; untrained nets ~0.37.
"""

import jax
import numpy as np
import pytest

from jgan import data, games, testing, train
from jgan.configs.wgan import WGANConfig

NUM = 500


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
  """Two disjoint sets of NUM real digits padded to 32x32, uint8."""
  images = data.load("digits", image_size=32).images
  pick = np.random.default_rng(0).choice(len(images), 2 * NUM, replace=False)
  return images[pick[:NUM]], images[pick[NUM:]]


def _samples(state, latent_dim: int) -> np.ndarray:
  z = jax.random.normal(jax.random.PRNGKey(123), (NUM, latent_dim))  # not the run's sample noise
  return data.to_uint8(jax.jit(train.generate, static_argnums=1)(state, games.WGAN(latent_dim), {"z": z}))


def _distance(a: np.ndarray, b: np.ndarray) -> float:
  return testing.sliced_wasserstein(a.astype(np.float32) / 255, b.astype(np.float32) / 255, num_projections=256)


def _check_learns(config: WGANConfig, workdir, mesh, digits, *, fall: float, versus_mean: float) -> None:
  """The distance falls below `fall` times its start and `versus_mean` times the mean digit's."""
  real, other_real = digits
  before = _distance(_samples(train.create_state(config, (32, 32, 1)), config.latent_dim), real)
  state = train.run(config, workdir, progress=False, mesh=mesh)
  after = _distance(_samples(state, config.latent_dim), real)
  mean_digit = _distance(np.broadcast_to(np.round(other_real.mean(axis=0)).astype(np.uint8), real.shape), real)
  floor = _distance(other_real, real)
  assert floor < 0.05 and 0.15 < mean_digit < 0.2 and before > 0.3  # the yardsticks are what they should be
  assert after < fall * before, (before, after)
  assert after < versus_mean * mean_digit, (after, mean_digit)  # better than repeating the mean digit


def test_mlp_wgan_learns_digits(tmp_path, one_device_mesh, digits):
  """150 generator iterations (about 25 s on a CPU core): 0.37 -> 0.145-0.149 over the three seeds tried."""
  config = WGANConfig(arch="mlp", generator_features=128, critic_features=128, latent_dim=32, batch_size=64,
                      learning_rate=1e-4, warmup_n_critic=20, steps=150, log_every=50, sample_every=1000,
                      checkpoint_every=1000, num_samples=16, loop="device")
  _check_learns(config, tmp_path, one_device_mesh, digits, fall=0.5, versus_mean=0.95)


@pytest.mark.slow  # the float32 twin above stays in the default suite; over 30 s on 2 cores: -m slow, to keep the default suite under CI's 15 minutes
def test_mlp_wgan_learns_digits_in_bfloat16(tmp_path, one_device_mesh, digits):
  """The same training with bfloat16 matrix products (mixed precision; parameters and losses in float32)."""
  config = WGANConfig(arch="mlp", generator_features=128, critic_features=128, latent_dim=32, batch_size=64,
                      learning_rate=1e-4, warmup_n_critic=20, steps=150, log_every=50, sample_every=1000,
                      checkpoint_every=1000, num_samples=16, loop="device", compute_dtype="bfloat16")
  _check_learns(config, tmp_path, one_device_mesh, digits, fall=0.5, versus_mean=0.95)


@pytest.mark.slow
def test_dcgan_wgan_learns_digits(tmp_path, one_device_mesh, digits):
  """The DCGAN pair at width 32 on 32x32 digits, 200 generator iterations (minutes on a CPU): 0.37 -> 0.065."""
  config = WGANConfig(arch="dcgan", generator_features=32, critic_features=32, latent_dim=32, batch_size=64,
                      learning_rate=2e-4, warmup_n_critic=20, steps=200, log_every=50, sample_every=1000,
                      checkpoint_every=1000, num_samples=16)
  _check_learns(config, tmp_path, one_device_mesh, digits, fall=0.3, versus_mean=0.6)
