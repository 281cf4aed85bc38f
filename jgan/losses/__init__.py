"""GAN losses: pure functions of discriminator outputs returning per-example values (the step reduces them)."""

from jgan.losses._wasserstein import wasserstein_discriminator_loss, wasserstein_generator_loss

__all__ = ["wasserstein_discriminator_loss", "wasserstein_generator_loss"]
