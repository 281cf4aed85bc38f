"""iGAN editing (jgan.editing): projection solvers, the encoder, constraints, the edge map, the command line."""

from __future__ import annotations

import dataclasses
import json

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

from jgan import checkpoint, train
from jgan.configs.base import Config
from jgan.editing import api, cli, constraints, encoder, features, generators, projection

SHAPE, SOURCE = (32, 32, 1), (28, 28, 1)


def _config(**overrides) -> Config:
  return Config(**{**dict(arch="mlp", game="gan", latent="uniform", latent_dim=8, generator_features=32,
                          critic_features=16, mlp_layers=2, mlp_output="tanh", image_size=32, batch_size=8,
                          n_critic=1, warmup_steps=0, optimizer="adam", learning_rate=1e-3, steps=1, seed=0),
                   **overrides})


def _generator(**overrides) -> generators.LatentGenerator:
  config = _config(**overrides)
  meta = {"config": dataclasses.asdict(config), "shape": list(SHAPE), "source_shape": list(SOURCE)}
  return generators.from_state(_state(config), config, meta, name="tiny")


def _state(config: Config):
  """A fresh state whose generator's weights are doubled: PyTorch's initialization makes an untrained MLP's images
  nearly alike (pixel variance ~1e-3); doubled, they differ like samples (variance ~0.2)."""
  state = train.create_state(config, SHAPE)
  params = jax.tree.map(lambda p: 2.0 * p, state.generator.params)
  return state.replace(generator=state.generator.replace(params=params))


@pytest.fixture(scope="module")
def tiny():
  return _generator()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
  """A checkpoint of the tiny (untrained) generator, as a run directory `jgan.sample.load_generator` reads."""
  config = _config()
  path = tmp_path_factory.mktemp("run")
  with checkpoint.manager(path) as mngr:
    checkpoint.save(mngr, 1, _state(config),
                    {"config": dataclasses.asdict(config), "shape": list(SHAPE), "source_shape": list(SOURCE)})
    mngr.wait_until_finished()
  return path


def test_free_code_maps_round_trip_and_stay_in_the_prior(tiny):
  free = tiny.sample_free(jax.random.PRNGKey(0), 64)
  assert float(free.min()) >= -1.0 and float(free.max()) <= 1.0
  np.testing.assert_allclose(tiny.to_free(tiny.to_unconstrained(free)), free, atol=2e-3)
  far = tiny.to_free(jnp.full((1, 8), 50.0))
  assert float(far.max()) <= 1.0  # any u maps inside [-1, 1]
  gaussian = _generator(latent="normal")
  assert gaussian.bounds() is None
  np.testing.assert_array_equal(gaussian.to_free(free), free)


def test_projection_of_a_generated_image_recovers_it(tiny):
  """iGAN's projection works on points of the manifold: x = G(z*) comes back within a small error."""
  z_star = tiny.sample_free(jax.random.PRNGKey(7), 3)
  x = np.asarray(tiny(z_star))
  baseline = float(jnp.mean(jnp.square(tiny(tiny.sample_free(jax.random.PRNGKey(8), 3)) - x)))
  for optimizer, steps, rate in (("adam", 100, 0.1), ("lbfgs", 30, 1.0)):
    config = projection.ProjectionConfig(optimizer=optimizer, steps=steps, starts=3, learning_rate=rate,
                                         feature_weight=0.0)
    result = projection.project(tiny, x, config=config)
    chex.assert_shape(result.images, (3, *SHAPE))
    assert result.pixel.max() < baseline / 20, (optimizer, result.pixel, baseline)


def test_batched_projection_equals_one_image_at_a_time(tiny):
  """vmap keeps the problems independent: 3 images (2 starts each) together give what each gives alone."""
  x = np.asarray(tiny(tiny.sample_free(jax.random.PRNGKey(11), 3)))
  initial = np.asarray(tiny.sample_free(jax.random.PRNGKey(12), 6)).reshape(3, 2, -1)
  config = projection.ProjectionConfig(steps=20, starts=2, feature_weight=0.0)
  together = projection.project(tiny, x, config=config, initial=initial)
  alone = [projection.project(tiny, x[i:i + 1], config=config, initial=initial[i:i + 1]) for i in range(3)]
  np.testing.assert_allclose(together.free, np.concatenate([a.free for a in alone]), atol=1e-5)
  np.testing.assert_allclose(together.pixel, np.concatenate([a.pixel for a in alone]), rtol=1e-4, atol=1e-7)
  with pytest.raises(ValueError, match="initial codes must be"):
    projection.project(tiny, x, config=config, initial=initial[:, :1])


