"""The configuration of SeqGAN, composed from the shared run section.

`SeqGANConfig`: Yu et al. 2017, "SeqGAN: Sequence Generative Adversarial Nets with Policy Gradient",
arXiv:1609.05473, with the official code's hyperparameters (LantaoYu/SeqGAN, sequence_gan.py, generator.py,
discriminator.py, rollout.py): generator LSTM with embedding and hidden 32, Adam 0.01 with the gradient's global norm
clipped at 5; discriminator CNN with filter widths 1..10, 15, 20 and counts 100, 200 x4, 100 x5, 160 x2 over a
64-wide embedding, a highway layer, dropout keeping 0.75, L2 0.2 on its output layer, Adam 1e-4; batch 64, length
20; 120 MLE epochs, then 50 rounds of discriminator pre-training (10,000 fresh negatives and as many positives, 3
epochs each), then adversarial epochs: one policy-gradient step of G on 64 samples whose rewards are the mean of
16 rollouts per prefix, the rollout policy's update at rate 0.8, and 5 rounds of D as in pre-training.

A run's iterations (`steps`) are, in order: `pretrain_g_epochs` MLE epochs, `pretrain_d_rounds` discriminator rounds,
then adversarial epochs up to `steps` (the paper's Figure 2 counts them the same way). An MLE baseline is a run with
`pretrain_d_rounds 0` and `steps = pretrain_g_epochs`.
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import ClassVar, Literal

from jgan.configs.run import RunConfig, check_choices, field
from jgan.configs.sections import validate_sections

TASKS = ("oracle", "text")
UNITS = ("char", "word")


def int_list(text: str, name: str) -> tuple[int, ...]:
  """'1,2,3' -> (1, 2, 3); ValueError naming the field for anything else."""
  try:
    values = tuple(int(v) for v in text.split(","))
  except ValueError:
    raise ValueError(f"{name} must be comma-separated integers, got {text!r}") from None
  if not values or min(values) < 1:
    raise ValueError(f"{name} must hold integers >= 1, got {text!r}")
  return values


@dataclasses.dataclass(frozen=True)
class SeqGANData:
  """The sequences: the synthetic oracle's, or text (the Tang poems or a UTF-8 file)."""

  title: ClassVar[str] = "data: the oracle's sequences, or text"

  task: Literal["oracle", "text"] = field("oracle", "oracle: an LSTM with N(0, 1) parameters generates the data and "
                                                    "scores samples by NLL-oracle; text: --dataset")
  dataset: str = field("tang_poems", "text task: tang_poems (the lines of the Tang poems, jgan.data.text) or a UTF-8 "
                                     "file with one sequence per line")
  token_unit: Literal["char", "word"] = field("char", "text task: tokens are characters or whitespace-separated "
                                                      "words")
  seq_len: int = field(20, "tokens per sequence (text: longer lines are cut, shorter ones end with <end> and pad)")
  vocab_size: int = field(5000, "oracle task: the vocabulary (text: built from the training split)")
  num_sequences: int = field(10_000, "oracle task: training sequences the oracle generates (the paper: 10,000)")
  oracle_seed: int = field(0, "oracle task: the seed of the oracle's parameters and its data")
  min_count: int = field(1, "text task: tokens seen fewer times in the training split become <unk>")

  def check(self) -> None:
    check_choices(self, (("task", TASKS), ("token_unit", UNITS)))
    for name in ("seq_len", "num_sequences", "min_count"):
      if getattr(self, name) < 1:
        raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
    if self.seq_len < 2:
      raise ValueError(f"seq_len must be >= 2 (rollouts need a prefix), got {self.seq_len}")
    if self.vocab_size < 2:
      raise ValueError(f"vocab_size must be >= 2, got {self.vocab_size}")
    if self.oracle_seed < 0:
      raise ValueError(f"oracle_seed must be >= 0, got {self.oracle_seed}")


@dataclasses.dataclass(frozen=True)
class SeqGANNets:
  """The generator LSTM and the discriminator CNN (the paper's Appendix; official code)."""

  title: ClassVar[str] = "nets: LSTM generator and CNN discriminator"

  embedding_dim: int = field(32, "the generator's (and the oracle's) token embedding")
  hidden_dim: int = field(32, "the generator's (and the oracle's) LSTM width")
  d_embedding_dim: int = field(64, "the discriminator's token embedding")
  d_filter_sizes: str = field("1,2,3,4,5,6,7,8,9,10,15,20", "the discriminator's convolution widths")
  d_num_filters: str = field("100,200,200,200,200,100,100,100,100,100,160,160", "filters of each width")
  d_dropout_keep: float = field(0.75, "probability of keeping a feature before D's output layer")

  def check(self) -> None:
    for name in ("embedding_dim", "hidden_dim", "d_embedding_dim"):
      if getattr(self, name) < 1:
        raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
    sizes, counts = int_list(self.d_filter_sizes, "d_filter_sizes"), int_list(self.d_num_filters, "d_num_filters")
    if len(sizes) != len(counts):
      raise ValueError(f"d_filter_sizes ({len(sizes)} widths) and d_num_filters ({len(counts)} counts) must have the "
                       "same length")
    if max(sizes) > self.seq_len:
      raise ValueError(f"d_filter_sizes: width {max(sizes)} is longer than seq_len {self.seq_len}")
    if not 0 < self.d_dropout_keep <= 1:
      raise ValueError(f"d_dropout_keep must be in (0, 1], got {self.d_dropout_keep}")

  def filter_sizes(self) -> tuple[int, ...]:
    return int_list(self.d_filter_sizes, "d_filter_sizes")

  def num_filters(self) -> tuple[int, ...]:
    return int_list(self.d_num_filters, "d_num_filters")


