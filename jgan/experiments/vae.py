"""The variational autoencoder baseline (Kingma and Welling 2014) with the adversarial autoencoder's nets, so the
two latent spaces can be compared side by side (Makhzani et al. 2015, Fig. 2):

    python -m jgan.experiments.vae [--prior gaussian|mixture] [--mode unsupervised|supervised] [--out DIR]
    python -m jgan.experiments.aae evaluate DIR

The same flags and outputs as `python -m jgan.experiments.aae` with `--model vae`: a Gaussian encoder trained on
the ELBO (Bernoulli reconstruction plus KL(q(z|x) || p(z)); a one-sample estimate for the mixture prior).
"""

from __future__ import annotations

import dataclasses
import sys

from jgan.configs import aae
from jgan.experiments import aae as aae_experiment


def get_config() -> aae.AAEConfig:
  return dataclasses.replace(aae.get_config(), model="vae", encoder="gaussian")


if __name__ == "__main__":
  sys.exit(aae_experiment.main(None, get_config(), "vae", __doc__))
