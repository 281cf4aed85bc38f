"""The PyTorch ruler for `python -m jgan.bench_seqgan`: SeqGAN's nets and its three updates written directly in
PyTorch (CPU), the same sizes and the same work per iteration as jgan's (`jgan/seqgan/nets.py`, `steps.py`).

    /work/.venv-torch/bin/python experiments/seqgan/bench/seqgan_torch.py --vocab 5000 --repeats 3

Prints one JSON line: seconds per iteration of
  mle:         one MLE update of G on a batch of 64 sequences of 20 (teacher forcing, Adam, clipping at 5);
  d:           one update of D on a batch of 64 (the paper's CNN, highway, dropout, L2 on the output layer);
  adversarial: one policy-gradient step: 64 samples, their rewards from 16 rollouts per prefix (all 16 x 19
               completions batched together, as jgan vmaps them) scored by D, and the update of G.
Sampling uses torch.multinomial (one draw per row).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

SIZES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20)
COUNTS = (100, 200, 200, 200, 200, 100, 100, 100, 100, 100, 160, 160)


class Generator(nn.Module):
  def __init__(self, vocab, emb=32, hidden=32):
    super().__init__()
    self.embedding = nn.Parameter(torch.randn(vocab, emb) * 0.1)
    self.W = nn.Parameter(torch.randn(emb, 4 * hidden) * 0.1)
    self.U = nn.Parameter(torch.randn(hidden, 4 * hidden) * 0.1)
    self.b = nn.Parameter(torch.randn(4 * hidden) * 0.1)
    self.Wo = nn.Parameter(torch.randn(hidden, vocab) * 0.1)
    self.bo = nn.Parameter(torch.randn(vocab) * 0.1)
    self.hidden = hidden

  def cell(self, h, c, token):
    i, f, o, g = (self.embedding[token] @ self.W + h @ self.U + self.b).chunk(4, -1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    return h, c, h @ self.Wo + self.bo

  def log_probs(self, tokens):
    batch, length = tokens.shape
    h = c = torch.zeros(batch, self.hidden)
    token = torch.zeros(batch, dtype=torch.long)
    out = []
    for t in range(length):
      h, c, logits = self.cell(h, c, token)
      out.append(F.log_softmax(logits, -1).gather(1, tokens[:, t:t + 1])[:, 0])
      token = tokens[:, t]
    return torch.stack(out, 1)

  @torch.no_grad()
  def complete(self, prefix, given):
    """Keeps prefix[:, :given[b]] per row and samples the rest (given (B,) per-row prefix lengths)."""
    batch, length = prefix.shape
    h = c = torch.zeros(batch, self.hidden)
    token = torch.zeros(batch, dtype=torch.long)
    out = []
    for t in range(length):
      h, c, logits = self.cell(h, c, token)
      drawn = torch.multinomial(F.softmax(logits, -1), 1)[:, 0]
      token = torch.where(t < given, prefix[:, t], drawn)
      out.append(token)
    return torch.stack(out, 1)


class Discriminator(nn.Module):
  def __init__(self, vocab, emb=64):
    super().__init__()
    self.embedding = nn.Embedding(vocab, emb)
    self.convs = nn.ModuleList(nn.Conv1d(emb, n, w) for w, n in zip(SIZES, COUNTS))
    total = sum(COUNTS)
    self.lin, self.gate, self.out = nn.Linear(total, total), nn.Linear(total, total), nn.Linear(total, 2)
    self.dropout = nn.Dropout(0.25)

  def forward(self, tokens):
    x = self.embedding(tokens).transpose(1, 2)
    x = torch.cat([F.relu(conv(x)).amax(-1) for conv in self.convs], -1)
    t = torch.sigmoid(self.gate(x))
    x = t * F.relu(self.lin(x)) + (1 - t) * x
    return self.out(self.dropout(x))


def timed(fn, repeats):
  fn()
  times = []
  for _ in range(repeats):
    t0 = time.perf_counter()
    fn()
    times.append(time.perf_counter() - t0)
  return statistics.median(times)


def main(argv=None):
  parser = argparse.ArgumentParser()
  parser.add_argument("--vocab", type=int, default=5000)
  parser.add_argument("--rollouts", type=int, default=16)
  parser.add_argument("--repeats", type=int, default=3)
  parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
  args = parser.parse_args(argv)
  if args.threads:
    torch.set_num_threads(args.threads)
  torch.manual_seed(0)
  batch, length = 64, 20
  g, d = Generator(args.vocab), Discriminator(args.vocab)
  g_opt, d_opt = torch.optim.Adam(g.parameters(), 0.01), torch.optim.Adam(d.parameters(), 1e-4)
  data = torch.randint(0, args.vocab, (batch, length))

  def mle():
    loss = -g.log_probs(data).mean()
    g_opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(g.parameters(), 5.0)
    g_opt.step()

  def d_step():
    labels = torch.randint(0, 2, (batch,))
    loss = F.cross_entropy(d(data), labels) + 0.2 * 0.5 * (d.out.weight.square().sum() + d.out.bias.square().sum())
    d_opt.zero_grad()
    loss.backward()
    d_opt.step()

  def adversarial():
    samples = g.complete(torch.zeros(batch, length, dtype=torch.long), torch.zeros(batch, dtype=torch.long))
    given = torch.arange(1, length).repeat_interleave(batch).repeat(args.rollouts)
    prefixes = samples.repeat(args.rollouts * (length - 1), 1)
    completed = g.complete(prefixes, given)
    d.eval()
    with torch.no_grad():
      scores = F.softmax(d(completed), -1)[:, 1].reshape(args.rollouts, length - 1, batch).mean(0).T
      rewards = torch.cat([scores, F.softmax(d(samples), -1)[:, 1:]], 1)
    d.train()
    loss = -(g.log_probs(samples) * rewards).sum()
    g_opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(g.parameters(), 5.0)
    g_opt.step()

  result = {"torch": torch.__version__, "threads": torch.get_num_threads(), "vocab": args.vocab,
            "mle": timed(mle, args.repeats), "d": timed(d_step, args.repeats),
            "adversarial": timed(adversarial, args.repeats)}
  print(json.dumps(result))


if __name__ == "__main__":
  main()
