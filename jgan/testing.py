"""Helpers for jgan's tests: tiny configs and states that compile in seconds, fake images, a sample distance."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgan import models, transforms
from jgan.configs.wgan import WGANConfig
from jgan.state import GANState, MultiNetState, Phase, PlayerState

# A run of a few seconds: an MLP of width 16 on the digits (padded to 32 so that samples crop back to 28x28),
# short warm-up, two critic steps per iteration, and every output (metrics, samples, checkpoints) written.
TINY = dict(arch="mlp", image_size=32, latent_dim=8, generator_features=16, critic_features=16, batch_size=8,
            n_critic=2, warmup_steps=2, warmup_n_critic=4, warmup_every=500, steps=6, log_every=3, sample_every=3,
            checkpoint_every=3, num_samples=4, loop="device")


def tiny_config(**overrides) -> WGANConfig:
  """`WGANConfig` with the `TINY` fields, then `overrides`."""
  return dataclasses.replace(WGANConfig(**TINY), **overrides)


def tiny_state(arch: str = "mlp", *, image_size: int = 8, channels: int = 1, features: int = 16, latent_dim: int = 8,
               learning_rate: float = 5e-5, seed: int = 0, axis_name: str | None = None) -> GANState:
  """A fresh `GANState` of small nets with the WGAN optimizer (RMSProp, PyTorch semantics), from `seed`."""
  generator, critic = models.build(arch, shape=(image_size, image_size, channels), generator_features=features,
                                   critic_features=features, axis_name=axis_name)
  tx = transforms.rmsprop_torch(learning_rate)
  g_rng, d_rng, step_rng = jax.random.split(jax.random.PRNGKey(seed), 3)
  g = PlayerState.create(generator, tx, g_rng, jnp.zeros((1, latent_dim)))
  d = PlayerState.create(critic, tx, d_rng, jnp.zeros((1, image_size, image_size, channels)))
  return GANState.create(g, d, step_rng)


def fake_images(num: int, image_size: int, channels: int = 1, seed: int = 0) -> np.ndarray:
  """`num` uint8 images of uniform noise, (num, image_size, image_size, channels)."""
  return np.random.default_rng(seed).integers(0, 256, (num, image_size, image_size, channels), dtype=np.uint8)


def sliced_wasserstein(x: np.ndarray, y: np.ndarray, *, num_projections: int = 256, seed: int = 0) -> float:
  """Sliced Wasserstein-1 distance between two equally sized image sets (any shape, compared flattened)."""
  from jgan import eval as jgan_eval  # the library's estimator: random unit directions, sorted projections
  return float(jgan_eval.sliced_wasserstein(jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.float32),
                                            jax.random.PRNGKey(seed), num_projections=num_projections))


def tree_equal(a, b) -> bool:
  """Whether two pytrees have the same leaf paths and bit-identical leaves (static fields are not compared)."""
  leaves_a, leaves_b = jax.tree_util.tree_leaves_with_path(a), jax.tree_util.tree_leaves_with_path(b)
  return ([path for path, _ in leaves_a] == [path for path, _ in leaves_b]
          and all(np.array_equal(np.asarray(x), np.asarray(y)) for (_, x), (_, y) in zip(leaves_a, leaves_b)))


def with_sgd(state: MultiNetState, learning_rate: float = 0.05) -> MultiNetState:
  """`state` with plain SGD in every phase: on several devices, a gradient summed instead of averaged changes SGD's
  step by the device count, where Adam's normalisation would hide it."""
  phases = tuple(Phase(p.name, p.nets, optax.sgd(learning_rate)) for p in state.phases)
  return MultiNetState.create(state.nets, phases, state.rng, state.buffers)
