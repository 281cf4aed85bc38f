"""InfoGAN configuration (Chen et al. 2016, arXiv:1606.03657, Sec. 5-7 and Appendix C.1, MNIST).

Source: the paper and its code (github.com/openai/InfoGAN, `launchers/run_mnist_exp.py`,
`infogan/models/regularized_gan.py`, `infogan/algos/infogan_trainer.py`, `infogan/misc/custom_ops.py`).
  * Nets (arch 'infogan', `jgan/models/infogan.py`): D = 4x4 conv 64 s2, lReLU -> 4x4 conv 128 s2, BN, lReLU -> FC
    1024, BN, lReLU -> FC 1; Q = FC 128, BN, lReLU -> FC 12 on the shared FC-1024 layer; G = FC 1024, BN, ReLU ->
    FC 7x7x128, BN, ReLU -> 4x4 deconv 64 s2, BN, ReLU -> 4x4 deconv 1 s2 on 28x28 images, whose output is the
    mean of a Bernoulli (sigmoid) that D is fed directly. Batch norm's running averages: TF's
    ExponentialMovingAverage(0.9), Flax momentum 0.9 (= PyTorch's 0.1); they are used only outside training.
  * Latent: 62-d noise U(-1, 1), a categorical code c1 ~ Cat(10), two continuous codes c2, c3 ~ U(-1, 1).
  * Q models c1 with a softmax and each continuous code with a Gaussian of unit variance (`fix_std=True`), so -log Q
    is a cross-entropy plus half a squared error (`jgan/games/infogan.py`).
  * lambda = 1 for every code (`info_reg_coeff=1.0`), added to both players' losses; the generator minimizes
    -log D(G(z)).
  * Adam with beta1 = 0.5, learning rate 2e-4 for the discriminator (and Q) and 1e-3 for the generator; batch 128;
    50 epochs of 100 updates (5,000 updates); one discriminator step, then one generator step on fresh noise.

Deviations:
  * Data: the embedded digits' 8,000 training images (`heldout=2000` leaves out the 2,000 that
    `jgan.data.splits` divides into validation and test) instead of MNIST's 55,000: 5,000 updates of 128 are 80
    epochs of them rather than 11.6 of MNIST. Batches are drawn by jgan's data stream, not per shuffled epoch.
  * lReLU leak 0.1 as the paper's Appendix C says; the code's `leaky_rectify` default is 0.01.
  * `loop='host'`: one compiled call per iteration, since XLA:CPU runs convolutions inside loops many times slower
    (only speed; 'device' gives the same updates).
Measured (experiments/infogan/README.md): at the paper's width, 5,000 updates (45-70 min on a 2-core CPU), clear
digits; c1 error on test 0.105 where c1's categories are the ten digits (seed 1), 0.294 where they pair 3 with 5
and 4 with 9 (seed 0); paper about 0.05. At width 16 (`generator_features = critic_features = 16`) it never drew
digits.
Sample grids have one row per category of c1; `python -m jgan.latent --mode codes` varies one code at a time.
The paper's measure (c1 as a classifier of real digits, categories matched to digits on validation, the error read
on test): `jgan.experiments.infogan.code_errors`, `experiments/infogan/run.py`.

    python -m jgan.experiments.infogan
"""

from __future__ import annotations

from jgan.configs.base import Config
from jgan.configs.presets import Preset


def get_config() -> Config:
  return Config(game="infogan", g_loss="non_saturating", arch="infogan", image_size=28, heldout=2000,
                latent_dim=62, latent="uniform", categorical_codes=10, continuous_codes=2, info_weight=1.0,
                generator_features=64, critic_features=64, clip_value=0.0, optimizer="adam", learning_rate=2e-4,
                generator_learning_rate=1e-3, beta1=0.5, beta2=0.999, batch_size=128, n_critic=1, warmup_steps=0,
                warmup_n_critic=1, steps=5000, loop="host", sample_every=500, checkpoint_every=500,
                num_samples=100)


# `--preset fast` (jgan.configs.presets): the changes to the recipe above, and why.
# Not narrower nets: at width 16 the recipe never drew digits in 5,000 updates, while the paper's width draws them,
# mostly one per category of c1, by update 300 (experiments/infogan/README.md).
PRESETS = {"fast": Preset("digits, mostly one per category of c1, in about 10 CPU minutes: the paper's nets for 400 "
                          "of its 5,000 iterations",
                          dict(steps=400, sample_every=100, checkpoint_every=100))}
