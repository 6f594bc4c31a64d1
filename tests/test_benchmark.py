"""tools/benchmark_notmnist.py runs lesson 05's own cells (no training here)."""
import ast
import builtins

import pytest

from tools import benchmark_notmnist as bench


def defined_names(source):
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


def loaded_names(source):
    return {node.id for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


@pytest.mark.parametrize("track", sorted(bench.NOTEBOOKS))
def test_cells_are_found_and_final_model_comes_last(track):
    cells = bench.benchmark_cells(bench.NOTEBOOKS[track])
    kinds = [kind for kind, _ in cells]
    assert kinds[-1] == "final-model" and kinds.count("final-model") == 1
    assert set(kinds[:-1]) <= {"setup", "defs"} and len(kinds) > 5
    for kind, source in cells:
        compile(source, f"<{kind}>", "exec")
    final = cells[-1][1]
    assert {"test_acc", "h_final"} <= defined_names(final)


@pytest.mark.parametrize("track", sorted(bench.NOTEBOOKS))
def test_every_name_the_cells_use_is_defined_by_them(track):
    cells = bench.benchmark_cells(bench.NOTEBOOKS[track])
    known = set(dir(builtins))
    for kind, source in cells:
        known |= defined_names(source)
    for kind, source in cells:
        missing = loaded_names(source) - known
        assert not missing, f"{track} {kind} cell uses undefined {missing}"
    # the popular pipeline's row calls these PyTorch notebook functions
    if track == "pytorch":
        assert {"make_popular_net", "fit_full_batch", "test_loop",
                "test_iter", "X_train_t", "device"} <= known


def test_defs_keep_only_definitions():
    source = "import math\nx = f(1)\n\ndef g(a):\n    return a\n\nprint(g(2))\n"
    kept = bench.definitions_only(source)
    assert "def g" in kept and "import math" in kept
    assert "x = f(1)" not in kept and "print" not in kept


def test_table_ratio_is_relative_to_the_popular_pipeline():
    results = {"popular": {"accuracy": 0.88, "time": 100.0},
               "pytorch": {"accuracy": 0.94, "time": 20.0},
               "tensorflow": {"accuracy": 0.941, "time": 25.0}}
    text = bench.table(results)
    assert "88.00%" in text and " 0.20" in text and " 0.25" in text


def test_targets_name_what_is_missed():
    ok = {"popular": {"accuracy": 0.88, "time": 100.0},
          "pytorch": {"accuracy": 0.94, "time": 25.0},
          "tensorflow": {"accuracy": 0.95, "time": 10.0}}
    assert bench.missed_targets(ok) == []
    low = ok | {"pytorch": {"accuracy": 0.939, "time": 25.1}}
    missed = bench.missed_targets(low)
    assert len(missed) == 2 and all("PyTorch" in m for m in missed)
    assert "точность ниже 94 %" in missed[0]
