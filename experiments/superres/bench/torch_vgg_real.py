"""The PyTorch ruler's SRGAN iteration beside the one piece of work it leaves out: VGG19 to relu5_4 on the real
high-resolution batch.

    /path/to/python-with-torch experiments/superres/bench/torch_vgg_real.py [--ruler ../shared/perf-reference]

`apps_torch.py`'s `srgan` computes `hr_features = vgg(hr)` once, before its timed iterations, because its batch
never changes; a training iteration meets a new batch each time and must compute it, as jgan's step does. This
times that forward pass (no gradient, batch 16, 96x96, the ruler's nets and threads) and the ruler's iteration in
the same process, and prints both and their sum: PyTorch's time for the work jgan's iteration does.
"""

import argparse
import json
import pathlib
import statistics
import sys
import time


def median_seconds(fn, repeats: int, warmup: int = 1) -> float:
  for _ in range(warmup):
    fn()
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    fn()
    times.append(time.perf_counter() - start)
  return statistics.median(times)


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--ruler", type=pathlib.Path,
                      default=pathlib.Path(__file__).resolve().parents[4] / "shared" / "perf-reference")
  parser.add_argument("--repeats", type=int, default=5)
  parser.add_argument("--threads", type=int, default=2)
  args = parser.parse_args()
  sys.path.insert(0, str(args.ruler))
  import torch
  import apps_torch
  torch.set_num_threads(args.threads)
  torch.manual_seed(0)
  ruler = argparse.Namespace(batch=16, size=96)
  iteration, nets = apps_torch.srgan(ruler)
  for net in nets:
    net.train()
  vgg = apps_torch.vgg19_54()
  hr = torch.rand(ruler.batch, 3, ruler.size, ruler.size) * 2 - 1

  def features():
    with torch.no_grad():
      vgg(hr)

  iteration_s = median_seconds(iteration, args.repeats, warmup=2)
  features_s = median_seconds(features, args.repeats)
  print(json.dumps({"torch": torch.__version__, "threads": args.threads, "batch": ruler.batch, "size": ruler.size,
                    "ruler_iteration_s": iteration_s, "vgg_real_forward_s": features_s,
                    "iteration_with_vgg_real_s": iteration_s + features_s}))


if __name__ == "__main__":
  main()
