"""Adversarial autoencoders (Makhzani et al. 2015) and the VAE baseline over jgan's shared parts: `state` (nets
and one optimizer state per phase), `steps` (the compiled phases), `experiment` (the shared loop's
`Experiment`), `evaluate` (held-out codes, errors, likelihoods, plots). Config: `jgan.configs.aae`; nets:
`jgan.models.autoencoder`; priors: `jgan.data.priors`; losses: `jgan.losses`."""
