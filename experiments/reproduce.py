"""Every recorded table of `experiments/`: its page, the result files behind it, and the commands that regenerate it.

    python experiments/reproduce.py --list                 # each table: page, result files (present / missing), commands
    python experiments/reproduce.py NAME                   # reruns NAME's experiments, then rebuilds its page
    python experiments/reproduce.py NAME --table-only      # rebuilds the page from the result files in the repository
    python experiments/reproduce.py NAME --quick OUT       # a shortened run end to end, written under OUT only

A table's numbers are its result files' (small JSON per run and seed, in the repository); its page is made from them
by the table command, so `--table-only` shows that the page and the files agree. The full commands take minutes to
hours of CPU (each table's page says how long); `--quick` runs the same code on a budget of seconds and writes
nothing in the repository (tests/test_reproduce.py runs it). Tables listed with missing result files were recorded
before this rule: their pages say so, and the full command writes the files.
"""

from __future__ import annotations

import argparse
import dataclasses
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


@dataclasses.dataclass(frozen=True)
class Table:
  """A recorded table: `page` (relative to the repository), the `results` globs of its files, `run` the commands
  that rerun its experiments and rebuild the page, `table` the command that only rebuilds the page, `quick` a
  shortened `run` whose outputs all go under '{out}' (None: no quick form)."""

  page: str
  results: tuple[str, ...]
  run: tuple[tuple[str, ...], ...]
  table: tuple[str, ...] | None = None
  quick: tuple[tuple[str, ...], ...] | None = None
  note: str = ""


