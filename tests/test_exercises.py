"""Self-check exercises (utils.exercises*): for every exercise of the lessons
that have them, in both tracks, the notebook's own reference solution is
accepted, the untouched stub gets «Пока не решено», and a plausible wrong
answer is rejected with a message that names the failing case.

The stub and the solution are read from the notebooks (cells whose metadata
has ``exercise: {id, part}``), so what is tested is what the learner sees.
A solution cell is run up to its ``assert qN.check(...)`` line: what follows
is the lesson's demonstration, which nbval runs with the notebook.
"""
import ast
import contextlib
import importlib
import io
import math
import re
import warnings

import nbformat
import numpy as np
import pytest

from test_notebooks_structure import parse_code
from tools import stamp_notebooks as tmpl
from utils import exercises as ex

#: lessons whose exercises are self-checking (all six)
LESSONS = {"01_tensors": "exercises01", "02_gradient_descent": "exercises02",
           "03_sgd": "exercises03",
           "04_nonlinearity": "exercises04", "05_mlp_notmnist": "exercises05",
           "06_regression": "exercises06"}
FRAMEWORKS = {"pytorch": "torch", "tensorflow": "tensorflow"}

def adam_l2(base: str) -> str:
    """Lesson 03, q2: the (right) L2 variant of the learner's Adam class
    ``base``, the same in both tracks; the wrong AdamW below builds on it."""
    return (f"class AdamL2({base}):\n"
            "    def __init__(self, params, lr, weight_decay):\n"
            "        super().__init__(params, lr)\n"
            "        self.weight_decay = weight_decay\n"
            "    def step(self, grads):\n"
            "        super().step([g + self.weight_decay * p\n"
            "                      for p, g in zip(self.params, grads)])\n")