@dataclasses.dataclass(frozen=True)
class SeqGANTraining:
  """The schedule: MLE pre-training, discriminator pre-training, adversarial epochs."""

  title: ClassVar[str] = "training: MLE, discriminator rounds, policy gradient with rollouts"

  g_learning_rate: float = field(0.01, "the generator's Adam rate, MLE and policy gradient (official code: 0.01)")
  g_grad_clip: float = field(5.0, "the generator's gradients are clipped to this global norm (official: 5)")
  d_learning_rate: float = field(1e-4, "the discriminator's Adam rate (official: 1e-4)")
  d_l2: float = field(0.2, "L2 weight on the discriminator's output layer (official: 0.2)")
  pretrain_g_epochs: int = field(120, "MLE epochs over the training sequences first (official: 120)")
  pretrain_d_rounds: int = field(50, "then discriminator rounds (official: 50)")
  d_rounds: int = field(5, "discriminator rounds per adversarial epoch (official: 5)")
  d_epochs: int = field(3, "epochs of each round over its positives and fresh negatives (official: 3)")
  d_negatives: int = field(10_000, "fresh generated negatives per round, with as many training positives "
                                   "(official: 10,000)")
  rollouts: int = field(16, "Monte Carlo rollouts per prefix for each reward (the paper: 16)")
  rollout_update_rate: float = field(0.8, "the rollout policy's parameters become rate * theirs + (1 - rate) * G's "
                                          "after each G update (the paper: 0.8)")

  def check(self) -> None:
    for name in ("g_learning_rate", "g_grad_clip", "d_learning_rate"):
      if not getattr(self, name) > 0:
        raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
    if not self.d_l2 >= 0:
      raise ValueError(f"d_l2 must be >= 0, got {self.d_l2}")
    for name in ("pretrain_g_epochs", "pretrain_d_rounds", "d_rounds"):
      if getattr(self, name) < 0:
        raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
    for name in ("d_epochs", "d_negatives", "rollouts"):
      if getattr(self, name) < 1:
        raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
    if not 0 <= self.rollout_update_rate <= 1:
      raise ValueError(f"rollout_update_rate must be in [0, 1], got {self.rollout_update_rate}")


@dataclasses.dataclass(frozen=True)
class SeqGANRun(RunConfig):
  """The run's fields with SeqGAN's defaults: an iteration is an MLE epoch, a D round or an adversarial epoch."""

  batch_size: int = field(64, "batch of every update (official: 64)")
  steps: int = field(370, "iterations: pretrain_g_epochs + pretrain_d_rounds + adversarial epochs (120 + 50 + 200)")
  log_every: int = field(1, "iterations between metric flushes")
  sample_every: int = field(10, "iterations between sample files (samples/step_N.txt)")
  checkpoint_every: int = field(10, "iterations between checkpoints")
  num_samples: int = field(32, "sequences in each sample file")
  eval_every: int = field(5, "iterations between evaluations (the official code: every 5 epochs)")
  eval_samples: int = field(10_000, "generated sequences per evaluation (the paper: 10,000)")


@dataclasses.dataclass(frozen=True)
class SeqGANConfig(SeqGANData, SeqGANNets, SeqGANTraining, SeqGANRun):
  """Every hyperparameter of a SeqGAN run (see the module docstring)."""

  title: ClassVar[str] = "SeqGAN"

  def check(self) -> None:
    if self.steps < self.pretrain_g_epochs + self.pretrain_d_rounds:
      raise ValueError(f"steps ({self.steps}) must be >= pretrain_g_epochs + pretrain_d_rounds "
                       f"({self.pretrain_g_epochs} + {self.pretrain_d_rounds})")

  @property
  def adversarial_start(self) -> int:
    """The first adversarial iteration."""
    return self.pretrain_g_epochs + self.pretrain_d_rounds

  def phase(self, step: int) -> str:
    """What iteration `step` (0-based) does: 'mle', 'd_pretrain' or 'adversarial'."""
    if step < self.pretrain_g_epochs:
      return "mle"
    return "d_pretrain" if step < self.adversarial_start else "adversarial"

  def used_fields(self) -> set[str]:
    names = {f.name for f in dataclasses.fields(self)}
    if self.task == "oracle":
      return names - {"dataset", "token_unit", "min_count"}
    return names - {"vocab_size", "num_sequences", "oracle_seed"}


def validate(config: SeqGANConfig, num_devices: int = 1) -> None:
  """Raises ValueError naming the first bad field; for text, checks that the data set exists (reads no text)."""
  validate_sections(config, num_devices)
  if config.task == "text" and config.dataset != "tang_poems" and not pathlib.Path(config.dataset).is_file():
    raise ValueError(f"dataset {config.dataset!r}: neither tang_poems nor a text file")
