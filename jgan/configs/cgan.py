"""Conditional GAN configuration (Mirza and Osindero 2014, arXiv:1411.1784, Sec. 4.1, MNIST).

Their MNIST model: z (100-d uniform) and the one-hot label y feed the generator (ReLU hidden layers, 1200 wide at
the joint layer, sigmoid output; tanh here), x and y feed the discriminator (maxout layers, 240 wide); SGD with
learning rate 0.1, momentum 0.5, batch 100. jgan concatenates y to the nets' inputs (see jgan/games/cgan.py);
sample grids have one row per class (100 samples, 10 per row).

    python -m jgan.experiments.cgan
"""

from __future__ import annotations

from jgan.configs.base import Config


def get_config() -> Config:
  return Config(game="cgan", g_loss="non_saturating", arch="mlp", image_size=28, latent_dim=100, latent="uniform",
                generator_features=1200, critic_features=240, mlp_layers=2, mlp_output="tanh", clip_value=0.0,
                optimizer="sgd", learning_rate=0.1, momentum=0.5, batch_size=100, n_critic=1, warmup_steps=0,
                warmup_n_critic=1, steps=5000, sample_every=250, checkpoint_every=1000, num_samples=100)
