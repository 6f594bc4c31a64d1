"""Self-check exercises: the learner's answer, a checker, a hint.

A lesson's exercises live in ``utils/exercisesNN.py`` (one module per lesson,
shared by its two tracks); this module is the framework-neutral core they are
built from.  In a notebook::

    q1, q2, q3 = make_exercises("torch")   # or "tensorflow"
    q1.hint()                              # prints a hint
    q1.check(my_answer)                    # prints a verdict, returns bool

:meth:`Exercise.check` never raises: a wrong answer, a crash in the learner's
code or an untouched stub each print a Russian verdict, so «Run all» always
reaches the end of the notebook.  The checks are property checks on fixed
random inputs against a NumPy reference where the answer is a function.
Answers may be NumPy arrays, lists, PyTorch or TensorFlow tensors: they are
converted with :func:`to_numpy`, which imports neither framework.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

CORRECT = "Верно!"
UNSOLVED = "Пока не решено"


class Unsolved(Exception):
    """The answer is still the stub (None, ``...``, NotImplementedError)."""


class Wrong(Exception):
    """A failing case: the input, what was expected and what came back."""

    def __init__(self, case: str, expected: Any = None, got: Any = None,
                 why: str = ""):
        self.case, self.expected, self.got, self.why = case, expected, got, why
        super().__init__(self.message())

    def message(self) -> str:
        parts = [f"Неверно: {self.case}."]
        if self.expected is not None:
            parts.append(f"Ожидалось: {show(self.expected)}.")
        if self.got is not None:
            parts.append(f"Получено: {show(self.got)}.")
        if self.why:
            parts.append(self.why)
        return " ".join(parts)


def show(value: Any) -> str:
    """A short readable form of a number, an array or a tensor."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    try:
        arr = to_numpy(value)
    except (TypeError, ValueError):
        return repr(value)
    if arr.ndim == 0:
        return f"{arr.item():.6g}"
    return np.array2string(arr, precision=4, suppress_small=True,
                           max_line_width=70, threshold=20)


def short(value: Any, digits: int = 3) -> str:
    """An input of a failing case as a rounded list: ``[0.886, 0.023]``."""
    return str(np.round(np.asarray(value), digits).tolist())


def to_numpy(value: Any) -> np.ndarray:
    """NumPy array (float64 if numeric) from a number, a list, an array, a
    PyTorch tensor (also on a GPU or with ``requires_grad``) or a TensorFlow
    tensor/variable.  Neither framework is imported."""
    if hasattr(value, "detach"):           # torch.Tensor
        value = value.detach().cpu()
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()              # torch (on the CPU) or TensorFlow
    arr = np.asarray(value)
    if arr.dtype == object:
        raise TypeError("не число и не массив")
    if arr.dtype.kind in "biuf":
        arr = arr.astype(np.float64)
    return arr


def is_stub(value: Any) -> bool:
    """True for the untouched answer of a stub cell."""
    if value is None or value is Ellipsis:
        return True
    if isinstance(value, (tuple, list)) and value and all(
            v is None or v is Ellipsis for v in value):
        return True
    return False


def expect_close(got: Any, expected: Any, case: str, *, rtol=1e-6,
                 atol=1e-8) -> None:
    """Raise :class:`Wrong` for ``case`` unless ``got`` ≈ ``expected``
    (same shape, values within the tolerances)."""
    try:
        g = to_numpy(got)
    except (TypeError, ValueError):
        raise Wrong(case, expected, None,
                    f"Ответ должен быть числом или массивом, а не "
                    f"{type(got).__name__}.") from None
    e = to_numpy(expected)
    if g.shape != e.shape:
        raise Wrong(case, expected, got,
                    f"Форма ответа {tuple(g.shape)}, а нужна {tuple(e.shape)}.")
    if not np.allclose(g, e, rtol=rtol, atol=atol, equal_nan=False):
        raise Wrong(case, expected, got)


class Adapter:
    """How the checker hands inputs to a learner's function: as NumPy arrays,
    PyTorch tensors or TensorFlow tensors (the framework is imported only
    when the first input is made)."""

    def __init__(self, framework: str):
        if framework not in ("numpy", "torch", "tensorflow"):
            raise ValueError(f"неизвестный фреймворк {framework!r}: нужен "
                             "'torch', 'tensorflow' или 'numpy'")
        self.framework = framework

    def tensor(self, array) -> Any:
        array = np.asarray(array)
        if self.framework == "torch":
            import torch
            return torch.as_tensor(array)
        if self.framework == "tensorflow":
            import tensorflow as tf
            return tf.constant(array)
        return array


def call(fn: Callable, *args, case: str, **kwargs) -> Any:
    """Call the learner's ``fn``; a stub result means «not solved yet», an
    exception becomes a :class:`Wrong` that names the case."""
    try:
        out = fn(*args, **kwargs)
    except NotImplementedError:
        raise Unsolved from None
    except Exception as err:  # the learner's code failed: say where
        raise Wrong(case, why=f"Функция упала: {type(err).__name__}: "
                              f"{err}") from None
    if is_stub(out):
        raise Unsolved
    return out


class Verdict:
    """What :meth:`Exercise.check` returns: true when the answer is right.

    The verdict is printed by ``check`` itself; in Jupyter the returned object
    shows nothing more (``_ipython_display_``), so a learner's cell does not end
    with a stray ``True``/``False``, and a solution cell can still say
    ``assert q1.check(answer)``.
    """

    def __init__(self, ok: bool):
        self.ok = bool(ok)

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return f"<проверка: {CORRECT if self.ok else 'не пройдена'}>"

    def _ipython_display_(self) -> None:
        pass  # already printed by check()


class Exercise:
    """One exercise: ``check(answer)`` prints a verdict, ``hint()`` a hint.

    ``checker(answer, adapter)`` raises :class:`Wrong` (or :class:`Unsolved`)
    when the answer is not right, and returns normally when it is.
    """

    def __init__(self, title: str, checker: Callable[[Any, Adapter], None],
                 hint: str, framework: str = "numpy"):
        self.title = title
        self._checker = checker
        self._hint = hint
        self.adapter = Adapter(framework)

    def check(self, answer: Any) -> Verdict:
        """Print «Верно!», what is wrong, or «Пока не решено»; never raise.
        The returned :class:`Verdict` is true only for a right answer."""
        try:
            if is_stub(answer):
                raise Unsolved
            self._checker(answer, self.adapter)
        except Unsolved:
            print(f"{self.title}: {UNSOLVED} — впишите ответ вместо заглушки "
                  f"и запустите ячейку снова. Подсказка: .hint()")
            return Verdict(False)
        except Wrong as wrong:
            print(f"{self.title}: {wrong.message()}")
            return Verdict(False)
        except Exception as err:  # a bug in the answer's shape or type
            print(f"{self.title}: не удалось проверить ответ — "
                  f"{type(err).__name__}: {err}")
            return Verdict(False)
        print(f"{self.title}: {CORRECT}")
        return Verdict(True)

    def hint(self) -> None:
        """Print the hint."""
        print(f"{self.title}, подсказка: {self._hint}")

    def __repr__(self) -> str:
        return f"<{self.title}: .check(ответ), .hint()>"
