"""DANN (Ganin & Lempitsky 2015, arXiv:1409.7495): nets, phase, training step and scores, as pure functions.

A feature extractor G_f feeds a label predictor G_y and, through the gradient reversal layer R_lambda
(`jgan.adaptation.reversal`), a domain classifier G_d. One SGD step on
  E = L_y(G_y(G_f(x_s)), y_s) + L_d(G_d(R_lambda(G_f(x))), d)      (Eq. 9, with R_lambda of Eq. 12-13)
over a batch of labelled source images (d = 0) and unlabelled target images (d = 1) moves G_y and G_d down their
losses and G_f down L_y but *up* lambda L_d: features that predict labels and hide the domain. As in the authors'
Caffe layer and the common reimplementations, the domain classifier learns at the full rate (Eq. 15 of the paper
scales its step by lambda too).

The MNIST architecture of the paper's supplementary material: G_f conv 5x5 32 - ReLU - max-pool 2 - conv 5x5 48 -
ReLU - max-pool 2; G_y fc 100 - ReLU - fc 100 - ReLU - fc 10; G_d fc 100 - ReLU - fc 1 (logistic). Inputs here are
32x32 (the paper's MNIST is 28x28), so G_f gives 8x8x48 = 3,072 features.

`mode` source_only is the same nets with lambda = 0 (nothing reaches G_f from G_d: the lower bound, while G_d still
learns to tell the domains apart from the unadapted features), target_only trains G_y on the target's labels (the
upper bound, "train on target").
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgan import parallel
from jgan.adaptation.config import DANNConfig
from jgan.adaptation.data import DomainPairSource
from jgan.adaptation.reversal import adaptation_factor, progress, reverse_gradient
from jgan.state import MultiNetState, Phase
from jgan.updates import phase_update, stream_key

_DATA = 0
SIDE = 32


class FeatureExtractor(nn.Module):
  """G_f: (N, 32, 32, C) in [-1, 1] -> (N, 3072) features (the paper's MNIST architecture)."""

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool = False) -> jax.Array:
    del train
    for width in (32, 48):
      x = nn.max_pool(nn.relu(nn.Conv(width, (5, 5))(x)), (2, 2), strides=(2, 2))
    return x.reshape(x.shape[0], -1)


class LabelPredictor(nn.Module):
  """G_y: features -> 10 class logits (fc 100, fc 100, fc 10)."""

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool = False) -> jax.Array:
    del train
    for width in (100, 100):
      x = nn.relu(nn.Dense(width)(x))
    return nn.Dense(10)(x)


class DomainClassifier(nn.Module):
  """G_d: features -> one logit of "target domain" (fc 100, fc 1)."""

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool = False) -> jax.Array:
    del train
    return nn.Dense(1)(nn.relu(nn.Dense(100)(x)))[:, 0]


def channels(config: DANNConfig) -> int:
  """The channels the nets see: 3 when either domain is colour (grey images repeated), else 1."""
  from jgan.eval.domain_classifiers import CHANNELS
  return max(CHANNELS[config.source], CHANNELS[config.target])


def build_nets(config: DANNConfig) -> dict[str, tuple[nn.Module, np.ndarray]]:
  """{name: (module, example input)}: G_f, G_y and G_d."""
  features = 8 * 8 * 48
  return {"features": (FeatureExtractor(), np.zeros((1, SIDE, SIDE, channels(config)), np.float32)),
          "label": (LabelPredictor(), np.zeros((1, features), np.float32)),
          "domain": (DomainClassifier(), np.zeros((1, features), np.float32))}


def make_phases(config: DANNConfig) -> tuple[Phase, ...]:
  """One phase over all three nets: one backward pass through the reversal layer updates them together."""
  return (Phase("all", ("features", "label", "domain"), config.sgd()),)


def create_state(config: DANNConfig, axis_name: str | None = None) -> MultiNetState:
  """A fresh state from `config.seed` (the nets have no batch norm: `axis_name` changes nothing)."""
  del axis_name
  from jgan.adaptation.experiment import init_nets, run_keys
  keys = run_keys(config.seed)
  return MultiNetState.create(init_nets(build_nets(config), keys["init"]), make_phases(config), keys["step"])


