"""Builds `tang_poems.json.gz`, the Tang poems of `jgan.data.text`, from Debian's package `fortunes-zh`.

The package's fortune file `usr/share/games/fortunes/tang300` (UTF-8) holds the "Three Hundred Tang Poems"
(唐诗三百首, compiled by Sun Zhu, 1763) as entries separated by lines holding only '%'; each entry is a title line 《...》, an
author line 作者：..., both wrapped in ANSI colour codes, then the poem's lines. The poems are centuries old and in the
public domain, but Debian distributes the file under the package's licence (debian/copyright: GPL-3.0+), so jgan
(Apache-2.0) does not ship the result: each user builds it once, into the user's data directory (`$JGAN_DATA_DIR`,
else `~/.cache/jgan/data/`), where `jgan.data.text.tang_poems()` reads it. The package's version and licence are
recorded in the output.

Usage (Debian or Ubuntu, any architecture: the package is `all`; DIR any new folder):

    apt-get download fortunes-zh && dpkg -x fortunes-zh_*.deb DIR
    python -m jgan.data.build_tang_poems --package-dir DIR

The result is gzipped JSON: {"source": {...}, "poems": [{"title", "author", "body"}, ...]}, `body` the poem's lines
joined by '\n', in the file's order. fortunes-zh 2.98 gives 313 poems.
"""

from __future__ import annotations

import argparse
import gzip
import json
import pathlib
import re
from collections.abc import Sequence

from jgan.data.text import tang_poems_path

FORTUNE = pathlib.Path("usr/share/games/fortunes/tang300")
COPYRIGHT = pathlib.Path("usr/share/doc/fortunes-zh/copyright")
CHANGELOG = pathlib.Path("usr/share/doc/fortunes-zh/changelog.gz")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def parse_fortunes(text: str) -> list[dict[str, str]]:
  """The poems of a `tang300`-style fortune file: entries split on '%' lines, title and author lines stripped."""
  poems = []
  for entry in re.split(r"^%\n", text, flags=re.MULTILINE):
    lines = [_ANSI.sub("", line).strip() for line in entry.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
      continue  # the file ends with '%'
    if len(lines) < 3 or not lines[0].startswith("《") or not lines[1].startswith("作者"):
      raise ValueError(f"unexpected fortune entry (no title and author lines): {lines[:3]}")
    poems.append({"title": lines[0].strip("《》"), "author": lines[1].split("：", 1)[-1],
                  "body": "\n".join(lines[2:])})
  return poems


def package_facts(package_dir: pathlib.Path) -> dict[str, str]:
  """The package's version (first changelog line) and licence (the copyright file's License: field)."""
  with gzip.open(package_dir / CHANGELOG, "rt", encoding="utf-8") as f:
    version = re.match(r"\S+ \(([^)]+)\)", f.readline()).group(1)
  copyright_text = (package_dir / COPYRIGHT).read_text(encoding="utf-8")
  licences = sorted(set(re.findall(r"^License:\s*(\S+)", copyright_text, flags=re.MULTILINE)))
  return {"package": "fortunes-zh", "version": version, "file": str(FORTUNE), "licence": ", ".join(licences)}


def build(package_dir: str | pathlib.Path, out: str | pathlib.Path | None = None) -> dict:
  """Parses the package extracted in `package_dir` and writes the poems to `out` (None: `tang_poems_path()`,
  its folder created); returns the record's `source` (package, version, licence, file, poem count)."""
  package_dir = pathlib.Path(package_dir)
  out = tang_poems_path() if out is None else pathlib.Path(out)
  poems = parse_fortunes((package_dir / FORTUNE).read_text(encoding="utf-8"))
  record = {"source": {**package_facts(package_dir), "poems": len(poems)}, "poems": poems}
  out.parent.mkdir(parents=True, exist_ok=True)
  # Written beside `out`, then renamed: a reader never sees a half-written file.
  partial = out.with_name(out.name + ".partial")
  # mtime=0 and no file name in the header: the same package always gives the same bytes
  with open(partial, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
    f.write(json.dumps(record, ensure_ascii=False, indent=0).encode("utf-8"))
  partial.replace(out)
  return record["source"]


def main(argv: Sequence[str] | None = None) -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--package-dir", type=pathlib.Path, required=True, help="Debian's fortunes-zh, extracted")
  parser.add_argument("--out", type=pathlib.Path, default=None,
                      help="where to write (default: tang_poems.json.gz in $JGAN_DATA_DIR, else ~/.cache/jgan/data, "
                           "where jgan.data.text reads it)")
  args = parser.parse_args(argv)
  out = tang_poems_path() if args.out is None else args.out
  source = build(args.package_dir, out)
  print(f"wrote {out} ({out.stat().st_size} bytes): {source['poems']} poems, {source}")


if __name__ == "__main__":
  main()
