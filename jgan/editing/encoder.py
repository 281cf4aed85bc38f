"""The inverting encoder of iGAN's second and third solvers (Zhu et al. 2016, Sec. 3).

A feed-forward net E(x) that predicts the code of an image in one pass. Trained here on generated pairs (G(z), z),
z drawn from the prior (and a class, for conditional generators, which the encoder is also given), with
  loss = ||E(G(z)) - z||^2 (code MSE) + image_weight * ||G(E(G(z))) - G(z)||^2 (pixel MSE of the reconstruction),
the generator frozen. The paper trains its P on the reconstruction loss alone; the code term speeds
up the start (the reconstruction's gradient through a random encoder is weak) and is standard for encoders trained
on generated pairs (e.g. Perarnau et al. 2016, "Invertible conditional GANs").

The net predicts the unconstrained u of `LatentGenerator.to_free`, so its codes always lie in the prior's support.
Architecture (32x32 inputs; any side divisible by 4 works): conv 4x4/2 (f) LeakyReLU 0.2, conv 4x4/2 (2f),
conv 4x4/2 (4f) [sides < 16 skip the stride], flatten, concat one-hot class, dense 256 LeakyReLU, dense free_dim.
The state is a `jgan.state.MultiNetState` with one net ('encoder') and one phase (Adam).
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import time

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from jgan.editing.generators import LatentGenerator
from jgan.state import MultiNetState, Net, Phase


class Encoder(nn.Module):
  """images (N, H, W, C) in [-1, 1], classes (N,) -> unconstrained codes u (N, free_dim)."""

  free_dim: int
  num_classes: int = 0
  features: int = 32

  @nn.compact
  def __call__(self, x: jax.Array, label: jax.Array, *, train: bool = False) -> jax.Array:
    del train  # no batch norm, no dropout: train and inference are the same function
    for i, width in enumerate((self.features, 2 * self.features, 4 * self.features)):
      stride = 2 if x.shape[1] >= 8 else 1
      x = nn.leaky_relu(nn.Conv(width, (4, 4), strides=(stride, stride), name=f"conv{i}")(x), 0.2)
    x = x.reshape(x.shape[0], -1)
    if self.num_classes:
      x = jnp.concatenate([x, jax.nn.one_hot(label, self.num_classes)], axis=-1)
    x = nn.leaky_relu(nn.Dense(256, name="hidden")(x), 0.2)
    return nn.Dense(self.free_dim, name="code")(x)


@dataclasses.dataclass(frozen=True)
class EncoderConfig:
  """Training of the encoder; steps and rate chosen so the code MSE levels off on the digits' generators."""

  steps: int = 2000
  batch_size: int = 64
  learning_rate: float = 1e-3
  image_weight: float = 1.0
  features: int = 32
  seed: int = 0

  def __post_init__(self):
    for name in ("steps", "batch_size", "features"):
      if getattr(self, name) < 1:
        raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
    if self.learning_rate <= 0 or self.image_weight < 0:
      raise ValueError(f"learning_rate must be > 0 and image_weight >= 0, got {self.learning_rate}, "
                       f"{self.image_weight}")


def module_for(generator: LatentGenerator, config: EncoderConfig) -> Encoder:
  return Encoder(free_dim=generator.free_dim, num_classes=generator.num_classes, features=config.features)


def create_state(generator: LatentGenerator, config: EncoderConfig) -> MultiNetState:
  """A fresh encoder state from `config.seed`."""
  module = module_for(generator, config)
  init_rng, rng = jax.random.split(jax.random.PRNGKey(config.seed))
  example = jnp.zeros((1, *generator.image_shape))
  variables = module.init(init_rng, example, jnp.zeros((1,), jnp.int32))
  net = Net(params=variables["params"], batch_stats={}, apply_fn=_apply_fn(module))
  return MultiNetState.create({"encoder": net}, (Phase("encoder", ("encoder",), optax.adam(config.learning_rate)),),
                              rng)


def _apply_fn(module: Encoder):
  # Net calls apply_fn(variables, x, train=...); the encoder's input is (images, labels).
  def apply(variables, inputs, *, train=False, **kwargs):
    del kwargs
    return module.apply({"params": variables["params"]}, *inputs, train=train)
  return apply


