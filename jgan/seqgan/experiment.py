"""SeqGAN as an `Experiment` of the shared loop: `run(config, workdir)`, `load`, `final_scores`, `generate`.

An iteration is an MLE epoch, a discriminator round, or an adversarial epoch (`SeqGANConfig.phase`). Data: the
training split trains; evaluations during training score the 'validation' split (text: BLEU against its lines and
G's NLL on them; oracle: NLL-oracle of `eval_samples` fresh samples, and G's NLL on held-out oracle samples);
`final_scores` reads the 'test' split once per reported number. Outputs besides the loop's: `samples/step_N.txt`
(decoded text, or token ids for the oracle), also in TensorBoard as text; the text vocabulary is in `config.json`
and in every checkpoint's metadata (`load` rebuilds it from there).
"""

from __future__ import annotations

import functools
import pathlib
import time

import jax
import jax.numpy as jnp
import numpy as np

from jgan import checkpoint, compiler_options, loop, parallel
from jgan.data import text
from jgan.eval import bleu
from jgan.seqgan import data as seq_data
from jgan.seqgan import nets, steps
from jgan.seqgan.config import SeqGANConfig, validate
from jgan.state import MultiNetState

BLEU_ORDERS = (2, 3, 4)
ORACLE_FINAL_SAMPLES = 10_000  # the paper's NLL-oracle sample count
NLL_CHUNK = 500  # sequences per teacher-forced chunk: (500, 20, 5000) logits are 200 MB


