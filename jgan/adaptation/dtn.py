"""The Domain Transfer Network (Taigman, Polyak & Wolf 2017, arXiv:1611.02200): nets, phases, step and scores.

G = g(f(x)): f is a fixed function of both domains (here the shipped classifier of the source domain S,
`jgan.eval.domain_classifiers`, its 128 penultimate ReLU units: "f pretrained on S", frozen), g is trained to turn
f's representation into an image of the target domain T. The ternary discriminator D tells apart G(x), x in S
(class 1 in the paper, index 0 here), G(x), x in T (class 2, index 1) and real x in T (class 3, index 2):
  L_D    = -E_S log D_1(G(x)) - E_T log D_2(G(x)) - E_T log D_3(x)                    (Eq. 3)
  L_GANG = -E_S log D_3(G(x)) - E_T log D_3(G(x))                                     (Eq. 4)
  L_CONST = sum_S d(f(x), f(G(x))),  L_TID = sum_T d2(x, G(x)),  d = d2 = MSE         (Eq. 5, 6)
  L_TV(z) = sum_ij ((z_i,j+1 - z_ij)^2 + (z_i+1,j - z_ij)^2)^(B/2), B = 1             (Eq. 7)
  L_G = L_GANG + alpha L_CONST + beta L_TID + gamma L_TV                              (Eq. 8)
The paper's digit weights: alpha = beta = 15, gamma = 0. Sums are taken as means over the batch, over f's features
(d) and over pixels (d2, TV) here, which rescales each term by a constant; the weights are the paper's.

Architectures (the paper's Sec. 5.1 in outline: "four blocks of deconvolution, batch-normalization, and ReLU" for g
and "four batch-normalized convolutional layers" for D): g maps f's 128 numbers, as a 1x1 map, through transposed
4x4 convolutions to 4x4, 8x8, 16x16 and the 32x32 image (tanh); D takes the 32x32 image through 4x4 stride-2
convolutions to 16, 8, 4 and a 4x4 convolution to 3 logits. Where f and T differ in channels, f sees grey images
repeated to 3 channels (and colour ones averaged to grey).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgan import parallel
from jgan.adaptation.config import DTNConfig
from jgan.adaptation.data import DomainPairSource, with_channels
from jgan.models.norms import make_norm
from jgan.state import MultiNetState, Phase
from jgan.updates import phase_update, stream_key

_DATA = 0
SIDE, F_FEATURES = 32, 128
SOURCE_GENERATED, TARGET_GENERATED, TARGET_REAL = 0, 1, 2  # D's classes (the paper's D_1, D_2, D_3)


class Decoder(nn.Module):
  """g: f's (N, 128) features -> (N, 32, 32, channels) images in [-1, 1]."""

  channels: int = 1
  features: int = 64
  axis_name: str | None = None

  @nn.compact
  def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
    h = z.reshape(z.shape[0], 1, 1, z.shape[-1])
    h = nn.ConvTranspose(4 * self.features, (4, 4), padding="VALID", use_bias=False)(h)  # 4x4
    for i, width in enumerate((2 * self.features, self.features, None)):
      h = nn.relu(make_norm("batch", train, self.axis_name, name=f"norm_{i}")(h))
      h = nn.ConvTranspose(width or self.channels, (4, 4), (2, 2), padding="SAME", use_bias=width is None)(h)
    return jnp.tanh(h)


class TernaryDiscriminator(nn.Module):
  """D: (N, 32, 32, channels) -> (N, 3) logits of (source-generated, target-generated, real target)."""

  features: int = 64
  axis_name: str | None = None

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    h = x
    for i, width in enumerate((self.features, 2 * self.features, 4 * self.features)):
      h = nn.Conv(width, (4, 4), (2, 2), padding="SAME", use_bias=i == 0)(h)
      if i:
        h = make_norm("batch", train, self.axis_name, name=f"norm_{i}")(h)
      h = nn.leaky_relu(h, 0.2)
    return nn.Conv(3, (4, 4), padding="VALID")(h).reshape(x.shape[0], 3)


def channels(config: DTNConfig) -> tuple[int, int]:
  """(f's input channels: the source domain's, G's output channels: the target domain's)."""
  from jgan.eval.domain_classifiers import CHANNELS
  return CHANNELS[config.source], CHANNELS[config.target]


