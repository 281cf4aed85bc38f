"""A new user's first hour (issue 38): each experiment's --help groups its flags with the recipe's values as
defaults (item 4), and the end of a run says where to look (item 5)."""

import argparse
import dataclasses
import importlib
import os
import pathlib
import pkgutil
import re
import shlex
import signal
import subprocess
import sys

import jax.numpy as jnp
import pytest

import jgan.experiments
from jgan import cli, loop
from jgan.configs.run import RunConfig

EXPERIMENTS = sorted(m.name for m in pkgutil.iter_modules(jgan.experiments.__path__))
TITLES = dict(cli.GROUPS)
PRESET_TITLE = "preset: the recipe the defaults below come from (flags given still win)"


def _help(name: str, monkeypatch, capsys, preset: str = "paper") -> tuple[str, object, argparse.ArgumentParser]:
  """`python -m jgan.experiments.NAME --help`'s text, the recipe it showed and the parser that wrote it."""
  seen = {}
  parse = cli.parse

  def spy(name_, recipe, doc, argv=None, presets=None):
    seen["recipe"] = recipe if preset == "paper" else presets[preset].apply(recipe)
    seen["parser"] = cli.build_parser(name_, seen["recipe"], doc, presets)
    return parse(name_, recipe, doc, argv, presets)

  monkeypatch.setattr(cli, "parse", spy)
  monkeypatch.setenv("COLUMNS", "100")
  module = importlib.import_module(f"jgan.experiments.{name}")
  with pytest.raises(SystemExit) as exit_:
    if name == "vae":  # vae.py runs the autoencoders' command line with its own recipe
      from jgan.experiments import aae
      aae.main(["--help"], module.get_config(), "vae", module.__doc__)
    else:
      module.main(["--preset", preset, "--help"])
  assert exit_.value.code == 0
  return capsys.readouterr().out, seen["recipe"], seen["parser"]


def _sections(text: str) -> dict[str, dict[str, str]]:
  """Help section title -> {flag: its entry's text, wrapped lines joined}, from argparse's 'options:' on."""
  sections, title, flag = {}, None, None
  for line in text[text.index("\noptions:\n") + 1:].splitlines():
    if re.match(r"\S.*:$", line):
      title, flag = line[:-1], None
      assert title not in sections, f"section {title!r} shown twice"
      sections[title] = {}
    elif match := re.match(r"  (-[-\w]+)", line):
      flag = match.group(1)
      assert flag not in sections[title], f"{flag} twice in {title!r}"
      sections[title][flag] = line.strip()
    elif flag is not None and line.strip():
      sections[title][flag] += " " + line.strip()
    else:
      flag = None  # a blank line or a group's description
  return sections


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_help_groups_every_flag_once_with_the_recipes_default(name, monkeypatch, capsys):
  text, recipe, parser = _help(name, monkeypatch, capsys)
  sections = _sections(text)
  # The preset, the groups of GROUPS in their order, then the many-process flags; -h alone stays in 'options'.
  assert list(sections) == ["options", PRESET_TITLE] + [title for _, title in cli.GROUPS if any(
      title == s for s in sections)] + ["run: many processes (jgan.distributed)"]
  assert {"schedule", "outputs", "run"} <= {k for k, t in cli.GROUPS if t in sections}
  assert list(sections["options"]) == ["-h"]
  shown = [flag for entries in sections.values() for flag in entries]
  expected = {a.option_strings[0] for a in parser._actions if a.help != argparse.SUPPRESS}
  assert len(shown) == len(set(shown)) and set(shown) == expected  # every flag, each in exactly one group
  used = recipe.used_fields() if hasattr(recipe, "used_fields") else {f.name for f in dataclasses.fields(recipe)}
  for field in dataclasses.fields(recipe):
    flag = "--" + field.name.replace("_", "-")
    group = cli.field_group(type(recipe), field.name)
    assert group in TITLES, f"{name}: {field.name} has no help group (give it one in jgan.cli.FIELD_GROUPS)"
    if field.name in used:  # in its group, with the recipe's value as the default
      assert f"(default: {getattr(recipe, field.name)})" in sections[TITLES[group]][flag], (name, flag)
  assert "--out" in sections[TITLES["outputs"]] and "--resume" in sections[TITLES["run"]]


