"""ProGAN's command line: training flags (`jgan.cli`), plus `evaluate DIR [--split S]`."""

from __future__ import annotations

from jgan import evaluating_cli

# What a finished run is used with, named in its closing lines (`jgan.loop.Launch.commands`).
COMMANDS = ("python -m jgan.sample --checkpoint {dir} --num 64 --grid samples.png",
            "python -m {module} evaluate {dir} --split validation")

main = evaluating_cli.for_family("jgan.progan.experiment", COMMANDS)
