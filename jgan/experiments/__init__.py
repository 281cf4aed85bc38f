"""Experiments runnable as `python -m jgan.experiments.NAME`."""
