"""Where a run's numbers go: a JSON-lines file, TensorBoard event files, and a PNG plot of a chosen metric."""

from __future__ import annotations

import json
import pathlib

import numpy as np

from jgan import images as image_io


def training_clock(rows: list[dict]) -> dict[int, float]:
  """Wall seconds of training up to each step of `rows` (metrics.jsonl's lines) that has a `time`. A resumed run's
  process starts its clock at zero again: its times continue from the last time the earlier process logged (the
  restart itself is not counted)."""
  times, offset, last = {}, 0.0, 0.0
  for row in rows:
    if "time" not in row:
      continue
    if row["time"] + offset < last:  # a new process: its clock started again
      offset = last
    times[row["step"]] = last = row["time"] + offset
  return times


class MetricsWriter:
  """Appends `{"step": g, ...}` lines to `metrics.jsonl` and scalars/images to TensorBoard under `tensorboard/`.

  With `enabled=False` (every process but process 0 of a multi-process run) it touches no file: writes and plots
  do nothing and `read` returns no rows.
  """

  def __init__(self, workdir: str | pathlib.Path, *, resume_step: int | None = None, enabled: bool = True):
    self.workdir = pathlib.Path(workdir)
    self.path = self.workdir / "metrics.jsonl"
    self.enabled = enabled
    if not enabled:
      return
    if resume_step is not None:  # drop lines written after the checkpoint we resume from: they will be redone
      self._truncate_after(resume_step)
    from tensorboardX import SummaryWriter
    self.tensorboard = SummaryWriter(str(self.workdir / "tensorboard"), purge_step=resume_step)

  def _truncate_after(self, step: int) -> None:
    if self.path.exists():
      kept = [line for line in self.path.read_text().splitlines() if line and json.loads(line)["step"] <= step]
      self.path.write_text("".join(line + "\n" for line in kept))

  def write(self, rows: list[dict]) -> None:
    if not self.enabled:
      return
    with self.path.open("a") as f:
      for row in rows:
        f.write(json.dumps(row) + "\n")
        for key, value in row.items():
          if key != "step" and isinstance(value, (int, float)):
            self.tensorboard.add_scalar(key, value, row["step"])

  def image(self, step: int, tag: str, image: np.ndarray) -> None:
    if self.enabled:
      self.tensorboard.add_image(tag, image, step, dataformats="HWC")

  def read(self) -> list[dict]:
    if not self.enabled or not self.path.exists():
      return []
    return [json.loads(line) for line in self.path.read_text().splitlines() if line]

  def plot(self, key: str, path: str | pathlib.Path, *, ylabel: str, title: str,
           xlabel: str = "generator iterations") -> None:
    rows = [row for row in self.read() if key in row]
    if rows:
      image_io.plot_curve(path, [r["step"] for r in rows], [r[key] for r in rows], ylabel=ylabel, title=title,
                          xlabel=xlabel)

  def close(self) -> None:
    if self.enabled:
      self.tensorboard.close()
