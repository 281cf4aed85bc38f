"""Single-image super-resolution: SRResNet and SRGAN (Ledig et al. 2017, arXiv:1609.04802).

config.py (the configuration), data.py (high-resolution sets and their low-resolution inputs), srgan.py (nets,
phases, the training step), features.py and feature_net.py (the content loss's frozen feature nets), evaluate.py
(Y-channel PSNR / SSIM, sharpness, bicubic baseline, tiled upscaling), experiment.py (runs over the shared loop).
Commands: `python -m jgan.experiments.srresnet`, `python -m jgan.experiments.srgan`, `python -m jgan.upscale`.
"""
