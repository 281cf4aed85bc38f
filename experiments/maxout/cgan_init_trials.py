"""How results/diagnostics/cgan_init_trials.json was made (issue 36): short cGAN runs (seed 0) that found why the
recipe's generator kept one image per class, and what the shipped initialization changes.

The trials ran before `generator_init` and `critic_label_init` applied to the cGAN: `train` below set the
initializations by replacing the fresh parameters (its `reinit`), so they are not bit-identical to the options that
now implement them (another draw of the same distributions), and their keys come from Python's string hash, which
differs per process: a rerun draws other weights from the same distributions. What each trial was:

  torch            the recipe as it was (PyTorch's initialization in the generator, every discriminator weight in
                   U(-0.005, 0.005)). Run as 'marginal_bias', meant to add output biases at the pixel marginals;
                   jgan.train.create_state put them beside the TorchLinear's own biases, where nothing read them,
                   so it ran the recipe unchanged (create_state now refuses such a generator).
  d_rate_0.01      torch with the discriminator's learning rate 0.01 instead of 0.05.
  no_col_norm      torch without max_col_norm.
  g_rate_0.05      torch with the generator's learning rate 0.05 instead of 0.1.
  goodfellow       the generator as Goodfellow et al.'s code initializes theirs (U(-0.05, 0.05) weights, zero
                   hidden biases, output biases at the logits of the training pixels' means).
  goodfellow_label_fan_in
                   goodfellow with the discriminator's label path at U(-1/sqrt(10), 1/sqrt(10)): the recipe now.
  goodfellow_d_fan_in
                   goodfellow with every discriminator layer at U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

    python experiments/maxout/cgan_init_trials.py train NAME STEPS   # one trial, under /tmp/cg/NAME (as run)
    python experiments/maxout/cgan_init_trials.py summarize          # the JSON, from the /tmp/cg run folders

`summarize` reads each run's training metrics (every 250th update) and scores its checkpoints every 1,000 updates on
the validation digits only (torch's checkpoints hold the unread biases, which the current state refuses; the same
recipe and seed are scored in results/cgan_torch_seed0_curve.json): the samples' class accuracy (the project's digit
classifier on 10,000 samples, the class cycling) and whether the discriminator uses the label (its mean logit on the
1,000 validation digits under their true label and under a wrong one, and how often the true label scores higher).
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import sys

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
ROOT = pathlib.Path("/tmp/cg")
OUT = HERE / "results" / "diagnostics" / "cgan_init_trials.json"
# name in the JSON: (run folder under ROOT, what changed from the recipe as it was)
TRIALS = {
    "torch": ("marginal_bias", "the recipe as it was: PyTorch's initialization in the generator, the "
                               "discriminator's weights in U(-0.005, 0.005) (the intended output biases were not "
                               "applied)"),
    "d_rate_0.01": ("d_rate_0.01", "torch, discriminator learning rate 0.01"),
    "no_col_norm": ("no_col_norm", "torch without max_col_norm"),
    "g_rate_0.05": ("g_rate_0.05", "torch, generator learning rate 0.05"),
    "goodfellow": ("goodfellow_marginal", "Goodfellow et al.'s initialization of the generator, output biases at the "
                                          "pixel marginals"),
    "goodfellow_label_fan_in": ("gm_dy_torch", "goodfellow, discriminator label path U(-1/sqrt(10), 1/sqrt(10)): the "
                                               "recipe now"),
    "goodfellow_d_fan_in": ("gm_d_torch", "goodfellow, every discriminator layer U(-1/sqrt(fan_in), 1/sqrt(fan_in))"),
}


def train(name: str, steps: int) -> None:
  """One trial as run: the cGAN recipe of that time, seed 0, with the trial's initialization set by `reinit`."""
  import jax
  import jax.numpy as jnp
  from jax.tree_util import keystr, tree_map_with_path
  import run as maxout_run
  from jgan import train as jgan_train
  from jgan.configs import cgan
  from jgan.models import maxout
  folder = {"torch": "marginal_bias", **{k: v[0] for k, v in TRIALS.items()}}.get(name, name)
  config = dataclasses.replace(cgan.get_config(), generator_init="torch", critic_label_init="pylearn2", seed=0,
                               steps=steps, checkpoint_every=500, sample_every=500, keep_checkpoints=steps // 500 + 1,
                               log_every=100)
  changes = {"d_rate_0.01": dict(learning_rate=0.01), "no_col_norm": dict(max_col_norm=0.0),
             "g_rate_0.05": dict(generator_learning_rate=0.05)}
  config = dataclasses.replace(config, **changes.get(name, {}))
  if name.startswith("goodfellow"):
    original = jgan_train.create_state
    bias = maxout.output_bias_from_marginals(maxout_run.split_digits("train"))

    def reinit(config, shape, output_bias=None):
      state = original(config, shape, None)
      if output_bias is None:  # restoring a checkpoint: the parameters come from it
        return state
      key = jax.random.PRNGKey(1000 + config.seed)

      def generator(path, leaf):
        where = keystr(path)
        if "kernel" in where:
          return jax.random.uniform(jax.random.fold_in(key, hash(where) % 10000), leaf.shape, minval=-0.05,
                                    maxval=0.05)
        return jnp.asarray(bias) if where == "['output']['Dense_0']['bias']" else jnp.zeros_like(leaf)

      def discriminator(path, leaf):
        where = keystr(path)
        if "kernel" not in where or (name == "goodfellow_label_fan_in" and not where.startswith("['y_path']")):
          return leaf
        limit = leaf.shape[0] ** -0.5
        return jax.random.uniform(jax.random.fold_in(key, 7 + hash(where) % 10000), leaf.shape, minval=-limit,
                                  maxval=limit)

      state = state.replace(generator=state.generator.replace(params=tree_map_with_path(generator,
                                                                                        state.generator.params)))
      if name != "goodfellow":
        state = state.replace(discriminator=state.discriminator.replace(
            params=tree_map_with_path(discriminator, state.discriminator.params)))
      return state

    jgan_train.create_state = reinit
  run_dir = ROOT / folder
  resume = (run_dir / "checkpoints").is_dir()
  jgan_train.run(config, run_dir, resume=resume, overwrite=not resume, progress=False)


