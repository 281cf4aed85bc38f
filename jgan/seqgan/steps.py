"""SeqGAN's compiled pieces (Yu et al. 2017, arXiv:1609.05473, Algorithm 1): nets and phases, the MLE epoch, a
discriminator round, Monte Carlo rewards and the policy-gradient step, all pure functions of the state.

  MLE:   min_theta -1/(B L) sum_{b,t} log G_theta(y_t | Y_{1:t-1})                 (pre-training, Sec. 4)
  D:     min_phi  -E_real log D_phi(Y) - E_G log(1 - D_phi(Y)) + lambda L2(output)  (Eq. 5; official L2 0.2)
  Q:     Q(Y_{1:t-1}, y_t) = 1/N sum_n D_phi(Y^n_{1:T}), Y^n ~ MC^{G_beta}(Y_{1:t}; N)  for t < T,
         D_phi(Y_{1:T}) for t = T                                                   (Eq. 4)
  PG:    min_theta -sum_{b,t} log G_theta(y_t | Y_{1:t-1}) Q(Y_{1:t-1}, y_t)       (Eq. 6-8; the official g_loss
         sums over the batch and the steps)
  beta:  beta <- rate beta + (1 - rate) theta after each G step                     (Sec. 4: the delayed copy)

Every key comes from the state's `rng`, its `step` and the stream's number (`jgan.updates.stream_key`), so a resumed
run draws the same numbers. No Python loop runs over tokens: sampling and rollouts are `lax.scan` over time and
`vmap` over prefix lengths and rollouts.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import optax

from jgan import transforms
from jgan.seqgan import nets
from jgan.seqgan.config import SeqGANConfig
from jgan.state import MultiNetState, Net, Phase
from jgan.updates import apply_phase_gradients, phase_update, stream_key

# The random streams of a run.
MLE_ORDER, NEGATIVES, D_ORDER, D_DROPOUT, G_SAMPLES, ROLLOUTS, EVAL, REAL_BATCH = range(8)


def build_nets(config: SeqGANConfig, vocab_size: int) -> dict[str, object]:
  """{name: module}: the generator LSTM (also the rollout policy's shape) and the discriminator CNN."""
  generator = nets.LSTMPolicy(vocab_size, config.embedding_dim, config.hidden_dim)
  discriminator = nets.SequenceCNN(vocab_size, config.d_embedding_dim, config.filter_sizes(), config.num_filters(),
                                   config.d_dropout_keep)
  return {"generator": generator, "discriminator": discriminator}


def make_phases(config: SeqGANConfig) -> tuple[Phase, ...]:
  """MLE and policy gradient each with their own Adam state (the official code builds two optimizers), both with
  the gradient's global norm clipped; the discriminator's Adam."""
  def g_tx():
    return optax.chain(optax.clip_by_global_norm(config.g_grad_clip), transforms.adam(config.g_learning_rate))
  return (Phase("mle", ("generator",), g_tx()), Phase("policy", ("generator",), g_tx()),
          Phase("discriminator", ("discriminator",), transforms.adam(config.d_learning_rate)))


def create_state(config: SeqGANConfig, vocab_size: int) -> MultiNetState:
  """A fresh state from `config.seed`: G, D, and the rollout policy G_beta (a copy of G, refreshed from G when the
  adversarial phase starts)."""
  init_rng, step_rng = jax.random.split(jax.random.PRNGKey(config.seed))
  example = jnp.zeros((1, config.seq_len), jnp.int32)
  state_nets = {}
  for i, (name, module) in enumerate(build_nets(config, vocab_size).items()):
    params, batch_stats = Net.init_variables(module, jax.random.fold_in(init_rng, i), example)
    state_nets[name] = Net(params=params, batch_stats=batch_stats, apply_fn=module.apply)
  g = state_nets["generator"]  # a copy: donated steps must not see one buffer twice
  state_nets["rollout"] = g.replace(params=jax.tree.map(lambda p: jnp.array(p, copy=True), g.params))
  return MultiNetState.create(state_nets, make_phases(config), step_rng)


def key(state: MultiNetState, stream: int, *counters) -> jax.Array:
  k = stream_key(state.rng, stream, state.step)
  for c in counters:
    k = jax.random.fold_in(k, c)
  return k


def g_params(state: MultiNetState, net: str = "generator") -> dict:
  return state.nets[net].params


def d_logits(state: MultiNetState, tokens: jax.Array, params=None, *, train: bool = False,
             rng: jax.Array | None = None) -> jax.Array:
  return state.nets["discriminator"](tokens, params=params, train=train, rng=rng)[0]


def real_batch(state: MultiNetState, data: jax.Array, batch_size: int, stream: int = REAL_BATCH) -> jax.Array:
  """A random batch of training sequences (for the metrics' NLL on real data)."""
  index = jax.random.randint(key(state, stream), (batch_size,), 0, data.shape[0])
  return data[index]


def mle_epoch(state: MultiNetState, data: jax.Array, *, config: SeqGANConfig) -> tuple[MultiNetState, dict]:
  """One MLE epoch: the training sequences (N, L) in a fresh order, in N // B batches (a scan: the LSTM has no
  convolution, so the loop costs nothing on XLA:CPU). Metrics: the epoch's mean NLL per token."""
  batches = data.shape[0] // config.batch_size
  order = jax.random.permutation(key(state, MLE_ORDER), data.shape[0])[:batches * config.batch_size]
  order = order.reshape(batches, config.batch_size)

  def body(state, index):
    tokens = data[index]
    (loss, _), grads = jax.value_and_grad(lambda p: (nets.nll(p["generator"], tokens), {}), has_aux=True)(
        state.params("mle"))
    state, checked = apply_phase_gradients(state, "mle", grads, loss, axis_name=None, prefix="g")
    return state, {"g_nll": loss, **checked}

  state, metrics = jax.lax.scan(body, state, order)
  return state.replace(step=state.step + 1), {"g_nll": jnp.mean(metrics["g_nll"]),
                                              "g_nonfinite": jnp.max(metrics["g_nonfinite"])}


def round_data(state: MultiNetState, data: jax.Array, round_index: jax.Array, *,
               config: SeqGANConfig) -> tuple[jax.Array, jax.Array, jax.Array]:
  """A discriminator round's examples, shuffled once (as the official loader): `d_negatives` fresh samples of G
  (label 0) and as many training sequences (label 1; all of them when there are no more). Also G's NLL on a real
  batch (a metric)."""
  n = config.d_negatives
  negatives = nets.sample(g_params(state), key(state, NEGATIVES, round_index), n, config.seq_len)
  k_pos, k_order = jax.random.split(key(state, D_ORDER, round_index))
  positives = data[:n] if data.shape[0] <= n else data[jax.random.choice(k_pos, data.shape[0], (n,), replace=False)]
  tokens = jnp.concatenate([positives, negatives])
  labels = jnp.concatenate([jnp.ones(positives.shape[0], jnp.int32), jnp.zeros(n, jnp.int32)])
  order = jax.random.permutation(k_order, tokens.shape[0])
  g_nll = nets.nll(g_params(state), real_batch(state, data, config.batch_size))
  return tokens[order], labels[order], g_nll


def discriminator_loss(logits: jax.Array, labels: jax.Array, params, l2: float) -> tuple[jax.Array, dict]:
  """The official loss: mean softmax cross-entropy of (fake, real) logits plus l2 * tf.nn.l2_loss(output layer)."""
  ce = jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, labels))
  accuracy = jnp.mean((jnp.argmax(logits, -1) == labels).astype(jnp.float32))
  return ce + l2 * nets.output_l2(params), {"d_loss": ce, "d_accuracy": accuracy}