@pytest.mark.parametrize("name, flag, group, default", [
    ("wgan", "--learning-rate", "optimizer", "5e-05"),  # RMSProp's alpha, Arjovsky et al. Algorithm 1
    ("wgan", "--n-critic", "schedule", "5"),
    ("wgan", "--clip-value", "game", "0.01"),
    ("pix2pix", "--dataset", "data", "edges2digits"),  # the recipe's, not the section's ''
    ("pix2pix", "--l1-weight", "game", "100.0"),
    ("srgan", "--content", "game", "mse"),  # SRGAN-MSE offline (no VGG19 file)
    ("srgan", "--learning-rate-drop-at", "optimizer", "10000"),
    ("srgan", "--init-from", "nets", ""),
    ("aae", "--steps", "schedule", None),
])
def test_help_shows_the_papers_values(name, flag, group, default, monkeypatch, capsys):
  text, recipe, _ = _help(name, monkeypatch, capsys)
  entry = _sections(text)[TITLES[group]][flag]
  if default is None:  # the recipe's own value, whatever it is, and not the class default
    default = str(recipe.steps)
    assert recipe.steps != RunConfig.steps
  assert f"(default: {default})" in entry, entry


def test_help_still_runs_without_jax(tmp_path, subprocess_env):
  done = subprocess.run([sys.executable, "-m", "jgan.experiments.pix2pix", "--help"], cwd=tmp_path,
                        env={**subprocess_env, "COLUMNS": "100"}, capture_output=True, text=True, timeout=60)
  assert done.returncode == 0, done.stderr
  assert TITLES["data"] in _sections(done.stdout) and "--l1-weight" in _sections(done.stdout)[TITLES["game"]]


# --- The end of a run. ---

TINY = ["--arch", "mlp", "--generator-features", "16", "--critic-features", "16", "--latent-dim", "8",
        "--batch-size", "8", "--n-critic", "2", "--warmup-steps", "2", "--warmup-n-critic", "4", "--steps", "4",
        "--log-every", "2", "--sample-every", "2", "--checkpoint-every", "2", "--num-samples", "4"]


def _closing(stderr: str) -> dict[str, list[str]]:
  """The closing lines after 'outputs in DIR:': label -> values."""
  lines = stderr[stderr.rindex("outputs in "):].splitlines()[1:]
  found = {}
  for line in lines:
    if match := re.match(r"  ([\w ]+):\s+(.*)$", line):
      found.setdefault(match.group(1), []).append(match.group(2))
  return found


def test_a_runs_closing_lines_name_its_files_and_a_resume_command_that_works(tmp_path, subprocess_env):
  run_dir = tmp_path / "my run"
  first = subprocess.run([sys.executable, "-m", "jgan.experiments.wgan", *TINY, "--overwrite", "--out", str(run_dir)],
                         cwd=tmp_path, env=subprocess_env, capture_output=True, text=True, timeout=300)
  assert first.returncode == 0, first.stderr
  # Before anything else, what the paper's recipe shows (grey samples at first) and the faster preset there is.
  assert first.stderr.startswith("--preset paper: the paper's learning rate 5e-5 is slow: the sample grids stay "
                                 "uniform grey"), first.stderr[:300]
  assert "--preset fast instead: readable digits in a few minutes" in first.stderr.splitlines()[1]
  lines = _closing(first.stderr)
  assert lines["sample grids"] == [str(run_dir / "samples")] and list((run_dir / "samples").glob("step_*.png"))
  assert lines["metrics plot"] == [str(run_dir / "wasserstein.png")] and (run_dir / "wasserstein.png").is_file()
  assert lines["TensorBoard"] == [f"tensorboard --logdir {shlex.quote(str(run_dir / 'tensorboard'))}"]
  assert (run_dir / "tensorboard").is_dir()
  assert f"python -m jgan.sample --checkpoint {shlex.quote(str(run_dir))}" in lines["use it"][0]
  resume = shlex.split(lines["resume"][0].split("  (")[0])
  assert resume == ["python", "-m", "jgan.experiments.wgan", *TINY, "--resume", "--out", str(run_dir)]  # no --overwrite
  # The printed command continues the run (with a larger budget: the one resumable change it needs).
  again = subprocess.run([sys.executable, *resume[1:], "--steps", "6"], cwd=tmp_path, env=subprocess_env,
                         capture_output=True, text=True, timeout=300)
  assert again.returncode == 0, again.stderr
  assert "done: 6 generator iterations" in again.stdout


