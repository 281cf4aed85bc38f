"""SeqGAN (jgan.seqgan): sampling, rollouts and rewards, the policy-gradient loss, the oracle, the config, and a short
run that must lower NLL-oracle below an untrained generator's and uniform tokens'."""

from __future__ import annotations

import functools
import json

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jgan import parallel
from jgan.seqgan import data as seq_data
from jgan.seqgan import experiment, nets, steps
from jgan.seqgan.config import SeqGANConfig, validate

TINY = dict(vocab_size=30, num_sequences=512, seq_len=8, embedding_dim=16, hidden_dim=16, d_embedding_dim=8,
            d_filter_sizes="1,2,4", d_num_filters="4,4,4", d_negatives=128, d_epochs=1, d_rounds=1, rollouts=2,
            eval_samples=500, sample_every=100, checkpoint_every=100, num_samples=4)


def tiny_config(**changes) -> SeqGANConfig:
  return SeqGANConfig(**{**TINY, **changes})


def lstm(vocab=11, seed=0, std=0.1):
  return nets.LSTMPolicy(vocab, 8, 8, init_std=std).init(jax.random.PRNGKey(seed), jnp.zeros((1, 2), jnp.int32))[
      "params"]


def test_draw_has_the_softmax_frequencies():
  probs = np.array([0.05, 0.3, 0.0, 0.15, 0.4, 0.1])  # 6 tokens: blocks of 3, one of zero mass
  logits = jnp.log(jnp.asarray(probs, jnp.float32) + 1e-30)
  tokens = np.asarray(nets.draw(jax.random.PRNGKey(0), jnp.tile(logits, (100_000, 1))))
  frequencies = np.bincount(tokens, minlength=6) / len(tokens)
  np.testing.assert_allclose(frequencies, probs, atol=0.006)
  assert frequencies[2] == 0


def test_teacher_forcing_and_sampling_agree_on_the_first_token():
  params = lstm()
  tokens = nets.sample(params, jax.random.PRNGKey(1), 5, 6)
  chex.assert_shape(tokens, (5, 6))
  logits = nets.teacher_forced_logits(params, tokens)
  chex.assert_shape(logits, (5, 6, 11))
  # the first step's logits come from the start token alone: the same for every row
  np.testing.assert_allclose(logits[0, 0], logits[3, 0], rtol=1e-6)
  # and they are the cell's on the start token
  _, first = nets.cell(params, nets.initial_carry(params, 1), jnp.zeros((1,), jnp.int32))
  np.testing.assert_allclose(logits[0, 0], first[0], rtol=1e-5)


def test_teacher_forced_logits_are_the_cell_stepped_through_the_tokens():
  """Every position's logits equal the cell's, stepped token by token from the start token (the teacher-forced path
  rearranges the cell's products; this pins it to `cell`, which sampling and rollouts use)."""
  params = lstm()
  tokens = jax.random.randint(jax.random.PRNGKey(3), (4, 7), 0, 11)
  carry, token, expected = nets.initial_carry(params, 4), jnp.zeros((4,), jnp.int32), []
  for t in range(7):
    carry, logits = nets.cell(params, carry, token)
    expected.append(logits)
    token = tokens[:, t]
  np.testing.assert_allclose(nets.teacher_forced_logits(params, tokens), jnp.stack(expected, axis=1),
                             rtol=1e-5, atol=1e-5)


def test_rollouts_start_from_the_given_prefix():
  params = lstm()
  prefix = jax.random.randint(jax.random.PRNGKey(2), (64, 10), 0, 11)
  for given in (0, 1, 4, 9, 10):
    out = nets.complete(params, jax.random.PRNGKey(given), prefix, given)
    np.testing.assert_array_equal(out[:, :given], prefix[:, :given])
    if given < 10:  # the rest is sampled, not copied
      assert np.mean(np.asarray(out[:, given:]) == np.asarray(prefix[:, given:])) < 0.5


def test_reward_of_a_complete_sequence_is_the_discriminators_score_and_prefixes_are_kept():
  params = lstm()
  samples = nets.sample(params, jax.random.PRNGKey(3), 16, 6).at[:, 3].set(5)
  # A "discriminator" sure of sequences whose token 3 is 5, as every sample's is: rollouts from prefixes of 4 or more
  # tokens keep it (the full score); shorter ones redraw it (a lower score on average).
  # Its last term reads the last token, which every rollout redraws: only Q_T is exactly D(Y).
  score = lambda tokens: ((tokens[:, 3] == 5).astype(jnp.float32) * 0.5 + 0.25 * tokens[:, 0] / 10
                          + 0.02 * tokens[:, 5] / 10)
  rewards = jax.jit(steps.rollout_rewards, static_argnums=(1, 4))(params, score, jax.random.PRNGKey(4), samples, 8)
  chex.assert_shape(rewards, (16, 6))
  np.testing.assert_allclose(rewards[:, -1], score(samples), rtol=1e-6)  # Q at t = T is D(Y)
  np.testing.assert_allclose(rewards[:, 3:5], np.repeat(np.asarray(score(samples))[:, None], 2, 1), atol=0.021)
  assert float(jnp.mean(rewards[:, :3])) < float(jnp.mean(rewards[:, 3:])) - 0.1