def losses(params, state: MultiNetState, generator: LatentGenerator, z: jax.Array, labels: jax.Array,
           image_weight: float) -> tuple[jax.Array, dict]:
  """The encoder's loss on generated pairs (G(z), z): code MSE + image_weight * reconstruction pixel MSE."""
  images = jax.lax.stop_gradient(generator(z, labels))
  u = state.nets["encoder"]((images, labels), params=params["encoder"], train=False)[0]
  predicted = generator.to_free(u)
  code = jnp.mean(jnp.square(predicted - z))
  pixel = jnp.mean(jnp.square(generator(predicted, labels) - images))
  return code + image_weight * pixel, {"code_mse": code, "pixel_mse": pixel}


def _train_step(state: MultiNetState, generator: LatentGenerator, image_weight: jax.Array, *,
                batch_size: int) -> tuple[MultiNetState, dict]:
  """One Adam step on a fresh batch of generated pairs; its key comes from the state's key and step."""
  rng = jax.random.fold_in(state.rng, state.step)
  z_rng, label_rng = jax.random.split(rng)
  z = generator.sample_free(z_rng, batch_size)
  labels = generator.sample_labels(label_rng, batch_size)
  (loss, metrics), grads = jax.value_and_grad(losses, has_aux=True)(state.params("encoder"), state, generator, z,
                                                                   labels, image_weight)
  state = state.apply_gradients("encoder", grads).replace(step=state.step + 1)
  return state, {"loss": loss, **metrics}


train_step = jax.jit(_train_step, static_argnames=("batch_size",))


@dataclasses.dataclass
class TrainedEncoder:
  """A trained encoder bound to its generator: `predict(images, labels)` gives free codes."""

  state: MultiNetState
  generator: LatentGenerator
  config: EncoderConfig
  history: list[dict]

  def predict(self, images: jax.Array, labels: jax.Array) -> jax.Array:
    return _predict(self.state, self.generator, jnp.asarray(images, jnp.float32), jnp.asarray(labels, jnp.int32))

  def save(self, path: str | pathlib.Path) -> None:
    """Parameters as msgpack at `path`, the config and the last losses in `path` + '.json'."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(flax.serialization.to_bytes(self.state.nets["encoder"].params))
    record = {"config": dataclasses.asdict(self.config), "generator": self.generator.name,
              "free_dim": self.generator.free_dim, "num_classes": self.generator.num_classes,
              "last": self.history[-1] if self.history else None}
    pathlib.Path(f"{path}.json").write_text(json.dumps(record, indent=2))


@jax.jit
def _predict(state, generator, images, labels):
  return generator.to_free(state.nets["encoder"]((images, labels), train=False)[0])


def train(generator: LatentGenerator, config: EncoderConfig = EncoderConfig(), *, log_every: int = 0) -> TrainedEncoder:
  """Trains an encoder for `generator` from scratch; `history` holds the losses every `log_every` steps."""
  state = create_state(generator, config)
  history, start = [], time.perf_counter()
  weight = jnp.float32(config.image_weight)
  for step in range(config.steps):
    state, metrics = train_step(state, generator, weight, batch_size=config.batch_size)
    if log_every and (step % log_every == 0 or step == config.steps - 1):
      history.append({"step": step, **{k: float(v) for k, v in metrics.items()},
                      "seconds": time.perf_counter() - start})
  return TrainedEncoder(state=state, generator=generator, config=config, history=history)


def load(path: str | pathlib.Path, generator: LatentGenerator) -> TrainedEncoder:
  """An encoder saved by `TrainedEncoder.save` for `generator`; ValueError if it was trained for another shape."""
  path = pathlib.Path(path)
  if not path.is_file() or not pathlib.Path(f"{path}.json").is_file():
    raise ValueError(f"no encoder at {path} (expected {path} and {path}.json, written by train-encoder)")
  record = json.loads(pathlib.Path(f"{path}.json").read_text())
  if (record["free_dim"], record["num_classes"]) != (generator.free_dim, generator.num_classes):
    raise ValueError(f"encoder {path} inverts codes of {record['free_dim']} dims and {record['num_classes']} "
                     f"classes; this generator has {generator.free_dim} and {generator.num_classes}")
  config = EncoderConfig(**record["config"])
  state = create_state(generator, config)
  params = flax.serialization.from_bytes(state.nets["encoder"].params, path.read_bytes())
  state = state.replace(nets={"encoder": state.nets["encoder"].replace(params=params)})
  return TrainedEncoder(state=state, generator=generator, config=config, history=[record["last"]] if record["last"]
                        else [])
