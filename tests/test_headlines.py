"""experiments/headlines.py: README's headline table is the rendering of experiments/headlines.json, every number of it
comes from fidelity.json or a result file, and a broken reference is an error naming the row and the placeholder."""

from __future__ import annotations

import copy
import importlib.util
import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
P2P = "pix2pix: L1 + cGAN"


@pytest.fixture(scope="module")
def headlines():
  spec = importlib.util.spec_from_file_location("headlines", ROOT / "experiments" / "headlines.py")
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


@pytest.fixture(scope="module")
def rows(headlines):
  return headlines.load(ROOT / "experiments" / "headlines.json")


@pytest.fixture(scope="module")
def entries():
  return json.loads((ROOT / "experiments" / "fidelity.json").read_text())


def _row(**changes) -> dict:
  row = {"experiment": "pix2pix", "link": "experiments/translation/README.md", "benchmarks": [P2P],
         "ours": f"accuracy {{ours|{P2P}|.3f}}", "paper": f"accuracy {{paper|{P2P}|.2f}}"}
  return {**row, **changes}


def test_readme_block_is_the_rendering(headlines, rows, entries):
  table = headlines.render(rows, entries)
  readme = (ROOT / "README.md").read_text()
  assert headlines.block(table) in readme
  assert headlines.stale(readme, table) == ""
  assert headlines.main(["--check"]) == 0
  assert len(table.splitlines()) == len(rows) + 2


def test_rows_stand_on_benchmarks_and_carry_no_literal_decimal(rows, entries):
  names = {e["benchmark"] for e in entries}
  for row in rows:
    assert row["benchmarks"] and set(row["benchmarks"]) <= names, row["experiment"]
    for key in ("experiment", "ours", "paper"):
      text = re.sub(r"\{[^{}]*\}", "", row[key])
      assert not re.search(r"\d\.\d", text), (row["experiment"], key, text)  # measured numbers are placeholders


def test_a_row_renders_from_the_entry_and_the_file(headlines, entries):
  row = _row(ours=f"{{ours|{P2P}|.3f}} on outputs, "
                  "{file|experiments/translation/results/pix2pix_edges_l1_cgan.json|test.accuracy_real_targets|.1%}"
                  " on real digits, step {file|experiments/translation/results/pix2pix_edges_l1_cgan.json|"
                  "validation_curve.-1.step|,d}")
  line = headlines.render([row], entries).splitlines()[2]
  assert line == ("| [pix2pix](experiments/translation/README.md) | 0.925 on outputs, 98.6% on real digits, step 600 | "
                  "accuracy 0.66 |")


def test_a_changed_number_in_fidelity_json_changes_the_table_and_check_fails(headlines, rows, entries, tmp_path):
  changed = copy.deepcopy(entries)
  entry = next(e for e in changed if e["benchmark"] == P2P)
  assert entry["ours_number"] != 0.123
  entry["ours_number"] = 0.123
  fidelity, readme = tmp_path / "fidelity.json", tmp_path / "README.md"
  fidelity.write_text(json.dumps(changed))
  readme.write_text((ROOT / "README.md").read_text())
  before, after = headlines.render(rows, entries), headlines.render(rows, changed)
  assert before != after and "0.123" in after and "0.123" not in before
  assert headlines.main(["--check", "--fidelity", str(fidelity), "--readme", str(readme)]) == 1
  assert headlines.main(["--fidelity", str(fidelity), "--readme", str(readme)]) == 0
  assert headlines.main(["--check", "--fidelity", str(fidelity), "--readme", str(readme)]) == 0
  text = readme.read_text()
  assert headlines.block(after) in text
  assert text.replace(headlines.block(after), "") == (ROOT / "README.md").read_text().replace(
      headlines.block(before), "")  # nothing outside the block moved


def test_check_names_the_stale_line(headlines, rows, entries, tmp_path, capsys):
  table = headlines.render(rows, entries)
  first = next(line for line in table.splitlines() if "0.925" in line)  # pix2pix's row
  readme = tmp_path / "README.md"
  readme.write_text((ROOT / "README.md").read_text().replace(first, first.replace("0.925", "0.926")))
  assert headlines.main(["--check", "--readme", str(readme)]) == 1
  err = capsys.readouterr().err
  assert "stale" in err and "-" + first.replace("0.925", "0.926") in err and "+" + first in err


