"""Can the PacGAN discriminator see the 25-grid's lattice? The discriminator alone, trained against fixed fakes.

    .venv/bin/python experiments/mode_coverage/probe_lattice.py --steps 10000 \
        --out experiments/mode_coverage/results_20k/lattice_probe.json

PacGAN4 on grid25 sits at chance from its first evaluation (README.md, "PacGAN4 for 20,000 updates"). This probe
separates the discriminator from the game: the recipe's discriminator (`jgan.models.pacgan.Critic`, 3 x 200 maxout
units of 5 pieces, N(0, 0.02) weights) and optimizer (Adam 1e-4, beta1 0.8), 100 inputs per batch (samples, or
packs of m samples as `jgan.games.base.pack` makes them), learns to tell real grid25 samples from a fixed fake
distribution that the generator does not move:

* `origin`: N(0, 0.3^2 I), about where the untrained generator puts its samples;
* `blur`: the grid's modes with std 0.5 instead of 0.05 (the data's marginals, blurred lattice): what a generator
  that has spread its samples over the grid without finding the modes looks like.

It records the discriminator loss (2 ln 2 = 1.386 at chance) and the mean D(x) on real and fake along the way.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import time


def probe(packing: int, fake_kind: str, steps: int, seed: int, record: tuple[int, ...], blur: float = 0.5) -> dict:
  import jax
  import jax.numpy as jnp
  import optax
  from jgan.data import toys
  from jgan.games.base import pack
  from jgan.models import pacgan

  critic, tx = pacgan.Critic(), optax.adam(1e-4, b1=0.8)
  rng = jax.random.PRNGKey(seed)
  params = critic.init(rng, jnp.zeros((1, 2 * packing)), train=True)
  opt_state = tx.init(params)
  means = jnp.asarray(toys.modes("grid25"), jnp.float32)

  def fake(key, n):
    if fake_kind == "blur":
      k_mode, k_noise = jax.random.split(key)
      return means[jax.random.randint(k_mode, (n,), 0, len(means))] + blur * jax.random.normal(k_noise, (n, 2))
    return 0.3 * jax.random.normal(key, (n, 2))

  @jax.jit
  def step(params, opt_state, key):
    k_real, k_fake = jax.random.split(key)
    real = pack(toys.sample("grid25", k_real, 100 * packing), packing)
    generated = pack(fake(k_fake, 100 * packing), packing)

    def loss_fn(p):
      real_logits, fake_logits = critic.apply(p, real, train=True), critic.apply(p, generated, train=True)
      loss = jnp.mean(jax.nn.softplus(-real_logits)) + jnp.mean(jax.nn.softplus(fake_logits))
      return loss, (jnp.mean(jax.nn.sigmoid(real_logits)), jnp.mean(jax.nn.sigmoid(fake_logits)))

    (loss, (d_real, d_fake)), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss, d_real, d_fake

  rows, t0 = [], time.perf_counter()
  for i in range(1, steps + 1):
    params, opt_state, loss, d_real, d_fake = step(params, opt_state, jax.random.fold_in(rng, i))
    if i in record:
      rows.append({"step": i, "d_loss": float(loss), "d_real": float(d_real), "d_fake": float(d_fake)})
  return {"packing": packing, "fake": fake_kind, "seed": seed, "seconds": time.perf_counter() - t0, "curve": rows}


def main(argv: list[str] | None = None) -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--steps", type=int, default=10_000)
  parser.add_argument("--fakes", nargs="+", choices=("origin", "blur"), default=["origin", "blur"])
  parser.add_argument("--packings", type=int, nargs="+", default=[1, 4])
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--out", type=pathlib.Path, required=True)
  args = parser.parse_args(argv)
  record = tuple(sorted({s for s in (10, 100, 250, 500, 1000, 2000, 3000, 5000, 7500, 10_000, 20_000)
                         if s <= args.steps} | {args.steps}))
  runs = []
  for fake_kind in args.fakes:
    for packing in args.packings:
      runs.append(probe(packing, fake_kind, args.steps, args.seed, record))
      last = runs[-1]["curve"][-1]
      print(fake_kind, "packing", packing, {k: round(v, 3) for k, v in last.items()}, flush=True)
  args.out.parent.mkdir(parents=True, exist_ok=True)
  args.out.write_text(json.dumps({"command": "experiments/mode_coverage/probe_lattice.py " + " ".join(
      argv if argv is not None else __import__("sys").argv[1:]), "optimizer": "adam 1e-4, beta1 0.8",
      "batch": "100 discriminator inputs", "runs": runs}, indent=1) + "\n")


if __name__ == "__main__":
  main()
