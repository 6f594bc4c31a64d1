"""Plots shared by the notebooks of both tracks.

Every function takes NumPy arrays (or plain sequences), never framework
tensors, labels its axes in Russian and returns the matplotlib ``Axes`` (or
an array of them) so that a notebook can add to the picture.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np


def _axes(ax, figsize=(6, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_curves(curves: Mapping[str, Sequence[float]], *, xlabel="эпоха",
                ylabel="функция потерь", title=None, logy=False, start=1,
                ax=None):
    """Curves against epochs (or steps): e.g. ``{"обучение": [...],
    "валидация": [...]}``; the first value is drawn at x = ``start`` (1 for
    epochs, 0 for a loss recorded before the first step).  Non-finite values
    (a diverged run) are dropped."""
    ax = _axes(ax)
    for label, values in curves.items():
        y = np.asarray(values, dtype=float)
        x = np.arange(start, start + len(y))
        ok = np.isfinite(y)
        ax.plot(x[ok], y[ok], label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def show_images(images, labels, class_names=None, *, preds=None, ncols=10,
                title=None, size=1.2):
    """A grid of grey images with their labels.

    ``labels`` and ``preds`` are integer codes (mapped through
    ``class_names``) or strings.  With ``preds``, a title reads
    ``true → predicted`` and is red where they differ.
    """
    images = np.asarray(images)
    n = len(images)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * 1.25 * nrows),
                             squeeze=False)

    def name(v):
        return class_names[int(v)] if class_names is not None else str(v)

    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i].reshape(images[i].shape[:2]), cmap="gray_r")
        text, color = name(labels[i]), "black"
        if preds is not None:
            text = f"{name(labels[i])} → {name(preds[i])}"
            color = "black" if name(labels[i]) == name(preds[i]) else "red"
        ax.set_title(text, fontsize=9, color=color)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return axes


def plot_confusion_matrix(y_true, y_pred, class_names, *, normalize=False,
                          title="Матрица ошибок", ax=None):
    """Confusion matrix: rows are true classes, columns are predictions."""
    from sklearn.metrics import confusion_matrix

    cm = confusion_matrix(y_true, y_pred, labels=np.arange(len(class_names)))
    if normalize:
        cm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    ax = _axes(ax, figsize=(6, 5))
    im = ax.imshow(cm, cmap="Blues")
    ax.figure.colorbar(im, ax=ax, fraction=0.046)
    k = len(class_names)
    ax.set_xticks(range(k), class_names)
    ax.set_yticks(range(k), class_names)
    ax.set_xlabel("предсказанный класс")
    ax.set_ylabel("истинный класс")
    ax.set_title(title)
    threshold = cm.max() / 2 if cm.size else 0
    for i in range(k):
        for j in range(k):
            text = f"{cm[i, j]:.2f}" if normalize else f"{cm[i, j]:d}"
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="white" if cm[i, j] > threshold else "black")
    return ax


def plot_decision_boundary(predict: Callable[[np.ndarray], np.ndarray], X, y, *,
                           title="Граница решения", resolution=200, ax=None):
    """Colour the plane by ``predict`` (a function from an ``(n, 2)`` NumPy
    array to class labels or to probabilities of class 1) and draw the points."""
    X, y = np.asarray(X), np.asarray(y)
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0))
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([xx.ravel(), yy.ravel()]).astype(X.dtype)
    z = np.asarray(predict(grid))
    if z.ndim == 2 and z.shape[1] > 1:  # class scores: take the best class
        z = z.argmax(axis=1)
    z = z.reshape(xx.shape)
    ax = _axes(ax, figsize=(5, 5))
    ax.contourf(xx, yy, z, alpha=0.3, cmap="coolwarm", levels=20)
    if z.dtype.kind == "f":  # probabilities: the boundary is p = 0.5
        ax.contour(xx, yy, z, levels=[0.5], colors="k", linewidths=1)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=12, edgecolors="k",
               linewidths=0.3)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)
    return ax


def plot_loss_surface(loss: Callable[[np.ndarray, np.ndarray], np.ndarray],
                      paths: Mapping[str, np.ndarray] | None = None, *,
                      xlim=(-2, 2), ylim=(-2, 2), levels=30, logscale=True,
                      xlabel="$w_1$", ylabel="$w_2$",
                      title="Поверхность потерь и траектории", ax=None):
    """Contours of ``loss(w1, w2)`` (vectorised over NumPy grids) with the
    optimizers' paths, each an array of shape ``(steps, 2)``."""
    w1, w2 = np.meshgrid(np.linspace(*xlim, 300), np.linspace(*ylim, 300))
    z = np.asarray(loss(w1, w2), dtype=float)
    ax = _axes(ax, figsize=(6, 5))
    if logscale:
        z = np.log10(z - z.min() + 1e-3)
    ax.contour(w1, w2, z, levels=levels, cmap="viridis", linewidths=0.7)
    for label, path in (paths or {}).items():
        p = np.asarray(path, dtype=float)
        ok = np.all(np.isfinite(p), axis=1)
        ax.plot(p[ok, 0], p[ok, 1], ".-", ms=3, lw=1, label=label)
        ax.plot(*p[0], "ko", ms=5)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if paths:
        ax.legend(fontsize=8)
    return ax


