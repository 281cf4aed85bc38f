"""GAN and autoencoder losses: pure functions returning per-example values (the step reduces them)."""

from jgan.losses._autoencoder import (bernoulli_reconstruction_loss, gaussian_kl, gaussian_log_density,
                                      monte_carlo_kl)
from jgan.losses._least_squares import least_squares_discriminator_loss, least_squares_generator_loss
from jgan.losses._minimax import (discriminator_probability, minimax_discriminator_loss, minimax_generator_loss,
                                  non_saturating_generator_loss)
from jgan.losses._wasserstein import wasserstein_discriminator_loss, wasserstein_generator_loss

__all__ = ["bernoulli_reconstruction_loss", "discriminator_probability", "gaussian_kl", "gaussian_log_density",
           "least_squares_discriminator_loss", "least_squares_generator_loss", "monte_carlo_kl", "minimax_discriminator_loss", "minimax_generator_loss",
           "non_saturating_generator_loss", "wasserstein_discriminator_loss", "wasserstein_generator_loss"]
