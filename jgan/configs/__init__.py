"""Experiment configurations: frozen dataclasses, validated once before any data is read or anything compiled."""