def build_nets(config: DTNConfig, axis_name: str | None = None) -> dict[str, tuple[nn.Module, np.ndarray]]:
  _, out = channels(config)
  return {"g": (Decoder(out, config.generator_features, axis_name), np.zeros((1, F_FEATURES), np.float32)),
          "discriminator": (TernaryDiscriminator(config.discriminator_features, axis_name),
                            np.zeros((1, SIDE, SIDE, out), np.float32))}


def make_phases(config: DTNConfig) -> tuple[Phase, ...]:
  """g's phase and D's, each Adam with the config's rate."""
  return (Phase("discriminator", ("discriminator",), config.adam()), Phase("g", ("g",), config.adam()))


def create_state(config: DTNConfig, axis_name: str | None = None) -> MultiNetState:
  """A fresh state from `config.seed` (f is not in it: it is frozen, a constant of the step)."""
  from jgan.adaptation.experiment import init_nets, run_keys
  keys = run_keys(config.seed)
  return MultiNetState.create(init_nets(build_nets(config, axis_name), keys["init"]), make_phases(config),
                              keys["step"])


def f_features(f_params: dict, images: jax.Array, f_channels: int) -> jax.Array:
  """f(x): the frozen source classifier's 128 penultimate features of images in [-1, 1] (gradients flow to the
  images, never to f's parameters)."""
  from jgan.eval.classifier import DigitCNN
  x = with_channels(images, f_channels)
  features, _ = DigitCNN(channels=f_channels).apply({"params": jax.lax.stop_gradient(f_params)}, x)
  return features


def discriminator_labels(n_source: int, n_target: int) -> jax.Array:
  """D's targets for [G(x_s) (n_source), G(x_t) (n_target), x_t (n_target)]: classes 0, 1, 2 (Eq. 3)."""
  return jnp.concatenate([jnp.full(n_source, SOURCE_GENERATED), jnp.full(n_target, TARGET_GENERATED),
                          jnp.full(n_target, TARGET_REAL)]).astype(jnp.int32)


def f_constancy(f_of_inputs: jax.Array, f_of_generated: jax.Array) -> jax.Array:
  """L_CONST = d(f(x), f(G(x))), d the squared distance averaged over the batch and f's features (Eq. 5)."""
  return jnp.mean(jnp.square(f_of_inputs - f_of_generated))


def total_variation(images: jax.Array) -> jax.Array:
  """L_TV with B = 1 (Eq. 7): the mean over pixels of the gradient's length (forward differences, edge cropped)."""
  dx = images[:, :-1, 1:] - images[:, :-1, :-1]
  dy = images[:, 1:, :-1] - images[:, :-1, :-1]
  return jnp.mean(jnp.sqrt(jnp.square(dx) + jnp.square(dy) + 1e-8))


def train_step(state: MultiNetState, source: DomainPairSource, f_params: dict, *, config: DTNConfig,
               axis_name: str | None = None) -> tuple[MultiNetState, dict[str, jax.Array]]:
  """One DTN iteration: D's step on Eq. 3, then g's on Eq. 8 through the updated D (see the module docstring)."""
  f_channels, _ = channels(config)
  half = config.batch_size // 2
  batch = source.batch(stream_key(state.rng, _DATA, 0), state.step, half, axis_name)
  xs, xt = batch["source"], batch["target"]
  fs, ft = f_features(f_params, xs, f_channels), f_features(f_params, xt, f_channels)
  n = xs.shape[0]

  def generate(params):
    out, g = state.nets["g"](jnp.concatenate([fs, ft]), params=params, train=True)
    return out, g.batch_stats

  generated, g_stats = generate(state.nets["g"].params)

  def d_loss_fn(params):
    logits, d = state.nets["discriminator"](jnp.concatenate([jax.lax.stop_gradient(generated), xt]),
                                            params=params["discriminator"], train=True)
    labels = discriminator_labels(n, n)
    loss = jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, labels))
    accuracy = jnp.mean(jnp.argmax(logits, -1) == labels)
    return loss, {"metrics": {"d_loss": loss, "d_accuracy": accuracy},
                  "batch_stats": {"discriminator": d.batch_stats}}

  state, d_out = phase_update(state, "discriminator", d_loss_fn, axis_name=axis_name, prefix="d")

  def g_loss_fn(params):
    out, g_batch_stats = generate(params["g"])
    logits, d = state.nets["discriminator"](out, train=True)
    gang = jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, jnp.full(2 * n, TARGET_REAL)))
    const = f_constancy(fs, f_features(f_params, out[:n], f_channels))
    tid = jnp.mean(jnp.square(out[n:] - xt))
    tv = total_variation(out)
    loss = gang + config.const_weight * const + config.tid_weight * tid + config.tv_weight * tv
    return loss, {"metrics": {"g_loss": loss, "g_gan": gang, "g_const": const, "g_tid": tid, "g_tv": tv},
                  "batch_stats": {"g": g_batch_stats, "discriminator": d.batch_stats}}

  state, g_out = phase_update(state, "g", g_loss_fn, axis_name=axis_name, prefix="g")
  del g_stats  # g's statistics are those of its pass in g's phase (the same batch)
  metrics = {**d_out["metrics"], **g_out["metrics"]}
  return state.replace(step=state.step + 1), parallel.pmean(metrics, axis_name)


