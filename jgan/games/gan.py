"""The original GAN (Goodfellow et al. 2014, arXiv:1406.2661) and DCGAN (Radford et al. 2015, arXiv:1511.06434).

The discriminator outputs a logit l with D = sigmoid(l) and minimizes -V(D, G) = -E log D(x) - E log(1 - D(G(z)))
(Eq. 1), optionally with one-sided label smoothing; the generator minimizes log(1 - D(G(z))) (`g_loss="minimax"`)
or -log D(G(z)) (`"non_saturating"`, the paper's recommendation). DCGAN is this game with convolutional nets and
Adam. Losses: `jgan/losses/_minimax.py`.

`g_loss="feature_matching"` (Salimans et al. 2016, arXiv:1606.03498, Sec. 3.1) replaces the generator's objective
by ||E f(x) - E f(G(z))||^2, f the activations of one intermediate discriminator layer (`feature_layer`, an index
into the layers the net sows, `jgan.models`), the expectations taken over a real and a generated batch.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from jgan import losses
from jgan.games.base import Game, real_and_fake


@dataclasses.dataclass(frozen=True)
class GAN(Game):

  g_loss: str = "non_saturating"  # or "minimax", or "feature_matching"
  real_label: float = 1.0  # < 1: one-sided label smoothing (Salimans et al. 2016, Sec. 3.4)
  feature_layer: int = -1  # g_loss="feature_matching": which sown discriminator layer (-1: the last)

  @property
  def uses_real_in_generator_step(self) -> bool:
    return self.g_loss == "feature_matching"

  def feature_matching_loss(self, discriminator, real_x: jax.Array, fake_x: jax.Array):
    """||E f(x) - E f(G(z))||^2 on layer `feature_layer` (needs `discriminator.features`, `jgan.steps`)."""
    _, real_features = discriminator.features(real_x)
    _, fake_features = discriminator.features(fake_x)
    if not -len(fake_features) <= self.feature_layer < len(fake_features):
      raise ValueError(f"feature_layer {self.feature_layer} is not among the discriminator's {len(fake_features)} "
                       "sown layers (the dcgan and mlp critics sow one per hidden layer)")
    loss = feature_matching(real_features[self.feature_layer], fake_features[self.feature_layer])
    return loss, {"feature_distance": loss}

  def adversarial_discriminator_loss(self, real_logits, fake_logits):
    """Mean cross-entropy loss of the real/fake logits, with the metrics every cross-entropy game reports."""
    loss = jnp.mean(losses.minimax_discriminator_loss(real_logits, fake_logits, real_label=self.real_label))
    return loss, {"d_real": jnp.mean(losses.discriminator_probability(real_logits)),
                  "d_fake": jnp.mean(losses.discriminator_probability(fake_logits))}

  def adversarial_generator_loss(self, fake_logits):
    if self.g_loss == "minimax":
      return jnp.mean(losses.minimax_generator_loss(fake_logits))
    return jnp.mean(losses.non_saturating_generator_loss(fake_logits))

  def discriminator_loss(self, discriminator, real, fake, latent):
    return self.adversarial_discriminator_loss(*real_and_fake(discriminator, real["x"], fake))

  def generator_loss(self, discriminator, fake, latent, real):
    if self.g_loss == "feature_matching":
      return self.feature_matching_loss(discriminator, real["x"], fake)
    return self.adversarial_generator_loss(discriminator(fake)), {}


def feature_matching(real_features: jax.Array, fake_features: jax.Array) -> jax.Array:
  """||mean_i f(x_i) - mean_j f(G(z_j))||_2^2 over the features flattened per example (Salimans et al. Sec. 3.1).

  The squared norm (a sum over features), as the paper writes it; the authors' code takes the mean over features,
  a constant factor that Adam does not see. Under data parallelism the means are over each device's batch.
  """
  real_mean = jnp.mean(real_features.reshape(real_features.shape[0], -1), axis=0)
  fake_mean = jnp.mean(fake_features.reshape(fake_features.shape[0], -1), axis=0)
  return jnp.sum((real_mean - fake_mean) ** 2)
