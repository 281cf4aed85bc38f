"""The adversarial autoencoder's training phases (Makhzani et al. 2015, arXiv:1511.05644), as pure functions.

Every minibatch runs, in the paper's order (Sec. 2; Sec. 5 for the last):
  1. `reconstruction_phase`: encoder and decoder minimize the reconstruction error -log p(x | z) (the VAE adds
     its KL term here and has no other phase);
  2. `discriminator_phase`: the code discriminator(s) learn to tell codes drawn from p(z) (and one-hot y drawn from
     Cat(K)) from the encoder's codes of the batch: binary cross-entropy, Goodfellow et al.'s Eq. 1 on codes;
  3. `generator_phase`: the encoder, as the generator of codes, is updated to fool them (the non-saturating loss);
  4. `supervised_phase` (semi-supervised model): the encoder's q(y|x) minimizes the cross-entropy on the labeled
     minibatch.
Each phase differentiates only its own nets and steps its own optimizer state (`MultiNetState.apply_gradients`).
With `input_noise` > 0 every phase that trains the encoder on data feeds it the images plus Gaussian noise (the
paper's Appendix A.2, A.3: "only to the input layer of the encoder and only during training"), a fresh draw per
phase; the reconstruction target stays the clean image.
As in `jgan.steps`, every key comes from `state.rng` and `state.step`, every device draws the global batch, prior
samples and noise and keeps its slice, and gradients and metrics are averaged with `lax.pmean`, so a step is the
same, to float rounding, on any number of devices. The nets have no batch norm, so they run in inference mode.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from jgan import losses, parallel
from jgan.updates import phase_update, stream_key
from jgan.state import MultiNetState
from jgan.configs.aae import AAEConfig
from jgan.data import priors
from jgan.data.source import Source
from jgan.models.autoencoder import with_onehot

Metrics = dict[str, jax.Array]
(_DATA, _RECONSTRUCTION_NOISE, _PRIOR, _DISCRIMINATOR_NOISE, _GENERATOR_NOISE, _RECONSTRUCTION_INPUT,
 _DISCRIMINATOR_INPUT, _GENERATOR_INPUT, _SUPERVISED_INPUT) = range(9)


def _apply(state: MultiNetState, net: str, x: jax.Array, params=None):
  return state.nets[net](x, params=params, train=False)[0]


def is_gaussian(config: AAEConfig) -> bool:
  return config.model == "vae" or config.encoder == "gaussian"


def code(encoded: dict[str, jax.Array], config: AAEConfig, eps: jax.Array | None) -> jax.Array:
  """The code z of each example: the encoder's output, or the draw mean + sigma eps of its Gaussian posterior
  (the reparametrization trick; the mean when `eps` is None, as at test time)."""
  if not is_gaussian(config) or eps is None:
    return encoded["z"]
  return encoded["z"] + jnp.exp(0.5 * encoded["log_var"]) * eps


def _noise(state: MultiNetState, stream: int, config: AAEConfig, batch_size: int, axis_name: str | None) -> jax.Array:
  """This device's slice of the global batch of N(0, I) draws of a Gaussian encoder (device-count invariant)."""
  eps = jax.random.normal(stream_key(state.rng, stream, state.step), (batch_size, config.code_dim))
  return parallel.local_slice(eps, axis_name)


def reconstruction_error(logits: jax.Array, images: jax.Array, config: AAEConfig) -> jax.Array:
  """Per-image reconstruction error of decoder `logits` against `images` in [-1, 1]: the Bernoulli cross-entropy
  -log p(x|z) (nats), or half the squared Euclidean distance between sigmoid(logits) and the image, both in the
  [0, 1] pixel range (the paper's "half the Euclidean error", Appendix A.2, A.3)."""
  if config.reconstruction == "bernoulli":
    return losses.bernoulli_reconstruction_loss(logits, images)
  diff = jax.nn.sigmoid(logits) - (images.astype(jnp.float32) + 1.0) / 2.0
  per_pixel = jnp.square(diff).reshape(diff.shape[0], -1)
  if config.reconstruction == "squared_mean":  # averaged over the pixels, as musyoku's reimplementation
    return 0.5 * jnp.mean(per_pixel, axis=-1)
  return 0.5 * jnp.sum(per_pixel, axis=-1)


def noisy_input(state: MultiNetState, x: jax.Array, stream: int, config: AAEConfig,
                axis_name: str | None) -> jax.Array:
  """The encoder's training input: `x` (this device's slice of the global batch, in [-1, 1]) plus N(0, s^2) noise,
  s = `input_noise` of the [0, 1] range, so 2 s in jgan's [-1, 1] (drawn for the global batch, then sliced, so the
  same on any device count); `x` itself when `input_noise` is 0."""
  if not config.input_noise:
    return x
  global_shape = (x.shape[0] * (jax.lax.axis_size(axis_name) if axis_name else 1), *x.shape[1:])
  eps = jax.random.normal(stream_key(state.rng, stream, state.step), global_shape)
  return x + 2.0 * config.input_noise * parallel.local_slice(eps, axis_name)


