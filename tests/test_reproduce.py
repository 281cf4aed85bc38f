"""experiments/reproduce.py: every table is listed with its page, and the quick form runs a table end to end."""

from __future__ import annotations

import importlib.util
import json
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def reproduce():
  spec = importlib.util.spec_from_file_location("reproduce", ROOT / "experiments" / "reproduce.py")
  module = importlib.util.module_from_spec(spec)
  sys.modules["reproduce"] = module  # dataclasses look their module up there
  spec.loader.exec_module(module)
  return module


def test_every_table_names_an_existing_page_and_scripts(reproduce):
  for name, table in reproduce.TABLES.items():
    assert (ROOT / table.page).is_file(), (name, table.page)
    for command in (*table.run, *(table.quick or ()), *((table.table,) if table.table else ())):
      scripts = [part for part in command if part.endswith((".py", ".sh"))]
      assert all((ROOT / s).is_file() for s in scripts), (name, scripts)
    assert table.run or table.note, name  # a table without one command says where its commands are


def test_list_shows_missing_result_files(reproduce, capsys):
  assert reproduce.main(["--list"]) == 0
  out = capsys.readouterr().out
  assert all(f"{name}: " in out for name in reproduce.TABLES)
  missing = [n for n, t in reproduce.TABLES.items() if not reproduce.result_files(t)]
  assert out.count("(MISSING)") == len(missing)


@pytest.mark.slow  # 25 s end to end; the registry and command checks above stay in the default suite
def test_toy1d_quick_runs_end_to_end_and_writes_only_under_out(reproduce, tmp_path):
  recorded = sorted((ROOT / "experiments" / "toy1d").rglob("*"))
  before = {p: p.stat().st_mtime_ns for p in recorded}
  assert reproduce.main(["toy1d", "--quick", str(tmp_path)]) == 0
  results = sorted((tmp_path / "results").glob("*.json"))
  assert [p.name for p in results] == ["gan_seed0.json", "wgan_seed0.json"]
  curve = json.loads(results[0].read_text())["curve"]
  assert [step for step, _ in curve] == [0, 100] and all(w1 > 0 for _, w1 in curve)
  page = (tmp_path / "README.md").read_text()
  assert "| GAN | " in page and "| WGAN | " in page and (tmp_path / "w1.png").stat().st_size > 1000
  assert {p: p.stat().st_mtime_ns for p in recorded} == before  # the recorded table is untouched


def test_a_table_without_a_quick_form_is_refused_by_name(reproduce, capsys):
  with pytest.raises(SystemExit):
    reproduce.main(["superres", "--quick", "/tmp/nowhere"])
  assert "superres has no quick form" in capsys.readouterr().err


def test_toy1d_page_is_what_its_result_files_give(reproduce, tmp_path):
  """The recorded page and its figure's data come from the committed result files: rebuilt from them, the page is
  the committed one, word for word."""
  script = ROOT / "experiments" / "toy1d" / "run.py"
  spec = importlib.util.spec_from_file_location("toy1d_run", script)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  module.write(ROOT / "experiments" / "toy1d" / "results", tmp_path)
  assert (tmp_path / "README.md").read_text() == (ROOT / "experiments" / "toy1d" / "README.md").read_text()


def test_every_fidelity_entry_names_its_paper_command_and_existing_result_files():
  entries = json.loads((ROOT / "experiments" / "fidelity.json").read_text())
  assert len(entries) >= 30
  for e in entries:
    assert {"benchmark", "paper", "paper_number", "ours_number", "split", "seeds", "command", "result_files"} <= set(e), e
    assert e["paper"] and e["command"] and e["seeds"] and e["result_files"], e["benchmark"]
    assert all((ROOT / f).is_file() for f in e["result_files"]), e["benchmark"]
    # a number on each side, or the sentence that replaces it
    assert e["paper_number"] is not None or e.get("paper_protocol"), e["benchmark"]
    assert e["ours_number"] is not None or e.get("ours_protocol"), e["benchmark"]
  assert len({e["benchmark"] for e in entries}) == len(entries)
