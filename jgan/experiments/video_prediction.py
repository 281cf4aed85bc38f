"""Next-frame prediction beyond mean square error (Mathieu, Couprie and LeCun 2016, arXiv:1511.05440).

    python -m jgan.experiments.video_prediction [--recipe l2|gdl|adversarial|adversarial_gdl] [--dataset D]
    python -m jgan.experiments.video_prediction evaluate DIR [--split test]
    python -m jgan.predict_frames --checkpoint DIR --input CLIP --frames 10 --out strip.png

The multi-scale generator (4 scales, each refining the upsampled coarser prediction) sees 4 past frames and predicts
the next; the multi-scale discriminator judges (past frames, next frame) at every scale. The defaults are the
paper's 32x32 model (Table 1) and its best loss, Adv+GDL (l1 + GDL + 0.05 adversarial), on moving digits downscaled
to 32x32; `--dataset vtest` is OpenCV's pedestrian clip (build it once: python -m jgan.data.build_video), or give a
video file or a folder of frames. `evaluate` scores PSNR, SSIM and sharpness of the 1st and 2nd predicted frames and
of copying the last frame, on whole frames and on the moving areas only (the paper's table, by its authors' released
protocol: jgan/video/evaluate.py). Config: jgan/video/config.py; nets: jgan/video/nets.py; step: jgan/video/steps.py.
"""

from __future__ import annotations

import sys

from jgan.configs.presets import Preset
from jgan.video import cli
from jgan.video.config import VideoPredictionConfig


def get_config() -> VideoPredictionConfig:
  """The paper's 32x32 model and Adv+GDL loss on moving digits at 32x32, 4 input frames, batch 8, Adam."""
  return VideoPredictionConfig(dataset="moving_digits", downscale=2, image_size=32, input_frames=4,
                               recipe="adversarial_gdl", steps=20_000, eval_every=1000, eval_samples=200)



# `--preset fast` (jgan.configs.presets): the changes to the recipe above, and why.
PRESETS = {"fast": Preset("predicted frames that follow the digits in a few minutes: nets 1/8 wide, batch 8, the l2 "
                          "+ GDL recipe, 600 iterations (experiments/video/ trains 800)",
                          dict(width=0.125, batch_size=8, recipe="gdl", steps=600, eval_every=600, sample_every=200,
                               checkpoint_every=200))}


def main(argv: list[str] | None = None) -> int:
  return cli.main("video_prediction", get_config(), __doc__, argv, presets=PRESETS)


if __name__ == "__main__":
  sys.exit(main())
