"""One way to write a lesson (STYLE.md): one training-loop signature per
track, and helpers that take what they use as arguments."""
import ast
import builtins

import nbformat
import pytest

from test_notebooks_structure import parse_code
from tools import stamp_notebooks as tmpl

LOOPS = ("train_loop", "test_loop")
#: lessons from 03 on, where the training-loop convention applies
NO_HIDDEN_GLOBALS = ["03_sgd", "04_nonlinearity", "05_mlp_notmnist",
                     "06_regression"]


def code_trees(path):
    nb = nbformat.read(path, as_version=4)
    return [parse_code(c.source) for c in nb.cells if c.cell_type == "code"]


def signature(fn: ast.FunctionDef) -> tuple:
    args = fn.args
    return (tuple(a.arg for a in args.posonlyargs + args.args),
            tuple(a.arg for a in args.kwonlyargs))


def free_names(fn: ast.FunctionDef, module_names: set) -> set:
    """Names a function reads that are neither its own, nor imported, nor
    defined by ``def``/``class`` in the notebook, nor builtins, nor constants
    (``UPPER_CASE`` names, as STYLE.md asks for a notebook's constants)."""
    local = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            local.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.Lambda)):
            a = node.args
            local.update(x.arg for x in a.posonlyargs + a.args + a.kwonlyargs)
            local.update(x.arg for x in (a.vararg, a.kwarg) if x)
            if isinstance(node, ast.FunctionDef):
                local.add(node.name)
        elif isinstance(node, ast.ClassDef):
            local.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            local.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            local.update((a.asname or a.name).split(".")[0] for a in node.names)
    return {node.id for node in ast.walk(fn)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
            and node.id not in local and node.id not in module_names
            and not hasattr(builtins, node.id) and not node.id.isupper()}


def test_loops_have_one_signature_in_both_tracks():
    found = {}
    for path in tmpl.notebook_paths():
        lesson = int(path.name[:2])
        for tree in code_trees(path):
            for node in tree.body:
                if isinstance(node, ast.FunctionDef) and node.name in LOOPS:
                    assert lesson >= 3, f"{path.name}: {node.name} before 03"
                    found.setdefault(node.name, {}).setdefault(
                        signature(node), []).append(path.name)
    assert set(found) == set(LOOPS), f"loops defined: {sorted(found)}"
    for name, sigs in found.items():
        assert len(sigs) == 1, f"{name} has several signatures: {sigs}"
    assert signature_names(found["train_loop"]) == (
        "data_iter", "net", "loss_fn", "optimizer")
    assert signature_names(found["test_loop"]) == ("data_iter", "net", "loss_fn")


def signature_names(sigs):
    (positional, _), = sigs
    return positional


@pytest.mark.parametrize("lesson", NO_HIDDEN_GLOBALS)
@pytest.mark.parametrize("fw", ["pytorch", "tensorflow"])
def test_helpers_read_no_hidden_globals(lesson, fw):
    path = tmpl.NOTEBOOKS / f"{lesson}_{fw}.ipynb"
    trees = code_trees(path)
    names = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update((a.asname or a.name).split(".")[0]
                             for a in node.names)
        names.update(n.name for n in tree.body
                     if isinstance(n, (ast.FunctionDef, ast.ClassDef)))
    bad = {n.name: sorted(free_names(n, names))
           for tree in trees for n in tree.body
           if isinstance(n, ast.FunctionDef) and free_names(n, names)}
    assert not bad, f"{path.name}: helpers read notebook globals: {bad}"


def test_free_names_sees_a_hidden_global():
    tree = ast.parse("def f(a):\n    b = a + c\n    return [x for x in b]\n")
    assert free_names(tree.body[0], set()) == {"c"}
    assert free_names(tree.body[0], {"c"}) == set()
    tree = ast.parse("def g(x):\n    return A_QUAD * x\n")
    assert free_names(tree.body[0], set()) == set()  # a constant