def domain_factor(config: DANNConfig, step: jax.Array) -> jax.Array:
  """lambda at `step`: the paper's schedule for dann, 0 for the bounds (no gradient reaches G_f from G_d)."""
  if config.mode != "dann":
    return jnp.zeros((), jnp.float32)
  return config.lambda_max * adaptation_factor(progress(step, config.steps), config.lambda_gamma)


def train_step(state: MultiNetState, source: DomainPairSource, constants: None = None, *, config: DANNConfig,
               axis_name: str | None = None) -> tuple[MultiNetState, dict[str, jax.Array]]:
  """One DANN iteration (see the module docstring) on batch_size / 2 source and batch_size / 2 target images."""
  batch = source.batch(stream_key(state.rng, _DATA, 0), state.step, config.batch_size // 2, axis_name)
  lam = domain_factor(config, state.step)
  labelled = "target" if config.mode == "target_only" else "source"
  n = batch["source"].shape[0]

  def loss_fn(params):
    apply = lambda net, x: state.nets[net].apply_fn({"params": params[net]}, x)
    features = apply("features", jnp.concatenate([batch["source"], batch["target"]]))
    labelled_features = features[:n] if labelled == "source" else features[n:]
    logits = apply("label", labelled_features)
    label_loss = jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, batch[f"{labelled}_label"]))
    domain_logits = apply("domain", reverse_gradient(features, lam))
    is_target = jnp.concatenate([jnp.zeros(n), jnp.ones(n)])
    domain_loss = jnp.mean(optax.sigmoid_binary_cross_entropy(domain_logits, is_target))
    metrics = {"label_loss": label_loss, "domain_loss": domain_loss,
               "label_accuracy": jnp.mean(jnp.argmax(logits, -1) == batch[f"{labelled}_label"]),
               "domain_accuracy": jnp.mean((domain_logits > 0) == (is_target > 0.5))}
    return label_loss + domain_loss, {"metrics": metrics}

  rate = config.learning_rate_schedule()(state.step)  # the rate of this step's update
  state, out = phase_update(state, "all", loss_fn, axis_name=axis_name, prefix="dann")
  metrics = {**out["metrics"], "lambda": lam, "learning_rate": rate}
  metrics["loss"] = metrics["label_loss"] + metrics["domain_loss"]
  return state.replace(step=state.step + 1), parallel.pmean(metrics, axis_name)


