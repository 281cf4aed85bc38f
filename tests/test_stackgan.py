"""StackGAN: captions and their measured attributes, conditioning augmentation, the matching-aware loss, shapes,
config checks, exact resume, Stage II's use of Stage I, generation, devices and a short training."""

from __future__ import annotations

import dataclasses
import functools
import json
import math

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jgan import data
from jgan.stackgan import captions, nets, stackgan, text_encoder
from jgan.stackgan import experiment as sg
from jgan.stackgan.config import StackGANConfig, validate
from jgan.testing import tree_equal
from jgan.updates import stream_key

TINY = dict(batch_size=8, steps=4, noise_dim=8, condition_dim=8, projection_dim=8, generator_features=8,
            discriminator_features=8, residual_blocks=1, embedding_dim=16, word_dim=8, text_encoder_steps=5,
            captions_per_image=2, log_every=2, sample_every=2, checkpoint_every=2, num_samples=1, eval_every=0)


def tiny(**overrides) -> StackGANConfig:
  return dataclasses.replace(StackGANConfig(**TINY), **overrides)


# --- Captions and attributes. ---

def _bar(width: int, shear: float = 0.0, side: int = 28) -> np.ndarray:
  """A white vertical bar `width` pixels wide and 16 high on black, its top shifted right by `shear` per row up."""
  image = np.zeros((side, side), np.uint8)
  for row in range(6, 22):
    left = int(round(12 + shear * (14 - row)))
    image[row, left:left + width] = 255
  return image


def test_measured_thickness_slant_and_width_follow_the_drawn_strokes():
  thin, thick = _bar(1), _bar(3)
  measured = captions.measure(np.stack([thin, thick, _bar(2, shear=0.5), _bar(2, shear=-0.5), _bar(10)]))
  # A bar w wide and 16 long: area 16 w, perimeter 2 (16 + w), so 2 area / perimeter = 16 w / (16 + w).
  np.testing.assert_allclose(measured["thickness"][:2], [16 / 17, 48 / 19], rtol=1e-6)
  assert measured["thickness"][1] > 2 * measured["thickness"][0]
  assert measured["slant"][2] > 0.3 and measured["slant"][3] < -0.3  # top to the right: positive
  assert abs(measured["slant"][0]) < 1e-9
  np.testing.assert_array_equal(measured["width"][[0, 1, 4]], [1, 3, 10])
  np.testing.assert_array_equal(measured["height"][:2], [16, 16])
  # The same strokes as floats in [-1, 1] (how generators give them) measure the same.
  as_floats = np.stack([thin, thick]).astype(np.float32) / 127.5 - 1.0
  np.testing.assert_allclose(captions.measure(as_floats)["thickness"], measured["thickness"][:2])


def test_levels_put_a_thick_stroke_above_a_thin_one_of_the_same_class():
  bounds = captions.Thresholds(thickness=np.tile([[1.5, 2.0]], (10, 1)), width=np.tile([[3.0, 6.0]], (10, 1)),
                               slant=np.array([-0.1, 0.1]))
  levels = bounds.levels(np.stack([_bar(1), _bar(3), _bar(2, shear=0.5), _bar(2, shear=-0.5)]), np.full(4, 1))
  np.testing.assert_array_equal(levels["thickness"][:2], [0, 2])  # thin, thick
  np.testing.assert_array_equal(levels["slant"][2:], [2, 0])  # right, left
  np.testing.assert_array_equal(levels["size"][:2], [0, 0])  # 16 high: small


def test_captions_say_the_class_and_only_the_levels_they_record():
  levels = {"thickness": np.array([2, 0]), "slant": np.array([2, 1]), "width": np.array([1, 2]),
            "size": np.array([1, 0])}
  texts, said = captions.generate_captions(np.array([7, 3]), levels, 40, seed=0)
  vocabulary = set(captions.vocabulary())
  for i, label in enumerate((7, 3)):
    for k, text in enumerate(texts[i]):
      words = set(captions.tokenize(text))
      assert words <= vocabulary
      assert {str(label), captions.NUMBER_WORDS[label]} & words
      for attribute in captions.ATTRIBUTES:
        level = said[attribute][i, k]
        if level != captions.UNSAID:  # a stated level is the image's, said by one of its synonyms
          assert level == levels[attribute][i]
          synonyms = captions.SYNONYMS[attribute][captions.LEVELS[attribute][level]]
          assert any(set(captions.tokenize(s)) <= words for s in synonyms), (text, attribute)
  assert np.any(said["thickness"][0] == 2) and np.any(said["thickness"][0] == captions.UNSAID)
  assert any("thick" in t or "bold" in t or "heavy" in t or "fat" in t for t in texts[0])
  assert np.all(said["width"][0] == captions.UNSAID)  # 'regular' width is never said
  assert captions.prompt(3, thickness="thin") == "a thin 3"