def test_projection_of_a_conditional_generator_needs_and_uses_the_class():
  generator = _generator(game="cgan", latent="normal")
  z_star = generator.sample_free(jax.random.PRNGKey(1), 2)
  labels = np.array([3, 7])
  x = np.asarray(generator(z_star, jnp.asarray(labels)))
  with pytest.raises(ValueError, match="conditional"):
    projection.project(generator, x)
  with pytest.raises(ValueError, match="classes in 0..9"):
    projection.project(generator, x, np.array([3, 10]))
  config = projection.ProjectionConfig(steps=150, starts=2, feature_weight=0.0)
  right = projection.project(generator, x, labels, config=config)
  assert right.pixel.max() < 5e-3
  np.testing.assert_array_equal(right.labels, labels)


def test_projection_loss_includes_the_digit_features(tiny):
  extractor = features.load(features.choose("auto", SHAPE))
  assert features.choose("auto", (64, 64, 3)) == "none"
  with pytest.raises(ValueError, match="reads 1-channel"):
    features.choose("digits", (64, 64, 1))
  x = np.asarray(tiny(tiny.sample_free(jax.random.PRNGKey(0), 2)))
  target_features = features.features(extractor, jnp.asarray(x))
  chex.assert_shape(target_features, (2, 128))
  _, pixel, feature = projection.reconstruction_terms(tiny, extractor, tiny.sample_free(jax.random.PRNGKey(1), 2),
                                                      jnp.zeros(2, jnp.int32), jnp.asarray(x), target_features)
  assert float(feature.min()) > 0
  _, _, same = projection.reconstruction_terms(tiny, extractor, tiny.sample_free(jax.random.PRNGKey(0), 2),
                                               jnp.zeros(2, jnp.int32), jnp.asarray(x), target_features)
  np.testing.assert_allclose(same, 0.0, atol=1e-6)


def test_encoder_output_shape_and_its_training_lowers_its_loss(tiny):
  config = encoder.EncoderConfig(steps=60, batch_size=32, learning_rate=1e-3, features=8)
  state = encoder.create_state(tiny, config)
  images, labels = jnp.zeros((5, *SHAPE)), jnp.zeros(5, jnp.int32)
  chex.assert_shape(state.nets["encoder"]((images, labels), train=False)[0], (5, tiny.free_dim))
  z = tiny.sample_free(jax.random.PRNGKey(99), 128)  # a fixed evaluation batch, not drawn by the steps
  held = lambda s: float(encoder.losses(s.params("encoder"), s, tiny, z, jnp.zeros(128, jnp.int32), 1.0)[0])
  before = held(state)
  trained = encoder.train(tiny, config, log_every=10)
  assert int(trained.state.step) == 60
  assert held(trained.state) < 0.7 * before, (before, held(trained.state))
  # The 'encoder' solver is the encoder's prediction; 'hybrid' refines it and is at least as good.
  x = np.asarray(tiny(z[:4]))
  alone = projection.project(tiny, x, config=projection.ProjectionConfig(solver="encoder"), encoder=trained)
  np.testing.assert_allclose(alone.free, trained.predict(x, np.zeros(4)), atol=1e-6)
  hybrid = projection.project(tiny, x, config=projection.ProjectionConfig(solver="hybrid", steps=60,
                                                                           feature_weight=0.0), encoder=trained)
  assert hybrid.pixel.mean() < alone.pixel.mean()
  with pytest.raises(ValueError, match="needs a trained encoder"):
    projection.project(tiny, x, config=projection.ProjectionConfig(solver="hybrid"))


def test_edge_map_against_hand_values():
  # A vertical step from -1 to +1 between columns 1 and 2: |gx| = (1 + 2 + 1) * 2 / 8 = 1 on both sides of it.
  step = np.tile(np.array([-1.0, -1.0, 1.0, 1.0, 1.0], np.float32), (4, 1))[None, :, :, None]
  edges = np.asarray(constraints.edge_map(jnp.asarray(step)))[0, :, :, 0]
  np.testing.assert_allclose(edges, np.tile([0.0, 1.0, 1.0, 0.0, 0.0], (4, 1)), atol=2e-3)
  # One bright pixel (+1 on 0): its 4-neighbours see |g| = 2 * 1 / 8, the diagonal ones sqrt(2) / 8, itself 0.
  dot = np.zeros((1, 3, 3, 1), np.float32)
  dot[0, 1, 1, 0] = 1.0
  expected = np.array([[np.sqrt(2), 2, np.sqrt(2)], [2, 0, 2], [np.sqrt(2), 2, np.sqrt(2)]]) / 8
  np.testing.assert_allclose(np.asarray(constraints.edge_map(jnp.asarray(dot)))[0, :, :, 0], expected, atol=2e-3)
  # Constant images (the replicated border included) have no edges; RGB is read through its grey level.
  np.testing.assert_allclose(constraints.edge_map(jnp.full((1, 6, 6, 3), 0.3)), 0.0, atol=1e-6)


