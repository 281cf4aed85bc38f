"""Adversarial domain adaptation: DANN (Ganin & Lempitsky 2015), DTN (Taigman et al. 2017) and SimGAN (Shrivastava
et al. 2017), on the shared multi-net state and loop (`jgan.state`, `jgan.loop`)."""
