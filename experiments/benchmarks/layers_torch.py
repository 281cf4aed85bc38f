"""The PyTorch half of `python -m jgan.bench_layers`: times convolutions given as JSON on stdin.

    python layers_torch.py [--repeats 5] [--threads 2] < specs.json

Each spec (written by `jgan.bench_layers`): kind ('Conv' or 'ConvTranspose'), input and output shapes
(N, H, W, C), kernel (kh, kw, in, out), strides, padding ((lo, hi) per spatial dim, as jgan's layer pads: the
input for 'Conv', the dilated input for 'ConvTranspose', as `lax.conv_transpose` reads it), use_bias. Each is
built as `torch.nn.Conv2d` / `ConvTranspose2d` (NCHW) with the same shapes and timed as jgan's half times its
layer: forward, then both gradients (input and weight) from one cotangent; the median of `--repeats` calls after
one untimed. Prints one JSON list: per spec, the output shape it gave (N, H, W, C) and the median milliseconds.
Needs only PyTorch; it is a measuring instrument, not part of jgan.
"""

import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def build(spec):
  """(layer, function of x) for one spec; ValueError for a padding PyTorch's layers cannot express."""
  kh, kw, cin, cout = spec["kernel"]
  (lo_h, hi_h), (lo_w, hi_w) = spec["padding"]
  stride = tuple(spec["strides"])
  if spec["kind"] == "Conv":
    if lo_h == hi_h and lo_w == hi_w:
      layer = torch.nn.Conv2d(cin, cout, (kh, kw), stride, padding=(lo_h, lo_w), bias=spec["use_bias"])
      return layer, layer
    layer = torch.nn.Conv2d(cin, cout, (kh, kw), stride, padding=0, bias=spec["use_bias"])
    return layer, lambda x: layer(F.pad(x, (lo_w, hi_w, lo_h, hi_h)))
  if spec["kind"] == "ConvTranspose":
    # lax.conv_transpose pads the dilated input by (lo, hi); PyTorch's padding p removes k - 1 - p from the fully
    # padded (k - 1 each side) result and output_padding adds to the high side: p = k - 1 - lo, op = hi - lo.
    padding, output_padding = (kh - 1 - lo_h, kw - 1 - lo_w), (hi_h - lo_h, hi_w - lo_w)
    if min(padding + output_padding) < 0 or output_padding[0] >= stride[0] or output_padding[1] >= stride[1]:
      raise ValueError(f"padding {spec['padding']} of a {kh}x{kw} stride-{stride} transposed convolution has no "
                       "PyTorch ConvTranspose2d equivalent")
    layer = torch.nn.ConvTranspose2d(cin, cout, (kh, kw), stride, padding=padding, output_padding=output_padding,
                                     bias=spec["use_bias"])
    return layer, layer
  raise ValueError(f"kind {spec['kind']!r}: 'Conv' or 'ConvTranspose'")


def time_one(spec, repeats):
  layer, apply = build(spec)
  n, h, w, c = spec["input"]
  x = torch.randn(n, c, h, w, requires_grad=True)
  with torch.no_grad():
    out_shape = apply(x).shape
  cotangent = torch.randn(out_shape)

  def call():
    layer.zero_grad(set_to_none=True)
    x.grad = None
    apply(x).backward(cotangent)

  call()
  times = []
  for _ in range(repeats):
    t0 = time.perf_counter()
    call()
    times.append(time.perf_counter() - t0)
  n, c, h, w = out_shape
  return {"output": [n, h, w, c], "ms": 1e3 * statistics.median(times)}


def main():
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--repeats", type=int, default=5)
  parser.add_argument("--threads", type=int, default=2)
  args = parser.parse_args()
  torch.set_num_threads(args.threads)
  specs = json.load(sys.stdin)
  print(json.dumps([time_one(spec, args.repeats) for spec in specs]))


if __name__ == "__main__":
  main()
