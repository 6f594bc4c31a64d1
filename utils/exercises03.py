"""Exercises of lesson 03 (stochastic gradient descent and the optimizers),
both tracks.

    q1, q2, q3 = make_exercises("torch")   # or "tensorflow"

The answers are optimizer classes in the lesson's interface: built as
``cls(params, lr=…, …)``, they update ``params`` in place on
``opt.step(grads)``.  The checker runs them on random parameters (PyTorch
tensors or TensorFlow variables) and random gradients and compares every
step with a NumPy reference.
"""
from __future__ import annotations

import inspect

import numpy as np

from .exercises import Exercise, Unsolved, Wrong, expect_close, to_numpy


def _empty():
    ...


def _is_empty(fn) -> bool:
    """True if ``fn`` does nothing (a stub body: ``...`` or ``pass``)."""
    fn = inspect.unwrap(fn)
    code = getattr(fn, "__code__", None)
    return code is not None and code.co_code == _empty.__code__.co_code


def _param(adapter, array):
    """A parameter the optimizer may change in place."""
    if adapter.framework == "tensorflow":
        import tensorflow as tf
        return tf.Variable(array)
    return adapter.tensor(np.array(array))  # a copy, not a view


def _run(cls, kwargs: dict, reference, adapter, name: str, seed: int,
         num_steps: int = 5) -> None:
    """Run ``cls(params, **kwargs)`` and ``reference(params, grads, t)`` side
    by side on random data; raise :class:`Wrong` at the first step that
    differs."""
    if not inspect.isclass(cls):
        raise Wrong(name, why="Ответ должен быть классом оптимизатора.")
    if _is_empty(cls.step):
        raise Unsolved
    rng = np.random.default_rng(seed)
    start = [rng.normal(size=2), rng.normal(size=(2, 3))]
    args = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    call = f"{name}(params, {args})"
    params = [_param(adapter, p) for p in start]
    try:
        opt = cls(params, **kwargs)
    except Exception as err:
        raise Wrong(call, why=f"Конструктор упал: {type(err).__name__}: "
                              f"{err}") from None
    ref = [p.copy() for p in start]
    for t in range(1, num_steps + 1):
        grads = [np.sign(rng.normal(size=p.shape))
                 * rng.uniform(0.3, 1.5, size=p.shape) for p in start]
        before = [to_numpy(p) for p in params]
        try:
            opt.step([adapter.tensor(g) for g in grads])
        except Exception as err:
            raise Wrong(f"{call}, шаг {t}",
                        why=f"step упал: {type(err).__name__}: {err}") from None
        reference(ref, grads, t)
        after = [to_numpy(p) for p in params]
        if t == 1 and all(np.array_equal(a, b) for a, b in zip(after, before)):
            raise Wrong(f"{call}, шаг 1", why=(
                "Параметры не изменились. Меняйте их на месте: p -= … "
                "(PyTorch) или p.assign_sub(…) (TensorFlow); присваивание "
                "p = … создаёт новый тензор, и оптимизатор его не видит."))
        for j, (got, want) in enumerate(zip(after, ref)):
            expect_close(got, want, f"{call}: параметр {j} формы "
                                    f"{want.shape} после шага {t}",
                         rtol=1e-6, atol=1e-5)


def nesterov_reference(lr, mu):
    """NumPy Nesterov step in PyTorch's form: b ← μb + g,
    θ ← θ − η(g + μb) (the same path as Keras's v-form for a constant η)."""
    bufs = {}

    def step(params, grads, t):
        for j, (p, g) in enumerate(zip(params, grads)):
            b = bufs[j] = mu * bufs.get(j, 0.0) + g
            p -= lr * (g + mu * b)
    return step


def adam_reference(lr, weight_decay, decoupled, b1=0.9, b2=0.999, eps=1e-8):
    """NumPy Adam (Kingma & Ba, Algorithm 1) with an L2 penalty in the
    gradient or with decoupled weight decay (AdamW)."""
    m, v = {}, {}

    def step(params, grads, t):
        for j, (p, g) in enumerate(zip(params, grads)):
            if decoupled:
                p -= lr * weight_decay * p
            else:
                g = g + weight_decay * p
            m[j] = b1 * m.get(j, 0.0) + (1 - b1) * g
            v[j] = b2 * v.get(j, 0.0) + (1 - b2) * g * g
            m_hat, v_hat = m[j] / (1 - b1 ** t), v[j] / (1 - b2 ** t)
            p -= lr * m_hat / (np.sqrt(v_hat) + eps)
    return step


def _nesterov(cls, adapter) -> None:
    for seed, (lr, mu) in ((31, (0.3, 0.5)), (32, (0.05, 0.9))):
        _run(cls, {"lr": lr, "mu": mu}, nesterov_reference(lr, mu), adapter,
             "Nesterov", seed)


def _adam_wd(answer, adapter) -> None:
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise Wrong("ответ", why="Нужна пара классов: (AdamL2, AdamW).")
    lr, lam = 0.05, 0.1
    for name, cls, decoupled in (("AdamL2", answer[0], False),
                                 ("AdamW", answer[1], True)):
        _run(cls, {"lr": lr, "weight_decay": lam},
             adam_reference(lr, lam, decoupled), adapter, name, 33)


#: which form of momentum the framework's SGD keeps when η changes
LIBRARY_FORM = {
    "torch": ("torch.optim.SGD(..., momentum=0.5)", "MomentumBuffer"),
    "tensorflow": ("keras.optimizers.SGD(momentum=0.5)", "Momentum"),
    "numpy": ("SGD с моментом", "MomentumBuffer"),
}


def _library_form(answer, adapter) -> None:
    lib, right = LIBRARY_FORM[adapter.framework]
    name = getattr(answer, "__name__", answer)
    if name not in ("Momentum", "MomentumBuffer"):
        raise Wrong("ответ", why="Нужен один из классов урока: Momentum "
                                 "(учебная форма) или MomentumBuffer "
                                 "(форма PyTorch).")
    if name != right:
        raise Wrong(f"какую форму реализует {lib}, когда η меняется по "
                    f"ходу обучения", why=(
                        f"Ожидалось: {right}. Получено: {name}. Запустите "
                        f"оба класса и библиотечный SGD с уменьшением η "
                        f"после 10-го шага и сравните пути."))


def make_exercises(framework: str):
    """The three exercises of lesson 03 for ``framework``."""
    q1 = Exercise(
        "Упражнение 1", _nesterov,
        "в форме PyTorch: b ← μb + g, затем θ ← θ − η(g + μb) с уже новым b; "
        "в форме Keras: v ← μv − ηg, затем θ ← θ + μv − ηg с уже новым v. "
        "Параметры меняйте на месте (p -= … / p.assign_add(…)).", framework)
    q2 = Exercise(
        "Упражнение 2", _adam_wd,
        "AdamL2: вызовите шаг родителя (super().step) на градиентах "
        "g + λθ. AdamW: сначала θ ← θ − η·λ·θ для каждого параметра (η "
        "здесь — self.lr), затем super().step(grads) на исходных "
        "градиентах.", framework)
    q3 = Exercise(
        "Упражнение 3", _library_form,
        "учебная форма хранит в v шаги, уже умноженные на старую η; форма "
        "PyTorch хранит в b градиенты и умножает их на текущую η. После "
        "смены η сравните путь библиотечного SGD с обоими.", framework)
    return q1, q2, q3