def test_every_familys_commands_parse_with_their_tools(tmp_path, subprocess_env):
  """Each command a family's closing lines name is accepted by its tool's parser: run on an empty run directory it
  fails naming the missing checkpoint or input, never with argparse's usage error."""
  from jgan.adaptation import cli as adaptation_cli
  from jgan.seqgan import cli as seqgan_cli
  from jgan.superres import cli as superres_cli
  from jgan.translation import cli as translation_cli
  from jgan.video import cli as video_cli
  commands = {"pix2pix": translation_cli.COMMANDS, "srgan": superres_cli.COMMANDS, "seqgan": seqgan_cli.COMMANDS,
              "video_prediction": video_cli.COMMANDS, "dann": adaptation_cli.COMMANDS,
              "wgan": cli.GAN_COMMANDS, "aae": ("python -m {module} evaluate {dir}",)}
  argvs = [shlex.split(c.format(dir="empty", module=f"jgan.experiments.{name}"))[2:]
           for name, family in commands.items() for c in family]
  (tmp_path / "empty").mkdir()
  code = ("import runpy, sys\nfor argv in %r:\n  sys.argv = argv\n  try:\n    runpy.run_module(argv[0], "
          "run_name='__main__')\n  except SystemExit as e:\n    print(argv[0], e.code)\n" % argvs)
  done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=subprocess_env, capture_output=True,
                        text=True, timeout=300)
  assert "usage:" not in done.stderr, done.stderr
  assert done.stdout.splitlines() == [f"{argv[0]} 2" for argv in argvs], done.stderr  # each says what is missing
  assert done.stderr.count("error: ") == len(argvs)


class _Toy(loop.Experiment):
  """An experiment with nothing to compute: iteration `fail_at` is non-finite, `signal_at` sends this process a
  SIGTERM."""

  title, plot_metric, plot_label, players, unit = "toy", "loss", "loss", {"toy": "toy player"}, "iteration"

  def __init__(self, fail_at: int = -1, signal_at: int = -1):
    self.config = RunConfig(batch_size=1, steps=6, log_every=1, sample_every=2, checkpoint_every=100)
    self.fail_at, self.signal_at = fail_at, signal_at

  def validate(self, num_devices):
    pass

  def prepare(self, mesh):
    return {}

  def init_state(self):
    return {"w": jnp.zeros(())}

  def advance(self, state, start, count, stop):
    if start == self.signal_at:
      os.kill(os.getpid(), signal.SIGTERM)
    return state, [{"loss": 1.0, "toy_nonfinite": float(start == self.fail_at)}]

  def write_samples(self, state, step, workdir, writer, primary):
    pass

  def commands(self, workdir):
    return [f"toy-sample {workdir}"]


@pytest.mark.parametrize("toy, error", [
    (_Toy(), None),
    (_Toy(fail_at=3), loop.NonFiniteError),
    (_Toy(signal_at=3), loop.Preempted),
])
def test_closing_lines_at_the_end_on_non_finite_values_and_on_sigterm(toy, error, tmp_path,
                                                                      one_device_mesh, capsys):
  with loop.launched("jgan.experiments.toy", ["--steps", "6", "--out=elsewhere", "--overwrite"]):
    if error is None:
      loop.run(toy, tmp_path, progress=True, mesh=one_device_mesh)
    else:
      with pytest.raises(error):
        loop.run(toy, tmp_path, progress=True, mesh=one_device_mesh)
  lines = _closing(capsys.readouterr().err)
  assert lines["sample grids"] == [str(tmp_path / "samples")]
  assert lines["use it"] == [f"toy-sample {tmp_path}"]  # the experiment's hook
  resume = shlex.join(["python", "-m", "jgan.experiments.toy", "--steps", "6", "--resume", "--out", str(tmp_path)])
  if error is None:
    assert lines["resume"] == [resume + "  (with a larger --steps, to train on)"]
  elif error is loop.Preempted:
    assert lines["resume"] == [resume]
  else:  # resumed exactly, a non-finite run would diverge again: it says to start over instead
    assert "resume" not in lines and "a new --out" in lines["start over"][0]
  # Only files that exist (the loss plot is drawn at sample steps that have metrics).
  assert ("metrics plot" in lines) == (tmp_path / "loss.png").is_file()
  assert "TensorBoard" in lines and (tmp_path / "tensorboard").is_dir()


