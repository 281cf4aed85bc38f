"""Builds `vtest_frames.npz`, the real camera clip of `jgan.data.video` (`dataset vtest`), from Debian's `opencv-doc`.

The package ships OpenCV's sample data, among it `usr/share/doc/opencv-doc/examples/data/vtest.avi`: a fixed camera
over a pedestrian street, 795 frames of 768x576 colour at 10 frames per second (MS-MPEG4 v3). Debian distributes it
under the package's licence (debian/copyright, `Files: *`: Apache-2.0 AND BSD-3-Clause, OpenCV's); jgan does not
ship the frames: each user builds them once, into the user's data directory (`$JGAN_DATA_DIR`, else
`~/.cache/jgan/data/`), where `jgan.data.video` reads them. The frames are decoded with PyAV (FFmpeg's libraries;
`pip install av`) and box-filtered by `--downscale` (block means; default 4: 192x144) to keep the file small; the
package's version, the licence, the decoder's version and the downscaling are recorded in the file's `source`.

Usage (Debian or Ubuntu, any architecture: the package is `all`; DIR any new folder):

    apt-get download opencv-doc && dpkg -x opencv-doc_*.deb DIR
    python -m jgan.data.build_video --package-dir DIR

Any other video can be used directly (`--dataset FILE` or a folder of frames); this script only pins the one clip
the project's results use.
"""

from __future__ import annotations

import argparse
import gzip
import json
import pathlib
import re
from collections.abc import Sequence

import numpy as np

from jgan.data.video import box_downscale, read_frames, vtest_path

CLIP = pathlib.Path("usr/share/doc/opencv-doc/examples/data/vtest.avi")
COPYRIGHT = pathlib.Path("usr/share/doc/opencv-doc/copyright")
CHANGELOG = pathlib.Path("usr/share/doc/opencv-doc/changelog.Debian.gz")


def package_facts(package_dir: pathlib.Path) -> dict[str, str]:
  """The package's version (first changelog line) and the licence of its `Files: *` paragraph."""
  with gzip.open(package_dir / CHANGELOG, "rt", encoding="utf-8") as f:
    version = re.match(r"\S+ \(([^)]+)\)", f.readline()).group(1)
  text = (package_dir / COPYRIGHT).read_text(encoding="utf-8")
  paragraph = re.search(r"^Files: \*\n(?:.*\n)*?License: *(.+)$", text, flags=re.MULTILINE)
  return {"package": "opencv-doc", "version": version, "file": str(CLIP),
          "licence": paragraph.group(1).strip() if paragraph else "see debian/copyright"}


def build(package_dir: str | pathlib.Path, out: str | pathlib.Path | None = None, downscale: int = 4) -> dict:
  """Decodes the package's vtest.avi, downscales it and writes {frames, source} to `out` (None: `vtest_path()`);
  returns the `source` record."""
  import av
  package_dir = pathlib.Path(package_dir)
  out = vtest_path() if out is None else pathlib.Path(out)
  frames = box_downscale(read_frames(package_dir / CLIP), downscale)
  source = {**package_facts(package_dir), "decoder": f"PyAV {av.__version__}", "downscale": downscale,
            "frames": int(frames.shape[0]), "height": int(frames.shape[1]), "width": int(frames.shape[2])}
  out.parent.mkdir(parents=True, exist_ok=True)
  partial = out.with_name(out.name + ".partial.npz")  # renamed when complete: a reader never sees half a file
  np.savez_compressed(partial, frames=frames, source=json.dumps(source))
  partial.replace(out)
  return source


def main(argv: Sequence[str] | None = None) -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--package-dir", type=pathlib.Path, required=True, help="Debian's opencv-doc, extracted")
  parser.add_argument("--out", type=pathlib.Path, default=None,
                      help=f"where to write (default: {vtest_path().name} in $JGAN_DATA_DIR, else ~/.cache/jgan/data)")
  parser.add_argument("--downscale", type=int, default=4, help="box-filter factor (4: 768x576 -> 192x144)")
  args = parser.parse_args(argv)
  out = vtest_path() if args.out is None else args.out
  source = build(args.package_dir, out, args.downscale)
  print(f"wrote {out} ({out.stat().st_size} bytes): {source}")


if __name__ == "__main__":
  main()