# plausible mistakes, per exercise and track: (code that defines the
# answer, the expression checked, a word the verdict must contain)
WRONG = {
    ("01_tensors", "q1"): {
        "pytorch": ("def pairwise_sq_dists(P, C):\n"  # summed the wrong axis
                    "    return ((P[:, None, :] - C[None, :, :]) ** 2)"
                    ".sum(dim=1)", "pairwise_sq_dists", "C формы (3, 2)"),
        "tensorflow": ("def pairwise_sq_dists(P, C):\n"
                       "    return tf.reduce_sum("
                       "(P[:, None, :] - C[None, :, :]) ** 2, axis=1)",
                       "pairwise_sq_dists", "C формы (3, 2)"),
    },
    ("01_tensors", "q2"): {
        "pytorch": ("def central_diff(f, x, h):\n"  # a forward difference
                    "    return torch.stack([(f(x + h * e) - f(x)) / h\n"
                    "        for e in torch.eye(len(x), dtype=x.dtype)])",
                    "central_diff", "h=0.1"),
        "tensorflow": ("def central_diff(f, x, h):\n"
                       "    return tf.stack([(f(x + h * e) - f(x)) / h\n"
                       "        for e in tf.eye(len(x), dtype=x.dtype)])",
                       "central_diff", "h=0.1"),
    },
    ("01_tensors", "q3"): {
        "pytorch": ("def sigmoid_grad(xs):\n"  # mean instead of sum
                    "    xs = xs.clone().requires_grad_(True)\n"
                    "    torch.sigmoid(xs).mean().backward()\n"
                    "    return xs.grad", "sigmoid_grad", "xs = ["),
        "tensorflow": ("def sigmoid_grad(xs):\n"
                       "    with tf.GradientTape() as tape:\n"
                       "        tape.watch(xs)\n"
                       "        s = tf.reduce_mean(tf.sigmoid(xs))\n"
                       "    return tape.gradient(s, xs)",
                       "sigmoid_grad", "xs = ["),
    },
    ("01_tensors", "q4"): {  # the first derivative: right only at x = 2
        "pytorch": ("def second_derivative(f, x):\n"
                    "    x = torch.tensor(x, requires_grad=True)\n"
                    "    return torch.autograd.grad(f(x), x)[0]",
                    "second_derivative", "x³ при x = 1.0"),
        "tensorflow": ("def second_derivative(f, x):\n"
                       "    x = tf.Variable(x)\n"
                       "    with tf.GradientTape() as tape:\n"
                       "        y = f(x)\n"
                       "    return tape.gradient(y, x)",
                       "second_derivative", "x³ при x = 1.0"),
    },
    ("02_gradient_descent", "q1"): {
        "any": ("def momentum_step(theta, v, grad, lr, mu):\n"  # sign error
                "    v = mu * v + lr * grad\n"
                "    return theta + v, v",
                "momentum_step", "lr=0.02, mu=0.9"),
    },
    ("02_gradient_descent", "q2"): {  # the mean of the K losses, not the sum
        "pytorch": ("def final_losses(x, y, etas, theta0, num_steps):\n"
                    "    th = torch.tensor([list(theta0)] * len(etas),\n"
                    "                      dtype=torch.float64,"
                    " requires_grad=True)\n"
                    "    f = lambda th: ((th[:, :1] * x + th[:, 1:] - y)"
                    " ** 2).mean(dim=1)\n"
                    "    for step in range(num_steps):\n"
                    "        th.grad = None\n"
                    "        f(th).mean().backward()\n"
                    "        with torch.no_grad():\n"
                    "            th -= etas[:, None] * th.grad\n"
                    "    return f(th).detach()",
                    "final_losses", "num_steps=1"),
        "tensorflow": ("def final_losses(x, y, etas, theta0, num_steps):\n"
                       "    th = tf.Variable([list(theta0)] * len(etas),"
                       " dtype=tf.float64)\n"
                       "    f = lambda th: tf.reduce_mean("
                       "(th[:, :1] * x + th[:, 1:] - y) ** 2, axis=1)\n"
                       "    for step in range(num_steps):\n"
                       "        with tf.GradientTape() as tape:\n"
                       "            total = tf.reduce_mean(f(th))\n"
                       "        th.assign_sub(etas[:, None]"
                       " * tape.gradient(total, th))\n"
                       "    return f(th)",
                       "final_losses", "num_steps=1"),
    },
    ("02_gradient_descent", "q3"): {  # tanh' taken at T, not through H
        "pytorch": ("def tanh_backward(X, W1, W2, Y):\n"
                    "    T = X @ W1\n"
                    "    H = torch.tanh(T)\n"
                    "    delta = 2 * (H @ W2 - Y) / len(Y)\n"
                    "    dT = torch.outer(delta, W2) * (1 - T ** 2)\n"
                    "    return X.T @ dT, H.T @ delta",
                    "tanh_backward", "X формы (8, 3)"),
        "tensorflow": ("def tanh_backward(X, W1, W2, Y):\n"
                       "    T = X @ W1\n"
                       "    H = tf.tanh(T)\n"
                       "    delta = 2 * (tf.linalg.matvec(H, W2) - Y)"
                       " / len(Y)\n"
                       "    dT = delta[:, None] * W2 * (1 - T ** 2)\n"
                       "    return (tf.transpose(X) @ dT,\n"
                       "            tf.linalg.matvec(H, delta,"
                       " transpose_a=True))",
                       "tanh_backward", "X формы (8, 3)"),
    },
    ("03_sgd", "q1"): {  # plain momentum: the look-ahead term is missing
        "pytorch": ("class Nesterov(MomentumBuffer):\n"
                    "    @torch.no_grad()\n"
                    "    def step(self, grads):\n"
                    "        for p, b, g in zip(self.params, self.b, grads):\n"
                    "            b.copy_(self.mu * b + g)\n"
                    "            p -= self.lr * b",
                    "Nesterov", "после шага 1"),
        "tensorflow": ("class Nesterov(Momentum):\n"
                       "    def step(self, grads):\n"
                       "        for p, v, g in zip(self.params, self.v,"
                       " grads):\n"
                       "            v.assign(self.mu * v - self.lr * g)\n"
                       "            p.assign_add(v)",
                       "Nesterov", "после шага 1"),
    },
    ("03_sgd", "q2"): {  # AdamW decays by λθ, forgetting the factor η
        "pytorch": (adam_l2("Adam") +
                    "class AdamW(AdamL2):\n"
                    "    @torch.no_grad()\n"
                    "    def step(self, grads):\n"
                    "        for p in self.params:\n"
                    "            p -= self.weight_decay * p\n"
                    "        Adam.step(self, grads)",
                    "(AdamL2, AdamW)", "AdamW(params, lr=0.05"),
        "tensorflow": (adam_l2("AdamKeras") +
                       "class AdamW(AdamL2):\n"
                       "    def step(self, grads):\n"
                       "        for p in self.params:\n"
                       "            p.assign_sub(p * self.weight_decay)\n"
                       "        AdamKeras.step(self, grads)",
                       "(AdamL2, AdamW)", "AdamW(params, lr=0.05"),
    },
    ("03_sgd", "q3"): {  # the other framework's form
        "pytorch": ("", "Momentum", "какую форму реализует"),
        "tensorflow": ("", "MomentumBuffer", "какую форму реализует"),
    },
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
    ("05_mlp_notmnist", "q1"): {  # the biases forgotten
        "any": ("def count_params(hidden):\n"
                "    sizes = [28 * 28, *hidden, 10]\n"
                "    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))\n"
                "small_hidden = (256, 128)",
                "(count_params, small_hidden)", "count_params((512, 256))"),
    },
    ("05_mlp_notmnist", "q2"): {  # right for the lesson's ×4 grid only
        "any": ("def gain_per_doubling(widths, accs):\n"
                "    return np.diff(accs) / 2",
                "gain_per_doubling", "gain_per_doubling([1, 2, 4, 8]"),
    },
    ("05_mlp_notmnist", "q3"): {  # rows and columns swapped
        "any": ("def precision_recall_from_confusion(C):\n"
                "    hits = np.diag(C)\n"
                "    return hits / C.sum(axis=1), hits / C.sum(axis=0)",
                "precision_recall_from_confusion",
                "precision для C = [[5, 1, 0]"),
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


#: what a lesson's exercise cells build on (classes and helpers the lesson
#: defines earlier): these top-level definitions are taken from the notebook
#: and run before the stub and the solution
CONTEXT = {"03_sgd": ("Momentum", "MomentumBuffer", "Adam", "AdamKeras",
                      "f32")}


def lesson_context(nb, names):
    """Source of the top-level ``def``/``class`` statements named ``names``
    in the code cells of ``nb``, in notebook order."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code" or cell.metadata.get("exercise"):
            continue
        found += [ast.unparse(node)
                  for node in parse_code(cell.source).body
                  if isinstance(node, (ast.ClassDef, ast.FunctionDef))
                  and node.name in names and not node.decorator_list]
    return "\n\n\n".join(found)


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
    nb, cells = exercise_cells(tmpl.NOTEBOOKS / f"{lesson}_{fw}.ipynb")
    base = namespace(fw)
    run(lesson_context(nb, CONTEXT.get(lesson, ())), base)
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
        assert not verdict, out.getvalue()
        assert "Неверно" in out.getvalue() and word in out.getvalue(), \
            out.getvalue()


def test_check_never_raises_and_reports_crashes():
    def boom(*args, **kwargs):
        raise ZeroDivisionError("деление на ноль")

    q = ex.Exercise("Проба", lambda fn, ad: ex.call(fn, 1, case="x = 1"),
                    "подсказка")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert not q.check(boom)
        assert not q.check(None)
        assert not q.check(lambda x: None)
        assert q.check(lambda x: x)
        q.hint()
    text = out.getvalue()
    assert "x = 1" in text and "ZeroDivisionError" in text
    assert text.count(ex.UNSOLVED) == 2 and ex.CORRECT in text
    assert "подсказка" in text


def test_verdict_is_a_bool_that_jupyter_does_not_echo():
    assert bool(ex.Verdict(True)) and not ex.Verdict(False)
    assert ex.Verdict(False)._ipython_display_() is None


def test_precision_recall_names_the_zero_division_convention():
    """Lesson 05, q3: 0/0 is 0, as scikit-learn's ``zero_division=0``; a
    nan is rejected with the convention named, and without a warning."""
    from utils.exercises05 import make_exercises, precision_recall_reference
    precision, recall = precision_recall_reference([[2, 0], [1, 0]])
    np.testing.assert_array_equal(precision, [2 / 3, 0.0])
    np.testing.assert_array_equal(recall, [1.0, 0.0])

    def naive(C):
        hits = np.diag(C)
        return hits / C.sum(axis=0), hits / C.sum(axis=1)

    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not make_exercises("torch")[2].check(naive)
    assert "0/0" in out.getvalue() and "nan" in out.getvalue(), out.getvalue()


def test_to_numpy_takes_tensors_of_both_frameworks():
    import torch
    t = torch.ones(2, requires_grad=True) * 2
    np.testing.assert_array_equal(ex.to_numpy(t), [2.0, 2.0])
    np.testing.assert_array_equal(ex.to_numpy([[1, 2]]), [[1.0, 2.0]])
    with pytest.raises(TypeError):
        ex.to_numpy(object())
    with pytest.raises(ex.Wrong, match="Форма ответа"):
        ex.expect_close([1.0, 2.0], [1.0, 2.0, 3.0], "случай")
