"""Exercises of lesson 05 (an MLP on notMNIST), both tracks.

    q1, q2, q3 = make_exercises("torch")   # or "tensorflow"

The checks are arithmetic on the answer and never train a network: whether
a smaller network keeps the accuracy (q1) and where the accuracy stops
growing with the width (q2) is shown by the training in the folded solution
cells, which CI runs with the notebooks.
"""
from __future__ import annotations

import numpy as np

from .exercises import (Exercise, Wrong, call, expect_close, short,
                        to_numpy)

N_IN, N_OUT = 28 * 28, 10
BASE_HIDDEN = (512, 256)


def _n(number: int) -> str:
    """``number`` with a space between thousands, as Russian text writes."""
    return f"{number:,}".replace(",", " ")


def count_params_reference(hidden) -> int:
    """Weights and biases of an MLP 784 → ``hidden`` → 10 (no batch norm)."""
    sizes = [N_IN, *hidden, N_OUT]
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def _hidden_sizes(value) -> tuple:
    """``value`` as a tuple of positive ints, or :class:`Wrong`."""
    try:
        sizes = tuple(value)
    except TypeError:
        sizes = None
    if not sizes or not all(
            isinstance(n, (int, np.integer)) and not isinstance(n, bool)
            and n > 0 for n in sizes):
        raise Wrong(f"small_hidden = {value!r}",
                    why="Нужен кортеж целых положительных размеров скрытых "
                        "слоёв, хотя бы один, например (64, 32).")
    return tuple(int(n) for n in sizes)


def _smaller_net(answer, adapter) -> None:
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise Wrong("ответ", why="Нужна пара (count_params, small_hidden).")
    fn, small_hidden = answer
    rng = np.random.default_rng(5)
    cases = [BASE_HIDDEN, (512, 256, 128, 32), (), (8,)]
    cases += [tuple(int(n) for n in rng.integers(1, 301, size=k))
              for k in (1, 2, 3)]
    for hidden in cases:
        got = call(fn, hidden, case=f"count_params({hidden})")
        expect_close(got, count_params_reference(hidden),
                     f"count_params({hidden}) — сеть "
                     f"{' → '.join(map(str, (N_IN, *hidden, N_OUT)))}",
                     rtol=0, atol=0)
    if small_hidden is None or small_hidden is Ellipsis:
        raise Wrong("count_params верна, но small_hidden не задан",
                    why="Осталось выбрать "
                        "размеры скрытых слоёв.")
    sizes = _hidden_sizes(small_hidden)
    n_small = count_params_reference(sizes)
    n_base = count_params_reference(BASE_HIDDEN)
    if 2 * n_small > n_base:
        raise Wrong(f"у сети {list(sizes)} — {_n(n_small)} параметров",
                    why=f"Это больше половины базы {list(BASE_HIDDEN)} "
                        f"({_n(n_base)} / 2 = {_n(n_base // 2)}). Сузьте "
                        f"прежде всего первый слой: в нём 784 входа.")


def gain_per_doubling_reference(widths, accs) -> np.ndarray:
    """Accuracy gain between neighbouring widths per doubling of width."""
    return np.diff(accs) / np.diff(np.log2(widths))


def _gain_per_doubling(fn, adapter) -> None:
    rng = np.random.default_rng(55)
    cases = [([8, 32, 128, 512], [0.85, 0.886, 0.891, 0.902]),
             ([1, 2, 4, 8], [0.3, 0.5, 0.6, 0.65]),
             ([10, 20, 160], [0.7, 0.8, 0.83]),    # в 2 и в 8 раз
             ([3, 5, 100, 101, 1000], None)]
    for widths, accs in cases:
        if accs is None:
            accs = list(np.round(np.sort(rng.uniform(0.5, 1.0, len(widths))),
                                 3))
        got = call(fn, list(widths), list(accs),
                   case=f"gain_per_doubling({widths}, {short(accs)})")
        expect_close(got, gain_per_doubling_reference(widths, accs),
                     f"gain_per_doubling({widths}, {short(accs)})")


def precision_recall_reference(C) -> tuple:
    """Per-class (precision, recall) of confusion matrix ``C`` (row: true
    class, column: answer) by scikit-learn, 0/0 counted as 0."""
    from sklearn.metrics import precision_recall_fscore_support
    C = np.asarray(C)
    K = len(C)
    true, pred = np.indices((K, K)).reshape(2, -1)
    counts = C.ravel()
    precision, recall, _, _ = precision_recall_fscore_support(
        np.repeat(true, counts), np.repeat(pred, counts), labels=range(K),
        zero_division=0)
    return precision, recall


def _precision_recall(fn, adapter) -> None:
    rng = np.random.default_rng(50)
    lesson_like = rng.integers(0, 4, size=(10, 10)) + np.diag(
        rng.integers(150, 190, size=10))
    cases = [([[5, 1, 0], [2, 3, 1], [0, 0, 4]], ""),
             (rng.integers(0, 10, size=(4, 4)), ""),
             ([[4, 1, 0], [1, 3, 0], [2, 1, 0]],
              " (класс 2 ни разу не назван)"),
             ([[3, 1, 0], [0, 0, 0], [1, 0, 2]],
              " (класса 1 нет среди верных ответов)"),
             (lesson_like, "")]
    for C, note in cases:
        C = np.array(C)
        name = (f"C = {C.tolist()}" if len(C) <= 4 else
                "случайной C 10 × 10 (как у итоговой модели)") + note
        with np.errstate(divide="ignore", invalid="ignore"):
            got = call(fn, C.copy(), case=f"для {name}")
        if not isinstance(got, (tuple, list, np.ndarray)) or len(got) != 2:
            raise Wrong(f"precision_recall_from_confusion для {name}",
                        why="Нужно вернуть два массива: (precision, recall).")
        for metric, value, want in zip(("precision", "recall"), got,
                                       precision_recall_reference(C)):
            try:
                has_nan = np.isnan(to_numpy(value)).any()
            except (TypeError, ValueError):
                has_nan = False    # не массив чисел: скажет expect_close
            if has_nan:
                raise Wrong(f"{metric} для {name}", want, value,
                            "0/0 дал nan: по условию precision класса, "
                            "который ни разу не назван (столбец из нулей), "
                            "и recall класса без картинок (строка из нулей) "
                            "равны 0, как у zero_division=0.")
            expect_close(value, want, f"{metric} для {name}")


def make_exercises(framework: str):
    """The three exercises of lesson 05 for ``framework``."""
    q1 = Exercise(
        "Упражнение 1", _smaller_net,
        "слой n_in → n_out хранит n_in·n_out весов и n_out смещений; "
        "размеры слоёв по порядку — [784, *hidden, 10]. Почти все "
        "параметры — в первом слое, его и сужайте.", "numpy")
    q2 = Exercise(
        "Упражнение 2", _gain_per_doubling,
        "np.diff(accs) — прибавки между соседними ширинами; число удвоений "
        "от ширины w до w' равно log2(w'/w), для всех пар сразу — "
        "np.diff(np.log2(widths)).",
        "numpy")
    q3 = Exercise(
        "Упражнение 3", _precision_recall,
        "np.diag(C) — верные ответы; C.sum(axis=0) — сколько раз назван "
        "каждый класс (столбцы), C.sum(axis=1) — сколько картинок в каждом "
        "классе (строки). Чтобы 0/0 дал 0, а не nan: np.divide(a, b, "
        "out=np.zeros(len(a)), where=b > 0).", "numpy")
    return q1, q2, q3
