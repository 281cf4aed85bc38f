"""Projecting real images into a trained generator and editing them under strokes (Zhu et al. 2016, iGAN).

    python -m jgan.edit project --checkpoint RUN_DIR --image FILE --out DIR
    python -m jgan.edit apply --checkpoint RUN_DIR --image FILE --color-strokes PNG --edge-strokes PNG --out DIR

See `jgan.editing.cli` for the flags, `jgan.editing` for the Python API.
"""

from __future__ import annotations

import sys

from jgan.editing.cli import main

if __name__ == "__main__":
  sys.exit(main())
