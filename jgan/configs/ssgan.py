"""Semi-supervised GAN configuration (Salimans et al. 2016, arXiv:1606.03498, Sec. 5; their MNIST code).

The paper's MNIST setting (github.com/openai/improved-gan, `mnist_svhn_cifar10/train_mnist_feature_matching.py`):
100 labels (10 per class) and every training image unlabeled, batch 100 for each stream, a K = 10 class
discriminator with the K + 1-th (fake) logit fixed at 0, feature matching for the generator on the
discriminator's last hidden layer, Adam with learning rate 3e-3 and beta1 0.5, 100-d uniform noise, one
discriminator step per generator step.

Deviations, each for a reason:
  * Nets: jgan's MLPs (`arch="mlp"`, ReLU, no batch norm), 28x28 inputs, 2 hidden layers of 500 in both players,
    where the code has a 1000-500-250-250-250 discriminator with Gaussian noise on every layer's input and weight
    normalization, and a 500-500 softplus generator with batch norm: a few minutes of CPU must suffice here.
  * Data: the embedded 10,000 digits, of which 2,000 are held out as the test set (`heldout=2000`, the digit
    classifier's split): 8,000 training images where the paper has MNIST's 60,000 and its 10,000 test digits.
  * Constant learning rate (the code decays it linearly over its last epochs) and far fewer updates.

    python -m jgan.experiments.ssgan --labels 100 --steps 3000 --out runs/ssgan
    python -m jgan.experiments.ssgan test-error runs/ssgan   # held-out error of the run's latest checkpoint
"""

from __future__ import annotations

from jgan.configs.base import Config


def get_config() -> Config:
  return Config(game="ssgan", g_loss="feature_matching", feature_layer=-1, labels=100, heldout=2000,
                num_classes=10, arch="mlp", image_size=28, latent_dim=100, latent="uniform", generator_features=500,
                critic_features=500, mlp_layers=2, mlp_output="tanh", clip_value=0.0, optimizer="adam",
                learning_rate=3e-3, beta1=0.5, beta2=0.999, batch_size=100, n_critic=1, warmup_steps=0,
                warmup_n_critic=1, steps=3000, log_every=50, sample_every=500, checkpoint_every=1000)
