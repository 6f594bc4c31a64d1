"""Exercises of lesson 01 (tensors and automatic differentiation), both tracks.

    q1, q2, q3, q4 = make_exercises("torch")   # or "tensorflow"
"""
from __future__ import annotations

import numpy as np

from .exercises import Exercise, Wrong, call, expect_close, short, to_numpy


def _pairwise(fn, adapter) -> None:
    rng = np.random.default_rng(1)
    for n, k in ((2, 3), (1, 4), (6, 1)):
        P, C = rng.normal(size=(n, 2)), rng.normal(size=(k, 2))
        got = call(fn, adapter.tensor(P), adapter.tensor(C),
                   case=f"P формы ({n}, 2), C формы ({k}, 2)")
        expected = ((P[:, None, :] - C[None, :, :]) ** 2).sum(axis=-1)
        values = f", P = {short(P)}, C = {short(C)}" if n * k <= 6 else ""
        expect_close(got, expected,
                     f"pairwise_sq_dists(P, C) для P формы ({n}, 2) и C "
                     f"формы ({k}, 2){values}")


def central_diff_reference(f, x, h) -> np.ndarray:
    """Central differences of a NumPy function ``f`` at ``x``, one per axis."""
    x = np.asarray(x, dtype=np.float64)
    return np.array([(f(x + h * e) - f(x - h * e)) / (2 * h)
                     for e in np.eye(len(x))])


_W = np.array([[1.0, -2.0, 0.5], [0.3, 0.8, -1.1]])
_FUNCS = [  # (how the case is named, NumPy function of a vector)
    ("f(x) = sum(tanh(W x))", lambda x: np.tanh(_W @ x).sum()),
    ("f(x) = sum(x³) + x₁x₂", lambda x: (x ** 3).sum() + x[0] * x[1]),
]


def _central_diff(fn, adapter) -> None:
    rng = np.random.default_rng(2)
    for name, f_np in _FUNCS:
        for h in (0.1, 1e-3):
            x = rng.normal(size=3)

            def f(t, f_np=f_np):  # the learner's tensors in and out
                return adapter.tensor(np.float64(f_np(to_numpy(t))))

            got = call(fn, f, adapter.tensor(x), h,
                       case=f"{name}, h = {h}")
            expect_close(got, central_diff_reference(f_np, x, h),
                         f"central_diff(f, x, h={h}) для {name}, "
                         f"x = {short(x)}", rtol=1e-7, atol=1e-9)


def _sigmoid_grad(fn, adapter) -> None:
    rng = np.random.default_rng(3)
    for xs in (np.linspace(-6.0, 6.0, 5), rng.uniform(-6, 6, size=7)):
        got = call(fn, adapter.tensor(xs), case=f"xs = {short(xs)}")
        s = 1 / (1 + np.exp(-xs))
        expect_close(got, s * (1 - s), f"sigmoid_grad(xs) для xs = "
                                       f"{short(xs)}", rtol=1e-6, atol=1e-9)


_SECOND = [  # (name, function of a tensor by operators only, f'' in NumPy)
    ("x³", lambda t: t ** 3, lambda x: 6 * x, (2.0, 1.0, -0.5)),
    ("x⁴ − 2x²", lambda t: t ** 4 - 2 * t ** 2, lambda x: 12 * x ** 2 - 4,
     (1.0, 0.5)),
    ("1/(1 + x²)", lambda t: 1 / (1 + t * t),
     lambda x: (6 * x ** 2 - 2) / (1 + x ** 2) ** 3, (0.0, 1.5)),
]


def _second_derivative(fn, adapter) -> None:
    for name, f, d2f, points in _SECOND:
        for x in points:
            case = f"second_derivative(f, {x}) для f(x) = {name} при x = {x}"
            got = call(fn, f, x, case=case)
            expect_close(got, d2f(x), case, rtol=1e-5, atol=1e-6)


def make_exercises(framework: str):
    """The four exercises of lesson 01 for ``framework``."""
    q1 = Exercise(
        "Упражнение 1", _pairwise,
        "P[:, None, :] имеет форму (n, 1, 2), C[None, :, :] — (1, k, 2); "
        "их разность транслируется в (n, k, 2). Возведите в квадрат и "
        "просуммируйте по последней оси (dim=-1 / axis=-1).", framework)
    q2 = Exercise(
        "Упражнение 2", _central_diff,
        "для каждого орта e_i (строки единичной матрицы torch.eye / tf.eye "
        "с dtype=x.dtype) посчитайте (f(x + h·e_i) − f(x − h·e_i)) / (2h) "
        "и соберите числа в вектор (torch.stack / tf.stack).", framework)
    q3 = Exercise(
        "Упражнение 3", _sigmoid_grad,
        "сигмоида поэлементная: производная σ(x_i) по x_i — это градиент "
        "суммы σ(x_1) + … + σ(x_n) по x_i. В PyTorch нужен тензор с "
        "requires_grad=True (xs.clone().requires_grad_()), в TensorFlow — "
        "tape.watch(xs).", framework)
    q4 = Exercise(
        "Упражнение 4", _second_derivative,
        "продифференцируйте дважды: первая производная должна сама "
        "записываться в граф (create_graph=True в torch.autograd.grad, или "
        "внешняя лента tf.GradientTape вокруг внутренней), а x — тензор "
        "с градиентом (requires_grad=True / tf.Variable).", framework)
    return q1, q2, q3, q4