def decoder_input(z: jax.Array, encoded: dict[str, jax.Array], label: jax.Array | None,
                  config: AAEConfig) -> jax.Array:
  """What the decoder sees: z, with the one-hot label (supervised) or q(y|x) (semi-supervised, clustering)."""
  if config.mode == "supervised":
    return with_onehot(z, jax.nn.one_hot(label, config.num_classes))
  if config.categorical:
    return with_onehot(z, jax.nn.softmax(encoded["logits"]))
  return z


def prior_onehot(batch: dict[str, jax.Array], config: AAEConfig) -> jax.Array | None:
  """The one-hot (K + 1 classes, the last 'unlabeled') the discriminator sees beside a code when the prior is
  labeled (Sec. 2.3, Fig. 4); None otherwise."""
  if config.mode != "unsupervised" or not config.labels:
    return None
  return jax.nn.one_hot(batch["label"], config.num_classes + 1)


def _global_prior(rng: jax.Array, config: AAEConfig, batch_size: int, labels: jax.Array | None) -> jax.Array:
  return priors.sample(config.prior, rng, batch_size, config.code_dim, k=config.num_classes, labels=labels)


def reconstruction_phase(state: MultiNetState, batch: dict, *, config: AAEConfig, batch_size: int,
                         axis_name: str | None) -> tuple[MultiNetState, Metrics]:
  """Encoder and decoder minimize the Bernoulli reconstruction error (the VAE: plus KL(q(z|x) || p(z)))."""
  x, label = batch["x"], batch.get("label")
  noise = _noise(state, _RECONSTRUCTION_NOISE, config, batch_size, axis_name)
  x_in = noisy_input(state, x, _RECONSTRUCTION_INPUT, config, axis_name)

  def loss_fn(params):
    encoded = _apply(state, "encoder", x_in, params["encoder"])
    z = code(encoded, config, noise)
    logits = _apply(state, "decoder", decoder_input(z, encoded, label, config), params["decoder"])
    reconstruction = jnp.mean(reconstruction_error(logits, x, config))
    metrics = {"reconstruction_loss": reconstruction}
    if config.model != "vae":
      return reconstruction, {"metrics": metrics}
    if config.prior == "gaussian":
      kl = losses.gaussian_kl(encoded["z"], encoded["log_var"])
    else:  # no closed form against the mixture: the one-sample estimate
      kl = losses.monte_carlo_kl(z, encoded["z"], encoded["log_var"],
                                 priors.log_density(config.prior, z, k=config.num_classes))
    kl = jnp.mean(kl)
    return reconstruction + kl, {"metrics": {**metrics, "kl": kl, "elbo_loss": reconstruction + kl}}

  state, out = phase_update(state, "reconstruction", loss_fn, axis_name=axis_name, prefix="ae")
  return state, out["metrics"]


def _regularized(state: MultiNetState, x: jax.Array, config: AAEConfig, eps: jax.Array, encoder_params=None):
  """The encoder's codes the discriminators judge: {'z': code, 'y': q(y|x) when categorical}."""
  encoded = _apply(state, "encoder", x, encoder_params)
  out = {"z": code(encoded, config, eps)}
  if config.categorical:
    out["y"] = jax.nn.softmax(encoded["logits"])
  return out


def discriminator_phase(state: MultiNetState, batch: dict, *, config: AAEConfig, batch_size: int,
                        axis_name: str | None) -> tuple[MultiNetState, Metrics]:
  """The discriminator(s) learn p(z) (and Cat(K)) as real, the encoder's codes as fake (binary cross-entropy)."""
  onehot = prior_onehot(batch, config)
  prior_rng = stream_key(state.rng, _PRIOR, state.step)
  labels = None
  if onehot is not None:  # the global batch's labels pick the global prior draw's components
    labels = jax.lax.all_gather(batch["label"], axis_name, tiled=True) if axis_name else batch["label"]
  real_z = parallel.local_slice(_global_prior(prior_rng, config, batch_size, labels), axis_name)
  noise = _noise(state, _DISCRIMINATOR_NOISE, config, batch_size, axis_name)
  x_in = noisy_input(state, batch["x"], _DISCRIMINATOR_INPUT, config, axis_name)
  fake = jax.lax.stop_gradient(_regularized(state, x_in, config, noise))

  def loss_fn(params):
    real_logits = _apply(state, "discriminator", with_onehot(real_z, onehot), params["discriminator"])
    fake_logits = _apply(state, "discriminator", with_onehot(fake["z"], onehot), params["discriminator"])
    loss = jnp.mean(losses.minimax_discriminator_loss(real_logits, fake_logits))
    metrics = {"d_loss": loss, "d_real": jnp.mean(jax.nn.sigmoid(real_logits)),
               "d_fake": jnp.mean(jax.nn.sigmoid(fake_logits))}
    if config.categorical:
      real_y = parallel.local_slice(priors.categorical(jax.random.fold_in(prior_rng, 1), batch_size,
                                                       config.categorical), axis_name)
      y_loss = jnp.mean(losses.minimax_discriminator_loss(
          _apply(state, "discriminator_y", real_y, params["discriminator_y"]),
          _apply(state, "discriminator_y", fake["y"], params["discriminator_y"])))
      loss = loss + y_loss
      metrics["d_y_loss"] = y_loss
    return loss, {"metrics": metrics}

  state, out = phase_update(state, "discriminator", loss_fn, axis_name=axis_name, prefix="d")
  return state, out["metrics"]


