"""Semi-supervised GAN configuration: the paper's MNIST recipe (Salimans et al. 2016, arXiv:1606.03498, Sec. 5).

Source: their code, github.com/openai/improved-gan, `mnist_svhn_cifar10/train_mnist_feature_matching.py` and the
MNIST layers of its `nn.py` (commit 0fa06b5). Reproduced:
  * Nets (arch 'ssgan_mlp', `jgan.models.layers_improved`): discriminator = Gaussian noise 0.3 on the pixels, then
    weight-normalized ReLU layers 1000-500-250-250-250 each followed by Gaussian noise 0.5, then a weight-normalized
    linear layer to K = 10 logits (the K + 1-th, fake, logit fixed at 0); weights V ~ N(0, 0.1), scales and biases
    from their data-dependent initialization on 500 random training images (noise on, as their `init_param` pass),
    hidden scales then fixed, the output scale trained. Generator = z ~ U(0, 1)^100 (Theano's `uniform`) -> 500 ->
    500 (Glorot-uniform dense, batch norm without scale, softplus) -> 784 (weight-normalized columns, sigmoid).
  * Losses (`jgan.games.ssgan`): loss_lab (cross-entropy of the 10 logits on a labeled batch) + loss_unl
    (-0.5 mean lse(l_unl) + 0.5 mean softplus(lse(l_unl)) + 0.5 mean softplus(lse(l_gen))), unlabeled weight 1;
    the generator's feature matching on the last hidden layer (250, after its ReLU, before its noise, with the
    noise of the layers below on), as the mean over features of the squared difference of the batch means.
  * Optimizer: their `adam_updates`: Adam at 0.003, beta1 0.5, beta2 0.999, epsilon 1e-8 INSIDE the square root
    (optax's `eps_root`), for both players. Their MNIST script keeps the rate constant (`lr = 0.003` for all
    300 epochs): the linear decay of their CIFAR-10 and SVHN scripts is not part of the MNIST recipe.
  * Schedule: one discriminator step (a labeled batch of 100, an unlabeled batch of 100 and 100 generated images)
    then one generator step (a fresh unlabeled batch and fresh noise) per update; 100 labels, 10 per class, drawn
    from the training set with the run's seed; each labeled batch is the 100 labeled images in a fresh order (their
    code tiles permutations of them). 300 epochs over the unlabeled set, as theirs.
  * Pixels in [0, 1] as theirs: jgan's data come in [-1, 1] and the nets convert at their boundary ((x + 1) / 2 in
    the discriminator, 2 s - 1 after the generator's sigmoid), so the nets compute exactly on [0, 1].

Deviations, each for a reason:
  * Data: the embedded 10,000 digits (`jgan.data.splits`): 8,000 'train' digits (unlabeled, and the 100 labeled
    among them) where the paper has MNIST's 60,000; 'validation' (1,000) chooses the checkpoint, 'test' (1,000,
    read once) gives the reported error, where the paper reports on MNIST's 10,000 test digits. The run holds the
    2,000 out with `heldout=2000`, the same split.
  * Updates: 300 epochs of OUR unlabeled set are 300 x 80 = 24,000 updates, where theirs are 300 x 600 =
    180,000: the epoch count is the paper's. 24,000 updates take about 25 minutes on a 2-core CPU; three seeds
    and their learning curves (flat from about 16,000 updates) are in experiments/improved/README.md.
  * Evaluation weights: their test error uses an exponential moving average of the discriminator's parameters
    (rate 1e-4 per update, from zeros); jgan keeps none in the training state, and `test-error` chooses on the
    validation split between the trained parameters and the same average taken over the kept checkpoints.
  * Noise and batch order come from JAX's keys, not Theano's streams; the generator's batch norm uses running
    statistics when sampling grids (their code never samples outside training mode).

    python -m jgan.experiments.ssgan --out runs/ssgan                # 24,000 updates
    python -m jgan.experiments.ssgan test-error runs/ssgan           # test error of the best validation checkpoint
"""

from __future__ import annotations

from jgan.configs.base import Config

EPOCHS = 300  # their `for epoch in range(300)`
TRAIN_IMAGES = 8000  # the 'train' split of the embedded digits
BATCH_SIZE = 100


def get_config() -> Config:
  return Config(game="ssgan", g_loss="feature_matching", feature_layer=-1, labels=100, heldout=2000,
                num_classes=10, arch="ssgan_mlp", image_size=28, latent_dim=100, latent="unit_uniform",
                clip_value=0.0, optimizer="adam", learning_rate=3e-3, beta1=0.5, beta2=0.999,
                batch_size=BATCH_SIZE, n_critic=1, warmup_steps=0, warmup_n_critic=1,
                steps=EPOCHS * TRAIN_IMAGES // BATCH_SIZE, log_every=100, sample_every=2000, checkpoint_every=1000,
                keep_checkpoints=30, eval_every=1000)
