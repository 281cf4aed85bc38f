"""StackGAN's command line: training flags (`jgan.cli`), plus `evaluate DIR [--split S]`."""

from __future__ import annotations

from jgan import evaluating_cli

# What a finished run is used with, named in its closing lines (`jgan.loop.Launch.commands`).
COMMANDS = ('python -m jgan.generate --checkpoint {dir} --text "a thick, slanted 7" --num 16 --grid seven.png',
            "python -m {module} evaluate {dir} --split validation")

main = evaluating_cli.for_family("jgan.stackgan.experiment", COMMANDS)