def test_policy_gradient_loss_on_a_hand_example():
  log_probs = jnp.log(jnp.array([[0.5, 0.25], [0.1, 1.0]]))
  rewards = jnp.array([[1.0, 2.0], [0.5, 3.0]])
  expected = -(np.log(0.5) * 1 + np.log(0.25) * 2 + np.log(0.1) * 0.5 + 0.0)
  assert float(steps.policy_gradient_loss(log_probs, rewards)) == pytest.approx(expected, rel=1e-6)
  # rewards are constants: no gradient flows into them; d loss / d log p = -Q
  g_logp, g_rewards = jax.grad(steps.policy_gradient_loss, argnums=(0, 1))(log_probs, rewards)
  np.testing.assert_allclose(g_logp, -rewards)
  np.testing.assert_array_equal(g_rewards, 0.0)


def test_oracle_nll_of_its_own_samples_is_below_random():
  config = tiny_config(vocab_size=200, seq_len=10, eval_samples=2000)
  references = experiment.oracle_references(config)
  oracle = seq_data.oracle_for(config)
  random_generator = seq_data.sample_many(lstm(200, seed=5), jax.random.PRNGKey(6), 2000, 10)
  random_nll = float(experiment.mean_nll(oracle, random_generator))
  assert references["oracle_nll_oracle"] < random_nll - 1.0
  assert references["oracle_nll_oracle"] < references["uniform_nll_oracle"] - 1.0
  # the oracle is N(0, 1): far from uniform, its NLL per token far below log V
  assert references["oracle_nll_oracle"] < np.log(200) - 1.0
  # the chunked NLL equals the direct one (the last chunk padded and masked)
  tokens = jnp.asarray(seq_data.oracle_split(config, "validation")[:700])
  assert float(experiment.mean_nll(oracle, tokens, chunk=300)) == pytest.approx(float(nets.nll(oracle, tokens)),
                                                                                rel=1e-5)


def test_rollout_policy_starts_as_generator_then_follows_at_the_update_rate():
  config = tiny_config(pretrain_g_epochs=1, pretrain_d_rounds=0, steps=3)
  state = steps.create_state(config, config.vocab_size)
  pretrained = jax.tree.map(lambda p: p + 1.0, state.nets["generator"].params)  # "pre-training moved G"
  state = state.replace(nets={**state.nets, "generator": state.nets["generator"].replace(params=pretrained)},
                        step=jnp.int32(config.adversarial_start))
  state, samples, rewards = jax.jit(functools.partial(steps.sample_and_reward, config=config))(state)
  chex.assert_trees_all_close(state.nets["rollout"].params, pretrained)
  data = jnp.asarray(seq_data.oracle_split(config, "validation"))
  new, _ = jax.jit(functools.partial(steps.policy_step, config=config))(state, samples, rewards, data)
  expected = jax.tree.map(lambda b, g: 0.8 * b + 0.2 * g, pretrained, new.nets["generator"].params)
  chex.assert_trees_all_close(new.nets["rollout"].params, expected, rtol=1e-6)


def test_config_errors_name_the_field():
  with pytest.raises(ValueError, match="d_filter_sizes: width 20 is longer than seq_len 8"):
    validate(SeqGANConfig(seq_len=8))
  with pytest.raises(ValueError, match=r"steps \(5\) must be >= pretrain_g_epochs \+ pretrain_d_rounds"):
    validate(tiny_config(pretrain_g_epochs=4, pretrain_d_rounds=2, steps=5))
  with pytest.raises(ValueError, match="same length"):
    validate(tiny_config(d_num_filters="4,4"))
  with pytest.raises(ValueError, match="comma-separated integers"):
    validate(tiny_config(d_filter_sizes="1,x"))
  with pytest.raises(ValueError, match="neither tang_poems nor a text file"):
    validate(tiny_config(task="text", dataset="/no/such/file.txt"))
  with pytest.raises(ValueError, match="rollout_update_rate must be in"):
    validate(tiny_config(rollout_update_rate=1.5))


def one_device():
  return parallel.make_mesh(jax.devices()[:1])


def test_short_run_lowers_nll_oracle_below_random(tmp_path):
  """3 MLE epochs, 1 D round, 1 adversarial epoch on a 30-token oracle: NLL-oracle falls below the untrained
  generator's (the step-0 evaluation) and below uniform tokens'."""
  config = tiny_config(pretrain_g_epochs=3, pretrain_d_rounds=1, steps=5, eval_every=5, g_learning_rate=0.02)
  experiment.run(config, tmp_path, overwrite=True, progress=False, mesh=one_device())
  rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
  evals = [r for r in rows if "eval_nll_oracle" in r]
  assert [r["step"] for r in evals] == [0, 5]
  meta = json.loads((tmp_path / "config.json").read_text())
  start, end = evals[0]["eval_nll_oracle"], evals[-1]["eval_nll_oracle"]
  assert end < start - 0.3 and end < meta["uniform_nll_oracle"] - 0.3
  assert meta["oracle_nll_oracle"] < end
  adversarial = [r for r in rows if r.get("phase") == 2]
  assert len(adversarial) == 1 and 0 < adversarial[0]["reward"] < 1 and adversarial[0]["seconds_rollout"] > 0
  assert len((tmp_path / "samples" / "step_000005.txt").read_text().splitlines()) == config.num_samples


