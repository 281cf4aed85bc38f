"""Generators and discriminators, looked up by name (`config.model.arch`)."""

from jgan.models import dcgan, mlp
from jgan.models.registry import ARCHS, build

__all__ = ["ARCHS", "build", "dcgan", "mlp"]
