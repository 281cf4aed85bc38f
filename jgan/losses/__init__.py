"""GAN losses: pure functions of discriminator outputs returning per-example values (the step reduces them)."""

from jgan.losses._minimax import (discriminator_probability, minimax_discriminator_loss, minimax_generator_loss,
                                  non_saturating_generator_loss)
from jgan.losses._wasserstein import wasserstein_discriminator_loss, wasserstein_generator_loss

__all__ = ["discriminator_probability", "minimax_discriminator_loss", "minimax_generator_loss",
           "non_saturating_generator_loss", "wasserstein_discriminator_loss", "wasserstein_generator_loss"]