def d_batch_step(state: MultiNetState, tokens: jax.Array, labels: jax.Array, batch_index: jax.Array,
                 counter: jax.Array, *, config: SeqGANConfig) -> tuple[MultiNetState, dict]:
  """One Adam step of D on batch `batch_index` of a round's examples; `counter` numbers the step within the
  iteration (its dropout key). Compiled alone: convolutions in a loop run many times slower on XLA:CPU."""
  start = batch_index * config.batch_size
  x = jax.lax.dynamic_slice_in_dim(tokens, start, config.batch_size)
  y = jax.lax.dynamic_slice_in_dim(labels, start, config.batch_size)
  rng = key(state, D_DROPOUT, counter)

  def loss_fn(params):
    logits = d_logits(state, x, params["discriminator"], train=True, rng=rng)
    loss, metrics = discriminator_loss(logits, y, params["discriminator"], config.d_l2)
    return loss, {"metrics": metrics}

  state, out = phase_update(state, "discriminator", loss_fn, axis_name=None, prefix="d")
  return state, out["metrics"]


def rollout_rewards(rollout_params: dict, d_score, key: jax.Array, samples: jax.Array,
                    num_rollouts: int) -> jax.Array:
  """Q (B, L) of Eq. 4: for t < L the mean over `num_rollouts` rollouts of G_beta from the prefix Y_{1:t} of D's
  probability that the completed sequence is real; for t = L, D(Y). `d_score(tokens (n, L)) -> (n,)`.

  The completions of every rollout and prefix length are one vmapped scan; D scores them one rollout at a time
  (an unrolled loop: a convolution inside `lax.map` is many times slower on XLA:CPU)."""
  batch, length = samples.shape
  keys = jax.random.split(key, num_rollouts * (length - 1)).reshape(num_rollouts, length - 1, -1)
  givens = jnp.arange(1, length)
  complete = functools.partial(nets.complete, rollout_params, prefix=samples)
  completed = jax.vmap(jax.vmap(lambda k, g: complete(k, given=g)), in_axes=(0, None))(keys, givens)
  scores = [d_score(completed[r].reshape(-1, length)).reshape(length - 1, batch) for r in range(num_rollouts)]
  partial = jnp.mean(jnp.stack(scores), axis=0).T
  return jnp.concatenate([partial, d_score(samples)[:, None]], axis=1)