def test_constraints_cost_nothing_for_an_image_that_satisfies_them(tiny):
  image = np.asarray(tiny(tiny.sample_free(jax.random.PRNGKey(3), 1)))
  pixels = projection.to_source(image, tiny)[0]  # uint8 28x28x1, what a user's PNG would hold
  rng = np.random.default_rng(0)
  alpha = (rng.random((28, 28, 1)) < 0.2).astype(np.uint8) * 255
  colour = np.concatenate([pixels, alpha], axis=-1)  # strokes drawn in the image's own colours
  drawing = (pixels > 127).astype(np.uint8) * 255
  satisfied = constraints.from_strokes(colour, None, tiny)
  quantized = projection.prepare_images(pixels[None], tiny)  # the image as its PNG holds it
  arrays = [jnp.asarray(a) for a in dataclasses.astuple(satisfied)]
  assert float(constraints.color_loss(jnp.asarray(quantized), arrays[0], arrays[1])[0]) == 0.0
  assert float(arrays[1].sum()) == float((alpha > 0).sum())
  target_edges = constraints.edge_map(jnp.asarray(quantized))
  assert float(constraints.edge_loss(jnp.asarray(quantized), target_edges, jnp.ones((1, 32, 32, 1)))[0]) < 1e-10
  # ... and something for one that does not: the colours inverted, or a drawing unlike the image.
  inverted = np.concatenate([255 - pixels, alpha], axis=-1)
  violated = [jnp.asarray(a) for a in dataclasses.astuple(constraints.from_strokes(inverted, drawing, tiny))]
  assert float(constraints.color_loss(jnp.asarray(quantized), violated[0], violated[1])[0]) > 0.01
  line = np.zeros((28, 28), np.uint8)
  line[5:23, 14] = 255
  sketch = [jnp.asarray(a) for a in dataclasses.astuple(constraints.from_strokes(None, line, tiny))]
  assert float(constraints.edge_loss(jnp.asarray(quantized), sketch[2], sketch[3])[0]) > 0.01
  # The regulariser is zero at the start code.
  free = tiny.sample_free(jax.random.PRNGKey(3), 1)
  terms = constraints.edit_terms(tiny, free, jnp.zeros(1, jnp.int32), free, tuple(arrays))
  assert float(terms["reg"][0]) == 0.0


def test_stroke_images_of_the_wrong_shape_are_refused(tiny):
  with pytest.raises(ValueError, match=r"colour strokes must be .*\(28, 28\).*got \(20, 20, 2\)"):
    constraints.from_strokes(np.zeros((20, 20, 2), np.uint8), None, tiny)
  with pytest.raises(ValueError, match="last channel alpha"):
    constraints.from_strokes(np.zeros((28, 28, 1), np.uint8), None, tiny)
  with pytest.raises(ValueError, match="uint8"):
    constraints.from_strokes(None, np.zeros((28, 28), np.float32), tiny)
  with pytest.raises(ValueError, match=r"images must have shape"):
    projection.prepare_images(np.zeros((1, 30, 30), np.uint8), tiny)


def test_edit_satisfies_colour_strokes_and_stays_near_the_start_elsewhere(tiny):
  """An edit towards a colour stroke taken from another generated image: most stroke pixels are met afterwards."""
  start, other = tiny.sample_free(jax.random.PRNGKey(4), 1), tiny.sample_free(jax.random.PRNGKey(5), 1)
  target = projection.to_source(np.asarray(tiny(other)), tiny)[0]
  alpha = np.zeros((28, 28, 1), np.uint8)
  alpha[8:20, 8:20] = 255
  editor = api.Editor(tiny, feature_network="none")
  start_projection = projection.Projection(free=np.asarray(start), labels=np.zeros(1, np.int32),
                                           images=np.asarray(tiny(start)), pixel=np.zeros(1), feature=np.zeros(1),
                                           seconds=0.0)
  edit = editor.apply(start_projection, color_strokes=[np.concatenate([target, alpha], -1)],
                      config=constraints.EditConfig(steps=100, reg_weight=0.001), sequence_steps=5)
  assert edit.metrics["color_satisfied"][0] > 0.9 > edit.metrics["color_satisfied_before"][0]
  chex.assert_shape(edit.sequence, (1, 5, *SHAPE))
  np.testing.assert_allclose(edit.sequence[0, 0], start_projection.images[0], atol=1e-5)
  np.testing.assert_allclose(edit.sequence[0, -1], edit.images[0], atol=1e-5)