def plot_activations(x, values: Mapping[str, np.ndarray],
                     derivatives: Mapping[str, np.ndarray], *, ncols=3):
    """One panel per activation: the function and its derivative."""
    x = np.asarray(x)
    names = list(values)
    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4 * ncols, 3 * nrows),
                             squeeze=False)
    for ax, name in zip(axes.flat, names):
        ax.plot(x, values[name], label="функция")
        ax.plot(x, derivatives[name], "--", label="производная")
        ax.axhline(0, color="grey", lw=0.5)
        ax.axvline(0, color="grey", lw=0.5)
        ax.set_title(name)
        ax.set_xlabel("$x$")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    fig.tight_layout()
    return axes


def plot_pred_vs_true(y_true, y_pred, *, title="Предсказание и ответ", ax=None):
    """Scatter of predictions against true values, with the diagonal."""
    y_true, y_pred = np.ravel(y_true), np.ravel(y_pred)
    ax = _axes(ax, figsize=(5, 5))
    ax.scatter(y_true, y_pred, s=12, alpha=0.6)
    lo = min(y_true.min(), y_pred.min())
    hi = max(y_true.max(), y_pred.max())
    ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="идеал: $\\hat y = y$")
    ax.set_xlabel("истинное значение")
    ax.set_ylabel("предсказание")
    ax.set_title(title)
    ax.legend()
    return ax


def plot_graph(edges: Sequence[tuple[str, str]], *, title="Вычислительный граф",
               ax=None):
    """Draw a small computational graph given as ``(source, target)`` edges.

    Nodes are placed in layers by their longest distance from an input, so
    data flows from left to right.  Meant for a handful of nodes.
    """
    nodes = list(dict.fromkeys([n for e in edges for n in e]))
    parents = {n: [s for s, t in edges if t == n] for n in nodes}
    depth: dict[str, int] = {}

    def level(n):
        if n not in depth:
            depth[n] = 1 + max((level(p) for p in parents[n]), default=-1)
        return depth[n]

    for n in nodes:
        level(n)
    columns: dict[int, list[str]] = {}
    for n in nodes:
        columns.setdefault(depth[n], []).append(n)
    pos = {n: (d, -(i - (len(col) - 1) / 2)) for d, col in columns.items()
           for i, n in enumerate(col)}
    width = max(columns) + 1
    ax = _axes(ax, figsize=(2.4 * width, 3))
    boxes = {n: ax.text(x, y, n, ha="center", va="center", fontsize=9,
                        bbox=dict(boxstyle="round", fc="lightyellow", ec="grey"))
             for n, (x, y) in pos.items()}
    for s, t in edges:  # arrows end at the label boxes, however wide they are
        ax.annotate("", xy=pos[t], xytext=pos[s],
                    arrowprops=dict(arrowstyle="->", shrinkA=1, shrinkB=1,
                                    patchA=boxes[s].get_bbox_patch(),
                                    patchB=boxes[t].get_bbox_patch()))
    ax.set_xlim(-0.6, width - 0.4)
    ys = [y for _, y in pos.values()]
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    ax.axis("off")
    ax.set_title(title)
    return ax