PY = "{python}"
TABLES: dict[str, Table] = {
    "toy1d": Table(
        page="experiments/toy1d/README.md", results=("experiments/toy1d/results/*_seed*.json",),
        run=((PY, "experiments/toy1d/run.py", "--out", "runs/toy1d"),),
        table=(PY, "experiments/toy1d/run.py", "--table"),
        quick=((PY, "experiments/toy1d/run.py", "--seeds", "0", "--steps", "100", "--out", "{out}/runs",
                "--results", "{out}/results", "--table-dir", "{out}"),)),
    "superres": Table(
        page="experiments/superres/tables.md", results=("experiments/superres/results/*.json",),
        run=((PY, "experiments/superres/run.py"),), table=(PY, "experiments/superres/run.py", "--table")),
    "translation": Table(
        page="experiments/translation/tables.md", results=("experiments/translation/results/*.json",),
        run=((PY, "experiments/translation/run.py"),), table=(PY, "experiments/translation/run.py", "--table")),
    "seqgan": Table(
        page="experiments/seqgan/tables.md", results=("experiments/seqgan/results/*.json",),
        run=((PY, "experiments/seqgan/run.py"), (PY, "experiments/seqgan/speed.py"), (PY, "experiments/fidelity_merge.py")),
        table=(PY, "experiments/seqgan/run.py", "--table"),
        note="the poems need the Tang poems file once: python -m jgan.data.build_tang_poems --package-dir DIR"),
    "adaptation": Table(
        page="experiments/adaptation/tables.md", results=("experiments/adaptation/results/*.json",),
        run=tuple((PY, "experiments/adaptation/run.py", "--group", g)
                  for g in ("dann", "dann_uci", "dtn", "dtn_long", "dtn_long_seeds", "simgan", "simgan_long",
                            "simgan_pretrain"))
        + ((PY, "experiments/adaptation/probe_uci_framing.py"), (PY, "experiments/adaptation/run.py", "--figures"),
           (PY, "experiments/adaptation/run.py", "--table"),
           (PY, "experiments/fidelity_merge.py")),
        table=(PY, "experiments/adaptation/run.py", "--table")),
    "video": Table(
        page="experiments/video/tables.md", results=("experiments/video/results/*.json",),
        run=((PY, "experiments/video/run.py", "--steps", "800", "--vtest-steps", "500", "--extra"),
             (PY, "experiments/fidelity_merge.py")),
        note="the vtest clip needs OpenCV's sample once: python -m jgan.data.build_video --package-dir DIR"),
    "translation_speed": Table(
        page="experiments/translation/bench/README.md", results=("experiments/translation/bench/*.json",),
        run=((PY, "-m", "jgan.bench", "--arch", "pix2pix", "--rounds", "3", "--torch-python", "{torch_python}"),
             (PY, "-m", "jgan.bench", "--arch", "cyclegan", "--size", "128", "--rounds", "3", "--torch-python",
              "{torch_python}")),
        note="speed: only on a machine with nothing else running; the page is written by hand from the JSON lines"),
    "wgan_speed": Table(
        page="docs/speed.md", results=("experiments/benchmarks/cpu-*.log",),
        run=(("bash", "experiments/benchmarks/run.sh"),),
        note="speed: only on a machine with nothing else running; docs/speed.md quotes the logs"),
    "family": Table(
        page="experiments/family/README.md", results=("experiments/family/scores.json",
                                                      "experiments/family/*/metrics.jsonl"),
        run=(),
        note="the page lists each run's training command, then experiments/family/evaluate.py RUN_DIR ... --num "
             "2000 --json experiments/family/scores.json"),
    "aae": Table(
        page="experiments/aae/README.md", results=("experiments/aae/scores.json",),
        run=(("bash", "experiments/aae/run.sh", "runs/aae"),),
        note="the curves and drift figures come from the runs' metrics, which run.sh writes under runs/aae"),
    "maxout": Table(
        page="experiments/maxout/README.md", results=("experiments/maxout/results/*.json",),
        run=(("bash", "experiments/maxout/pipeline.sh"),),
        table=(PY, "experiments/maxout/run.py", "summary"),
        note="issue 36: Goodfellow et al.'s and Mirza-Osindero's maxout recipes, Parzen sigma on validation, test read "
             "once; BUDGET=SECONDS SEEDS='0 1' bash experiments/maxout/pipeline.sh bounds each run's wall time"),
    "aae_paper": Table(
        page="experiments/aae/README.md", results=("experiments/aae/results/*.json",),
        run=((PY, "experiments/aae/paper_runs.py", "semi_100", "cluster_16", "--seeds", "0", "1",
              "--runs-dir", "runs/aae_paper"), (PY, "experiments/aae/paper_runs.py", "--figures")),
        note="issue 36: the paper's semi-supervised (100 labels) and clustering (16) recipes, test read once"),
    "ssgan": Table(
        page="experiments/improved/README.md",
        results=("experiments/improved/results/ssgan_seed*.json", "experiments/improved/results/ssgan_summary.json",
                 "experiments/improved/results/supervised_*.json"),
        run=(*((PY, "-m", "jgan.experiments.ssgan", "--seed", seed, "--out", f"runs/ssgan/seed{seed}")
               for seed in "012"),
             *((PY, "-m", "jgan.experiments.ssgan", "test-error", f"runs/ssgan/seed{seed}") for seed in "012"),
             (PY, "experiments/improved/ssgan_results.py", "runs/ssgan/seed0", "runs/ssgan/seed1", "runs/ssgan/seed2"),
             (PY, "experiments/improved/supervised_baseline.py", "--steps", "2000", "--eval-every", "250", "--seed",
              "0", "--out", "experiments/improved/results/supervised_seed0.json"),
             (PY, "experiments/improved/supervised_baseline.py", "--labels", "6700", "--steps", "4000",
              "--eval-every", "250", "--seed", "0", "--out",
              "experiments/improved/results/supervised_6700labels_seed0.json")),
        note="issue 36's recipe, 3 seeds: per seed the test error of the checkpoint chosen on validation, and the "
             "validation curve; the supervised baselines"),
    "comparison": Table(
        page="experiments/improved/COMPARISON.md", results=("experiments/improved/comparison/*_seed*.json",),
        run=((PY, "experiments/improved/compare.py", "--out", "runs/compare", "--seeds", "0", "1", "2",
              "--digit-seeds", "0", "1"),
             (PY, "experiments/improved/compare.py", "--table")),
        table=(PY, "experiments/improved/compare.py", "--table"),
        note="one result file per data set, model and seed in experiments/improved/comparison/"),
    "mode_coverage": Table(
        page="experiments/mode_coverage/README.md", results=("experiments/mode_coverage/results/*.json",),
        run=((PY, "experiments/mode_coverage/run.py", "--out", "runs/mode_coverage"),),
        table=(PY, "experiments/mode_coverage/run.py", "--table"),
        quick=((PY, "experiments/mode_coverage/run.py", "--seeds", "0", "--steps", "20", "--out", "{out}/runs",
                "--results", "{out}/results", "--table-dir", "{out}"),),
        note="recorded before result files were kept: the page's numbers have no files yet (the run writes them)"),
    "presets": Table(
        page="experiments/presets/README.md", results=("experiments/presets/results/*.json",),
        run=((PY, "experiments/presets/run.py"),), table=(PY, "experiments/presets/run.py", "--table"),
        note="times: the wall time depends on what else runs; the CPU seconds less"),
    "pretrained": Table(
        page="experiments/pretrained/README.md", results=("experiments/pretrained/results/*.json",
                                                          "jgan/pretrained/*/scores.json"),
        run=((PY, "experiments/presets/run.py", "wgan", "dcgan", "cgan", "acgan", "infogan"),
             (PY, "experiments/pretrained/make.py")),
        table=(PY, "experiments/pretrained/make.py", "--table"),
        note="rewrites the shipped models in jgan/pretrained/ (tests/test_pretrained.py checks their scores)"),
    "first_hour": Table(
        page="README.md", results=("experiments/first_hour/result_*.json", "experiments/first_hour/session_*.txt"),
        run=((PY, "experiments/first_hour/record.py"),),
        note="the main job from a fresh clone, about 20 minutes on a quiet 2-core CPU; the README quotes its time"),
    "headlines": Table(
        page="README.md", results=("experiments/fidelity.json", "experiments/headlines.json"),
        run=((PY, "experiments/fidelity_merge.py"), (PY, "experiments/headlines.py")),
        table=(PY, "experiments/headlines.py"),
        note="the README's headline table, one row per experiment, from experiments/headlines.json, the fidelity.json "
             "entries it names and their result files; python experiments/headlines.py --check says if it is stale"),
    "digit_scores": Table(
        page="experiments/digit_scores/README.md", results=("experiments/digit_scores/results/*.json",),
        run=((PY, "experiments/digit_scores/run.py", "--out", "runs/digit_scores"),),
        table=(PY, "experiments/digit_scores/run.py", "--table")),
}


