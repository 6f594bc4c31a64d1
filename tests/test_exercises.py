"""Self-check exercises (utils.exercises*): for every exercise of the lessons
that have them, in both tracks, the notebook's own reference solution is
accepted, the untouched stub gets «Пока не решено», and a plausible wrong
answer is rejected with a message that names the failing case.

The stub and the solution are read from the notebooks (cells whose metadata
has ``exercise: {id, part}``), so what is tested is what the learner sees.
A solution cell is run up to its ``assert qN.check(...)`` line: what follows
is the lesson's demonstration, which nbval runs with the notebook.
"""
import contextlib
import importlib
import io
import math
import re

import nbformat
import numpy as np
import pytest

from tools import stamp_notebooks as tmpl
from utils import exercises as ex

#: lessons whose exercises are self-checking (the others still have
#: open solutions; see the issue on exercises)
LESSONS = {"04_nonlinearity": "exercises04", "06_regression": "exercises06"}
FRAMEWORKS = {"pytorch": "torch", "tensorflow": "tensorflow"}

# plausible mistakes, per exercise and track: (code that defines the
# answer, the expression checked, a word the verdict must contain)
WRONG = {
    ("04_nonlinearity", "q1"): {
        "any": ("W1, b1 = [[1.0, 1.0], [1.0, 1.0]], [0.0, 0.0]\n"
                "W2, b2 = [[1.0, -2.0]], [0.0]",  # forgot the -1 bias
                "(W1, b1, W2, b2)", "на входе (0, 1)"),
    },
    ("04_nonlinearity", "q2"): {
        "any": ("def poly_degree(num_layers):\n    return 2 * num_layers",
                "poly_degree", "poly_degree(0)"),
    },
    ("04_nonlinearity", "q3"): {
        "pytorch": ("def add_product_feature(X):\n"
                    "    return torch.cat([X, X[:, :1] + X[:, 1:]], dim=1)",
                    "add_product_feature", "для X ="),
        "tensorflow": ("def add_product_feature(X):\n"
                       "    return tf.concat([X, X[:, :1] + X[:, 1:]], axis=1)",
                       "add_product_feature", "для X ="),
    },
    ("06_regression", "q1"): {
        "pytorch": ("def huber(pred, y, delta=1.0):\n"
                    "    r = (pred - y).abs()\n"
                    "    return torch.where(r <= delta, r ** 2 / 2,\n"
                    "                       delta * (r - delta)).mean()",
                    "huber", "delta=1.0"),  # forgot delta / 2
        "tensorflow": ("def huber(y, pred, delta=1.0):\n"
                       "    r = tf.abs(pred - y)\n"
                       "    return tf.reduce_mean(tf.where(\n"
                       "        r <= delta, r ** 2 / 2, delta * (r - delta)))",
                       "huber", "delta=1.0"),
    },
    ("06_regression", "q2"): {
        "any": ("def ensemble_band(preds):\n"  # averaged over points
                "    mean, std = preds.mean(axis=1), preds.std(axis=1)\n"
                "    return mean, mean - 2 * std, mean + 2 * std",
                "ensemble_band", "preds формы (5, 7)"),
    },
    ("06_regression", "q3"): {
        "any": ("def should_stop(val_losses, patience):\n"  # off by one
                "    best_epoch = int(np.argmin(val_losses)) + 1\n"
                "    return len(val_losses) - best_epoch > patience",
                "should_stop", "patience="),
    },
}


def exercise_cells(path):
    nb = nbformat.read(path, as_version=4)
    found = {}
    for cell in nb.cells:
        meta = cell.metadata.get("exercise")
        if meta:
            found.setdefault(meta["id"], {})[meta["part"]] = cell
    return nb, found


def namespace(framework):
    ns = {"np": np, "math": math}
    if framework == "pytorch":
        import torch
        from torch import nn
        ns.update(torch=torch, nn=nn)
    else:
        from utils.device import quiet_tf
        with quiet_tf():
            import keras
            import tensorflow as tf
        ns.update(tf=tf, keras=keras)
    return ns


def run(source, ns):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<exercise>", "exec"), ns)
    return out.getvalue()


CASES = [(lesson, fw) for lesson in LESSONS for fw in FRAMEWORKS]


