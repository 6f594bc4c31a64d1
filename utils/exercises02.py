"""Exercises of lesson 02 (gradient descent by hand, backprop by hand), both
tracks.

    q1, q2, q3 = make_exercises("torch")   # or "tensorflow"
"""
from __future__ import annotations

import numpy as np

from .exercises import Exercise, Wrong, call, expect_close, short


def _pair(got, what: str):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Wrong(what, why="Нужно вернуть два значения, " + what + ".")
    return got


def _momentum(fn, adapter) -> None:
    rng = np.random.default_rng(21)
    for lr, mu in ((0.02, 0.9), (0.1, 0.5), (0.3, 0.0)):
        theta, v, grad = (rng.normal(size=2) for _ in range(3))
        case = (f"momentum_step(theta, v, grad, lr={lr}, mu={mu}) при "
                f"theta = {short(theta)}, v = {short(v)}, grad = {short(grad)}")
        got = call(fn, adapter.tensor(theta), adapter.tensor(v),
                   adapter.tensor(grad), lr, mu, case=case)
        new_theta, new_v = _pair(got, "(theta, v) после шага")
        want_v = mu * v - lr * grad
        expect_close(new_v, want_v, case + ": новая скорость v")
        expect_close(new_theta, theta + want_v, case + ": новое theta")


def final_losses_reference(x, y, etas, theta0, num_steps) -> np.ndarray:
    """Loss L(w, b) = mean((w x + b − y)²) after ``num_steps`` gradient
    descent steps from ``theta0``, one run per learning rate in ``etas``."""
    out = []
    for eta in etas:
        w, b = theta0
        for _ in range(num_steps):
            r = w * x + b - y
            w, b = w - eta * 2 * np.mean(r * x), b - eta * 2 * np.mean(r)
        out.append(np.mean((w * x + b - y) ** 2))
    return np.array(out)


def _final_losses(fn, adapter) -> None:
    rng = np.random.default_rng(22)
    x = rng.uniform(0, 2, 6)
    y = 3 * x + 2 + 0.3 * rng.normal(size=6)
    etas = np.array([0.05, 0.2, 0.5])    # the last one diverges
    for theta0, num_steps in (((0.0, 2.0), 0), ((0.0, 2.0), 1),
                              ((1.0, -1.0), 5)):
        case = (f"final_losses(x, y, etas={etas.tolist()}, "
                f"theta0={theta0}, num_steps={num_steps}) при "
                f"x = {short(x)}, y = {short(y)}")
        got = call(fn, adapter.tensor(x), adapter.tensor(y),
                   adapter.tensor(etas), theta0, num_steps, case=case)
        expect_close(got, final_losses_reference(x, y, etas, theta0,
                                                 num_steps), case, rtol=1e-9)


def tanh_backward_reference(X, W1, W2, Y):
    """dL/dW1, dL/dW2 for ŷ = tanh(X W1) W2, L = mean((ŷ − Y)²)."""
    H = np.tanh(X @ W1)
    delta = 2 * (H @ W2 - Y) / len(Y)
    return X.T @ (np.outer(delta, W2) * (1 - H ** 2)), H.T @ delta


def _tanh_backward(fn, adapter) -> None:
    rng = np.random.default_rng(23)
    for n, d, m in ((8, 3, 4), (5, 2, 3)):
        X, Y = rng.normal(size=(n, d)), rng.normal(size=n)
        W1, W2 = rng.normal(size=(d, m)), rng.normal(size=m)
        case = (f"tanh_backward(X, W1, W2, Y) для X формы ({n}, {d}), "
                f"W1 формы ({d}, {m}), W2 формы ({m},)")
        got = call(fn, *(adapter.tensor(a) for a in (X, W1, W2, Y)),
                   case=case)
        dW1, dW2 = _pair(got, "(dW1, dW2)")
        want1, want2 = tanh_backward_reference(X, W1, W2, Y)
        expect_close(dW2, want2, case + ": dL/dW2", rtol=1e-9, atol=1e-12)
        expect_close(dW1, want1, case + ": dL/dW1", rtol=1e-9, atol=1e-12)


def make_exercises(framework: str):
    """The three exercises of lesson 02 for ``framework``."""
    q1 = Exercise(
        "Упражнение 1", _momentum,
        "сначала новая скорость v = mu·v − lr·grad (против градиента, "
        "поэтому минус), потом theta + v — уже с новой v.", framework)
    q2 = Exercise(
        "Упражнение 2", _final_losses,
        "параметры всех K запусков — одна матрица (K, 2), строка k — (w, b) "
        "k-го запуска. Градиент суммы (не среднего!) потерь по всем "
        "запускам даёт по строке k градиент потерь k-го запуска; шаг — "
        "thetas − etas[:, None] · градиент. При num_steps = 0 верните "
        "начальные потери.", framework)
    q3 = Exercise(
        "Упражнение 3", _tanh_backward,
        "как с ReLU: delta = 2(ŷ − Y)/N, dW2 = Hᵀ·delta, dH = delta·W2ᵀ, "
        "но dT = dH·(1 − H²), где H = tanh(T) уже посчитан; dW1 = Xᵀ·dT. "
        "N возьмите из формы Y.", framework)
    return q1, q2, q3
