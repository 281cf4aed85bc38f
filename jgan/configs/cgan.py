"""Conditional GAN configuration (Mirza and Osindero 2014, arXiv:1411.1784, Sec. 4.1, MNIST).

Their MNIST model:
  * Generator: z (100-d, uniform in the unit hypercube) -> 200 ReLU, y (one-hot) -> 1000 ReLU, both -> 1200 ReLU
    -> 784 sigmoid (`jgan.models.maxout.ConditionalGenerator`, which the maxout arch takes for a cGAN).
  * Discriminator: x -> maxout 240 units x 5 pieces, y -> maxout 50 x 5, both -> joint maxout 240 x 4 -> sigmoid
    (`arch="maxout"`: the label maps the game appends to x take their own path; `jgan/models/maxout.py`).
  * SGD, batch 100, learning rate 0.1 decayed by a factor 1.00004 per update down to 1e-6, momentum 0.5 rising to
    0.7; dropout 0.5; "best estimate of log-likelihood on the validation set was used as stopping point".
  * Budget: the paper gives no number of epochs, only the stopping rule. Its decay reaches the 1e-6 floor after
    ln(0.1 / 1e-6) / ln(1.00004) = 287,829 updates (576 epochs of MNIST's 50,000 images), after which nothing
    changes: the recipe's `steps`. The stopping point is a checkpoint choice, made on the validation digits'
    Parzen log-likelihood by experiments/maxout/run.py (`test`), checkpoints every 500 updates.

Deviations and choices where the paper is silent, each found necessary by runs on the digits
(experiments/maxout/README.md; results/cgan_recipe_trials.json and results/diagnostics/cgan_init_trials.json):
  * The generator has no dropout (the paper: 0.5 on both nets): with it the generator took its variety from the
    dropout masks and ignored z and y.
  * z ~ N(0, I), not U(0, 1)^100: with the unit hypercube's small spread the samples did not depend on z. (The code
    the paper builds on, Goodfellow et al.'s, draws N(0, I) or U(-sqrt 3, sqrt 3): unit variance either way.)
  * Initialization (the paper states none): the generator as Goodfellow et al.'s code initializes theirs
    (`generator_init='goodfellow'`: U(-0.05, 0.05) weights, zero hidden biases, output biases at the logits of the
    training pixels' means); the discriminator's layers at pylearn2's U(-0.005, 0.005) but its label path at
    U(-1/sqrt(10), 1/sqrt(10)) (`critic_label_init='fan_in'`). With PyTorch's initialization in the generator (the
    recipe before) the generator kept one image per class for 16,000 updates while the discriminator scored a digit
    the same under its true and a wrong label; with Goodfellow et al.'s generator the samples vary with z, and the
    fan-in label path lets the discriminator, then the generator, use y within ~6,000 updates (class accuracy of
    the samples 0.82 at 8,000, against 0.29 with the label path at 0.005).
  * The discriminator's kernel columns are held to norm 1.9365 (`max_col_norm`), the constraint pylearn2's maxout
    layers carried in Goodfellow et al. 2013's MNIST model; the paper names none, and without it the weights grew
    until the losses were non-finite (with the earlier generator).
  * The discriminator keeps 0.8 of the pixels and 0.5 of the hidden units (Goodfellow et al.'s code, which theirs
    builds on); the paper says only "dropout 0.5".
  * The momentum ramp's length is not given: Goodfellow et al.'s (250 epochs of 500 updates) is used.
  * Their code is not public. Goodfellow et al.'s code, which the paper builds on, halves the discriminator's
    objective; with SGD that is a learning rate of 0.05 on jgan's -V, hence `learning_rate=0.05`,
    `generator_learning_rate=0.1`. The stated 0.1 applied to the whole -V diverged (non-finite after ~115
    updates on the digits; experiments/family/README.md).
  * Alternating steps, k = 1.
  * The 8,000 training digits of `jgan.data.splits` (`heldout=2000`: validation and test digits held out), not
    MNIST's 50,000; the budget and schedules are counted in updates, as the code counts them (an epoch of the
    digits is 80 updates).
Sample grids have one row per class (100 samples, 10 per row).

    python -m jgan.experiments.cgan
"""

from __future__ import annotations

from jgan.configs.base import Config
from jgan.configs.gan import HELDOUT, MOMENTUM_RAMP_STEPS
from jgan.configs.presets import Preset

# pylearn2's maxout constraint as Goodfellow et al. 2013 set it for MNIST (arXiv:1302.4389, their mnist_pi.yaml).
MAX_COL_NORM = 1.9365
# Updates until the learning rate's decay (0.1 divided by 1.00004 per update) reaches its 1e-6 floor.
STEPS = 287_829


def get_config() -> Config:
  return Config(game="cgan", g_loss="non_saturating", arch="maxout", image_size=28, latent_dim=100,
                latent="normal", generator_features=1200, critic_features=240, mlp_layers=2, mlp_output="tanh",
                clip_value=0.0, optimizer="sgd", learning_rate=0.05, generator_learning_rate=0.1, momentum=0.5,
                momentum_final=0.7, momentum_ramp_steps=MOMENTUM_RAMP_STEPS, lr_decay=1.00004, batch_size=100,
                max_col_norm=MAX_COL_NORM, generator_init="goodfellow", critic_label_init="fan_in", n_critic=1,
                warmup_steps=0, warmup_n_critic=1, heldout=HELDOUT, steps=STEPS, sample_every=500,
                checkpoint_every=500, num_samples=100)


# `--preset fast` (jgan.configs.presets): the changes to the recipe above, and why.
PRESETS = {"fast": Preset("digits of the requested class in a few minutes: DCGAN nets of width 32 and Adam 2e-4 "
                          "(beta1 0.5) instead of the paper's maxout MLPs and SGD, which show nothing in 1,000 "
                          "updates (experiments/family/), 800 iterations",
                          dict(arch="dcgan", image_size=32, latent="uniform", max_col_norm=0.0, generator_init="torch",
                               critic_label_init="pylearn2", generator_features=32,
                               critic_features=32, optimizer="adam", learning_rate=0.0002,
                               generator_learning_rate=0.0, beta1=0.5, steps=800, sample_every=100,
                               checkpoint_every=200))}