def test_text_encoder_reads_synonyms_and_class_from_captions():
  """A short training of the encoder beats the majority baseline on held-out captions by far."""
  rng = np.random.default_rng(0)
  n = 500
  labels = rng.integers(0, 10, n)
  levels = {a: rng.integers(0, len(captions.LEVELS[a]), n) for a in captions.ATTRIBUTES}
  texts, said = captions.generate_captions(labels, levels, 2, seed=1)
  ids, unknown = captions.encode([t for row in texts for t in row], 12)
  assert not unknown
  facts = {k: v.reshape(-1) for k, v in text_encoder.targets(said).items()}
  train = slice(0, 800)
  module, params, _ = text_encoder.train(ids[train], {k: v[train] for k, v in facts.items()}, features=16,
                                         word_features=8, steps=200, seed=0)
  held = {k: v[800:] for k, v in facts.items()}
  accuracy = text_encoder.fact_accuracy(module, params, ids[800:], held)
  for fact, values in held.items():
    majority = np.bincount(values).max() / len(values)
    assert accuracy[fact] > majority + 0.2, (fact, accuracy[fact], majority)
  embeddings = module.apply({"params": params}, jnp.asarray(captions.encode(["a thick 3", "a bold 3", "a thin 3"],
                                                                             12)[0]))
  same, other = (float(jnp.linalg.norm(embeddings[0] - embeddings[i])) for i in (1, 2))
  assert same < other  # synonyms embed closer than opposites


# --- Conditioning augmentation and the matching-aware loss. ---

def test_kl_of_conditioning_augmentation_matches_the_hand_value():
  mu = jnp.array([[1.0, 0.0], [0.0, 0.0]])
  log_var = jnp.array([[0.0, math.log(2.0)], [0.0, 0.0]])
  # 1/2 sum (sigma^2 + mu^2 - 1 - log sigma^2): (1 + 1 - 1 - 0 + 2 + 0 - 1 - log 2) / 2 = 1 - log(2) / 2.
  np.testing.assert_allclose(nets.kl_divergence(mu, log_var), [1 - math.log(2) / 2, 0.0], rtol=1e-6)
  ca = nets.ConditioningAugmentation(2)
  params = {"fc": {"kernel": jnp.array([[1.0, 0.0, 0.0, math.log(4.0)]]), "bias": jnp.array([0.0, 0.5, 0.0, 0.0])}}
  c, mu, log_var = ca.apply({"params": params}, jnp.array([[2.0]]), jnp.array([[0.5, -1.0]]))
  np.testing.assert_allclose(mu, [[2.0, 0.5]])
  np.testing.assert_allclose(log_var, [[0.0, 2 * math.log(4.0)]], rtol=1e-6)
  np.testing.assert_allclose(c, [[2.0 + 1.0 * 0.5, 0.5 + 4.0 * -1.0]], rtol=1e-6)  # mu + sigma eps
  # Without augmentation c does not depend on eps and the KL is exactly 0.
  plain = nets.ConditioningAugmentation(2, augment=False)
  variables = plain.init(jax.random.PRNGKey(0), jnp.ones((1, 3)), jnp.zeros((1, 2)))
  c1, mu1, lv1 = plain.apply(variables, jnp.ones((1, 3)), jnp.zeros((1, 2)))
  c2, _, _ = plain.apply(variables, jnp.ones((1, 3)), jnp.full((1, 2), 5.0))
  np.testing.assert_array_equal(c1, c2)
  assert float(nets.kl_divergence(mu1, lv1)[0]) == 0.0