@functools.partial(jax.jit, static_argnames=("chunk",))
def mean_nll(params: dict, tokens: jax.Array, chunk: int = NLL_CHUNK) -> jax.Array:
  """Mean NLL per token of `tokens` (N, L) under the LSTM `params`, in chunks (the last one padded and masked)."""
  n, length = tokens.shape
  chunks = -(-n // chunk)
  padded = jnp.pad(tokens, ((0, chunks * chunk - n), (0, 0))).reshape(chunks, chunk, length)
  per_seq = jax.lax.map(lambda t: -jnp.sum(nets.token_log_probs(params, t), axis=1), padded).reshape(-1)[:n]
  return jnp.sum(per_seq) / (n * length)


def generate(params: dict, key: jax.Array, count: int, length: int, temperature: float = 1.0) -> np.ndarray:
  """`count` sequences of the generator `params` (token ids, (count, length))."""
  if temperature == 1.0:
    return np.asarray(seq_data.sample_many(params, key, count, length))
  scaled = {**params, "Wo": params["Wo"] / temperature, "bo": params["bo"] / temperature}
  return np.asarray(seq_data.sample_many(scaled, key, count, length))


def decode(vocab: text.Vocabulary, ids: np.ndarray, unit: str) -> list[str]:
  return [text.detokenize(vocab.decode(row), unit) for row in ids]


def oracle_references(config: SeqGANConfig, count: int | None = None) -> dict[str, float]:
  """The oracle's own samples' NLL-oracle (its entropy rate: what no generator beats in expectation) and uniformly
  random tokens' (a floor of quality), on `count` (default `eval_samples`) sequences."""
  count = config.eval_samples if count is None else count
  oracle = seq_data.oracle_for(config)
  key = jax.random.fold_in(jax.random.PRNGKey(config.oracle_seed), 7)
  own = seq_data.sample_many(oracle, key, count, config.seq_len)
  uniform = jax.random.randint(jax.random.fold_in(key, 1), (count, config.seq_len), 0,
                               config.vocab_size)
  return {"oracle_nll_oracle": float(mean_nll(oracle, own)), "uniform_nll_oracle": float(mean_nll(oracle, uniform))}


class SeqGANExperiment(loop.Experiment):

  def __init__(self, config: SeqGANConfig, workdir: pathlib.Path | None = None):
    self.config, self.workdir = config, workdir
    self.title = f"SeqGAN ({config.task if config.task == 'oracle' else config.dataset})"
    self.plot_metric, self.plot_label = "g_nll", "G's NLL per token on training sequences"
    self.players = {"g": "generator", "d": "discriminator"}

  def validate(self, num_devices: int) -> None:
    validate(self.config, num_devices)

  def prepare(self, mesh) -> dict:
    config = self.config
    if config.task == "oracle":
      self.vocab, self.vocab_size = None, config.vocab_size
      train = seq_data.oracle_split(config, "train")
      self.validation = seq_data.oracle_split(config, "validation")
      record = oracle_references(config)
    else:
      self.vocab = seq_data.vocabulary(config)
      self.vocab_size = len(self.vocab)
      split = seq_data.text_split(config, "train", self.vocab)
      validation = seq_data.text_split(config, "validation", self.vocab)
      train, self.validation = split.ids, validation.ids
      self.references = bleu.References(validation.tokens, max(BLEU_ORDERS))
      record = {"vocabulary": list(self.vocab.tokens), "cut_train_sequences": split.cut,
                "validation_sequences": len(validation.tokens)}
    if len(train) < config.batch_size:
      raise ValueError(f"the training split has {len(train)} sequences, fewer than batch_size {config.batch_size}")
    self.data = parallel.replicate(jnp.asarray(train), mesh)
    jit = functools.partial(compiler_options.jit, devices=list(mesh.devices.flat))
    self.mle_epoch = jit(functools.partial(steps.mle_epoch, config=config), donate_argnums=0)
    self.round_data = jit(functools.partial(steps.round_data, config=config))
    self.d_step = jit(functools.partial(steps.d_batch_step, config=config), donate_argnums=0)
    self.sample_and_reward = jit(functools.partial(steps.sample_and_reward, config=config))
    self.policy_step = jit(functools.partial(steps.policy_step, config=config), donate_argnums=0)
    self.next_iteration = jit(steps.next_iteration, donate_argnums=0)
    self.headline = ("nll_oracle" if config.task == "oracle" else "bleu2") if config.eval_every else ""
    return {"vocab_size": self.vocab_size, "train_sequences": int(len(train)), **record}

  def init_state(self) -> MultiNetState:
    return steps.create_state(self.config, self.vocab_size)

  # Seconds per unit of work of each phase, measured on the oracle run of experiments/seqgan (20 tokens; 2-core
  # CPU): an MLE epoch 3.3 ms per training sequence, a D round 12 ms per sequence it passes through D (its negatives
  # generated once, then `d_epochs` epochs over them and as many positives), an adversarial epoch's rollouts 2.7 ms
  # per rollout (batch x rollouts x prefixes, each completed and scored by D); D is the costliest per token (its
  # 1,720 filters).
  MLE_PER_SEQUENCE, D_PER_SEQUENCE_PASS, ROLLOUT = 3.3e-3, 12e-3, 2.7e-3

  def iteration_costs(self, steps_: np.ndarray) -> np.ndarray:
    """The phases' relative costs, so that the progress bar's estimate holds across MLE epochs, D rounds and
    adversarial epochs (each linear in the sequence length; rollouts quadratic: a rollout from every prefix)."""
    config, length = self.config, self.config.seq_len / 20
    train = int(self.data.shape[0]) if hasattr(self, "data") else config.num_sequences
    d_round = self.D_PER_SEQUENCE_PASS * config.d_negatives * (1 + 2 * config.d_epochs) * length
    costs = {"mle": self.MLE_PER_SEQUENCE * train * length, "d_pretrain": d_round,
             "adversarial": (self.ROLLOUT * config.batch_size * config.rollouts * config.seq_len * length
                             + config.d_rounds * d_round)}
    return np.asarray([costs[config.phase(int(step))] for step in steps_], np.float64)

  def phase(self, step: int) -> str:
    return {"mle": "MLE pre-training", "d_pretrain": "discriminator pre-training",
            "adversarial": "adversarial"}[self.config.phase(step)]

  def d_round(self, state: MultiNetState, round_index: int, counter: int) -> tuple[MultiNetState, dict, int]:
    """One discriminator round (fresh negatives, `d_epochs` epochs); returns its mean metrics and the counter."""
    tokens, labels, g_nll = self.round_data(state, self.data, jnp.int32(round_index))
    batches = tokens.shape[0] // self.config.batch_size
    rows = []
    for _ in range(self.config.d_epochs):
      for b in range(batches):
        state, metrics = self.d_step(state, tokens, labels, jnp.int32(b), jnp.int32(counter))
        rows.append(metrics)
        counter += 1
    metrics = jax.tree.map(lambda *v: jnp.mean(jnp.stack(v)), *rows)
    return state, {**metrics, "d_nonfinite": jnp.max(jnp.stack([r["d_nonfinite"] for r in rows])),
                   "g_nll": g_nll}, counter

  def advance(self, state, start, count, stop):
    rows = []
    for step in range(start, start + count):
      if stop() and rows:
        break
      phase = self.config.phase(step)
      if phase == "mle":
        state, metrics = self.mle_epoch(state, self.data)
      elif phase == "d_pretrain":
        state, metrics, _ = self.d_round(state, 0, 0)
        state = self.next_iteration(state)
      else:
        state, metrics = self.adversarial_epoch(state)
      rows.append({**metrics, "phase": {"mle": 0, "d_pretrain": 1, "adversarial": 2}[phase]})
    return state, rows

  def adversarial_epoch(self, state: MultiNetState) -> tuple[MultiNetState, dict]:
    """G's policy-gradient step with its rollout rewards, the rollout policy's update, `d_rounds` D rounds; the
    seconds of each part (the rollouts' share of the epoch is a result)."""
    t0 = time.perf_counter()
    state, samples, rewards = self.sample_and_reward(state)
    rewards.block_until_ready()
    t1 = time.perf_counter()
    state, metrics = self.policy_step(state, samples, rewards, self.data)
    jax.block_until_ready(metrics)
    t2 = time.perf_counter()
    counter, d_metrics = 0, []
    for r in range(self.config.d_rounds):
      state, m, counter = self.d_round(state, r, counter)
      d_metrics.append(m)
    state = self.next_iteration(state)
    jax.block_until_ready(state.step)
    t3 = time.perf_counter()
    if d_metrics:
      d = jax.tree.map(lambda *v: jnp.mean(jnp.stack(v)), *d_metrics)
      metrics = {**metrics, **{k: v for k, v in d.items() if k.startswith("d_")},
                 "d_nonfinite": jnp.max(jnp.stack([m["d_nonfinite"] for m in d_metrics]))}
    return state, {**metrics, "seconds_rollout": t1 - t0, "seconds_g_update": t2 - t1, "seconds_d": t3 - t2,
                   "seconds_epoch": t3 - t0}

  def samples(self, state: MultiNetState, count: int) -> tuple[np.ndarray, list[str]]:
    key = jax.random.fold_in(jax.random.PRNGKey(self.config.seed), 1_000_003)  # the same key at every step
    ids = generate(jax.device_get(state.nets["generator"].params), key, count, self.config.seq_len)
    lines = ([" ".join(map(str, row)) for row in ids] if self.vocab is None
             else decode(self.vocab, ids, self.config.token_unit))
    return ids, lines

  def write_samples(self, state, step, workdir, writer, primary):
    _, lines = self.samples(state, self.config.num_samples)
    if not primary:
      return
    content = "\n".join(lines) + "\n"
    (workdir / "samples" / f"step_{step:06d}.txt").write_text(content, encoding="utf-8")
    writer.tensorboard.add_text("samples", "\n\n".join(lines), step)

  def evaluate(self, state):
    config = self.config
    params = jax.device_get(state.nets["generator"].params)
    key = jax.random.fold_in(jax.random.PRNGKey(config.seed), 1_000_033)
    ids = generate(params, key, config.eval_samples, config.seq_len)
    scores = {"nll_validation": float(mean_nll(params, self.validation))}
    if config.task == "oracle":
      scores["nll_oracle"] = float(mean_nll(seq_data.oracle_for(config), ids))
    else:
      scores.update(text_scores(self.vocab, ids, self.references, config.token_unit))
    return scores


def text_scores(vocab: text.Vocabulary, ids: np.ndarray, references: bleu.References, unit: str) -> dict:
  """BLEU-2..4 (nltk's corpus_bleu form) and BLEU-2 as the mean of smoothed sentence BLEU, against `references`."""
  hypotheses = [vocab.decode(row) for row in ids]
  scores = {f"bleu{n}": bleu.corpus_bleu(hypotheses, references, n) for n in BLEU_ORDERS}
  scores["bleu2_sentence_mean"] = bleu.mean_sentence_bleu(hypotheses, references, 2)
  scores["mean_length"] = float(np.mean([len(h) for h in hypotheses]))
  del unit
  return scores


def run(config: SeqGANConfig, workdir: str | pathlib.Path, *, resume: bool = False, overwrite: bool = False,
        progress: bool = True, mesh=None) -> MultiNetState:
  """Trains the SeqGAN `config` describes, writing metrics, samples and checkpoints under `workdir`."""
  workdir = pathlib.Path(workdir)
  return loop.run(SeqGANExperiment(config, workdir), workdir, resume=resume, overwrite=overwrite, progress=progress,
                  mesh=mesh)


def load(run_dir: str | pathlib.Path) -> tuple[MultiNetState, SeqGANConfig, dict]:
  """`(state, config, meta)` from the latest checkpoint of `run_dir` (its vocabulary in `meta['vocabulary']`)."""
  state, meta = checkpoint.load_run(
      run_dir, lambda meta: steps.create_state(SeqGANConfig(**meta["config"]), int(meta["vocab_size"])))
  return state, SeqGANConfig(**meta["config"]), meta


def vocabulary_of(meta: dict) -> text.Vocabulary | None:
  return text.Vocabulary(tuple(meta["vocabulary"])) if "vocabulary" in meta else None


def final_scores(run_dir: str | pathlib.Path, split: str = "test") -> dict:
  """The latest checkpoint's scores on `split` (test: read once per reported number): oracle NLL-oracle of
  `eval_samples` fresh samples and G's NLL on the split's oracle samples; text BLEU against the split's lines."""
  state, config, meta = load(run_dir)
  params = jax.device_get(state.nets["generator"].params)
  key = jax.random.fold_in(jax.random.PRNGKey(config.seed), 2_000_003 + (split == "test"))
  count = ORACLE_FINAL_SAMPLES if config.task == "oracle" else config.eval_samples
  ids = generate(params, key, count, config.seq_len)
  out = {"split": split, "step": int(np.asarray(state.step)), "samples": count}
  if config.task == "oracle":
    oracle = seq_data.oracle_for(config)
    held_out = seq_data.oracle_split(config, split)
    untrained = steps.create_state(config, config.vocab_size).nets["generator"].params
    out.update(nll_oracle=float(mean_nll(oracle, ids)), nll_split=float(mean_nll(params, held_out)),
               untrained_nll_oracle=float(mean_nll(oracle, generate(untrained, key, count, config.seq_len))),
               **oracle_references(config, count))
  else:
    vocab = vocabulary_of(meta)
    held_out = seq_data.text_split(config, split, vocab)
    out.update(text_scores(vocab, ids, bleu.References(held_out.tokens, max(BLEU_ORDERS)), config.token_unit),
               nll_split=float(mean_nll(params, jnp.asarray(held_out.ids))), references=len(held_out.tokens))
  return out
