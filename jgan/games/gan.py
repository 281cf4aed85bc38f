"""The original GAN (Goodfellow et al. 2014, arXiv:1406.2661) and DCGAN (Radford et al. 2015, arXiv:1511.06434).

The discriminator outputs a logit l with D = sigmoid(l) and minimizes -V(D, G) = -E log D(x) - E log(1 - D(G(z)))
(Eq. 1), optionally with one-sided label smoothing; the generator minimizes log(1 - D(G(z))) (`g_loss="minimax"`)
or -log D(G(z)) (`"non_saturating"`, the paper's recommendation). DCGAN is this game with convolutional nets and
Adam. Losses: `jgan/losses/_minimax.py`.
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp

from jgan import losses
from jgan.games.base import Game


@dataclasses.dataclass(frozen=True)
class GAN(Game):

  g_loss: str = "non_saturating"  # or "minimax"
  real_label: float = 1.0  # < 1: one-sided label smoothing (Salimans et al. 2016, Sec. 3.4)

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
    return self.adversarial_discriminator_loss(discriminator(real["x"]), discriminator(fake))

  def generator_loss(self, discriminator, fake, latent, real):
    return self.adversarial_generator_loss(discriminator(fake)), {}