def test_a_placeholder_to_a_missing_benchmark_names_it(headlines, entries):
  missing = "pix2pix: L1 + cGAN at 64x64"
  with pytest.raises(headlines.HeadlineError, match=re.escape(f"no fidelity.json entry has benchmark {missing!r}")):
    headlines.render([_row(benchmarks=[P2P, missing], ours=f"{{ours|{missing}|.3f}}")], entries)
  with pytest.raises(headlines.HeadlineError, match=r"row 0 \('pix2pix'\), ours, placeholder .*not among the row's"):
    headlines.render([_row(ours=f"{{ours|{missing}|.3f}}")], entries)


@pytest.mark.parametrize("ours, message", [
    ("{ours|srgan: SRGAN 4x PSNR-Y on photos|.2f}", "not among the row's benchmarks"),
    ("{file|experiments/translation/results/pix2pix_edges_l1_cgan.json|test.accuracy_real|.3f}",
     "key 'accuracy_real' not found at test"),
    ("{file|experiments/translation/results/pix2pix_edges_l1_cgan.json|validation_curve.9.step|d}",
     "'9' is not an index of the list at validation_curve"),
    ("{file|experiments/translation/results/pix2pix_edges_l1_cgan.json|test.split|.3f}", "'test' is not a number"),
    ("{file|experiments/translation/results/pix2pix_edges_l1.json|test.accuracy|.3f}",
     "not a result file of the row's benchmarks"),
    ("{our|pix2pix: L1 + cGAN|.3f}", "unknown kind 'our'"),
    ("{ours|pix2pix: L1 + cGAN}", "ours takes 2 fields"),
    ("{ours|pix2pix: L1 + cGAN|.3q}", "format '.3q'"),
    ("accuracy 0.9 {ours|pix2pix: L1 + cGAN|.3f", "unbalanced brace"),
    ("word " * 31, "31 words"),
])
def test_bad_templates_are_errors_naming_the_row_and_placeholder(headlines, entries, ours, message):
  with pytest.raises(headlines.HeadlineError, match=r"row 0 \('pix2pix'\), ours") as raised:
    headlines.render([_row(ours=ours)], entries)
  assert message in str(raised.value)


def test_a_null_number_and_a_missing_file_are_errors(headlines, entries, tmp_path):
  changed = copy.deepcopy(entries)
  entry = next(e for e in changed if e["benchmark"] == P2P)
  entry["ours_number"] = None
  with pytest.raises(headlines.HeadlineError, match=r"ours_number of 'pix2pix: L1 \+ cGAN' is null \(its ours_protoc"):
    headlines.render([_row()], changed)
  file = "{file|experiments/translation/results/pix2pix_edges_l1_cgan.json|test.accuracy|.3f}"
  (tmp_path / "README.md").write_text("# a checkout without result files\n")
  with pytest.raises(headlines.HeadlineError, match=r"pix2pix_edges_l1_cgan.json does not exist"):
    headlines.render([_row(ours=file, link="README.md")], entries, root=tmp_path)


def test_readme_without_markers_is_refused(headlines, tmp_path):
  readme = tmp_path / "README.md"
  readme.write_text("# jgan\n")
  assert headlines.main(["--readme", str(readme)]) == 2
  assert readme.read_text() == "# jgan\n"


def test_mean_is_over_the_benchmarks_json_result_files(headlines, entries, tmp_path):
  # Three seed files of a made-up benchmark: the mean of their key, and an error naming a file that lacks it.
  for seed, modes in enumerate((6.0, 7.0, 8.5)):
    (tmp_path / f"s{seed}.json").write_text(json.dumps({"modes": modes}))
  entry = {"benchmark": "toy: modes", "paper": "p", "paper_number": None, "paper_protocol": "x", "ours_number": None,
           "ours_protocol": "y", "split": "none", "seeds": [0, 1, 2], "command": "c",
           "result_files": [f"s{seed}.json" for seed in range(3)] + ["curve.png"]}
  (tmp_path / "page.md").write_text("the family's page")
  row = _row(benchmarks=["toy: modes"], link="page.md", ours="modes {mean|toy: modes|modes|.2f}",
             paper="{paper_protocol|toy: modes}")
  assert "| modes 7.17 | x |" in headlines.render([row], [entry], root=tmp_path)
  (tmp_path / "s2.json").write_text(json.dumps({"other": 1}))
  with pytest.raises(headlines.HeadlineError, match="key 'modes' not found"):
    headlines.render([row], [entry], root=tmp_path)