def test_no_closing_lines_without_progress(tmp_path, one_device_mesh, capsys):
  loop.run(_Toy(), tmp_path, progress=False, mesh=one_device_mesh)
  assert capsys.readouterr().err == ""


def test_without_a_command_line_the_resume_hint_is_generic(tmp_path):
  lines = loop.where_to_look(_Toy(), tmp_path, "stopped")
  assert lines[-1] == f"  resume:        the same command with --resume --out {tmp_path}"
  assert not any("sample grids" in line or "TensorBoard" in line for line in lines)  # no such folders yet


def test_resume_command_keeps_every_flag_but_the_run_directory_and_overwrite():
  launch = loop.Launch("jgan.experiments.wgan", ("--out", "a", "--lr", "1", "--overwrite", "--out=b", "--resume",
                                                 "--name", "x y"))
  assert launch.resume_command(pathlib.Path("c d")) == \
      "python -m jgan.experiments.wgan --lr 1 --name 'x y' --resume --out 'c d'"


# --- Presets (item 2). ---

def _presets(name: str, monkeypatch) -> dict:
  """The presets experiment NAME hands the command line."""
  seen = {}

  def spy(name_, recipe, doc, argv=None, presets=None):
    seen["presets"] = presets or {}
    raise SystemExit(0)

  monkeypatch.setattr(cli, "parse", spy)
  module = importlib.import_module(f"jgan.experiments.{name}")
  if not hasattr(module, "main"):  # vae.py: run through aae's command line
    return {}
  with pytest.raises(SystemExit):
    module.main(["--help"])
  return seen.get("presets", {})


FAST = ["acgan", "cgan", "cyclegan", "dcgan", "gan", "infogan", "pix2pix", "seqgan", "sngan", "srresnet",
        "video_prediction", "wgan", "wgan_gp"]


def test_the_experiments_slow_to_show_anything_have_a_fast_preset(monkeypatch):
  assert FAST == [name for name in EXPERIMENTS if "fast" in _presets(name, monkeypatch)]


@pytest.mark.parametrize("name", FAST)
def test_fast_preset_shows_its_values_as_defaults_and_says_what_it_sets(name, monkeypatch, capsys):
  preset = _presets(name, monkeypatch)["fast"]
  monkeypatch.undo()
  text, recipe, _ = _help(name, monkeypatch, capsys, preset="fast")
  sections = _sections(text)
  description = " ".join(text[text.index(PRESET_TITLE):].split("\n\n")[0].split())
  assert preset.purpose in description
  for field, value in preset.fields.items():
    assert getattr(recipe, field) == value
    flag = "--" + field.replace("_", "-")
    assert f"{flag} {value}" in description
    if not hasattr(recipe, "used_fields") or field in recipe.used_fields():
      assert f"(default: {value})" in sections[TITLES[cli.field_group(type(recipe), field)]][flag], (name, flag)
  sys.modules[type(recipe).__module__].validate(recipe)  # a preset is a valid recipe of its family


def test_a_flag_given_wins_over_the_preset_and_an_unknown_preset_is_refused(capsys):
  from jgan.configs import wgan
  args = cli.parse("wgan", wgan.get_config(), "", ["--preset", "fast", "--steps", "7"], wgan.PRESETS)
  config = cli.config_from_args(args, type(wgan.get_config()))
  assert (config.steps, config.learning_rate, config.generator_features) == (7, 2e-4, 32)
  assert cli.config_from_args(cli.parse("wgan", wgan.get_config(), "", [], wgan.PRESETS),
                              type(wgan.get_config())) == wgan.get_config()  # paper: the recipe itself
  with pytest.raises(SystemExit) as exit_:
    cli.parse("wgan", wgan.get_config(), "", ["--preset", "quick"], wgan.PRESETS)
  assert exit_.value.code == 2
  assert "invalid choice: 'quick' (choose from 'paper', 'fast')" in capsys.readouterr().err