def policy_gradient_loss(log_probs: jax.Array, rewards: jax.Array) -> jax.Array:
  """-sum_{b,t} log G(y_t | Y_{1:t-1}) Q_t (the official g_loss; rewards are constants)."""
  return -jnp.sum(log_probs * jax.lax.stop_gradient(rewards))


def sample_and_reward(state: MultiNetState, *, config: SeqGANConfig) -> tuple[MultiNetState, jax.Array, jax.Array]:
  """The adversarial epoch's G batch and its rewards. At the first adversarial epoch the rollout policy G_beta is
  set to G (pre-training moved G since the state was created)."""
  first = state.step == config.adversarial_start
  beta = jax.tree.map(lambda b, g: jnp.where(first, g, b), g_params(state, "rollout"), g_params(state))
  state = state.replace(nets={**state.nets, "rollout": state.nets["rollout"].replace(params=beta)})
  samples = nets.sample(g_params(state), key(state, G_SAMPLES), config.batch_size, config.seq_len)
  d_score = lambda tokens: nets.real_probability(d_logits(state, tokens))
  rewards = rollout_rewards(beta, d_score, key(state, ROLLOUTS), samples, config.rollouts)
  return state, samples, rewards


def policy_step(state: MultiNetState, samples: jax.Array, rewards: jax.Array, data: jax.Array, *,
                config: SeqGANConfig) -> tuple[MultiNetState, dict]:
  """One policy-gradient step of G (Eq. 8) on `samples` with `rewards`, then the rollout policy's update toward G."""
  def loss_fn(params):
    loss = policy_gradient_loss(nets.token_log_probs(params["generator"], samples), rewards)
    return loss, {"metrics": {"g_pg_loss": loss}}

  state, out = phase_update(state, "policy", loss_fn, axis_name=None, prefix="g")
  rate = config.rollout_update_rate
  beta = jax.tree.map(lambda b, g: rate * b + (1.0 - rate) * g, g_params(state, "rollout"), g_params(state))
  state = state.replace(nets={**state.nets, "rollout": state.nets["rollout"].replace(params=beta)})
  g_nll = nets.nll(g_params(state), real_batch(state, data, config.batch_size))
  return state, {**out["metrics"], "g_nll": g_nll, "reward": jnp.mean(rewards),
                 "reward_last": jnp.mean(rewards[:, -1])}


def next_iteration(state: MultiNetState) -> MultiNetState:
  return state.replace(step=state.step + 1)
