"""SimGAN (Shrivastava et al. 2017, "Learning from Simulated and Unsupervised Images through Adversarial Training",
arXiv:1612.07828): refiner, local discriminator, history buffer, step and scores.

A refiner R turns a simulated image x (here a font-rendered digit with a known label, `jgan.data.simulated_digits`)
into a refined image R(x) that a local discriminator D cannot tell from real images (the embedded handwritten
digits, unlabelled), while a self-regularization term keeps it close to x, so that x's label still holds:
  L_R = sum_i [ -sum_patches log D_real(R(x_i)) + lambda ||R(x_i) - x_i||_1 ]          (Eq. 3-4, psi = identity)
  L_D = -sum_i sum_patches log D_fake(R(x_i)) - sum_j sum_patches log D_real(y_j)       (Eq. 2, per patch, Sec. 2.2)
D outputs a w x h map of 2-class probabilities, one per local patch; both losses are cross entropies summed (here
averaged) over the patches. D's refined images come half from the current refiner and half from a buffer of
earlier refined images (Sec. 2.3; `jgan.models.image_pool.half_from_history`). Each iteration makes K_g refiner
updates, then K_d discriminator updates (Algorithm 1), each on its own batch; before the game, as Sec. 3.1 does, R
is trained on the self-regularization alone for `refiner_pretrain` updates and D against it for
`discriminator_pretrain` updates (one update per iteration, counted in the run's iterations).

Nets (Sec. 3.1, eye-gaze): R = 3x3 conv of 64 maps, 4 ResNet blocks (two 3x3 convs of 64 maps each), a 1x1 conv to
the image's channels (linear in the recipe, as the paper names no non-linearity; `refiner_output='tanh'` bounds it
to the images' [-1, 1], what runs before that field had); D = conv3x3/2 96, conv3x3/2 64, max-pool 3x3/1, conv3x3 32,
conv1x1 32, conv1x1 2, softmax (ReLU between). The ResNet block is the shared one (`jgan.models.resnet`) without
normalization and with zero padding.
"""

from __future__ import annotations

from typing import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgan import parallel
from jgan.adaptation.config import SimGANConfig
from jgan.adaptation.data import DomainPairSource, with_channels
from jgan.models import image_pool
from jgan.models.resnet import ResnetBlock
from jgan.state import MultiNetState, Phase
from jgan.updates import nonfinite, phase_update, stream_key

_DATA, _POOL = 0, 1
SIDE, REAL_DOMAIN = 32, "digits"
FAKE, REAL = 0, 1  # the local discriminator's two classes per patch


class Refiner(nn.Module):
  """R: (N, H, W, C) simulated images in [-1, 1] -> refined images of the same shape, in [-1, 1]."""

  channels: int = 1
  features: int = 64
  blocks: int = 4
  output: str = "tanh"  # or "linear", the paper's 1x1 convolution as it names it (`SimGANConfig.refiner_output`)

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    h = nn.relu(nn.Conv(self.features, (3, 3), padding="SAME")(x))
    for i in range(self.blocks):
      h = nn.relu(ResnetBlock(self.features, norm="none", padding="zero", name=f"block_{i}")(h, train=train))
    out = nn.Conv(self.channels, (1, 1))(h)
    return jnp.tanh(out) if self.output == "tanh" else out


class LocalDiscriminator(nn.Module):
  """D: (N, H, W, C) -> (N, H/4, W/4, 2) logits of (refined, real) for each local patch (Sec. 2.2, 3.1)."""

  features: int = 96

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    del train
    h = nn.relu(nn.Conv(self.features, (3, 3), (2, 2), padding="SAME")(x))
    h = nn.relu(nn.Conv(64, (3, 3), (2, 2), padding="SAME")(h))
    h = nn.max_pool(h, (3, 3), strides=(1, 1), padding="SAME")
    h = nn.relu(nn.Conv(32, (3, 3), padding="SAME")(h))
    h = nn.relu(nn.Conv(32, (1, 1))(h))
    return nn.Conv(2, (1, 1))(h)


def build_nets(config: SimGANConfig) -> dict[str, tuple[nn.Module, np.ndarray]]:
  example = np.zeros((1, SIDE, SIDE, 1), np.float32)
  return {"refiner": (Refiner(1, config.refiner_features, config.refiner_blocks, config.refiner_output), example),
          "discriminator": (LocalDiscriminator(config.discriminator_features), example)}


def make_phases(config: SimGANConfig) -> tuple[Phase, ...]:
  return (Phase("refiner", ("refiner",), config.adam()), Phase("discriminator", ("discriminator",), config.adam()))


