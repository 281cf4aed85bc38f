"""The trained models shipped with jgan (issue 38, item 3): each loads by name and samples digits, its recorded
scores are reproduced from the shipped weights, and export -> load gives back the run's generator."""

import json

import jax
import numpy as np
import pytest

from jgan import pretrained, sample, train
from jgan.configs.base import Config

SHIPPED = ["aae-digits", "acgan-digits", "cgan-digits", "dcgan-digits", "infogan-digits", "wgan-digits"]


def test_the_classic_models_are_shipped_and_small():
  assert pretrained.names() == SHIPPED
  sizes = {name: sum(p.stat().st_size for p in pretrained.model_dir(name).iterdir()) for name in SHIPPED}
  assert max(sizes.values()) < 1.5e6 and sum(sizes.values()) < 6e6, sizes  # "a few megabytes" in all


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_model_loads_by_name_and_samples_digits_better_than_its_untrained_net(name):
  state, config, meta = pretrained.load(name)
  images = sample.sample(state, config, meta, 500, seed=5)
  assert images.dtype == np.uint8 and images.shape == (500, 28, 28, 1)
  recorded = json.loads((pretrained.model_dir(name) / pretrained.SCORES).read_text())
  assert meta["command"].startswith("python -m jgan.experiments.") and meta["step"] > 0
  # Far better than the untrained generator (one digit class): the recorded FD, and new samples show as many digits
  # as the recorded ones did (all ten but infogan-digits, which draws no 5).
  assert recorded["fd"] < 0.5 * recorded["untrained_fd"] and recorded["classes"] >= 9, recorded
  from jgan.eval import digits
  assert len(np.unique(digits.load_digit_scorer().probs(images).argmax(axis=1))) >= recorded["classes"]


# Recomputing the scores takes 2,000 samples through generator and classifier, twice (trained and untrained): the
# default suite checks two models (an unconditional GAN and a class-conditional one), -m slow all of them.
@pytest.mark.parametrize("name", [pytest.param(n, marks=() if n in ("dcgan-digits", "acgan-digits")
                                               else pytest.mark.slow) for n in SHIPPED])
def test_the_recorded_scores_are_reproduced_from_the_shipped_weights(name):
  recorded = json.loads((pretrained.model_dir(name) / pretrained.SCORES).read_text())
  again = pretrained.score(name)
  assert again.keys() == recorded.keys()
  for key, value in recorded.items():
    if isinstance(value, float):  # another CPU may round the last bits otherwise
      assert again[key] == pytest.approx(value, rel=1e-3, abs=1e-3), key
    else:
      assert again[key] == value, key


def test_an_unknown_name_is_refused_naming_the_shipped_models():
  with pytest.raises(ValueError, match="no shipped model named 'dcgan'.*dcgan-digits"):
    pretrained.load("dcgan")


def test_sample_command_draws_a_grid_from_a_shipped_model(tmp_path, capsys):
  # In this process (the command's `main`, as `python -m jgan.sample` calls it): the cgan's program is compiled here
  # anyway, and a fresh interpreter would only add its start-up. tests/test_cli.py runs the command as a process.
  assert sample.main(["--pretrained", "cgan-digits", "--num", "20", "--label", "3", "--grid",
                      str(tmp_path / "grid.png"), "--out", str(tmp_path / "s.npz")]) == 0
  assert (tmp_path / "grid.png").stat().st_size > 0
  saved = np.load(tmp_path / "s.npz")
  assert saved["images"].shape == (20, 28, 28, 1) and set(saved["labels"]) == {3}
  from jgan.eval import digits
  assert digits.classifier_accuracy(saved["images"], saved["labels"]) > 0.5  # the class it was asked for
  capsys.readouterr()
  assert sample.main(["--pretrained", "nope", "--grid", str(tmp_path / "x.png")]) == 2
  assert "no shipped model named 'nope'" in capsys.readouterr().err
  assert not (tmp_path / "x.png").exists()


def test_export_then_load_gives_the_runs_generator_in_float16_and_its_samples(tmp_path, one_device_mesh):
  config = Config(arch="mlp", game="gan", generator_features=16, critic_features=16, latent_dim=8, batch_size=8,
                  n_critic=1, warmup_steps=0, optimizer="adam", learning_rate=1e-3, steps=3, log_every=1,
                  sample_every=3, checkpoint_every=3, num_samples=4, seed=3)
  train.run(config, tmp_path / "run", progress=False, mesh=one_device_mesh)
  run_state, _, run_meta = sample.load_generator(tmp_path / "run")
  out = pretrained.export(tmp_path / "run", tmp_path / "model", command="python -m jgan.experiments.gan --steps 3")
  assert pretrained.is_shipped(out) and not pretrained.is_shipped(tmp_path / "run")
  state, loaded_config, meta = sample.load_generator(out)  # jgan.sample reads shipped folders too
  assert loaded_config == config and meta["step"] == 3 and meta["family"] == "gan"
  expected = jax.tree.map(lambda v: np.asarray(np.asarray(v, np.float16), np.float32), run_state.generator.params)
  jax.tree.map(np.testing.assert_array_equal, state.generator.params, expected)
  assert jax.tree.map(lambda v: v.dtype, state.generator.params) == jax.tree.map(lambda v: v.dtype,
                                                                                   run_state.generator.params)
  # The samples are the run's, up to the float16 rounding of the weights.
  ours = sample.sample(state, loaded_config, meta, 16, seed=1).astype(int)
  theirs = sample.sample(run_state, config, run_meta, 16, seed=1).astype(int)
  assert np.abs(ours - theirs).max() <= 2
  assert json.loads((out / pretrained.SCORES).read_text()) == pretrained.score(out)


def test_a_run_of_another_family_is_refused_naming_the_families_read():
  # A pix2pix run's config has neither a game nor an autoencoder's mode and prior, nor ProGAN's stages.
  with pytest.raises(pretrained.NotScorable, match="not a run of the GAN family, the adversarial autoencoders or ProGAN"):
    pretrained.create_state({"config": {"task": "edges2digits", "l1_weight": 100.0}})
  assert pretrained.family({"config": {"game": "wgan"}}) == "gan"
  assert pretrained.family({"config": {"mode": "clustering", "prior": "gaussian"}}) == "aae"
  assert pretrained.family({"config": {}, "stages": []}) == "progan"
