"""Colab, emulated offline: one notebook alone in an empty folder must clone
the course, import ``utils`` and run.

``google.colab`` is made importable by a stub package and the repository
address points at this repository through ``NN_BASICS_REPO`` (a local
``file://`` clone: what the bootstrap clones is the committed HEAD).
"""
import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tools.stamp_notebooks import ROOT, notebook_paths

NOTEBOOK = "01_tensors_pytorch.ipynb"


def _is_git_repo() -> bool:
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"],
                          capture_output=True).returncode == 0


@pytest.mark.skipif(not _is_git_repo(), reason="needs the repository's git history")
def test_notebook_alone_in_colab_clones_and_runs(tmp_path, monkeypatch):
    assert NOTEBOOK in [p.name for p in notebook_paths()]
    work = tmp_path / "content"
    stub = tmp_path / "stub" / "google" / "colab"
    work.mkdir()
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text("# stand-in for Colab's module\n")
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, work / NOTEBOOK)

    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "stub"))
    monkeypatch.setenv("NN_BASICS_REPO", ROOT.as_uri())
    monkeypatch.setenv("NN_BASICS_FAST", "1")
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # the bootstrap must not need PyPI

    nb = nbformat.read(work / NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(work)}}).execute()

    clone = work / "nn-basics"
    assert (clone / "utils" / "__init__.py").is_file(), "the course was not cloned"
    head = subprocess.run(["git", "-C", str(clone), "remote", "get-url", "origin"],
                          capture_output=True, text=True).stdout.strip()
    assert head == ROOT.as_uri()
    setup = [c for c in nb.cells if c.cell_type == "code"][:3]
    printed = "".join(o.get("text", "") for c in setup for o in c.outputs)
    assert "Устройство PyTorch" in printed, printed
    # the notebook found utils in the clone, not in this checkout
    assert not (work / "utils").exists()