def _png(path, array):
  Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array).save(path)
  return str(path)


def test_cli_projects_and_edits_a_digit_end_to_end(run_dir, tmp_path, capsys):
  generator = generators.load(run_dir)
  digit = projection.to_source(np.asarray(generator(generator.sample_free(jax.random.PRNGKey(0), 1))), generator)[0]
  image = _png(tmp_path / "digit.png", digit)
  strokes = np.zeros((28, 28, 2), np.uint8)
  strokes[10:14, 10:18] = (255, 255)
  colour = _png(tmp_path / "colour.png", strokes)
  line = np.zeros((28, 28, 1), np.uint8)
  line[6:22, 20] = 255
  edge = _png(tmp_path / "edge.png", line)
  common = ["--checkpoint", str(run_dir), "--image", image, "--steps", "30", "--starts", "2"]
  assert cli.main(["project", *common, "--out", str(tmp_path / "p")]) == 0
  record = json.loads((tmp_path / "p" / "projection.json").read_text())
  # The untrained generator's border is not the padding's -1: the error stays well above 0, but is finite.
  assert record["feature_network"] == "digits" and len(record["free"]) == 8 and 0 < record["pixel_mse"] < 1
  assert np.asarray(Image.open(tmp_path / "p" / "projection.png")).shape == (28, 28)
  assert np.asarray(Image.open(tmp_path / "p" / "comparison.png")).shape == (28, 56)
  assert cli.main(["apply", *common, "--color-strokes", colour, "--edge-strokes", edge, "--edit-steps", "30",
                   "--sequence-steps", "4", "--out", str(tmp_path / "a")]) == 0
  edited = json.loads((tmp_path / "a" / "edit.json").read_text())
  assert 0.0 <= edited["color_satisfied"] <= 1.0 and edited["color_satisfied"] >= edited["color_satisfied_before"]
  assert {"edit.png", "sequence.png", "sequence.gif"} <= {p.name for p in (tmp_path / "a").iterdir()}
  # The strip: the image and 4 frames, 2 px apart, enlarged 4 times; the GIF goes there and back.
  assert np.asarray(Image.open(tmp_path / "a" / "sequence.png")).shape[:2] == (4 * 32, 4 * (5 * 30 + 2))
  assert Image.open(tmp_path / "a" / "sequence.gif").n_frames > 1
  assert "colour pixels satisfied" in capsys.readouterr().out


def test_cli_refuses_bad_input_before_compiling(run_dir, tmp_path, capsys):
  image = _png(tmp_path / "digit.png", np.zeros((28, 28, 1), np.uint8))
  wrong_size = _png(tmp_path / "big.png", np.zeros((40, 40, 1), np.uint8))
  rgb = _png(tmp_path / "rgb.png", np.zeros((28, 28, 3), np.uint8))
  bad_strokes = _png(tmp_path / "strokes.png", np.zeros((20, 20, 2), np.uint8))
  out = tmp_path / "out"
  base = ["--checkpoint", str(run_dir), "--out", str(out)]
  cases = [(["project", *base, "--image", str(tmp_path / "missing.png")], "no such file"),
           (["project", *base, "--image", wrong_size], "images must have shape"),
           (["project", *base, "--image", rgb], "is RGB"),
           (["project", *base, "--image", image, "--label", "3"], "unconditional"),
           (["apply", *base, "--image", image], "needs --color-strokes"),
           (["apply", *base, "--image", image, "--color-strokes", bad_strokes], "colour strokes must be"),
           (["project", "--checkpoint", str(tmp_path), "--out", str(out), "--image", image], "no checkpoint"),
           (["project", *base, "--image", image, "--solver", "hybrid"], "needs an encoder")]
  compiled = []
  jax.monitoring.register_event_duration_secs_listener(
      lambda event, *_, **__: compiled.append(event) if "backend_compile" in event else None)
  for argv, message in cases:
    assert cli.main(argv) == 2, argv
    assert message in capsys.readouterr().err, argv
  assert not compiled and not out.exists()
