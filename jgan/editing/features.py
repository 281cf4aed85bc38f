"""The feature network of the projection loss (Zhu et al. 2016, iGAN, Sec. 3).

iGAN measures reconstruction by L(x1, x2) = ||C(x1) - C(x2)||^2 + lambda ||x1 - x2||^2 with C the conv4 features of
AlexNet trained on ImageNet (the paper weights the pixel term; here the pixel term carries weight 1
and the feature term `feature_weight`). For jgan's images the stand-in for AlexNet is a classifier the project
trained itself, offline (`jgan.eval.classifier`): a small CNN, its 128 penultimate ReLU units are C.

  * 'digits': the shipped digit classifier (`digit_classifier.msgpack`, 1-channel 28/32 px images): the default for
    1-channel generators of side 28 or 32.
  * 'mnist_m': the same net trained on the coloured digits (`mnist_m_classifier.msgpack`): 3-channel, side 28/32.
  * 'none': pixels only (any other image size; also what `feature_weight=0` amounts to).

Its parameters are never trained (the extractor stops their gradient).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from jgan.eval import classifier, domain_classifiers
from jgan.superres.features import FeatureExtractor

NETWORKS = ("auto", "digits", "mnist_m", "none")
_CHANNELS = {name: domain_classifiers.CHANNELS[name] for name in ("digits", "mnist_m")}


def choose(name: str, image_shape: tuple[int, int, int]) -> str:
  """The network `name` resolves to for images of `image_shape` (H, W, C); ValueError if it cannot read them."""
  if name not in NETWORKS:
    raise ValueError(f"feature network must be one of {NETWORKS}, got {name!r}")
  height, width, channels = image_shape
  fits = height == width and height in (28, classifier.IMAGE_SIZE)
  if name == "auto":
    return {1: "digits", 3: "mnist_m"}.get(channels, "none") if fits else "none"
  if name != "none" and not (fits and channels == _CHANNELS[name]):
    raise ValueError(f"feature network {name!r} reads {_CHANNELS[name]}-channel images of side 28 or 32, the "
                     f"generator makes {image_shape}; use 'none' (pixels only)")
  return name


def _apply(channels: int, variables: dict, images: jax.Array) -> jax.Array:
  # classifier.preprocess centres 28x28 images on a 32x32 background of -1, as the classifier was trained.
  return classifier.DigitCNN(channels=channels).apply(variables, classifier.preprocess(images, channels))[0]


@functools.cache
def load(name: str) -> FeatureExtractor | None:
  """The frozen extractor `name` ('digits' | 'mnist_m'), or None for 'none': images in [-1, 1] -> (N, 128)."""
  if name == "none":
    return None
  channels = _CHANNELS[name]
  params = domain_classifiers.load_domain_scorer(name).params  # the shipped weights, loaded as the scorers load them
  return FeatureExtractor(params=params, apply_fn=functools.partial(_apply, channels),
                          name=f"{name} classifier, penultimate 128 ReLU units")


def distance(extractor: FeatureExtractor | None, images: jax.Array, target_features: jax.Array) -> jax.Array:
  """Per-image mean squared feature distance (N,); zeros without an extractor."""
  if extractor is None:
    return jnp.zeros(images.shape[:1])
  return jnp.mean(jnp.square(extractor(images) - target_features), axis=-1)


def features(extractor: FeatureExtractor | None, images: jax.Array) -> jax.Array:
  """(N, 128) features of `images` ((N, 0) without an extractor)."""
  if extractor is None:
    return jnp.zeros((images.shape[0], 0))
  return extractor(images)