def create_state(config: SimGANConfig, axis_name: str | None = None) -> MultiNetState:
  """A fresh state from `config.seed`, with an empty history buffer (`buffers['history']`; none without history:
  a checkpoint cannot hold a zero-size array)."""
  del axis_name  # no batch norm
  from jgan.adaptation.experiment import init_nets, run_keys
  keys = run_keys(config.seed)
  buffers = {"history": image_pool.ImagePool.create(config.history_size, (SIDE, SIDE, 1))} if config.history_size else {}
  return MultiNetState.create(init_nets(build_nets(config), keys["init"]), make_phases(config), keys["step"],
                              buffers=buffers)


def patch_loss(logits: jax.Array, label: int) -> jax.Array:
  """The mean over images and patches of the cross entropy of each patch's 2-class logits against `label`."""
  return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, jnp.full(logits.shape[:-1], label)))


def self_regularization(refined: jax.Array, simulated: jax.Array) -> jax.Array:
  """||psi(R(x)) - psi(x)||_1 with psi the identity, as a mean over pixels (Eq. 4)."""
  return jnp.mean(jnp.abs(refined - simulated))


def _refiner_loss(state: MultiNetState, params: dict, simulated: jax.Array, config: SimGANConfig, *, game: bool
                  ) -> tuple[jax.Array, dict]:
  """L_R (Eq. 3-4) with the refiner's `params`, or in pre-training (`game` False) the self-regularization alone;
  the metrics report both terms and the game's L_R either way."""
  refined = state.nets["refiner"](simulated, params=params["refiner"], train=True)[0]
  logits = state.nets["discriminator"](refined, train=False)[0]
  realism, regular = patch_loss(logits, REAL), self_regularization(refined, simulated)
  objective = realism + config.self_regularization * regular
  loss = objective if game else regular
  return loss, {"metrics": {"g_loss": objective, "g_realism": realism, "g_self_regularization": regular}}


def _discriminator_loss(state: MultiNetState, params: dict, shown: jax.Array, real: jax.Array
                        ) -> tuple[jax.Array, dict]:
  """L_D (Eq. 2, per patch) with the discriminator's `params` on refined images `shown` and real images `real`."""
  fake_logits = state.nets["discriminator"](shown, params=params["discriminator"], train=True)[0]
  real_logits = state.nets["discriminator"](real, params=params["discriminator"], train=True)[0]
  loss = patch_loss(fake_logits, FAKE) + patch_loss(real_logits, REAL)
  return loss, {"metrics": {"d_loss": loss, "d_real": jnp.mean(jax.nn.softmax(real_logits)[..., REAL]),
                            "d_fake": jnp.mean(jax.nn.softmax(fake_logits)[..., REAL])}}


def _shown_to_discriminator(state: MultiNetState, simulated: jax.Array, pool_key: jax.Array, config: SimGANConfig
                            ) -> tuple[MultiNetState, jax.Array]:
  """The refined half of a discriminator batch: the current refiner's images, half of them replaced from the history
  buffer (which takes the current ones in) when there is one (Sec. 2.3)."""
  refined = state.nets["refiner"](simulated, train=False)[0]
  if not config.history_size:
    return state, refined
  shown, history = image_pool.half_from_history(state.buffers["history"], refined, pool_key)
  return state.replace(buffers={**state.buffers, "history": history}), shown


def _measured(loss_and_aux: tuple[jax.Array, dict], state: MultiNetState, phase: str, prefix: str) -> dict:
  """The metrics of a player that is not updated this iteration, so that every iteration reports the same keys."""
  loss, aux = loss_and_aux
  return {**aux["metrics"], f"{prefix}_nonfinite": nonfinite(loss, state.params(phase))}