def generator_phase(state: MultiNetState, batch: dict, *, config: AAEConfig, batch_size: int,
                    axis_name: str | None) -> tuple[MultiNetState, Metrics]:
  """The encoder, as the generator of codes, minimizes -log D(q(z|x)) (and -log D_y(q(y|x)))."""
  onehot = prior_onehot(batch, config)
  noise = _noise(state, _GENERATOR_NOISE, config, batch_size, axis_name)
  x_in = noisy_input(state, batch["x"], _GENERATOR_INPUT, config, axis_name)

  def loss_fn(params):
    fake = _regularized(state, x_in, config, noise, params["encoder"])
    logits = _apply(state, "discriminator", with_onehot(fake["z"], onehot))
    loss = jnp.mean(losses.non_saturating_generator_loss(logits))
    metrics = {"g_loss": loss}
    if config.categorical:
      y_loss = jnp.mean(losses.non_saturating_generator_loss(_apply(state, "discriminator_y", fake["y"])))
      loss = loss + y_loss
      metrics["g_y_loss"] = y_loss
    return loss, {"metrics": metrics}

  state, out = phase_update(state, "generator", loss_fn, axis_name=axis_name, prefix="g")
  return state, out["metrics"]


def supervised_phase(state: MultiNetState, batch: dict, *, config: AAEConfig,
                     axis_name: str | None) -> tuple[MultiNetState, Metrics]:
  """q(y|x) minimizes the cross-entropy of the labeled minibatch (semi-supervised classification, Sec. 5)."""
  x_in = noisy_input(state, batch["labeled_x"], _SUPERVISED_INPUT, config, axis_name)

  def loss_fn(params):
    logits = _apply(state, "encoder", x_in, params["encoder"])["logits"]
    loss = jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, batch["labeled_label"]))
    accuracy = jnp.mean((jnp.argmax(logits, -1) == batch["labeled_label"]).astype(jnp.float32))
    return loss, {"metrics": {"supervised_loss": loss, "labeled_accuracy": accuracy}}

  state, out = phase_update(state, "supervised", loss_fn, axis_name=axis_name, prefix="s")
  return state, out["metrics"]


def iteration(state: MultiNetState, source: Source, *, config: AAEConfig, batch_size: int,
              axis_name: str | None = None) -> tuple[MultiNetState, Metrics]:
  """One minibatch through every phase of the model (the VAE: its one ELBO phase)."""
  batch = source.batch(stream_key(state.rng, _DATA, 0), state.step, batch_size, axis_name)
  state, metrics = reconstruction_phase(state, batch, config=config, batch_size=batch_size, axis_name=axis_name)
  if config.model == "aae":
    state, d_metrics = discriminator_phase(state, batch, config=config, batch_size=batch_size, axis_name=axis_name)
    state, g_metrics = generator_phase(state, batch, config=config, batch_size=batch_size, axis_name=axis_name)
    metrics = {**metrics, **d_metrics, **g_metrics}
    if config.mode == "semi_supervised":
      state, s_metrics = supervised_phase(state, batch, config=config, axis_name=axis_name)
      metrics = {**metrics, **s_metrics}
  return state.replace(step=state.step + 1), parallel.pmean(metrics, axis_name)


def train_iterations(state: MultiNetState, source: Source, *, num_iterations: int, config: AAEConfig, batch_size: int,
                     axis_name: str | None = None) -> tuple[MultiNetState, Metrics]:
  """`num_iterations` minibatches in one XLA loop (dense nets: the right form on every backend); metrics stacked."""
  return jax.lax.scan(lambda s, _: iteration(s, source, config=config, batch_size=batch_size, axis_name=axis_name),
                      state, None, length=num_iterations)