@pytest.mark.parametrize("lesson, fw", CASES)
def test_every_exercise_has_task_stub_answer_and_folded_solution(lesson, fw):
    path = tmpl.NOTEBOOKS / f"{lesson}_{fw}.ipynb"
    nb, cells = exercise_cells(path)
    start = next(i for i, c in enumerate(nb.cells)
                 if c.source.startswith("## Упражнения"))
    tasks = [c for c in nb.cells[start:] if c.cell_type == "markdown"
             and re.match(r"### Упражнение \d+\. ", c.source)]
    assert tasks, f"{path.name}: no «### Упражнение N. …» headings"
    assert sorted(cells) == [f"q{i}" for i in range(1, len(tasks) + 1)]
    for qid, parts in cells.items():
        assert set(parts) == {"stub", "solution"}, f"{path.name} {qid}: {parts}"
        sol = parts["solution"]
        assert tmpl.is_folded(sol) and sol.source.startswith("# @title Решение")
        assert f"assert {qid}.check(" in sol.source
        assert "nbval-check-output" in parts["stub"].metadata.get("tags", [])
        printed = "".join(o.get("text", "") for o in parts["stub"].outputs)
        assert ex.UNSOLVED in printed, f"{path.name} {qid}: stub output {printed!r}"
        sol_printed = "".join(o.get("text", "") for o in sol.outputs)
        assert f"{ex.CORRECT}" in sol_printed
    # no answer is visible: conceptual answers are folded in <details>,
    # not open «**Решение.**» paragraphs
    for cell in nb.cells[start:]:
        if cell.cell_type == "markdown":
            assert not cell.source.lstrip().startswith("**Решение"), \
                f"{path.name}: an open solution:\n{cell.source[:80]}"


@pytest.mark.parametrize("lesson, fw", CASES)
def test_stub_solution_and_wrong_answer(lesson, fw):
    module = importlib.import_module(f"utils.{LESSONS[lesson]}")
    _, cells = exercise_cells(tmpl.NOTEBOOKS / f"{lesson}_{fw}.ipynb")
    base = namespace(fw)
    qs = module.make_exercises(FRAMEWORKS[fw])
    for i, (qid, parts) in enumerate(sorted(cells.items())):
        ns = {**base, qid: qs[i]}
        # the untouched stub: «Пока не решено», never an exception
        printed = run(parts["stub"].source, ns)
        assert ex.UNSOLVED in printed and ex.CORRECT not in printed, printed
        # the reference solution, up to its check
        src = parts["solution"].source
        end = src.index(f"assert {qid}.check(")
        end = src.index("\n", end) if "\n" in src[end:] else len(src)
        printed = run(src[:end], dict(ns))
        assert ex.CORRECT in printed, printed
        # a plausible wrong answer: rejected, and the message names the case
        wrong = WRONG[lesson, qid]
        code, expr, word = wrong.get(fw) or wrong["any"]
        wns = dict(ns)
        run(code, wns)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            verdict = qs[i].check(eval(expr, wns))
        assert verdict is False, out.getvalue()
        assert "Неверно" in out.getvalue() and word in out.getvalue(), \
            out.getvalue()


def test_check_never_raises_and_reports_crashes():
    def boom(*args, **kwargs):
        raise ZeroDivisionError("деление на ноль")

    q = ex.Exercise("Проба", lambda fn, ad: ex.call(fn, 1, case="x = 1"),
                    "подсказка")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert q.check(boom) is False
        assert q.check(None) is False
        assert q.check(lambda x: None) is False
        assert q.check(lambda x: x) is True
        q.hint()
    text = out.getvalue()
    assert "x = 1" in text and "ZeroDivisionError" in text
    assert text.count(ex.UNSOLVED) == 2 and ex.CORRECT in text
    assert "подсказка" in text


def test_to_numpy_takes_tensors_of_both_frameworks():
    import torch
    t = torch.ones(2, requires_grad=True) * 2
    np.testing.assert_array_equal(ex.to_numpy(t), [2.0, 2.0])
    np.testing.assert_array_equal(ex.to_numpy([[1, 2]]), [[1.0, 2.0]])
    with pytest.raises(TypeError):
        ex.to_numpy(object())
    with pytest.raises(ex.Wrong, match="Форма ответа"):
        ex.expect_close([1.0, 2.0], [1.0, 2.0, 3.0], "случай")
