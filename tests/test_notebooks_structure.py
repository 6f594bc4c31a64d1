"""The notebooks follow the template and the two tracks stay in step."""
import re
from pathlib import Path

import nbformat
import pytest

from tools import stamp_notebooks as tmpl

NOTEBOOKS = tmpl.notebook_paths()
PAIRS = sorted({p.name.rsplit("_", 1)[0] for p in NOTEBOOKS})
TRACK_IMPORTS = {
    "pytorch": re.compile(r"^\s*(import|from)\s+(tensorflow|keras)\b", re.M),
    "tensorflow": re.compile(r"^\s*(import|from)\s+torch\b", re.M),
}
IMPORT = re.compile(r"^\s*(import\s+\w|from\s+\S+\s+import\s)", re.M)
TQDM_BAR = re.compile(r"\d+%\|")


def read(name):
    return nbformat.read(tmpl.NOTEBOOKS / name, as_version=4)


def headings(nb):
    return [line.strip() for c in nb.cells if c.cell_type == "markdown"
            for line in c.source.splitlines() if line.startswith("## ")]


def output_text(cell):
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif "data" in out and "text/plain" in out.data:
            parts.append(out.data["text/plain"])
    return "".join(parts)


def parity_cells(nb):
    found = {}
    for cell in nb.cells:
        if "parity" not in cell.metadata.get("tags", []):
            continue
        m = re.search(r"^# parity: (\S+)", cell.source, re.M)
        assert m, f"parity cell without '# parity: <name>':\n{cell.source[:200]}"
        assert m.group(1) not in found, f"parity name {m.group(1)} used twice"
        found[m.group(1)] = cell
    return found


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_top_matches_template(path):
    assert tmpl.problems(path) == []


@pytest.mark.parametrize("pair", PAIRS)
def test_pair_has_both_tracks(pair):
    for fw in tmpl.FRAMEWORKS:
        assert (tmpl.NOTEBOOKS / f"{pair}_{fw}.ipynb").is_file(), f"{pair}: no {fw}"


@pytest.mark.parametrize("pair", PAIRS)
def test_pair_outlines_are_identical(pair):
    torch_h = headings(read(f"{pair}_pytorch.ipynb"))
    tf_h = headings(read(f"{pair}_tensorflow.ipynb"))
    assert torch_h == tf_h
    for required in ("## О чём этот ноутбук", "## Подготовка", "## Итоги",
                     "## Упражнения"):
        assert required in torch_h, f"{pair}: no «{required}»"
    assert torch_h[-2:] == ["## Итоги", "## Упражнения"]


@pytest.mark.parametrize("pair", PAIRS)
def test_parity_cells_print_the_same(pair):
    torch_p = parity_cells(read(f"{pair}_pytorch.ipynb"))
    tf_p = parity_cells(read(f"{pair}_tensorflow.ipynb"))
    assert torch_p, f"{pair}: no cells tagged parity"
    assert sorted(torch_p) == sorted(tf_p)
    for name in torch_p:
        for cell in (torch_p[name], tf_p[name]):
            assert "# NBVAL_CHECK_OUTPUT" in cell.source, f"{name}: not checked"
        text = output_text(torch_p[name])
        assert text.strip(), f"parity {name}: no stored output"
        assert text == output_text(tf_p[name]), f"parity {name} differs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_one_framework_and_imports_in_setup(path):
    nb = nbformat.read(path, as_version=4)
    fw = path.stem.rsplit("_", 1)[1]
    code = [c for c in nb.cells if c.cell_type == "code"]
    for i, cell in enumerate(code):
        assert not TRACK_IMPORTS[fw].search(cell.source), \
            f"{path.name}: the other framework is imported:\n{cell.source[:300]}"
        if i > 0:
            assert not IMPORT.search(cell.source), \
                f"{path.name}: import outside the setup cell:\n{cell.source[:300]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_outputs_are_complete_and_clean(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code]
    assert None not in counts, f"{path.name}: cells without outputs (make outputs)"
    assert counts == list(range(1, len(code) + 1)), \
        f"{path.name}: outputs are not from one run top to bottom"
    for cell in code:
        tags = cell.metadata.get("tags", [])
        for out in cell.outputs:
            if out.output_type == "error":
                assert "raises-exception" in tags, \
                    f"{path.name}: an error in an untagged cell:\n{cell.source[:200]}"
            if out.output_type == "stream" and out.name == "stderr":
                noise = [ln for ln in out.text.splitlines()
                         if ln.strip() and not TQDM_BAR.search(ln)]
                assert not noise, f"{path.name}: stderr output: {noise[:3]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercises_have_solutions(path):
    nb = nbformat.read(path, as_version=4)
    start = next(i for i, c in enumerate(nb.cells)
                 if c.cell_type == "markdown" and "## Упражнения" in c.source)
    tail = nb.cells[start:]
    solutions = [c for c in tail if c.cell_type == "code"]
    assert 2 <= len(solutions), f"{path.name}: fewer than 2 solution cells"
    assert any("assert" in c.source or "assert_" in c.source for c in solutions)
