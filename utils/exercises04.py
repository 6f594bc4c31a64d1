"""Exercises of lesson 04 (why a network needs a nonlinearity), both tracks.

    q1, q2, q3 = make_exercises("torch")   # or "tensorflow"
"""
from __future__ import annotations

import numpy as np

from .exercises import Exercise, Wrong, call, expect_close, short, to_numpy

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0.0, 1.0, 1.0, 0.0])
SHAPES = {"W1": (2, 2), "b1": (2,), "W2": (1, 2), "b2": (1,)}


def _xor_weights(answer, adapter) -> None:
    if not isinstance(answer, (tuple, list)) or len(answer) != 4:
        raise Wrong("ответ", why="Нужен кортеж из четырёх массивов: "
                                 "(W1, b1, W2, b2).")
    arrays = {}
    for (name, shape), value in zip(SHAPES.items(), answer):
        if value is None:
            raise Wrong(f"{name} не задан", why="Задайте все четыре массива.")
        arr = to_numpy(value)
        if arr.size == np.prod(shape):  # [[1, 2]] and [1, 2] are both fine
            arr = arr.reshape(shape)
        if arr.shape != shape:
            raise Wrong(f"форма {name}", shape, arr.shape)
        arrays[name] = arr
    hidden = np.maximum(XOR_X @ arrays["W1"].T + arrays["b1"], 0.0)
    out = hidden @ arrays["W2"].T + arrays["b2"]
    for x, want, got in zip(XOR_X, XOR_Y, out[:, 0]):
        if not np.isclose(got, want, atol=1e-6):
            raise Wrong(f"на входе ({x[0]:.0f}, {x[1]:.0f})", want, got)


def _poly_degree(fn, adapter) -> None:
    for layers in range(6):
        got = call(fn, layers, case=f"poly_degree({layers})")
        expect_close(got, 2 ** layers,
                     f"степень сети с {layers} скрытыми слоями, poly_degree("
                     f"{layers})", rtol=0, atol=0)


def _product_feature(fn, adapter) -> None:
    rng = np.random.default_rng(4)
    for n in (1, 5):
        X = rng.uniform(-1, 1, size=(n, 2))
        got = call(fn, adapter.tensor(X), case=f"X формы ({n}, 2)")
        expected = np.column_stack([X, X[:, 0] * X[:, 1]])
        expect_close(got, expected,
                     f"add_product_feature(X) для X = {short(X)}")


def make_exercises(framework: str):
    """The three exercises of lesson 04 for ``framework``."""
    q1 = Exercise(
        "Упражнение 1", _xor_weights,
        "пусть оба скрытых нейрона смотрят на сумму x1 + x2 (на четырёх "
        "точках она равна 0, 1, 1, 2), но с разными смещениями, а выход "
        "вычитает второй из первого с подходящим весом.", framework)
    q2 = Exercise(
        "Упражнение 2", _poly_degree,
        "линейный слой сохраняет степень многочлена, а квадрат её удваивает; "
        "вход x — многочлен степени 1.", framework)
    q3 = Exercise(
        "Упражнение 3", _product_feature,
        "склейте столбцы X[:, 0], X[:, 1] и их поэлементное произведение "
        "(torch.stack / tf.stack с axis=1, или torch.cat / tf.concat).",
        framework)
    return q1, q2, q3
