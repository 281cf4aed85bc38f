"""InfoGAN configuration (Chen et al. 2016, arXiv:1606.03657, Sec. 5-7 and Appendix C.1, MNIST).

Source: the paper and its code (github.com/openai/InfoGAN, `launchers/run_mnist_exp.py`, `infogan_trainer.py`).
  * Latent: 62-d noise U(-1, 1), a categorical code c1 ~ Cat(10), two continuous codes c2, c3 ~ U(-1, 1).
  * Q shares the discriminator's trunk; it models c1 with a softmax and each continuous code with a Gaussian of
    unit variance (`fix_std=True`), so -log Q is a cross-entropy plus half a squared error (`jgan/games/infogan.py`).
  * lambda = 1 for every code (`info_reg_coeff=1.0`), added to both players' losses; the generator minimizes
    -log D(G(z)).
  * Adam with beta1 = 0.5, learning rate 2e-4 for the discriminator (and Q) and 1e-3 for the generator; batch 128;
    50 epochs of 100 updates (5,000 updates); one discriminator step, then one generator step on fresh noise.

Deviations:
  * Nets: jgan's DCGAN pair at 32x32 (4x4 stride-2 convolutions with batch norm; `jgan/models/dcgan.py`), with Q a
    linear head on the discriminator's last convolutional features. The paper's MNIST nets are a 2-conv + FC-1024
    discriminator with Q = FC-128 + BN + LeakyReLU + FC on the shared FC-1024 layer, and an FC-1024 -> FC-7x7x128 ->
    2 transposed convolutions generator on 28x28 images with a Bernoulli (sigmoid) output; tanh here.
  * The embedded 10,000 digits, padded to 32x32, instead of MNIST's 55,000 training images.
Sample grids have one row per category of c1; `python -m jgan.latent --mode codes` varies one code at a time.

    python -m jgan.experiments.infogan
"""

from __future__ import annotations

from jgan.configs.base import Config
from jgan.configs.presets import Preset


def get_config() -> Config:
  return Config(game="infogan", g_loss="non_saturating", arch="dcgan", image_size=32, latent_dim=62,
                latent="uniform", categorical_codes=10, continuous_codes=2, info_weight=1.0, generator_features=64,
                critic_features=64, clip_value=0.0, optimizer="adam", learning_rate=2e-4,
                generator_learning_rate=1e-3, beta1=0.5, beta2=0.999, batch_size=128, n_critic=1, warmup_steps=0,
                warmup_n_critic=1, steps=5000, sample_every=250, checkpoint_every=1000, num_samples=100)


# `--preset fast` (jgan.configs.presets): the changes to the recipe above, and why.
PRESETS = {"fast": Preset("digits whose categorical code starts to pick the class in a few minutes: nets of width "
                          "32, 1,000 iterations",
                          dict(generator_features=32, critic_features=32, steps=1000, sample_every=100,
                               checkpoint_every=250))}
