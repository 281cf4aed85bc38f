"""Auxiliary-classifier GAN (Odena, Olah and Shlens 2016, arXiv:1610.09585).

The generator sees [z, onehot(c)]; the discriminator sees the image only and has two heads: the real/fake logit
and class logits. With L_S the log-likelihood of the right source and L_C that of the right class (their Eqs. 2-3),
the discriminator maximizes L_S + L_C and the generator maximizes L_C - L_S; both therefore maximize the class
log-likelihood, on real and generated images alike. Here L_S is the GAN cross-entropy (`g_loss` chooses the
generator's form) and L_C is weighted by `aux_weight`.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import optax

from jgan.games.base import real_and_fake
from jgan.games.cgan import ConditionalGAN


def class_loss(logits: jax.Array, labels: jax.Array) -> tuple[jax.Array, jax.Array]:
  """Mean -log p(c | x) from class logits, and the accuracy of the logits' argmax."""
  loss = jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, labels))
  return loss, jnp.mean(jnp.argmax(logits, axis=-1) == labels)


@dataclasses.dataclass(frozen=True)
class ACGAN(ConditionalGAN):

  aux_weight: float = 1.0

  @property
  def extra_outputs(self) -> int:
    return self.num_classes

  def discriminator_input(self, x, label):
    del label  # the class is predicted, not given
    return x

  def discriminator_loss(self, discriminator, real, fake, latent):
    (real_logit, real_classes), (fake_logit, fake_classes) = real_and_fake(discriminator, real["x"], fake)
    loss, metrics = self.adversarial_discriminator_loss(real_logit, fake_logit)
    real_class_loss, real_accuracy = class_loss(real_classes, real["label"])
    fake_class_loss, fake_accuracy = class_loss(fake_classes, latent["label"])
    loss = loss + self.aux_weight * (real_class_loss + fake_class_loss)
    return loss, {**metrics, "class_loss": real_class_loss, "class_accuracy_real": real_accuracy,
                  "class_accuracy_fake": fake_accuracy}

  def generator_loss(self, discriminator, fake, latent, real):
    logit, classes = discriminator(fake)
    fake_class_loss, accuracy = class_loss(classes, latent["label"])
    return (self.adversarial_generator_loss(logit) + self.aux_weight * fake_class_loss,
            {"g_class_loss": fake_class_loss, "g_class_accuracy": accuracy})