@pytest.mark.slow
def test_resume_is_exact(tmp_path):
  config = tiny_config(pretrain_g_epochs=1, pretrain_d_rounds=1, steps=4, checkpoint_every=2)
  whole = experiment.run(config, tmp_path / "whole", progress=False, mesh=one_device())
  experiment.run(tiny_config(pretrain_g_epochs=1, pretrain_d_rounds=1, steps=2, checkpoint_every=2),
                 tmp_path / "half", progress=False, mesh=one_device())
  resumed = experiment.run(config, tmp_path / "half", resume=True, progress=False, mesh=one_device())
  params = lambda state: jax.device_get(({n: net.params for n, net in state.nets.items()}, state.opt_states))
  chex.assert_trees_all_equal(params(whole), params(resumed))
  assert int(whole.step) == int(resumed.step) == 4


@pytest.mark.slow
def test_text_file_run_saves_its_vocabulary_and_generates(tmp_path, capsys):
  corpus = tmp_path / "corpus.txt"
  lines = [" ".join(np.random.default_rng(i).choice(["the", "cat", "sat", "on", "a", "mat"], 5)) for i in range(300)]
  corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
  config = tiny_config(task="text", dataset=str(corpus), token_unit="word", pretrain_g_epochs=2,
                       pretrain_d_rounds=1, steps=4, eval_every=4, eval_samples=50)
  experiment.run(config, tmp_path / "run", progress=False, mesh=one_device())
  meta = json.loads((tmp_path / "run" / "config.json").read_text())
  assert meta["vocabulary"][:3] == ["<pad>", "<unk>", "<end>"] and set(meta["vocabulary"][3:]) == {
      "the", "cat", "sat", "on", "a", "mat"}
  scores = experiment.final_scores(tmp_path / "run", "validation")
  assert 0 <= scores["bleu2"] <= 1 and scores["references"] == 30
  from jgan import generate_text
  assert generate_text.main(["--checkpoint", str(tmp_path / "run"), "--num", "3", "--temperature", "0.5"]) == 0
  out = capsys.readouterr().out.splitlines()
  assert len(out) == 3 and all(set(line.split()) <= set(meta["vocabulary"]) for line in out)


def test_tang_poem_lines_are_the_split_poems_lines(tmp_path, monkeypatch):
  """`text.tang_poem_lines` (SeqGAN's poem sequences) on a built stand-in of 20 poems of 2 lines: every line of a
  split's poems, no poem on two sides."""
  import gzip

  from jgan.data import text
  monkeypatch.setenv(text.DATA_DIR_ENV, str(tmp_path))
  poems = [{"title": f"t{i}", "author": "a", "body": f"{i}甲，{i}乙。\n{i}丙，{i}丁。"} for i in range(20)]
  with gzip.open(tmp_path / text.TANG_POEMS_FILE, "wt", encoding="utf-8") as f:
    json.dump({"source": {"poems": 20}, "poems": poems}, f, ensure_ascii=False)
  lines = {split: text.tang_poem_lines(split) for split in ("train", "validation", "test")}
  assert [len(v) for v in lines.values()] == [32, 4, 4]
  owners = {split: {line.split("甲")[0].split("丙")[0] for line in v} for split, v in lines.items()}
  assert not (owners["train"] & owners["validation"]) and not (owners["train"] & owners["test"])
  assert sorted(lines["validation"]) == sorted(line for p in text.tang_poem_split("validation")
                                               for line in p.split("\n"))


def test_the_progress_bar_weighs_each_phase_by_its_measured_cost_and_names_it():
  # The oracle run of experiments/seqgan (runs/seqgan/oracle_seqgan_seed0/metrics.jsonl, a 2-core CPU): MLE epochs
  # took about 33 s, D pre-training rounds 54 s, adversarial epochs (one D round each) 110 s on average.
  config = SeqGANConfig(pretrain_g_epochs=2, pretrain_d_rounds=1, d_rounds=1, d_negatives=640, steps=5)
  run = experiment.SeqGANExperiment(config)
  costs = run.iteration_costs(np.arange(5))
  assert costs[0] == costs[1] and costs[3] == costs[4]
  np.testing.assert_allclose(costs[[2, 3]] / costs[0], [54 / 33, 110 / 33], rtol=0.35)
  assert [run.phase(i) for i in range(5)] == ["MLE pre-training"] * 2 + ["discriminator pre-training"] + \
      ["adversarial"] * 2
  # Longer sequences: every phase costs more, the rollouts (a rollout from every prefix) the most.
  longer = experiment.SeqGANExperiment(SeqGANConfig(**{**vars(config), "seq_len": 40})).iteration_costs(np.arange(5))
  assert np.all(longer > costs) and longer[3] / costs[3] > longer[0] / costs[0]
