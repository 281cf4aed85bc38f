"""Semi-supervised GAN with K + 1 classes (Salimans et al. 2016, arXiv:1606.03498, Sec. 5).

The discriminator is a K-class classifier with logits l_1..l_K; generated images are a class K + 1 whose logit is
fixed at 0, so D(x) = p(real | x) = Z(x) / (Z(x) + 1) with Z(x) = sum_k exp(l_k(x)): D is the sigmoid of the
real/fake logit logsumexp(l(x)). It minimizes L = L_supervised + L_unsupervised (their Eqs. 5-6):
  L_supervised = -E_{(x, y) labeled} log p(y | x, y < K + 1)   (cross-entropy of the K logits),
  L_unsupervised = -E_x log D(x) - E_z log(1 - D(G(z)))       (the GAN loss on the logit logsumexp(l)),
the latter halved as in the authors' code (`0.5 * (loss on data + loss on samples)`); their form
  loss_unl = -0.5 mean(lse(l_unl)) + 0.5 mean(softplus(lse(l_unl))) + 0.5 mean(softplus(lse(l_gen)))
is the same number, since softplus(a) - a = softplus(-a). Real targets may be smoothed (`real_label`). The
generator trains with feature matching (`g_loss="feature_matching"`, the paper's choice for this task) on a
discriminator layer, as their code writes it: the MEAN over features of (E f(x) - E f(G(z)))^2 (`mean(square(
mom_gen - mom_real))`), which is the paper's squared norm divided by the layer's width.

The real batch comes from `jgan.data.labeled.SemiSupervisedSource`: 'x' unlabeled images (the whole training
set, labels dropped) and 'labeled_x', 'labeled_label' a batch of the N labeled examples (`--labels N`). The net
gives the K logits through its extra head (`extra_outputs = K`); its scalar real/fake output is left unused.
Everything is computed stably from logits: -log D = softplus(-lse), -log(1 - D) = softplus(lse).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from jgan.games.acgan import class_loss
from jgan.games.base import real_and_fake
from jgan.games.gan import GAN, feature_matching


def real_fake_logit(class_logits: jax.Array) -> jax.Array:
  """logsumexp_k l_k: the logit of D(x) = Z / (Z + 1), since the fake class's logit is 0."""
  return jax.nn.logsumexp(class_logits, axis=-1)


@dataclasses.dataclass(frozen=True)
class SSGAN(GAN):

  uses_labels: ClassVar[bool] = True

  g_loss: str = "feature_matching"
  num_classes: int = 10  # K

  @property
  def extra_outputs(self) -> int:
    return self.num_classes

  def unsupervised_loss(self, real_logits: jax.Array, fake_logits: jax.Array):
    """0.5 E[-log D(x) - log(1 - D(G(z)))] from class logits, with the cross-entropy games' metrics."""
    loss, metrics = self.adversarial_discriminator_loss(real_fake_logit(real_logits), real_fake_logit(fake_logits))
    return 0.5 * loss, metrics

  def discriminator_loss(self, discriminator, real, fake, latent):
    _, labeled_logits = discriminator(real["labeled_x"])
    (_, real_logits), (_, fake_logits) = real_and_fake(discriminator, real["x"], fake)
    supervised, accuracy = class_loss(labeled_logits, real["labeled_label"])
    unsupervised, metrics = self.unsupervised_loss(real_logits, fake_logits)
    return supervised + unsupervised, {**metrics, "supervised_loss": supervised, "unsupervised_loss": unsupervised,
                                       "labeled_accuracy": accuracy}

  def feature_matching_loss(self, discriminator, real_x: jax.Array, fake_x: jax.Array):
    """The authors' code's mean over the layer's features of the squared difference of the feature means: the
    GAN game's squared norm divided by the width (their Adam's epsilon makes the scale matter a little)."""
    real, fake = (discriminator.features(x)[1][self.feature_layer] for x in (real_x, fake_x))
    loss = feature_matching(real, fake) / (fake.size // fake.shape[0])
    return loss, {"feature_distance": loss}

  def generator_loss(self, discriminator, fake, latent, real):
    if self.g_loss == "feature_matching":
      return self.feature_matching_loss(discriminator, real["x"], fake)
    return self.adversarial_generator_loss(real_fake_logit(discriminator(fake)[1])), {}


def classify(state, images: np.ndarray, *, batch_size: int = 500) -> np.ndarray:
  """Predicted classes (argmax of the K logits, inference mode) of uint8 images as the run trains on them."""
  from jgan import data

  @jax.jit
  def predict(x):
    (_, logits), _ = state.discriminator(data.to_unit_range(x), train=False)
    return jnp.argmax(logits, axis=-1)

  return np.concatenate([np.asarray(predict(images[i:i + batch_size])) for i in range(0, len(images), batch_size)])


def error_rate(state, images: np.ndarray, labels: np.ndarray) -> float:
  """The fraction of `images` (uint8, as trained on) whose predicted class is not `labels`."""
  return float(np.mean(classify(state, images) != np.asarray(labels)))
