"""SeqGAN (Yu et al. 2017, "SeqGAN: Sequence Generative Adversarial Nets with Policy Gradient", arXiv:1609.05473):
an LSTM policy over tokens trained by policy gradient with rewards from a CNN discriminator estimated by Monte Carlo
rollouts, with the paper's synthetic-oracle benchmark and real text (`jgan.experiments.seqgan`)."""