@jax.jit
def _transfer(state: MultiNetState, f_params: dict, images: jax.Array) -> jax.Array:
  f_channels = f_params["Conv_0"]["kernel"].shape[2]
  return state.nets["g"](f_features(f_params, images, f_channels), train=False)[0]


def transfer(state: MultiNetState, f_params: dict, images: np.ndarray, batch_size: int = 250) -> np.ndarray:
  """G(x) = g(f(x)) of uint8 images (either domain) as floats in [-1, 1], in fixed-size batches."""
  from jgan.adaptation.data import in_batches
  return in_batches(lambda x: _transfer(state, f_params, x), images, batch_size)


# --- What the shared experiment (`jgan.adaptation.experiment`) asks of a method. ---

PLAYERS = {"g": "generator g", "d": "ternary discriminator"}
HEADLINE = "transfer_accuracy"


def describe(config: DTNConfig) -> tuple[str, str, str]:
  name = "DTN" if config.const_weight else "DTN without f-constancy"
  return f"{name}: {config.source} -> {config.target}", "g_loss", "g's objective"


def source_f_params(config: DTNConfig) -> dict:
  """f's parameters: the shipped classifier of the source domain."""
  from jgan.eval.domain_classifiers import load_domain_scorer
  return load_domain_scorer(config.source).params


def training_source(config: DTNConfig) -> tuple[DomainPairSource, dict]:
  from jgan.adaptation.data import training_domains
  from jgan.eval.domain_classifiers import record_path
  xs, ys, xt, yt = training_domains(config.source, config.target)
  if min(len(xs), len(xt)) < config.batch_size // 2:
    raise ValueError(f"batch_size {config.batch_size} needs {config.batch_size // 2} training images of each domain, "
                     f"have {len(xs)} and {len(xt)}")
  return (DomainPairSource.from_arrays(xs, ys, xt, yt),
          {"f": f"the shipped {config.source} classifier's 128 features ({record_path(config.source).name})",
           "source_train": len(ys), "target_train": len(yt)})


def step_constants(config: DTNConfig) -> dict:
  return source_f_params(config)


def evaluation_data(config: DTNConfig, split: str, count: int | None) -> dict:
  from jgan.adaptation.experiment import labelled_split
  return {"source": labelled_split(config.source, split, count),
          "target": labelled_split(config.target, split, count), "f": source_f_params(config)}


def scores(state: MultiNetState, config: DTNConfig, data: dict) -> dict[str, float]:
  """The target-domain classifier's accuracy on G(x_s) with x_s's labels (the paper's Table 1 measure), on real
  target images (its ceiling), and f's accuracy on the source images (what f keeps of the label)."""
  from jgan.translation.evaluate import scorer
  (xs, ys), (xt, yt) = data["source"], data["target"]
  target_scorer = scorer(config.target)
  transferred = transfer(state, data["f"], xs)
  return {"transfer_accuracy": target_scorer.accuracy(transferred, ys),
          "target_identity_accuracy": target_scorer.accuracy(transfer(state, data["f"], xt), yt),
          "real_target_accuracy": target_scorer.accuracy(xt, yt), "source_images": len(ys)}


def sample_picture(state: MultiNetState, config: DTNConfig, shown: dict) -> np.ndarray:
  """Rows of: source images | G(source) | target images | G(target), grey images shown in 3 channels."""
  from jgan import images as image_io
  from jgan.data import to_uint8
  (xs, _), (xt, _) = shown["source"], shown["target"]
  columns = [xs, to_uint8(transfer(state, shown["f"], xs)), xt, to_uint8(transfer(state, shown["f"], xt))]
  columns = [with_channels(c, 3) for c in columns]
  count = min(len(c) for c in columns)
  rows = [np.concatenate([c[i] for c in columns], axis=1) for i in range(count)]
  return image_io.grid(np.stack(rows), columns=4)
