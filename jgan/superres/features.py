"""The frozen feature network of the super-resolution content loss (Ledig et al. 2017, Sec. 2.2.2, Eq. 5).

SRGAN's content loss is the squared distance between feature maps of the super-resolved and the real
high-resolution image: "VGG54" is VGG19's feature map after the 4th convolution (and its ReLU) before the 5th
max-pooling layer. Any network can play that part here: a `FeatureExtractor` holds a Flax apply function and its
parameters, which are never trained (every call stops their gradient). Extractors come from
`jgan.models.vgg.load_vgg19` (a VGG19 weights file the user supplies) or `jgan.superres.feature_net` (a network
the project trains itself offline on the same data: a substitute for VGG, never called VGG).
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
from flax import struct


class FeatureExtractor(struct.PyTreeNode):
  """images (N, H, W, 3) in [-1, 1], RGB -> feature maps (N, h, w, c), with frozen parameters.

  `apply_fn(variables, images)` is a Flax module's apply; it receives images in [-1, 1] and does its own input
  preprocessing (VGG's mean subtraction, say). `name` says what the features are (for logs and checkpoints'
  metadata); `scale` multiplies the features (SRGAN rescales VGG's by 1/12.75, Sec. 3.2).
  """

  params: Any
  apply_fn: Callable = struct.field(pytree_node=False)
  name: str = struct.field(pytree_node=False, default="features")
  scale: float = struct.field(pytree_node=False, default=1.0)

  def __call__(self, images: jax.Array) -> jax.Array:
    features = self.apply_fn({"params": jax.lax.stop_gradient(self.params)}, images)
    return features * self.scale if self.scale != 1.0 else features


def content_loss(extractor: FeatureExtractor, outputs: jax.Array, targets: jax.Array) -> jax.Array:
  """Ledig et al. 2017, Eq. 5: the mean squared distance between the features of `outputs` and of `targets`
  (the targets' features carry no gradient)."""
  return jnp.mean(jnp.square(extractor(outputs) - jax.lax.stop_gradient(extractor(targets))))