def test_matching_aware_loss_labels_real_matched_one_and_mismatched_and_fake_zero():
  bce = lambda logit, target: -(target * jax.nn.log_sigmoid(logit) + (1 - target) * jax.nn.log_sigmoid(-logit))
  real, mismatched, fake = jnp.array([0.3, -1.2]), jnp.array([2.0, 0.1]), jnp.array([-0.7, 1.5])
  for w in (0.5, 0.25, 0.0):
    expected = bce(real, 1.0) + w * bce(mismatched, 0.0) + (1 - w) * bce(fake, 0.0)
    np.testing.assert_allclose(stackgan.matching_aware_discriminator_loss(real, mismatched, fake, w), expected,
                               rtol=1e-6)
  big = jnp.array([20.0])
  # A discriminator that ignores the text (calls real images real whatever their caption) pays w * 20.
  assert float(stackgan.matching_aware_discriminator_loss(big, big, -big, 0.5)[0]) == pytest.approx(10.0, rel=1e-3)
  assert float(stackgan.matching_aware_discriminator_loss(big, -big, -big, 0.5)[0]) < 1e-6


def _source(n: int = 16, per_image: int = 2) -> stackgan.CaptionedSource:
  rng = np.random.default_rng(0)
  return stackgan.CaptionedSource(images=jnp.asarray(rng.integers(0, 256, (n, 32, 32, 1), dtype=np.uint8)),
                                  ids=jnp.asarray(rng.integers(1, 20, (n, per_image, 12), dtype=np.int32)))


def test_the_step_shows_the_discriminator_each_caption_and_another_images_caption():
  """The discriminator's three passes: (real, its text), (real, a caption of the batch's previous image), (fake,
  the real row's text): the matching-aware game of the paper, with a spy on D's inputs."""
  config = tiny(stage=1)
  state = sg.create_state(config)
  seen = []
  d = state.nets["discriminator"]

  def spy(variables, inputs, **kwargs):
    seen.append(inputs)
    return d.apply_fn(variables, inputs, **kwargs)

  state = state.replace(nets={**state.nets, "discriminator": d.replace(apply_fn=spy)})
  source = _source()

  def passes(state, source):  # compiled (faster than eager), returning what D was shown
    seen.clear()
    stackgan.train_step(state, source, config=config)
    return seen[:3]

  (real, text), (real2, mismatched), (fake, text2) = jax.jit(passes)(state, source)
  np.testing.assert_array_equal(real, real2)
  np.testing.assert_array_equal(text, text2)
  index = np.asarray(data.batch_indices(stream_key(state.rng, 0, 0), state.step, 16, config.batch_size))
  images = np.asarray(source.images)[index].astype(np.float32) / 127.5 - 1.0
  np.testing.assert_allclose(real, np.asarray(stackgan.downsample(jnp.asarray(images))), atol=1e-6)
  # Each row's mismatched text is one of the captions of the previous image of the batch, not of its own.
  captions_of = lambda rows: np.asarray(stackgan.embed(state, source.ids[rows].reshape(-1, 12))).reshape(
      len(rows), 2, -1)  # (B, K, E)
  own, previous = captions_of(index), captions_of(np.roll(index, 1))
  distance = lambda t, options: np.min(np.linalg.norm(options - np.asarray(t)[:, None], axis=-1), axis=1)
  assert np.all(distance(mismatched, previous) < 1e-5)
  assert np.all(distance(text, own) < 1e-5)
  assert np.all(distance(mismatched, own) > 1e-3)
  chex.assert_shape([real, fake], (8, 16, 16, 1))


# --- Nets and configuration. ---

def test_stage_shapes():
  e, n = 16, 3
  shapes = lambda module, inputs: jax.eval_shape(
      lambda: module.apply(module.init(jax.random.PRNGKey(0), inputs, train=False), inputs, train=False))
  g1 = nets.StageOneGenerator(features=8, condition=4)
  out = shapes(g1, (jnp.zeros((n, e)), jnp.zeros((n, 5)), jnp.zeros((n, 4))))
  chex.assert_shape(out, ((n, 16, 16, 1), (n, 4), (n, 4)))
  g2 = nets.StageTwoGenerator(features=8, condition=4, blocks=2)
  out2 = shapes(g2, (jnp.zeros((n, 16, 16, 1)), jnp.zeros((n, e)), jnp.zeros((n, 4))))
  chex.assert_shape(out2, ((n, 32, 32, 1), (n, 4), (n, 4)))
  for side, downsamples in ((16, 2), (32, 3)):
    d = nets.TextDiscriminator(8, downsamples, 4)
    chex.assert_shape(shapes(d, (jnp.zeros((n, side, side, 1)), jnp.zeros((n, e)))), (n,))
  with pytest.raises(ValueError, match="not 4x4"):
    shapes(nets.TextDiscriminator(8, 2, 4), (jnp.zeros((n, 32, 32, 1)), jnp.zeros((n, e))))
  chex.assert_shape(stackgan.downsample(jnp.zeros((n, 32, 32, 1))), (n, 16, 16, 1))


