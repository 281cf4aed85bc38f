"""Trained models shipped with jgan: generators trained on the embedded digits, loadable by name, offline.

    python -m jgan.sample --pretrained dcgan-digits --num 64 --grid samples.png
    python -m jgan.latent --pretrained dcgan-digits --out latent

    from jgan import pretrained, sample
    state, config, meta = pretrained.load("dcgan-digits")
    images = sample.sample(state, config, meta, num=64, seed=0)   # uint8 (64, 28, 28, 1)

Each model is a folder of this package: `meta.json` (the run's metadata: its config, data shapes and the command
that trained it), `generator.msgpack` (the generator's, or the autoencoder's decoder's, parameters and batch-norm
statistics, stored as float16 to keep the package small; they are cast back to float32 on load) and `scores.json`
(the digit scorer's figures of these very weights, as `score` computes them, which the tests reproduce). Only the
generator ships: a loaded state's discriminator (or encoder) is freshly initialised, so use a shipped model to
sample, walk the latent space or edit, not to resume training. `experiments/pretrained/make.py` trains, exports and
scores every model; `experiments/pretrained/README.md` lists them with their scores and commands.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import flax
import jax
import jax.numpy as jnp
import numpy as np

HERE = pathlib.Path(__file__).parent
WEIGHTS, META, SCORES = "generator.msgpack", "meta.json", "scores.json"
SCORE_SAMPLES, SCORE_SEED = 2000, 123  # the samples behind every recorded score, drawn with this seed


class NotScorable(ValueError):
  """A run the digit scorer cannot score (not images of digits, or a family without a generator to sample)."""


def names() -> list[str]:
  """The shipped models' names, e.g. 'dcgan-digits'."""
  return sorted(p.name for p in HERE.iterdir() if (p / WEIGHTS).is_file())


def is_shipped(path: str | pathlib.Path) -> bool:
  """Whether `path` is a shipped model's folder (rather than a training run's directory)."""
  return (pathlib.Path(path) / WEIGHTS).is_file() and (pathlib.Path(path) / META).is_file()


def model_dir(name: str) -> pathlib.Path:
  """The folder of shipped model `name`; ValueError naming the models there are."""
  if name not in names():
    raise ValueError(f"no shipped model named {name!r} (shipped: {', '.join(names()) or 'none'})")
  return HERE / name


def family(meta: dict) -> str:
  """'aae' for the adversarial autoencoders' runs, 'progan' for ProGAN's (its metadata lists the growth stages),
  'gan' for the GAN family's (what `jgan.sample` reads)."""
  if meta.get("family"):
    return meta["family"]
  if "stages" in meta:
    return "progan"
  config = meta["config"]
  if "mode" in config and "prior" in config:
    return "aae"
  if "game" in config:
    return "gan"
  raise NotScorable("not a run of the GAN family, the adversarial autoencoders or ProGAN (the runs jgan.sample and "
                    "the digit scorer read); its family's own command samples it")


def create_state(meta: dict, *, abstract: bool = False):
  """`(state, config)` of a run's metadata: a fresh state of its config and data shape (every net initialised from
  the config's seed; with `abstract`, no state, only the config)."""
  if family(meta) == "progan":
    from jgan.progan.config import ProGANConfig
    from jgan.progan.experiment import create_state as create_progan
    config = ProGANConfig(**meta["config"])
    return (None if abstract else create_progan(config, meta["channels"])), config
  if family(meta) == "aae":
    from jgan.autoencoders.experiment import create_state as create
    from jgan.configs.aae import AAEConfig as config_cls
  else:
    from jgan.configs.base import Config as config_cls
    from jgan.train import create_state as create
  config = config_cls(**meta["config"])
  shape = tuple(meta.get("shape", meta.get("image_shape")))  # runs written before the toys named it image_shape
  return (None if abstract else create(config, shape)), config


def _get_generator(state, meta: dict):
  return state.nets["decoder"] if family(meta) == "aae" else state.generator


def _with_generator(state, meta: dict, variables: dict[str, Any]):
  """`state` with the generator's (decoder's) params and batch statistics replaced by `variables`."""
  net = _get_generator(state, meta).replace(params=variables["params"], batch_stats=variables["batch_stats"])
  if family(meta) == "aae":
    return state.replace(nets={**state.nets, "decoder": net})
  return state.replace(generator=net)


