"""Every notebook in colab/ runs top to bottom; its own assertions fail the test if a number is wrong."""

import os
import pathlib

import nbclient
import nbformat
import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "colab").glob("*.ipynb"))
# Plots each notebook must draw (default 1): 01 draws the sample grids, the W curve and the reloaded samples; 02 one
# figure per claim; 03 the samples, the code norms, the interpolation rows, the arithmetic rows and the per-digit
# control; 04 the toys, the samples of the 4 runs and their mode usage; 05 the per-device draws, the 1 vs 8 device
# losses, the batch-norm means per device and the DCGAN's running statistics.
MIN_IMAGES = {"01_quickstart.ipynb": 3, "02_gan_theory.ipynb": 6, "03_latent_space.ipynb": 5,
              "04_mode_collapse.ipynb": 3, "05_many_devices.ipynb": 4, "06_editing.ipynb": 2}
# Notebooks that keep compiled programs on disk, as the training command does (02 trains nothing).
CACHING = {"01_quickstart.ipynb", "03_latent_space.ipynb", "04_mode_collapse.ipynb", "05_many_devices.ipynb",
           "06_editing.ipynb"}


def test_there_are_notebooks():
  assert NOTEBOOKS


# Four run with `-m slow`, to keep the default suite under CI's 15 minutes: 04 trains four toy runs (about 2 minutes
# alone on 2 cores), 05 runs 1 vs 8 devices (tests/test_steps.py covers it in the default suite), 03 walks a shipped
# model's latent space and 06 projects and edits digits with it (tests/test_pretrained.py and tests/test_editing.py
# cover both), and 02's theory is tests/test_theory.py's; 01, training and sampling, stays in it.
SLOW = {"02_gan_theory.ipynb", "03_latent_space.ipynb", "04_mode_collapse.ipynb", "05_many_devices.ipynb",
        "06_editing.ipynb"}


@pytest.mark.parametrize("path", [pytest.param(p, marks=pytest.mark.slow) if p.name in SLOW else p for p in NOTEBOOKS],
                         ids=lambda p: p.name)
def test_notebook_runs(path, tmp_path, monkeypatch):
  # The kernel is a fresh process with one CPU device, as a user's would be (not the suite's 8 simulated ones).
  monkeypatch.setenv("XLA_FLAGS", os.environ.get("XLA_FLAGS", "").replace("--xla_force_host_platform_device_count=8",
                                                                          ""))
  cache = tmp_path / "xla-cache"  # the kernel's persistent compilation cache, where a notebook enables one
  monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", str(cache))
  notebook = nbformat.read(path, as_version=4)
  client = nbclient.NotebookClient(notebook, timeout=180, kernel_name="python3",
                                   resources={"metadata": {"path": str(tmp_path)}})
  client.execute()
  errors = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs
            if o.output_type == "error"]
  assert not errors
  images = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs
            if "image/png" in o.get("data", {})]
  assert len(images) >= MIN_IMAGES.get(path.name, 1)
  if path.name in CACHING:
    assert any(cache.iterdir())  # the kernel's compiled programs were kept
