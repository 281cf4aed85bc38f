"""InfoGAN (Chen et al. 2016, arXiv:1606.03657): interpretable codes by maximizing their mutual information.

The generator sees [z, onehot(c1), c2, ...] with c1 ~ Cat(K) and continuous codes c_j ~ U(-1, 1). A head Q on the
discriminator's trunk predicts the codes of generated images; L_I(G, Q) = E[log Q(c | G(z, c))] + H(c) is a lower
bound on I(c; G(z, c)) (their Eq. 4-5), and both G and Q maximize lambda * L_I beside the GAN game (Eq. 6). Q
models c1 with a softmax and each continuous code with a factored Gaussian of unit variance (so -log Q is half the
squared error, up to a constant), as the authors' code does (github.com/openai/InfoGAN, `Uniform(1, fix_std=True)`).
The discriminator's step updates the shared trunk and Q with lambda * L_I on its generated batch; the generator's
step updates G with it.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from jgan.games.acgan import class_loss
from jgan.games.base import real_and_fake
from jgan.games.gan import GAN


@dataclasses.dataclass(frozen=True)
class InfoGAN(GAN):

  categorical_codes: int = 10
  continuous_codes: int = 2
  info_weight: float = 1.0

  @property
  def extra_outputs(self) -> int:
    return self.categorical_codes + self.continuous_codes

  def sample_latent(self, rng, batch_size):
    z_rng, cat_rng, cont_rng = jax.random.split(rng, 3)
    latent = super().sample_latent(z_rng, batch_size)
    if self.categorical_codes:
      latent["cat"] = jax.random.randint(cat_rng, (batch_size,), 0, self.categorical_codes)
    if self.continuous_codes:
      latent["cont"] = jax.random.uniform(cont_rng, (batch_size, self.continuous_codes), minval=-1.0, maxval=1.0)
    return latent

  def fixed_latent(self, rng, num):
    """One row per category of c1 (when it exists); continuous codes at 0, so rows differ by c1 only."""
    latent = self.sample_latent(rng, num)
    if self.categorical_codes:
      latent["cat"] = (jnp.arange(num) * self.categorical_codes // num).astype(jnp.int32)
    if self.continuous_codes:
      latent["cont"] = jnp.zeros_like(latent["cont"])
    return latent

  def grid_columns(self, num):
    k = self.categorical_codes
    return num // k if k and num % k == 0 else None

  def generator_input(self, latent):
    parts = [latent["z"]]
    if self.categorical_codes:
      parts.append(jax.nn.one_hot(latent["cat"], self.categorical_codes))
    if self.continuous_codes:
      parts.append(latent["cont"])
    return jnp.concatenate(parts, axis=-1)

  def information_loss(self, q: jax.Array, latent) -> tuple[jax.Array, dict]:
    """-L_I up to the constant H(c): cross-entropy of c1 plus half the squared error of the continuous codes."""
    loss, metrics = jnp.zeros(()), {}
    if self.categorical_codes:
      loss, metrics["q_accuracy"] = class_loss(q[:, :self.categorical_codes], latent["cat"])
    if self.continuous_codes:
      error = q[:, self.categorical_codes:] - latent["cont"]
      loss = loss + 0.5 * jnp.mean(jnp.sum(error ** 2, axis=-1))
    return loss, {"info_loss": loss, **metrics}

  def discriminator_loss(self, discriminator, real, fake, latent):
    (real_logit, _), (fake_logit, q) = real_and_fake(discriminator, real["x"], fake)
    loss, metrics = self.adversarial_discriminator_loss(real_logit, fake_logit)
    info, info_metrics = self.information_loss(q, latent)
    return loss + self.info_weight * info, {**metrics, **info_metrics}

  def generator_loss(self, discriminator, fake, latent, real):
    logit, q = discriminator(fake)
    info, info_metrics = self.information_loss(q, latent)
    return self.adversarial_generator_loss(logit) + self.info_weight * info, {"g_" + k: v
                                                                              for k, v in info_metrics.items()}
