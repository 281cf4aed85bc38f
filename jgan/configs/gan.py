"""GAN configuration (Goodfellow et al. 2014, arXiv:1406.2661, Algorithm 1; the MNIST model of their code).

Source: github.com/goodfeli/adversarial, `mnist.yaml` and `__init__.py` (`AdversaryCost2`, `Generator`).
  * Generator: z (100-d) -> 1200 ReLU -> 1200 ReLU -> 784 sigmoid (`mlp_layers=2`), initialized as the code
    initializes it (`generator_init='goodfellow'`, `jgan.models.maxout.GoodfellowGenerator`): every weight
    U(-0.05, 0.05), hidden biases 0, output biases at the logits of the training pixels' means (pylearn2's
    `init_sigmoid_bias_from_marginals`). z ~ N(0, I), the code's default noise; its final `mnist.yaml` (commit
    f77a509, "uniform noise turned out to be ok") draws U(-sqrt 3, sqrt 3), the same mean and variance per
    coordinate, which jgan's latents do not offer (listed below).
  * Discriminator: maxout 240 units x 5 pieces -> maxout 240 x 5 -> sigmoid, weights ~ U(-0.005, 0.005), dropout
    on each layer's input (keep 0.8 on the pixels, 0.5 on hidden units) in both players' steps (`arch="maxout"`,
    `jgan/models/maxout.py`).
  * SGD, batch 100, learning rate 0.1 divided by 1.000004 after every update (floor 1e-6), momentum 0.5 rising
    linearly to 0.7 over 250 epochs of 500 updates (`lr_decay`, `momentum_final`, `momentum_ramp_steps`).
  * The code's discriminator objective is half of -V(D, G) (0.5 (cost on data + cost on samples)); with plain SGD
    that is the same as a learning rate of 0.05 on jgan's -V, hence `learning_rate=0.05`,
    `generator_learning_rate=0.1`.
  * k = 1 discriminator step per generator step; the generator minimizes -log D(G(z)) (the code's and the paper's
    advice, Sec. 3); `--g-loss minimax` plays the saturating log(1 - D(G(z))) of Eq. 1.
  * Budget: neither the paper nor `mnist.yaml` states one (its `termination_criterion` is commented out: pylearn2
    trains until stopped, saving every epoch). The schedules it sets run in updates: momentum saturates after
    250 epochs of 500 updates, so the recipe's `steps` is those 125,000 updates (12.5 million images seen); the
    learning rate's decay (1.000004 per update) would only reach its 1e-6 floor after 2.9 million updates.
  * Data: the 8,000 training digits of `jgan.data.splits` (`heldout=2000` keeps the 1,000 validation and 1,000
    test digits out of training), in place of MNIST's first 50,000 training images; validation picks sigma and the
    checkpoint, test is read once (experiments/maxout/).

Deviations, each for a reason:
  * Alternating steps (Algorithm 1: the discriminator, then the generator on fresh noise). The code instead
    updates both players at once from one batch and one draw of noise: `--updates simultaneous` (the recorded
    runs alternate; seed 1's divergence happens either way, experiments/maxout/README.md).
  * The generator's sigmoid is mapped to jgan's [-1, 1] (2 sigmoid - 1) and the discriminator sees that image;
    the code's discriminator sees the sigmoid's [0, 1]. (Until issue 36 the recipe's generator was
    `jgan.models.mlp`'s, with PyTorch's initialization and a tanh output, `--generator-init torch`: one seed of
    three diverged at update 2,348, where with the code's initialization all three learn; experiments/maxout/.)
  * z ~ N(0, I) where the final `mnist.yaml` has U(-sqrt 3, sqrt 3) (both zero mean, unit variance).
  * The momentum ramp starts at update 0, not after the first epoch (500 updates of 125,000).
  * The 8,000 training digits, not MNIST's 50,000 training images; schedules and the budget are counted in
    updates, as the code counts them (an epoch of the digits is 80 updates where the code's was 500), so a run
    sees the same number of images and follows the same schedules; it passes over each digit 6 times as often.

    python -m jgan.experiments.gan                         # non-saturating generator loss, as the paper advises
    python -m jgan.experiments.gan --steps 8000            # the first 8,000 updates (experiments/maxout/)
    python -m jgan.experiments.gan --g-loss minimax        # the saturating log(1 - D(G(z)))
    python -m jgan.experiments.gan --n-critic 5            # k = 5 discriminator steps per generator step
    python -m jgan.experiments.gan --real-label 0.9        # one-sided label smoothing (Salimans et al. 2016)
"""

from __future__ import annotations

from jgan.configs.base import Config
from jgan.configs.presets import Preset

# Goodfellow et al.'s SGD schedules: 250 epochs of 500 updates (50,000 images, batch 100) of momentum ramp.
MOMENTUM_RAMP_STEPS = 250 * 500
# The budget: the end of that ramp (their code has no termination criterion; see the docstring).
STEPS = MOMENTUM_RAMP_STEPS
# The 2,000 digits outside the 8,000 training ones (jgan.data.splits: 1,000 validation, 1,000 test).
HELDOUT = 2000


def get_config() -> Config:
  return Config(game="gan", g_loss="non_saturating", arch="maxout", image_size=28, latent_dim=100, latent="normal",
                generator_features=1200, critic_features=240, mlp_layers=2, mlp_output="tanh",
                generator_init="goodfellow", clip_value=0.0, optimizer="sgd", learning_rate=0.05,
                generator_learning_rate=0.1, momentum=0.5, momentum_final=0.7,
                momentum_ramp_steps=MOMENTUM_RAMP_STEPS, lr_decay=1.000004, batch_size=100, n_critic=1,
                warmup_steps=0, warmup_n_critic=1, heldout=HELDOUT, steps=STEPS, sample_every=500,
                checkpoint_every=500)


# `--preset fast` (jgan.configs.presets): the changes to the recipe above, and why.
PRESETS = {"fast": Preset("readable digits in a few minutes: the paper's recipe for 5,000 updates; chosen on "
                          "validation FD over Adam 2e-4 for 4,000 (experiments/presets/choices/gan.json), both "
                          "measured with the generator that was the recipe's then (PyTorch's initialization, tanh), "
                          "which the preset keeps so that its recorded run is what it reproduces",
                          dict(steps=5000, sample_every=500, checkpoint_every=1000, generator_init="torch"))}