def _expand(command: tuple[str, ...], out: str = "", torch_python: str = "python") -> list[str]:
  return [part.format(python=sys.executable, out=out, torch_python=torch_python) for part in command]


def result_files(table: Table) -> list[pathlib.Path]:
  return sorted(p for pattern in table.results for p in ROOT.glob(pattern))


def _shown(command: tuple[str, ...]) -> str:
  return " ".join(part.format(python="python", out="OUT", torch_python="TORCH_PYTHON") for part in command)


def describe(name: str, table: Table) -> str:
  files = result_files(table)
  lines = [f"{name}: {table.page}", f"  result files: {len(files)}" + ("" if files else "  (MISSING)")
           + "".join(f"\n    {p.relative_to(ROOT)}" for p in files[:3]) + ("\n    ..." if len(files) > 3 else "")]
  lines += [f"  run:   {_shown(c)}" for c in table.run]
  if table.table:
    lines.append(f"  table: {_shown(table.table)}")
  if table.quick:
    lines.append(f"  quick: python experiments/reproduce.py {name} --quick OUT")
  if table.note:
    lines.append(f"  note:  {table.note}")
  return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("name", nargs="?", choices=sorted(TABLES), help="the table")
  parser.add_argument("--list", action="store_true", help="every table, its files and commands")
  parser.add_argument("--table-only", action="store_true", help="rebuild the page from the result files only")
  parser.add_argument("--quick", metavar="OUT", type=pathlib.Path, help="a shortened run written under OUT only")
  parser.add_argument("--torch-python", default="python", help="for the speed tables: a Python with PyTorch")
  args = parser.parse_args(argv)
  if args.list or args.name is None:
    print("\n\n".join(describe(n, t) for n, t in TABLES.items()))
    return 0
  table = TABLES[args.name]
  if args.quick is not None:
    if table.quick is None:
      parser.error(f"{args.name} has no quick form; tables with one: "
                   f"{', '.join(n for n, t in TABLES.items() if t.quick)}")
    commands = [_expand(c, out=str(args.quick.resolve())) for c in table.quick]
  elif args.table_only:
    if table.table is None:
      parser.error(f"{args.name}'s page is not built from its files by a command ({table.note or 'see the page'})")
    commands = [_expand(table.table)]
  else:
    if not table.run:
      parser.error(f"{args.name} has no single command: {table.note}")
    commands = [_expand(c, torch_python=args.torch_python) for c in table.run]
  for command in commands:
    print("+", " ".join(command), flush=True)
    status = subprocess.run(command, cwd=ROOT).returncode
    if status:
      print(f"error: {' '.join(command)} exited with {status}", file=sys.stderr)
      return status
  return 0


if __name__ == "__main__":
  sys.exit(main())