def load(name_or_dir: str | pathlib.Path) -> tuple[Any, Any, dict]:
  """`(state, config, meta)` of a shipped model, by name or folder, as `jgan.sample.load_generator` returns for a
  training run: the state's generator holds the shipped weights (float32), its other nets are fresh."""
  path = pathlib.Path(name_or_dir)
  if not is_shipped(path):
    path = model_dir(str(name_or_dir))
  meta = json.loads((path / META).read_text())
  state, config = create_state(meta)
  template = _get_generator(state, meta)
  target = {"params": template.params, "batch_stats": template.batch_stats}
  stored = flax.serialization.from_bytes(jax.tree.map(lambda v: np.asarray(v, np.float16), target),
                                         (path / WEIGHTS).read_bytes())
  variables = jax.tree.map(lambda v, like: jnp.asarray(v, like.dtype), stored, target)
  return _with_generator(state, meta, variables), config, meta


def export(run_dir: str | pathlib.Path, out_dir: str | pathlib.Path, *, command: str) -> pathlib.Path:
  """Writes the generator of `run_dir`'s latest checkpoint as a shipped model folder `out_dir` (float16 weights,
  the run's metadata with `command`, the family and the step), then its `scores.json` from the stored weights."""
  from jgan import sample
  state, _, meta = sample.load_generator(run_dir)
  net = _get_generator(state, meta)
  variables = jax.tree.map(lambda v: np.asarray(v, np.float16), {"params": net.params, "batch_stats": net.batch_stats})
  out = pathlib.Path(out_dir)
  out.mkdir(parents=True, exist_ok=True)
  (out / WEIGHTS).write_bytes(flax.serialization.to_bytes(variables))
  shipped_meta = {**meta, "family": family(meta), "step": int(np.asarray(state.step)), "command": command}
  (out / META).write_text(json.dumps(shipped_meta, indent=2) + "\n")
  (out / SCORES).write_text(json.dumps(score(out), indent=2) + "\n")
  return out


def score(model: str | pathlib.Path, split: str = "test") -> dict:
  """The digit scorer's figures of a shipped model (by name or folder) or a training run's latest checkpoint:
  SCORE_SAMPLES samples (seed SCORE_SEED) against as many real digits of `split` (choices are made on
  'validation', reported numbers read on 'test'): FD, Inception score,
  classes produced; `class_accuracy` for class-conditional generators (classes in equal shares); `untrained_fd`
  of the same config's freshly initialised generator, for scale."""
  from jgan import sample
  from jgan.data import splits
  from jgan.eval import digits
  state, config, meta = sample.load_generator(model if pathlib.Path(model).exists() else model_dir(str(model)))
  if tuple(meta["source_shape"]) != (28, 28, 1):
    raise NotScorable(f"{model}: the digit scorer reads 28x28 digits, not images of shape {meta['source_shape']}")
  scorer = digits.load_digit_scorer()
  real = splits.load_split("digits", split).images[:SCORE_SAMPLES]
  real_statistics = scorer.statistics(real)
  images = sample.sample(state, config, meta, SCORE_SAMPLES, SCORE_SEED)
  result = scorer.digit_scores(images, real_statistics=real_statistics)
  result = {"fd": result["fd"], "is": result["inception_score"], "classes": result["class_coverage"],
            "class_kl": result["class_kl"]}
  labels = sample.sample_labels(config, SCORE_SAMPLES, SCORE_SEED)
  result["class_accuracy"] = None if labels is None else scorer.accuracy(images, labels)
  untrained, untrained_config = create_state(meta)
  result["untrained_fd"] = scorer.digit_scores(
      sample.sample(untrained, untrained_config, meta, SCORE_SAMPLES, SCORE_SEED), real_statistics=real_statistics)["fd"]
  return {**{k: (round(v, 4) if isinstance(v, float) else v) for k, v in result.items()},
          "samples": SCORE_SAMPLES, "seed": SCORE_SEED, "real": f"digits {split} split"}
