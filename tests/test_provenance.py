"""Committed outputs come from the committed code (tools.provenance)."""
import copy

import nbformat
import pytest

from tools import provenance
from tools.stamp_notebooks import notebook_paths

NOTEBOOKS = notebook_paths()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_come_from_current_code(path):
    nb = nbformat.read(path, as_version=4)
    assert provenance.stale(nb, path.name) is None, provenance.stale(nb, path.name)


@pytest.fixture
def recorded():
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    nb = copy.deepcopy(nb)
    provenance.record(nb, provenance.fingerprint(nb))
    return nb


def test_one_character_in_a_code_cell_is_caught(recorded):
    assert provenance.stale(recorded, "x.ipynb") is None
    code = [c for c in recorded.cells if c.cell_type == "code"]
    code[3].source = code[3].source.replace("(", " (", 1) + " "
    msg = provenance.stale(recorded, "x.ipynb")
    assert msg and "x.ipynb" in msg and "code cell 4" in msg


def test_added_or_removed_cell_is_caught(recorded):
    recorded.cells.append(nbformat.v4.new_code_cell("1 + 1"))
    assert "code cells now" in provenance.stale(recorded, "x.ipynb")


def test_prose_edits_do_not_make_outputs_stale(recorded):
    md = next(c for c in recorded.cells if c.cell_type == "markdown")
    md.source += "\nещё одна фраза"
    assert provenance.stale(recorded, "x.ipynb") is None


def test_changed_utils_file_is_caught(recorded):
    fp = recorded.metadata["nn_basics"]["provenance"]
    assert "utils/device.py" in fp["utils"]
    fp["utils"]["utils/device.py"] = "0" * 16
    assert "utils/device.py" in provenance.stale(recorded, "x.ipynb")


def test_missing_record_is_caught(recorded):
    del recorded.metadata["nn_basics"]
    assert "make outputs" in provenance.stale(recorded, "x.ipynb")


def test_utils_imports_are_followed():
    files = provenance.utils_files(["from utils.data import load_notmnist"])
    names = {p.name for p in files}
    assert {"__init__.py", "data.py"} <= names
    assert "plotting.py" not in names
    src = "import numpy\nfrom utils import plotting, device\n"
    assert {p.name for p in provenance.utils_files([src])} == {
        "__init__.py", "plotting.py", "device.py"}
