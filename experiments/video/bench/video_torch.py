"""PyTorch ruler for `python -m jgan.bench_video`: the multi-scale generator and discriminator of Mathieu et al.
2016 (Table 1 layer sizes times --width), one Adv+GDL training iteration (discriminator step on real vs detached
predictions at every scale, then the generator step on l1 + GDL + 0.05 adversarial through the updated
discriminator), Adam for both, on synthetic clips in memory. Prints one JSON line: median seconds per iteration.

    /work/.venv-torch/bin/python experiments/video/bench/video_torch.py --width 0.125 --batch 8 --iters 20
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

G_FEATURES = ((128, 256, 128), (128, 256, 128), (128, 256, 512, 256, 128), (128, 256, 512, 256, 128))
G_KERNELS = ((3, 3, 3, 3), (5, 3, 3, 5), (5, 3, 3, 3, 3, 5), (7, 5, 5, 5, 5, 7))
D_FEATURES = ((64,), (64, 128, 128), (128, 256, 256), (128, 256, 512, 128))
D_KERNELS = ((3,), (3, 3, 3), (5, 5, 5), (7, 7, 5, 5))
D_DENSE = ((512, 256), (1024, 512), (1024, 512), (1024, 512))


def scaled(sizes, width):
  return [[max(1, round(n * width)) for n in s] for s in sizes]


class Generator(nn.Module):
  def __init__(self, k, c, width):
    super().__init__()
    self.scales = nn.ModuleList()
    for n, (features, kernels) in enumerate(zip(scaled(G_FEATURES, width), G_KERNELS)):
      layers, channels = [], k * c + (c if n else 0)
      for f, kern in zip(features, kernels):
        layers += [nn.Conv2d(channels, f, kern, padding=kern // 2), nn.ReLU()]
        channels = f
      layers.append(nn.Conv2d(channels, c, kernels[-1], padding=kernels[-1] // 2))
      self.scales.append(nn.Sequential(*layers))

  def forward(self, x):
    outs = []
    for n, net in enumerate(self.scales):
      xs = F.avg_pool2d(x, 2 ** (3 - n)) if n < 3 else x
      if n == 0:
        outs.append(torch.tanh(net(xs)))
      else:
        coarse = F.interpolate(outs[-1], scale_factor=2, mode="nearest")
        outs.append(torch.tanh(coarse + net(torch.cat([xs, coarse], 1))))
    return outs


class Discriminator(nn.Module):
  def __init__(self, k, c, size, width):
    super().__init__()
    self.scales = nn.ModuleList()
    for n, (features, kernels, dense) in enumerate(zip(scaled(D_FEATURES, width), D_KERNELS, scaled(D_DENSE, width))):
      layers, channels, side = [], (k + 1) * c, size >> (3 - n)
      for f, kern in zip(features, kernels):
        layers += [nn.Conv2d(channels, f, kern), nn.ReLU()]
        channels, side = f, side - kern + 1
      layers.append(nn.Flatten())
      units = channels * side * side
      for d in dense:
        layers += [nn.Linear(units, d), nn.ReLU()]
        units = d
      layers.append(nn.Linear(units, 1))
      self.scales.append(nn.Sequential(*layers))

  def forward(self, sequences):
    return torch.cat([net(x) for net, x in zip(self.scales, sequences)], 1)


def pyramid(x):
  return [F.avg_pool2d(x, 2 ** (3 - n)) if n < 3 else x for n in range(4)]


def gdl(out, target):
  total = 0
  for dim in (2, 3):
    total = total + (target.diff(dim=dim).abs() - out.diff(dim=dim).abs()).abs().mean()
  return total


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("--width", type=float, default=0.125)
  parser.add_argument("--batch", type=int, default=8)
  parser.add_argument("--size", type=int, default=32)
  parser.add_argument("--frames", type=int, default=4)
  parser.add_argument("--channels", type=int, default=1)
  parser.add_argument("--iters", type=int, default=20)
  parser.add_argument("--warmup", type=int, default=3)
  parser.add_argument("--threads", type=int, default=0)
  args = parser.parse_args()
  if args.threads:
    torch.set_num_threads(args.threads)
  torch.manual_seed(0)
  k, c = args.frames, args.channels
  g, d = Generator(k, c, args.width), Discriminator(k, c, args.size, args.width)
  g_opt = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
  d_opt = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
  clips = torch.rand(64, k + 1, c, args.size, args.size) * 2 - 1

  def iteration(i):
    index = torch.randint(0, len(clips), (args.batch,))
    clip = clips[index]
    inputs, target = clip[:, :k].reshape(args.batch, k * c, args.size, args.size), clip[:, k]
    xs, ys = pyramid(inputs), pyramid(target)
    preds = g(inputs)
    real = d([torch.cat([x, y], 1) for x, y in zip(xs, ys)])
    fake = d([torch.cat([x, p.detach()], 1) for x, p in zip(xs, preds)])
    d_loss = (F.binary_cross_entropy_with_logits(real, torch.ones_like(real), reduction="none").sum(1).mean()
              + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake), reduction="none").sum(1).mean())
    d_opt.zero_grad()
    d_loss.backward()
    d_opt.step()
    logits = d([torch.cat([x, p], 1) for x, p in zip(xs, preds)])
    adv = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits), reduction="none").sum(1).mean()
    g_loss = sum((p - y).abs().mean() + gdl(p, y) for p, y in zip(preds, ys)) + 0.05 * adv
    g_opt.zero_grad()
    g_loss.backward()
    g_opt.step()

  for i in range(args.warmup):
    iteration(i)
  times = []
  for i in range(args.iters):
    t0 = time.perf_counter()
    iteration(i)
    times.append(time.perf_counter() - t0)
  print(json.dumps({"seconds_per_iteration": statistics.median(times), "min": min(times), "max": max(times),
                    "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
  main()