@pytest.mark.parametrize("overrides, match", [
    (dict(stage=3), "stage must be one of"),
    (dict(stage=2), "stage 2 needs --stage1"),
    (dict(stage1="somewhere"), "only for stage 2"),
    (dict(kl_weight=-1.0), "kl_weight"),
    (dict(mismatch_weight=1.0), "mismatch_weight"),
    (dict(halve_every=10, decay_steps=2), "two schedules"),
    (dict(captions_per_image=0), "captions_per_image"),
    (dict(dataset="mnist_m"), "dataset"),
])
def test_bad_configs_are_refused_naming_the_field(overrides, match):
  with pytest.raises(ValueError, match=match):
    validate(tiny(**overrides))


def test_learning_rate_halves_every_n_iterations():
  schedule = tiny(learning_rate=2e-4, halve_every=3, steps=10).learning_rate_schedule()
  np.testing.assert_allclose([schedule(i) for i in (0, 2, 3, 5, 6, 9)], [2e-4, 2e-4, 1e-4, 1e-4, 5e-5, 2.5e-5],
                             rtol=1e-6)


def test_help_is_grouped_and_shows_each_stage_its_flags(capsys):
  from jgan.experiments import stackgan as command
  with pytest.raises(SystemExit):
    command.main(["--help"])
  text = capsys.readouterr().out
  assert "game and losses" in text and "--kl-weight" in text and "--text-encoder-steps" in text
  assert "--stage1 STAGE1" not in text  # Stage I does not read it
  assert "--halve-every" in text


# --- Runs: resume, Stage II, generation. ---

@pytest.fixture(scope="module")
def stage_one_run(tmp_path_factory):
  from jgan import parallel
  mesh = parallel.make_mesh(jax.devices()[:1])
  path = tmp_path_factory.mktemp("stackgan") / "stage1"
  state = sg.run(tiny(stage=1), path, mesh=mesh, progress=False)
  return path, state, mesh


def test_resume_is_bit_identical(stage_one_run, tmp_path):
  path, straight, mesh = stage_one_run
  config = tiny(stage=1)
  sg.run(dataclasses.replace(config, steps=2), tmp_path / "resumed", mesh=mesh, progress=False)
  sg.captioned_split.cache_clear()  # as in a new process: the captions are made again, and must be the same
  resumed = sg.run(config, tmp_path / "resumed", resume=True, mesh=mesh, progress=False)
  assert tree_equal(straight, resumed)
  rows = lambda d: [{k: v for k, v in json.loads(line).items() if k != "time"}
                    for line in (d / "metrics.jsonl").read_text().splitlines() if "g_loss" in line]
  assert rows(path) == rows(tmp_path / "resumed")
  assert (path / "samples" / "step_000004.png").is_file()


def test_stage_two_refuses_a_missing_or_mismatched_stage_one_before_any_work(stage_one_run, tmp_path):
  path = stage_one_run[0]
  with pytest.raises(ValueError, match="no checkpoint"):
    sg.StackGANExperiment(tiny(stage=2, stage1=str(tmp_path / "missing"))).validate(1)
  with pytest.raises(ValueError, match="noise_dim 8 there vs 9 here"):
    sg.StackGANExperiment(tiny(stage=2, stage1=str(path), noise_dim=9)).validate(1)
  with pytest.raises(ValueError, match="no checkpoint"):
    sg.run(tiny(stage=2, stage1=str(tmp_path / "missing")), tmp_path / "out", progress=False)
  assert not (tmp_path / "out").exists()  # nothing written


