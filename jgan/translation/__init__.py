"""Image-to-image translation: pix2pix (paired) and CycleGAN (unpaired), on the shared multi-net state and loop.

A reader finds each model's loss and step in `pix2pix.py` / `cyclegan.py`, its recipe in `config.py`, the scores
in `evaluate.py` and the run (data, grids, evaluation) in `experiment.py`. The nets are the core's
(`jgan.models.unet`, `resnet`, `patchgan`, `image_pool`).
"""

from jgan.translation.config import CycleGANConfig, Pix2PixConfig
from jgan.translation.experiment import final_scores, load, run

__all__ = ["CycleGANConfig", "Pix2PixConfig", "final_scores", "load", "run"]
