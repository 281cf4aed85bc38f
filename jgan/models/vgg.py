"""VGG19's convolutions (Simonyan and Zisserman 2015, arXiv:1409.1556, Table 1, column E) as the feature network of
SRGAN's content loss (Ledig et al. 2017, arXiv:1609.04802, Sec. 2.2.2, Eq. 5: "VGG54" is `relu5_4`, "VGG22"
`relu2_2`).

`VGG19Features(layer)` runs the 16 3x3 convolutions (padding 1, stride 1, each followed by ReLU; 64, 64, pool,
128, 128, pool, 256 x 4, pool, 512 x 4, pool, 512 x 4) and 2x2 stride-2 max-pooling up to the named layer:
`conv{b}_{i}` (before its ReLU), `relu{b}_{i}`, `pool{b}`. It takes images in [-1, 1], RGB, and does the input
preprocessing of its weights' origin itself. The 16 convolutions have 20,024,384 parameters, as the ruler's
`vgg19_54` (perf-reference/apps_torch.py).

`load_vgg19(path, layer)` makes a frozen `jgan.superres.features.FeatureExtractor` from a weights file the user
supplies (none is shipped or downloaded). Licence: the VGG weights are Oxford VGG's, released under Creative
Commons Attribution (CC BY 4.0); Keras's files are ports of them (see Keras's VGG19 documentation); torchvision's
file comes under torchvision's own terms. Whoever uses them credits the authors as the licence asks. Files read:

(a) Keras Applications' `vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5` (or the full `..._tf_kernels.h5`,
    whose dense layers are ignored), read with h5py. Its layout, as verified in code that reads these files
    (and Keras's legacy `hdf5_format.load_weights_from_hdf5_group`: a group per layer named by the root's
    `layer_names` attribute, the layer's datasets named by its `weight_names` attribute, relative to that group):
    a group per layer, `block1_conv1` ... `block5_conv4`, holding `block1_conv1_W_1:0` (the kernel, (3, 3, in, out):
    "tf dim ordering", not flipped, "tf kernels") and `block1_conv1_b_1:0` (the bias). Files saved by Keras 2 nest
    them as `block1_conv1/block1_conv1/kernel:0` and `bias:0`, and whole-model files put the groups under
    `model_weights`. Rather than trust names, each layer's group must hold exactly one 4-d dataset (the kernel) and
    one 1-d dataset (the bias), at any depth. The weights expect Caffe's preprocessing ("caffe": BGR, 0..255, minus
    the BGR mean [103.939, 116.779, 123.68], as Keras's `vgg19.preprocess_input`).
(b) the project's `.npz`: keys `conv1_1/kernel` (HWIO), `conv1_1/bias`, ..., and `preprocessing` ("caffe" or
    "torch"), written by the converter `python -m jgan.models.vgg convert IN OUT.npz` from (a) or (c).
(c) torchvision's `vgg19-dcbedf0f.pth` state dict (`features.{i}.weight` OIHW, `features.{i}.bias` for the
    convolutions at i = 0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34): through the converter only,
    which needs PyTorch. Its preprocessing is torchvision's ("torch": RGB in [0, 1], minus the ImageNet mean
    (0.485, 0.456, 0.406), divided by the std (0.229, 0.224, 0.225)).

Only the convolutions up to the requested layer are read and kept (a `relu2_2` extractor needs 4 of 16). Every
problem with a file (missing, unknown extension, a layer absent, a kernel or bias of the wrong shape) is a
ValueError naming the file, the layer and what was expected, raised before anything is compiled.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Mapping, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jgan.models import layers
from jgan.superres.features import FeatureExtractor

# (channels, convolutions) of VGG19's five blocks; a 2x2 max-pool ends each.
BLOCKS = ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4))
PREPROCESSING = ("caffe", "torch")
# Keras's `imagenet_utils.preprocess_input(mode='caffe')`: the BGR mean of the ILSVRC training images, 0..255.
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
# torchvision's ImageNet normalization, RGB in [0, 1].
TORCH_MEAN = (0.485, 0.456, 0.406)
TORCH_STD = (0.229, 0.224, 0.225)
H5_EXTENSIONS = (".h5", ".hdf5")
TORCH_EXTENSIONS = (".pth", ".pt")
SRGAN_SCALE = 1 / 12.75  # Ledig et al. 2017, Sec. 3.2: VGG feature maps rescaled by 1/12.75


def _architecture() -> tuple[list[tuple[str, str]], dict[str, tuple[int, int, int, int]], dict[str, int]]:
  """The layer sequence [(kind, name)], each convolution's kernel shape (HWIO), and its index in torchvision's
  `features` (conv, ReLU per convolution, max-pool per block)."""
  ops, shapes, torch_index = [], {}, {}
  channels, index = 3, 0
  for b, (width, convs) in enumerate(BLOCKS, start=1):
    for i in range(1, convs + 1):
      name = f"conv{b}_{i}"
      ops += [("conv", name), ("relu", f"relu{b}_{i}")]
      shapes[name], torch_index[name] = (3, 3, channels, width), index
      channels, index = width, index + 2
    ops.append(("pool", f"pool{b}"))
    index += 1
  return ops, shapes, torch_index


OPS, KERNEL_SHAPES, TORCH_INDEX = _architecture()
LAYERS = tuple(name for _, name in OPS)
CONVS = tuple(KERNEL_SHAPES)


def check_layer(layer: str) -> None:
  if layer not in LAYERS:
    raise ValueError(f"VGG19 has no layer {layer!r}: one of conv{{b}}_{{i}}, relu{{b}}_{{i}}, pool{{b}} "
                     f"({', '.join(LAYERS)})")


def convs_up_to(layer: str) -> tuple[str, ...]:
  """The convolutions a feature map at `layer` depends on, in order (`relu1_2`: conv1_1, conv1_2)."""
  check_layer(layer)
  stop = LAYERS.index(layer)
  return tuple(name for kind, name in OPS[:stop + 1] if kind == "conv")


def keras_name(conv: str) -> str:
  """conv1_1 -> block1_conv1 (Keras Applications' layer names)."""
  block, i = conv[len("conv"):].split("_")
  return f"block{block}_conv{i}"


def preprocess(images: jax.Array, kind: str) -> jax.Array:
  """Images in [-1, 1], RGB -> the input the weights were trained on ('caffe' or 'torch'; the module docstring)."""
  if kind == "caffe":
    return (images[..., ::-1] + 1.0) * 127.5 - jnp.asarray(CAFFE_MEAN_BGR, images.dtype)
  if kind == "torch":
    return ((images + 1.0) * 0.5 - jnp.asarray(TORCH_MEAN, images.dtype)) / jnp.asarray(TORCH_STD, images.dtype)
  raise ValueError(f"preprocessing {kind!r} is not one of {PREPROCESSING}")


class VGG19Features(nn.Module):
  """images (N, H, W, 3) in [-1, 1], RGB -> VGG19's feature map at `layer`, float32 (relu5_4 of a 96x96 image:
  (N, 6, 6, 512)).

  Parameters `conv1_1` ... with `kernel` (3, 3, in, out) and `bias`, only up to `layer`. A fresh net's kernels are
  He-normal (fan-in), so that a random net's activations keep their scale through 16 ReLU layers (for timings and
  tests); real use loads trained weights (`load_vgg19`).
  """

  layer: str = "relu5_4"
  preprocessing: str = "caffe"  # of the weights' origin: 'caffe' (Keras's files), 'torch' (torchvision's)
  dtype: Any = None  # of the convolutions (None: float32)

  @nn.compact
  def __call__(self, images: jax.Array) -> jax.Array:
    check_layer(self.layer)
    x = preprocess(images.astype(jnp.float32), self.preprocessing)
    for kind, name in OPS[:LAYERS.index(self.layer) + 1]:
      if kind == "conv":
        x = layers.Conv(KERNEL_SHAPES[name][-1], (3, 3), padding=((1, 1), (1, 1)),
                        kernel_init=nn.initializers.he_normal(), dtype=self.dtype, name=name)(x)
      elif kind == "relu":
        x = nn.relu(x)
      else:  # 2x2 stride 2, no padding: odd sides are floored, as PyTorch's MaxPool2d(2) and Keras's 'valid'
        x = nn.max_pool(x, (2, 2), (2, 2))
    return x.astype(jnp.float32)


Weights = dict[str, dict[str, np.ndarray]]


def _check(path: str, conv: str, kernel: np.ndarray, bias: np.ndarray, source: str) -> dict[str, np.ndarray]:
  expected = KERNEL_SHAPES[conv]
  if kernel.shape != expected or bias.shape != expected[-1:]:
    raise ValueError(f"{path}: layer {conv} ({source}) has kernel {kernel.shape} and bias {bias.shape}, expected "
                     f"kernel {expected} (HWIO) and bias {expected[-1:]}")
  return {"kernel": np.asarray(kernel, np.float32), "bias": np.asarray(bias, np.float32)}


def _read_keras(path: str, convs: Sequence[str]) -> Weights:
  import h5py  # only needed for Keras's files

  weights = {}
  with h5py.File(path, "r") as f:
    root = f["model_weights"] if "model_weights" in f else f  # whole-model files keep the weights under it
    for conv in convs:
      group_name = keras_name(conv)
      group = root.get(group_name)
      if not isinstance(group, h5py.Group):
        raise ValueError(f"{path}: no layer {group_name!r} (VGG19's {conv}); expected a group {group_name} holding "
                         f"its kernel {KERNEL_SHAPES[conv]} and bias, as in Keras's vgg19_weights_tf_dim_ordering_"
                         f"tf_kernels_notop.h5")
      datasets = []
      group.visititems(lambda name, item: datasets.append((name, item[()])) if isinstance(item, h5py.Dataset) else None)
      kernels = [array for _, array in datasets if array.ndim == 4]
      biases = [array for _, array in datasets if array.ndim == 1]
      if len(kernels) != 1 or len(biases) != 1:
        found = ", ".join(f"{name} {array.shape}" for name, array in datasets) or "nothing"
        raise ValueError(f"{path}: layer {group_name!r} (VGG19's {conv}) holds {found}; expected one 4-d kernel "
                         f"{KERNEL_SHAPES[conv]} and one 1-d bias")
      weights[conv] = _check(path, conv, kernels[0], biases[0], group_name)
  return weights


def _read_npz(path: str, convs: Sequence[str]) -> tuple[Weights, str]:
  with np.load(path, allow_pickle=False) as data:
    if "preprocessing" not in data.files:
      raise ValueError(f"{path}: no 'preprocessing' entry; expected one of {PREPROCESSING} (write the file with "
                       f"`python -m jgan.models.vgg convert`)")
    preprocessing = str(data["preprocessing"])
    if preprocessing not in PREPROCESSING:
      raise ValueError(f"{path}: preprocessing {preprocessing!r}, expected one of {PREPROCESSING}")
    weights = {}
    for conv in convs:
      keys = (f"{conv}/kernel", f"{conv}/bias")
      if any(key not in data.files for key in keys):
        raise ValueError(f"{path}: no layer {conv} (keys {keys[0]!r}, {keys[1]!r}); expected its kernel "
                         f"{KERNEL_SHAPES[conv]} and bias")
      weights[conv] = _check(path, conv, data[keys[0]], data[keys[1]], conv)
  return weights, preprocessing


def torch_state_to_weights(state: Mapping[str, np.ndarray], path: str, convs: Sequence[str] = CONVS) -> Weights:
  """torchvision's VGG19 state dict (arrays; `features.{i}.weight` OIHW, `features.{i}.bias`) -> HWIO weights."""
  weights = {}
  for conv in convs:
    keys = (f"features.{TORCH_INDEX[conv]}.weight", f"features.{TORCH_INDEX[conv]}.bias")
    if any(key not in state for key in keys):
      raise ValueError(f"{path}: no layer {conv} (keys {keys[0]!r}, {keys[1]!r}); expected torchvision's VGG19 "
                       f"state dict")
    kernel = np.asarray(state[keys[0]])
    # OIHW -> HWIO; both PyTorch and XLA convolutions are cross-correlations, so no spatial flip.
    kernel = kernel.transpose(2, 3, 1, 0) if kernel.ndim == 4 else kernel
    weights[conv] = _check(path, conv, kernel, np.asarray(state[keys[1]]), keys[0])
  return weights


def _read_torch(path: str, convs: Sequence[str]) -> Weights:
  try:
    import torch
  except ImportError as e:
    raise ValueError(f"{path}: reading a PyTorch state dict needs torch (pip install torch), or use Keras's "
                     f"vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5 instead") from e
  state = torch.load(path, map_location="cpu", weights_only=True)
  state = state.get("state_dict", state)
  return torch_state_to_weights({k: v.numpy() for k, v in state.items() if hasattr(v, "numpy")}, path, convs)


def _check_file(path: str) -> str:
  if not os.path.isfile(path):
    raise ValueError(f"{path}: no such file; expected VGG19 weights (Keras's .h5, the project's .npz or, to "
                     f"convert, torchvision's .pth)")
  ext = os.path.splitext(path)[1].lower()
  if ext not in H5_EXTENSIONS + (".npz",) + TORCH_EXTENSIONS:
    raise ValueError(f"{path}: unknown extension {ext!r}; expected {', '.join(H5_EXTENSIONS)} (Keras), .npz (this "
                     f"project's) or {', '.join(TORCH_EXTENSIONS)} (torchvision, through the converter)")
  return ext


def read_vgg19(path: str, layer: str = "relu5_4", *, allow_torch: bool = False) -> tuple[Weights, str]:
  """The weights of the convolutions up to `layer` in `path` (HWIO float32 arrays by name) and their
  preprocessing. torchvision's files only with `allow_torch` (the converter)."""
  convs = convs_up_to(layer)
  ext = _check_file(str(path))
  path = str(path)
  if ext in H5_EXTENSIONS:
    return _read_keras(path, convs), "caffe"
  if ext == ".npz":
    return _read_npz(path, convs)
  if not allow_torch:
    raise ValueError(f"{path}: a PyTorch file is read through the converter only: `python -m jgan.models.vgg "
                     f"convert {path} vgg19.npz` (needs torch), then load the .npz; or use Keras's .h5")
  return _read_torch(path, convs), "torch"


def load_vgg19(path: str | os.PathLike, layer: str = "relu5_4", scale: float = SRGAN_SCALE,
               dtype: Any = None) -> FeatureExtractor:
  """A frozen VGG19 feature extractor (`jgan.superres.features.FeatureExtractor`, named 'vgg19/<layer>') from a
  Keras .h5 or the project's .npz; features multiplied by `scale` (SRGAN's 1/12.75, Ledig et al. 2017, Sec. 3.2).
  ValueError for any problem with the file (the module docstring)."""
  weights, preprocessing = read_vgg19(str(path), layer)
  module = VGG19Features(layer=layer, preprocessing=preprocessing, dtype=dtype)
  params = {conv: {k: jnp.asarray(v) for k, v in w.items()} for conv, w in weights.items()}
  return FeatureExtractor(params=params, apply_fn=module.apply, name=f"vgg19/{layer}", scale=scale)


def convert(src: str | os.PathLike, dst: str | os.PathLike, layer: str = "relu5_4") -> None:
  """Writes the project's .npz (module docstring, (b)) from Keras's .h5 or torchvision's .pth, the convolutions up
  to `layer` (all 16 by default)."""
  dst = str(dst)
  if not dst.endswith(".npz"):
    raise ValueError(f"{dst}: the converted file must end in .npz")
  weights, preprocessing = read_vgg19(str(src), layer, allow_torch=True)
  arrays = {f"{conv}/{k}": v for conv, w in weights.items() for k, v in w.items()}
  np.savez(dst, preprocessing=np.array(preprocessing), **arrays)


def main(argv: Sequence[str] | None = None) -> int:
  parser = argparse.ArgumentParser(prog="python -m jgan.models.vgg",
                                   description="VGG19 weights for SRGAN's content loss (jgan.models.vgg)")
  commands = parser.add_subparsers(dest="command", required=True)
  conv = commands.add_parser("convert", help="VGG19 weights (Keras .h5 or torchvision .pth) -> the project's .npz")
  conv.add_argument("src", help="vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5 or vgg19-dcbedf0f.pth")
  conv.add_argument("dst", help="the .npz to write")
  conv.add_argument("--layer", default="relu5_4", help="keep the convolutions up to this layer (default: all 16)")
  args = parser.parse_args(argv)
  try:
    convert(args.src, args.dst, args.layer)
  except ValueError as e:
    print(f"error: {e}", file=sys.stderr)
    return 1
  print(f"wrote {args.dst}")
  return 0


if __name__ == "__main__":
  sys.exit(main())