@jax.jit
def _predict(state: MultiNetState, images: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
  apply = lambda net, x: state.nets[net].apply_fn({"params": state.nets[net].params}, x)
  features = apply("features", images)
  return features, apply("label", features), apply("domain", features)


def predict(state: MultiNetState, images: np.ndarray, batch_size: int = 500) -> dict[str, np.ndarray]:
  """{'features', 'label_logits', 'domain_logits'} of uint8 images (N, 32, 32, C) in fixed-size batches."""
  from jgan.adaptation.data import in_batches
  outs = in_batches(lambda x: _predict(state, x), images, batch_size)
  return dict(zip(("features", "label_logits", "domain_logits"), outs))


def scores(state: MultiNetState, config: DANNConfig, data: dict) -> dict[str, float]:
  """Label accuracy on each domain's images (`evaluation_data`), and the domain classifier's accuracy on both
  together (0.5: the features hide the domain)."""
  del config
  (xs, ys), (xt, yt) = data["source"], data["target"]
  s, t = predict(state, xs), predict(state, xt)
  domain_correct = np.concatenate([s["domain_logits"] <= 0, t["domain_logits"] > 0])
  return {"target_accuracy": float(np.mean(np.argmax(t["label_logits"], -1) == yt)),
          "source_accuracy": float(np.mean(np.argmax(s["label_logits"], -1) == ys)),
          "domain_accuracy": float(np.mean(domain_correct)), "target_images": len(yt), "source_images": len(ys)}


# --- What the shared experiment (`jgan.adaptation.experiment`) asks of a method. ---

PLAYERS = {"dann": "feature extractor, label predictor or domain classifier"}
HEADLINE = "target_accuracy"


def describe(config: DANNConfig) -> tuple[str, str, str]:
  """(title, metric plotted, its label)."""
  name = {"dann": "DANN", "source_only": "source only", "target_only": "train on target"}[config.mode]
  return f"{name}: {config.source} -> {config.target}", "label_loss", "label loss"


def training_source(config: DANNConfig) -> tuple[DomainPairSource, dict]:
  """Both domains' training images (at the nets' channel count) on the device, and what to record of them."""
  from jgan.adaptation.data import training_domains, with_channels
  xs, ys, xt, yt = training_domains(config.source, config.target)
  c = channels(config)
  if min(len(xs), len(xt)) < config.batch_size // 2:
    raise ValueError(f"batch_size {config.batch_size} needs {config.batch_size // 2} training images of each domain, "
                     f"have {len(xs)} and {len(xt)}")
  return (DomainPairSource.from_arrays(with_channels(xs, c), ys, with_channels(xt, c), yt),
          {"channels": c, "source_train": len(ys), "target_train": len(yt)})


def step_constants(config: DANNConfig) -> None:
  del config
  return None


def evaluation_data(config: DANNConfig, split: str, count: int | None) -> dict:
  """The first `count` (None: all) images of `split` of each domain, with their labels."""
  from jgan.adaptation.experiment import labelled_split
  return {name: labelled_split(domain, split, count, channels(config))
          for name, domain in (("source", config.source), ("target", config.target))}


def feature_projection(state: MultiNetState, data: dict, *, method: str = "pca", seed: int = 0) -> dict:
  """2-D embeddings of G_f's features of `data`'s source and target images together (PCA, or t-SNE after a PCA to
  50 dimensions as is usual), as the paper's Figure 4: {'source': (N_s, 2), 'target': (N_t, 2)}."""
  from sklearn.decomposition import PCA
  features = [predict(state, data[name][0])["features"] for name in ("source", "target")]
  stacked = np.concatenate(features)
  if method == "pca":
    embedded = PCA(2, random_state=seed).fit_transform(stacked)
  elif method == "tsne":
    from sklearn.manifold import TSNE
    reduced = PCA(min(50, stacked.shape[1], len(stacked)), random_state=seed).fit_transform(stacked)
    embedded = TSNE(2, random_state=seed, init="pca").fit_transform(reduced)
  else:
    raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")
  return {"source": embedded[:len(features[0])], "target": embedded[len(features[0]):]}


def scatter_picture(points: dict, labels: dict, title: str) -> np.ndarray:
  """An RGB uint8 picture of `points` ({'source', 'target'}: (N, 2)): source blue, target red, digits as markers."""
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=100)
  for name, colour in (("source", "tab:blue"), ("target", "tab:red")):
    for (x, y), label in zip(points[name], labels[name]):
      ax.text(x, y, str(int(label)), color=colour, fontsize=6, ha="center", va="center")
    ax.scatter(points[name][:, 0], points[name][:, 1], s=0, label=name)
  ax.autoscale()
  ax.set_title(title, fontsize=9)
  ax.set_xticks([]), ax.set_yticks([])
  ax.legend(handles=[plt.Line2D([], [], color=c, marker="o", ls="") for c in ("tab:blue", "tab:red")],
            labels=["source", "target"], fontsize=7, loc="upper right")
  fig.tight_layout()
  fig.canvas.draw()
  picture = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
  plt.close(fig)
  return picture


def sample_picture(state: MultiNetState, config: DANNConfig, shown: dict) -> np.ndarray:
  """The features of the shown validation images of both domains on their first two principal components."""
  points = feature_projection(state, shown)
  labels = {name: shown[name][1] for name in ("source", "target")}
  return scatter_picture(points, labels, f"{describe(config)[0]}: G_f features, PCA, step {int(state.step)}")