def label_use(state, config, x, labels, wrong) -> dict:
  """The discriminator's mean logit on real digits under their true and a wrong label, and how often true wins."""
  from jgan import train as jgan_train
  game, d = jgan_train.make_game(config), state.discriminator
  logits = lambda y: np.asarray(d.apply_fn({"params": d.params}, game.discriminator_input(x, y), train=False))
  true, other = logits(labels), logits(wrong)
  return {"logit_true_label": float(true.mean()), "logit_wrong_label": float(other.mean()),
          "true_label_scores_higher": float((true > other).mean())}


def summarize() -> pathlib.Path:
  import jax
  import jax.numpy as jnp
  import run as maxout_run
  from jgan.data import splits
  from jgan.eval import digits
  scorer = digits.load_digit_scorer()
  validation = splits.load_split("digits", "validation")
  x = jnp.asarray(validation.images, jnp.float32) / 127.5 - 1.0
  labels = jnp.asarray(validation.labels)
  wrong = (labels + 1 + jax.random.randint(jax.random.PRNGKey(0), labels.shape, 0, 9)) % 10
  trials = []
  for name, (folder, what) in TRIALS.items():
    run_dir = ROOT / folder
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    every_250 = [{k: round(r[k], 4) for k in ("step", "d_real", "d_fake", "d_loss", "g_loss")}
                 for r in rows if "d_fake" in r and r["step"] % 250 == 0]
    checkpoints = []
    for step in [] if name == "torch" else maxout_run.checkpoint_steps(run_dir):
      if step % 1000:
        continue
      state, config, _ = maxout_run.restore(run_dir, step)
      samples, classes = maxout_run.generate(state, config)
      checkpoints.append({"step": step, "class_accuracy": maxout_run.class_accuracy(samples, classes, scorer),
                          **label_use(state, config, x, labels, wrong)})
      print(name, json.dumps(checkpoints[-1]), flush=True)
    trials.append({"name": name, "changes": what, "updates_run": every_250[-1]["step"] if every_250 else None,
                   "every_250": every_250, "validation_every_1000": checkpoints})
  OUT.parent.mkdir(parents=True, exist_ok=True)
  OUT.write_text(json.dumps({"what": __doc__.split("\n\n")[0], "seed": 0, "split": "validation (1,000 digits)",
                             "trials": trials}, indent=1) + "\n")
  return OUT


if __name__ == "__main__":
  if sys.argv[1] == "train":
    train(sys.argv[2], int(sys.argv[3]))
  else:
    print(summarize())
