"""Exercises of lesson 06 (regression with Adam; overfitting), both tracks.

    q1, q2, q3 = make_exercises("torch")   # or "tensorflow"
"""
from __future__ import annotations

import numpy as np

from .exercises import Exercise, Wrong, call, expect_close, short, to_numpy


def huber_reference(pred, y, delta=1.0) -> float:
    """Mean Huber loss (NumPy): r²/2 for |r| ≤ δ, δ(|r| − δ/2) beyond."""
    r = np.abs(np.asarray(pred) - np.asarray(y))
    return float(np.mean(np.where(r <= delta, r ** 2 / 2,
                                  delta * (r - delta / 2))))


def _huber(fn, adapter) -> None:
    rng = np.random.default_rng(6)
    cases = [(np.array([0.0, 0.5, -2.0, 3.0]), np.array([0.2, 0.0, 1.0, 3.1]),
              1.0)]
    for delta in (0.5, 1.0, 2.0):  # residuals on both sides of δ
        cases.append((rng.normal(0, 2, 8), rng.normal(0, 2, 8), delta))
    for pred, y, delta in cases:
        got = call(fn, adapter.tensor(pred), adapter.tensor(y), delta=delta,
                   case=f"delta = {delta}")
        expect_close(got, huber_reference(pred, y, delta),
                     f"huber(pred, y, delta={delta}) при pred = "
                     f"{short(pred, 2)}, y = "
                     f"{short(y, 2)}")


def _band(fn, adapter) -> None:
    rng = np.random.default_rng(7)
    preds = rng.normal(size=(5, 7))     # 5 сетей × 7 точек
    got = call(fn, preds, case="preds формы (5, 7)")
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise Wrong("ensemble_band(preds)",
                    why="Нужно вернуть три массива: (mean, low, high).")
    mean, std = preds.mean(axis=0), preds.std(axis=0)
    for name, value, want in zip(("mean", "low", "high"), got,
                                 (mean, mean - 2 * std, mean + 2 * std)):
        expect_close(value, want, f"{name} для preds формы (5, 7): 5 сетей × "
                                  f"7 точек, среднее по сетям")


def stop_reference(val_losses, patience) -> bool:
    """True when the minimum is ``patience`` or more epochs old."""
    best = int(np.argmin(val_losses)) + 1     # first epoch of the minimum
    return len(val_losses) - best >= patience


def _should_stop(fn, adapter) -> None:
    rng = np.random.default_rng(8)
    cases = [([3.0, 2.0, 1.0], 2), ([1.0, 2.0, 3.0], 2), ([1.0, 2.0, 3.0], 3),
             ([2.0, 1.0, 1.0, 1.0], 2), ([2.0, 1.0, 1.0, 1.0], 3)]
    cases += [(list(rng.normal(size=int(rng.integers(1, 12)))),
               int(rng.integers(1, 5))) for _ in range(40)]
    for losses, patience in cases:
        got = call(fn, list(losses), patience,
                   case=f"val_losses = {short(losses, 2)}")
        want = stop_reference(losses, patience)
        if to_numpy(got).shape != () or bool(got) != want:
            raise Wrong(f"should_stop({short(losses, 2)}, "
                        f"patience={patience})", want, got)


def make_exercises(framework: str):
    """The three exercises of lesson 06 for ``framework``."""
    q1 = Exercise(
        "Упражнение 1", _huber,
        "r = |pred − y|; где r ≤ delta — r²/2, иначе delta·(r − delta/2) "
        "(torch.where / tf.where), потом среднее.", framework)
    q2 = Exercise(
        "Упражнение 2", _band,
        "строка preds — одна сеть, столбец — одна точка: усредняйте по оси 0 "
        "(axis=0), std — тоже по оси 0.", "numpy")
    q3 = Exercise(
        "Упражнение 3", _should_stop,
        "найдите эпоху минимума (первую, np.argmin + 1) и сравните, сколько "
        "эпох прошло после неё, с patience.", "numpy")
    return q1, q2, q3
