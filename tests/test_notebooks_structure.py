"""The notebooks follow the template and the two tracks stay in step."""
import ast
import re
from pathlib import Path

import nbformat
import pytest

from tools import stamp_notebooks as tmpl
from tools.run_notebooks import WIDGET_VIEW

NOTEBOOKS = tmpl.notebook_paths()
PAIRS = sorted({p.name.rsplit("_", 1)[0] for p in NOTEBOOKS})
TRACK_IMPORTS = {
    "pytorch": re.compile(r"^\s*(import|from)\s+(tensorflow|keras)\b", re.M),
    "tensorflow": re.compile(r"^\s*(import|from)\s+torch\b", re.M),
}
IMPORT = re.compile(r"^\s*(import\s+\w|from\s+\S+\s+import\s)", re.M)
TQDM_BAR = re.compile(r"\d+%\|")
BAR_AT_ZERO = re.compile(r"(?<![\d.])0%\|")
# markers of the test harness that must live in cell metadata, not in code
HARNESS_COMMENT = re.compile(r"^\s*#\s*(NBVAL_\w+|parity:)", re.M)


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
    """Cells with ``metadata.parity`` (the name shared with the twin)."""
    found = {}
    for cell in nb.cells:
        name = cell.metadata.get("parity")
        if name is None:
            continue
        assert cell.cell_type == "code" and isinstance(name, str) and name, \
            f"bad parity metadata {name!r}:\n{cell.source[:200]}"
        assert name not in found, f"parity name {name} used twice"
        found[name] = cell
    return found


def parse_code(source):
    """The AST of a code cell, IPython magic and shell lines left out."""
    lines = [ln for ln in source.splitlines()
             if not ln.lstrip().startswith(("%", "!"))]
    return ast.parse("\n".join(lines))


def code_checks(source):
    """The assert statements and assert_*() calls in ``source`` (not comments)."""
    found = []
    for node in ast.walk(parse_code(source)):
        if isinstance(node, ast.Assert):
            found.append(node)
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name.startswith("assert"):
                found.append(node)
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
            assert "nbval-check-output" in cell.metadata.get("tags", []), \
                f"{name}: not checked"
        text = output_text(torch_p[name])
        assert text.strip(), f"parity {name}: no stored output"
        assert text == output_text(tf_p[name]), f"parity {name} differs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_one_framework_and_imports_in_setup(path):
    nb = nbformat.read(path, as_version=4)
    fw = path.stem.rsplit("_", 1)[1]
    code = [c for c in nb.cells if c.cell_type == "code"]
    # code cell 0 is the stamped bootstrap, code cell 1 holds every import
    for i, cell in enumerate(code):
        assert not TRACK_IMPORTS[fw].search(cell.source), \
            f"{path.name}: the other framework is imported:\n{cell.source[:300]}"
        if i > 1:
            assert not IMPORT.search(cell.source), \
                f"{path.name}: import outside the imports cell:\n{cell.source[:300]}"
    assert IMPORT.search(code[1].source), f"{path.name}: no imports cell after setup"


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
    assert any(code_checks(c.source) for c in solutions), \
        f"{path.name}: no solution checks itself with assert"


def test_code_checks_sees_code_not_comments():
    assert code_checks("x = 1\nassert x == 1")
    assert code_checks("np.testing.assert_allclose(a, b)")
    assert code_checks("torch.testing.assert_close(a, b)")
    assert not code_checks("x = 1  # assert x == 1\ny = 'assert'")
    assert not code_checks("%timeit f()\nprint('assert_close')")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_harness_lives_in_metadata_not_code(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not HARNESS_COMMENT.search(cell.source), \
                f"{path.name}: test marker in code (use cell tags/metadata):\n" \
                f"{cell.source[:200]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_failing_cells_hide_no_checks(path):
    """A cell allowed to raise must not carry an assert: it would go unseen."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if "raises-exception" in cell.metadata.get("tags", []):
            assert not code_checks(cell.source), \
                f"{path.name}: an assert in a raises-exception cell:\n{cell.source}"
            assert any(o.output_type == "error" for o in cell.outputs), \
                f"{path.name}: a raises-exception cell that did not raise:\n" \
                f"{cell.source}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_readable_without_a_kernel(path):
    """No widget views or state; progress bars stored as finished text."""
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata, f"{path.name}: widget state stored"
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            assert WIDGET_VIEW not in out.get("data", {}), \
                f"{path.name}: a widget output (make outputs draws text bars):\n" \
                f"{cell.source[:200]}"
            text = out.get("text", "") + out.get("data", {}).get("text/plain", "")
            assert "\r" not in text, f"{path.name}: an unresolved \\r in an output"
            assert not BAR_AT_ZERO.search(text), \
                f"{path.name}: a progress bar stored at 0 %:\n{text[:300]}"