def _draw(state: MultiNetState, source: DomainPairSource, config: SimGANConfig, k: int, axis_name: str | None
          ) -> tuple[jax.Array, jax.Array]:
  """Draw `k` of this iteration: half a batch of simulated images and half a batch of real ones."""
  batch = source.batch(stream_key(state.rng, _DATA, k), state.step, config.batch_size // 2, axis_name)
  return batch["source"], batch["target"]


def train_step(state: MultiNetState, source: DomainPairSource, constants: None = None, *, config: SimGANConfig,
               axis_name: str | None = None) -> tuple[MultiNetState, dict[str, jax.Array]]:
  """One iteration of Algorithm 1: K_g refiner updates, then K_d discriminator updates, each on its own batch (see
  the module docstring). `source` holds the simulated images as its source domain and the real ones as its target."""
  del constants
  metrics = {}
  for k in range(config.generator_steps + config.discriminator_steps):
    simulated, real = _draw(state, source, config, k, axis_name)
    if k < config.generator_steps:
      loss_fn = lambda params: _refiner_loss(state, params, simulated, config, game=True)  # noqa: E731
      state, out = phase_update(state, "refiner", loss_fn, axis_name=axis_name, prefix="g")
    else:
      pool_key = stream_key(state.rng, _POOL, state.step * config.discriminator_steps + k)
      state, shown = _shown_to_discriminator(state, simulated, pool_key, config)
      loss_fn = lambda params: _discriminator_loss(state, params, shown, real)  # noqa: E731
      state, out = phase_update(state, "discriminator", loss_fn, axis_name=axis_name, prefix="d")
    metrics.update(out["metrics"])  # the last update's of each player
  return state.replace(step=state.step + 1), parallel.pmean(metrics, axis_name)


def refiner_pretraining_step(state: MultiNetState, source: DomainPairSource, constants: None = None, *,
                             config: SimGANConfig, axis_name: str | None = None
                             ) -> tuple[MultiNetState, dict[str, jax.Array]]:
  """One pre-training iteration of R (Sec. 3.1): one update on the self-regularization alone, so that the game
  starts from a near-identity refiner; D is not updated (its metrics are measured)."""
  del constants
  simulated, real = _draw(state, source, config, 0, axis_name)
  loss_fn = lambda params: _refiner_loss(state, params, simulated, config, game=False)  # noqa: E731
  state, out = phase_update(state, "refiner", loss_fn, axis_name=axis_name, prefix="g")
  shown = state.nets["refiner"](simulated, train=False)[0]
  measured = _measured(_discriminator_loss(state, state.params("discriminator"), shown, real), state,
                       "discriminator", "d")
  return state.replace(step=state.step + 1), parallel.pmean({**out["metrics"], **measured}, axis_name)


def discriminator_pretraining_step(state: MultiNetState, source: DomainPairSource, constants: None = None, *,
                                   config: SimGANConfig, axis_name: str | None = None
                                   ) -> tuple[MultiNetState, dict[str, jax.Array]]:
  """One pre-training iteration of D (Sec. 3.1): one update against the pre-trained refiner, through the history
  buffer as in the game; R is not updated (its metrics are measured)."""
  del constants
  simulated, real = _draw(state, source, config, 0, axis_name)
  pool_key = stream_key(state.rng, _POOL, state.step * config.discriminator_steps)
  state, shown = _shown_to_discriminator(state, simulated, pool_key, config)
  loss_fn = lambda params: _discriminator_loss(state, params, shown, real)  # noqa: E731
  state, out = phase_update(state, "discriminator", loss_fn, axis_name=axis_name, prefix="d")
  measured = _measured(_refiner_loss(state, state.params("refiner"), simulated, config, game=True), state,
                       "refiner", "g")
  return state.replace(step=state.step + 1), parallel.pmean({**measured, **out["metrics"]}, axis_name)


def schedule(config: SimGANConfig) -> tuple[tuple[int | None, Callable], ...]:
  """The run's step functions by iteration, ((end, step), ...): R's pre-training before `refiner_pretrain`, D's
  until `discriminator_pretrain` more, then the game. Each is compiled on its own and the host picks one per
  iteration: inside one program behind `lax.switch` the convolutions ran 5 times slower on XLA:CPU (2.18 s against
  0.43 s per game iteration, the 2,000-iteration recipe of experiments/adaptation/run.py)."""
  end_r = config.refiner_pretrain
  end_d = end_r + config.discriminator_pretrain
  phases = ((end_r, refiner_pretraining_step), (end_d, discriminator_pretraining_step), (None, train_step))
  return tuple((end, step) for (end, step), begin in zip(phases, (0, end_r, end_d)) if end is None or end > begin)


@jax.jit
def _refine(state: MultiNetState, images: jax.Array) -> jax.Array:
  return state.nets["refiner"](images, train=False)[0]


def refine(state: MultiNetState, images: np.ndarray, batch_size: int = 250) -> np.ndarray:
  """R(x) of uint8 simulated images as floats in [-1, 1], in fixed-size batches."""
  from jgan.adaptation.data import in_batches
  return in_batches(lambda x: _refine(state, x), images, batch_size)


# --- What the shared experiment (`jgan.adaptation.experiment`) asks of a method. ---

PLAYERS = {"g": "refiner", "d": "local discriminator"}
HEADLINE = "refined_label_accuracy"


def describe(config: SimGANConfig) -> tuple[str, str, str]:
  name = "SimGAN" if config.history_size else "SimGAN without history"
  return f"{name}: simulated digits -> {REAL_DOMAIN}", "g_loss", "refiner objective"


def training_source(config: SimGANConfig) -> tuple[DomainPairSource, dict]:
  from jgan.adaptation.data import domain_split
  from jgan.data.simulated_digits import load_simulated_digits
  simulated, labels = load_simulated_digits("train")
  real, real_labels = domain_split(REAL_DOMAIN, "train")  # the labels are never read by the step
  return (DomainPairSource.from_arrays(simulated, labels, real, real_labels),
          {"simulated_train": len(labels), "real_train": len(real_labels)})


def step_constants(config: SimGANConfig) -> None:
  del config
  return None


def evaluation_data(config: SimGANConfig, split: str, count: int | None) -> dict:
  from jgan.adaptation.experiment import labelled_split
  from jgan.data.simulated_digits import load_simulated_digits
  simulated, labels = load_simulated_digits(split)
  if count is not None and count < len(labels):
    index = np.linspace(0, len(labels) - 1, count).round().astype(int)
    simulated, labels = simulated[index], labels[index]
  del config
  return {"simulated": (simulated, labels), "real": labelled_split(REAL_DOMAIN, split, count)}


def scores(state: MultiNetState, config: SimGANConfig, data: dict) -> dict[str, float]:
  """Whether refinement keeps the label: the real-digit classifier's accuracy on R(x) and on x with x's label, and
  its agreement between the two; and how far R moves x (the self-regularization's mean L1)."""
  from jgan.data import to_unit_range
  from jgan.translation.evaluate import scorer
  del config
  simulated, labels = data["simulated"]
  refined = refine(state, simulated)
  digits = scorer(REAL_DOMAIN)
  refined_pred = np.argmax(digits.probs(refined), -1)
  simulated_pred = np.argmax(digits.probs(simulated), -1)
  return {"refined_label_accuracy": float(np.mean(refined_pred == labels)),
          "simulated_label_accuracy": float(np.mean(simulated_pred == labels)),
          "label_agreement": float(np.mean(refined_pred == simulated_pred)),
          "mean_l1_change": float(np.mean(np.abs(refined - np.asarray(to_unit_range(jnp.asarray(simulated)))))),
          "simulated_images": len(labels)}


def sample_picture(state: MultiNetState, config: SimGANConfig, shown: dict) -> np.ndarray:
  """Rows of: simulated | refined | a real digit."""
  from jgan import images as image_io
  from jgan.data import to_uint8
  del config
  simulated, real = shown["simulated"][0], shown["real"][0]
  count = min(len(simulated), len(real))
  columns = [simulated[:count], to_uint8(refine(state, simulated[:count])), real[:count]]
  rows = [np.concatenate([c[i] for c in columns], axis=1) for i in range(count)]
  return image_io.grid(np.stack(rows), columns=4)


def train_digit_classifier(images: np.ndarray, labels: np.ndarray, *, epochs: int, seed: int) -> dict:
  """A `DigitCNN` trained on `images` alone (`jgan.eval.train_classifier.fit`, its augmentation), the epoch chosen on
  the real digits' validation split; returns its params and record."""
  from jgan.adaptation.data import domain_split
  from jgan.eval import train_classifier
  val_images, val_labels = domain_split(REAL_DOMAIN, "validation")
  result = train_classifier.fit(images, labels, val_images, val_labels, epochs=epochs, batch_size=128,
                                learning_rate=3e-3, seed=seed, log=None)
  return {"params": result.params, "best_epoch": result.best_epoch,
          "validation_accuracy": result.validation_accuracy[result.best_epoch - 1],
          "validation_per_epoch": result.validation_accuracy}


def classifier_transfer(run_dir, *, epochs: int = 5, seed: int = 0) -> dict:
  """The paper's test (its Table 2-3, there gaze estimation): a digit classifier trained only on simulated images and
  one trained only on their refinements by the run's refiner, each on the 8,000 simulated training digits with their
  labels, epoch chosen on the real validation digits, then scored once on the real test digits."""
  from jgan.adaptation.data import domain_split
  from jgan.adaptation.experiment import load
  from jgan.data import to_uint8
  from jgan.data.simulated_digits import load_simulated_digits
  from jgan.eval import train_classifier
  state, _, _ = load(run_dir)
  simulated, labels = load_simulated_digits("train")
  refined = to_uint8(refine(state, simulated))
  test_images, test_labels = domain_split(REAL_DOMAIN, "test")
  out = {}
  for name, images in (("simulated", simulated), ("refined", refined)):
    trained = train_digit_classifier(images, labels, epochs=epochs, seed=seed)
    out[name] = {"test_accuracy": train_classifier.accuracy(trained.pop("params"), test_images, test_labels),
                 **trained}
  return out
