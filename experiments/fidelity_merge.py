"""Merges the families' `fidelity_entries.json` into `experiments/fidelity.json`, the list of every comparison with a
paper (paper, its number, ours, split, seeds, command, result files).

    python experiments/fidelity_merge.py

The families listed in `FAMILIES` write `experiments/<family>/fidelity_entries.json` from their result files (their
tables scripts); this replaces each one's entries in `fidelity.json` (those whose result files lie in its folder),
converted to the common fields, and keeps every other entry. A paper value or ours that is a sentence rather than
one number (an ordering, a pair) goes to `paper_protocol` / `ours_protocol` with `paper_number` / `ours_number`
null. A paper value that could not be checked against the paper here says so in its note and is not a number.
"""

from __future__ import annotations

import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
FAMILIES = ("aae", "adaptation", "editing", "improved", "infogan", "maxout", "mode_coverage", "progressive", "seqgan",
            "stackgan", "video")
FIELDS = ("benchmark", "paper", "paper_number", "paper_protocol", "ours_number", "ours_protocol", "split", "seeds",
          "command", "result_files")


def _number(value) -> float | None:
  return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def convert(family: str, entry: dict) -> dict:
  """A family's entry (paper, claim, paper_value, ours, split, seeds, command, result_files, note) in the common
  fields."""
  paper_number, ours_number = _number(entry["paper_value"]), _number(entry["ours"])
  said = f"{entry['paper_value']} {entry.get('note', '')}".lower()
  unverified = "from memory" in said or "verify against" in said or "(from memory" in said
  out = {"benchmark": f"{family}: {entry['claim']}", "paper": entry["paper"],
         "paper_number": None if unverified else paper_number,
         "paper_protocol": "" if paper_number is not None and not unverified else str(entry["paper_value"]),
         "ours_number": None if ours_number is None else round(ours_number, 4),
         "ours_protocol": "" if ours_number is not None else str(entry["ours"]),
         "split": entry["split"], "seeds": entry["seeds"], "command": entry["command"],
         "result_files": entry["result_files"]}
  if unverified:
    out["paper_protocol"] = "NOT VERIFIED against the paper (it could not be read here): " + out["paper_protocol"]
  if entry.get("note"):
    out["note"] = entry["note"]
  return out


def merge(root: pathlib.Path = HERE) -> list[dict]:
  path = root / "fidelity.json"
  entries = json.loads(path.read_text())
  for family in FAMILIES:
    source = root / family / "fidelity_entries.json"
    if not source.exists():
      continue
    # a family's earlier entries: named after it by convert(), or (entries kept from before) by their files' folder
    entries = [e for e in entries if not (e["benchmark"].startswith(f"{family}: ")
                                          or e["result_files"][0].startswith(f"experiments/{family}/"))]
    entries += [convert(family, e) for e in json.loads(source.read_text())]
  path.write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n")
  return entries


if __name__ == "__main__":
  print(f"{len(merge())} entries in {HERE / 'fidelity.json'}")
