"""GAN configuration (Goodfellow et al. 2014, arXiv:1406.2661, Algorithm 1; MNIST recipe of their code).

The paper's MNIST model (github.com/goodfeli/adversarial, `mnist.yaml`): generator z (100-d uniform) -> 1200 ReLU
-> 1200 ReLU -> 784 (sigmoid there; tanh here, since jgan's images live in [-1, 1]); discriminator 784 -> 240 ->
240 -> 1 (maxout units of 5 pieces and dropout there; see jgan/experiments/gan.py for what jgan runs); plain SGD,
learning rate 0.1, momentum 0.5, batch 100, k = 1 discriminator step per generator step.

    python -m jgan.experiments.gan                         # non-saturating generator loss, as the paper advises
    python -m jgan.experiments.gan --g-loss minimax        # the saturating log(1 - D(G(z)))
"""

from __future__ import annotations

from jgan.configs.base import Config


def get_config() -> Config:
  return Config(game="gan", g_loss="non_saturating", arch="mlp", image_size=28, latent_dim=100, latent="uniform",
                generator_features=1200, critic_features=240, mlp_layers=2, mlp_output="tanh", clip_value=0.0,
                optimizer="sgd", learning_rate=0.1, momentum=0.5, batch_size=100, n_critic=1, warmup_steps=0,
                warmup_n_critic=1, steps=5000, sample_every=250, checkpoint_every=1000)