@pytest.mark.slow  # a Stage-II run and its sampling compiled: about 35 s on a loaded 2-core machine
def test_stage_two_keeps_stage_one_fixed_and_refuses_a_wrong_stage_one(stage_one_run, tmp_path):
  path, stage_one, mesh = stage_one_run
  config = tiny(stage=2, stage1=str(path), steps=2)
  state = sg.run(config, tmp_path / "stage2", mesh=mesh, progress=False)
  for name, stage_one_name in (("stage1_generator", "generator"), ("text_encoder", "text_encoder")):
    assert tree_equal(state.nets[name].params, stage_one.nets[stage_one_name].params)
  assert (tmp_path / "stage2" / "samples" / "step_000002_stage1.png").is_file()
  with pytest.raises(ValueError, match="Stage-2 run, not a Stage-I run"):
    sg.StackGANExperiment(tiny(stage=2, stage1=str(tmp_path / "stage2"))).validate(1)
  from jgan import generate
  out = generate.generate(tmp_path / "stage2", "a thin three, wibble", 3)
  chex.assert_shape(out["images"], (3, 32, 32, 1))
  chex.assert_shape(out["stage1"], (3, 16, 16, 1))
  assert out["unknown"] == ["wibble"]


def test_generate_command(stage_one_run, tmp_path, capsys):
  from jgan import generate
  path = stage_one_run[0]
  assert generate.main(["--checkpoint", str(path), "--text", "a thin 3", "--num", "4", "--grid",
                        str(tmp_path / "g.png"), "--out", str(tmp_path / "g.npz")]) == 0
  assert np.load(tmp_path / "g.npz")["images"].shape == (4, 16, 16, 1)
  assert (tmp_path / "g.png").is_file()
  assert json.loads(capsys.readouterr().out.splitlines()[-1])["size"] == 16
  assert generate.main(["--checkpoint", str(path), "--text", "zzz qqq"]) == 2
  assert "vocabulary" in capsys.readouterr().err


# --- Slow: devices and learning. ---

@pytest.mark.slow  # compiles the step over 1 and 2 devices
def test_two_devices_match_one_device():
  """Batch statistics over both devices, global noise and mismatched captions: the same update up to rounding."""
  from jgan import parallel
  config = tiny(stage=1)
  source = _source()
  results = []
  for n in (1, 2):
    mesh = parallel.make_mesh(jax.devices()[:n])
    step = parallel.compile_step(functools.partial(stackgan.train_step, config=config, axis_name=parallel.AXIS),
                                 mesh)
    state = parallel.replicate(sg.create_state(config, axis_name=parallel.AXIS), mesh)
    for _ in range(2):
      state, metrics = step(state, parallel.replicate(source, mesh))
    results.append(jax.device_get((state.nets["generator"].params, state.nets["discriminator"].batch_stats,
                                   metrics)))
  chex.assert_trees_all_close(results[0], results[1], rtol=2e-4, atol=2e-5)


@pytest.mark.slow  # about three minutes on a loaded 2-core machine
def test_short_stage_one_training_draws_the_captions_class(tmp_path):
  """300 iterations of Stage I (without conditioning augmentation, which learns the class slowest: see
  experiments/stackgan/README.md): the digit classifier finds the caption's class in far more of the generated digits
  than in the untrained generator's (chance), thick prompts draw thicker strokes than thin ones beyond the placebo
  gap, and the FD falls."""
  from jgan import parallel
  config = dataclasses.replace(StackGANConfig(), steps=300, sample_every=300, checkpoint_every=300, eval_every=300,
                               eval_samples=500, text_encoder_steps=200, conditioning_augmentation=False)
  sg.run(config, tmp_path / "run", mesh=parallel.make_mesh(jax.devices()[:1]), progress=False)
  evals = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
           if "eval_fd" in line]
  assert evals[0]["eval_caption_accuracy"] < 0.2
  assert evals[-1]["eval_caption_accuracy"] > 0.5
  assert evals[-1]["eval_thickness_gap"] > 2 * evals[-1]["eval_placebo_thickness_gap"]
  assert evals[-1]["eval_fd"] < 0.5 * evals[0]["eval_fd"]


def test_feature_spread_is_the_mean_distance_between_two_images_of_a_group():
  class Identity:
    features = staticmethod(lambda x: x.reshape(len(x), -1))

  groups = np.zeros((2, 3, 1, 1, 1))
  groups[0, 1] = 3.0  # distances 3, 0, 3: mean 2
  groups[1, :, 0, 0, 0] = [0, 1, 2]  # distances 1, 2, 1: mean 4 / 3
  assert sg.feature_spread(Identity(), groups) == pytest.approx((2 + 4 / 3) / 2)
