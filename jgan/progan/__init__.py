"""Progressive growing of GANs (Karras, Aila, Laine and Lehtinen 2018, "Progressive Growing of GANs for Improved
Quality, Stability, and Variation", arXiv:1710.10196).

config.py (the configuration), nets.py (equalised learning rate, pixel norm, minibatch stddev, the growing generator
and discriminator), schedule.py (stages of images: which resolution, fading or stable, alpha, batch and cost),
progan.py (phases and the training step of one stage), evaluate.py (SWD per Laplacian level, MS-SSIM, digit
scores, stacked-digit modes), experiment.py (runs over the shared loop), cli.py.
Command: `python -m jgan.experiments.progan`.
"""
