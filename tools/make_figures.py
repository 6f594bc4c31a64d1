"""Draw the figures that the lessons' prose shows, into ``images/``.

Run from the repository root::

    python -m tools.make_figures            # every figure
    python -m tools.make_figures 06_bias_variance.png   # some of them

Only NumPy and matplotlib are used; every random number comes from a fixed
seed, so a rerun redraws the same pictures.  Each figure is a function
registered in :data:`FIGURES` under the name of the PNG file it writes.
"""
from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no window: the figures go straight to files

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from utils.data import wave  # noqa: E402  (lesson 06's synthetic function)

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "images"


# ---------------------------------------------------------------- lesson 06

def _box(ax, x, y, text, color, width=1.5, height=0.62):
    ax.add_patch(plt.Rectangle((x - width / 2, y - height / 2), width, height,
                               fc=color, ec="0.3", lw=1, zorder=2))
    ax.text(x, y, text, ha="center", va="center", fontsize=9, zorder=3)


def _arrow(ax, x0, x1, y):
    ax.annotate("", xy=(x1, y), xytext=(x0, y), zorder=1,
                arrowprops=dict(arrowstyle="->", color="0.3", lw=1.2))


def fig_regression_head(path: Path) -> None:
    """Classification and regression: the same body, a different head."""
    fig, ax = plt.subplots(figsize=(10, 3.6))
    xs = [0.6, 2.6, 4.6, 6.6, 8.6]
    rows = [
        (2.2, "классификация",
         ["вход $x$", "Linear + ReLU\n(тело сети)", "Linear(…, 10)",
          "10 логитов", "cross-entropy\nс меткой класса"],
         "#fde2c4"),
        (0.6, "регрессия",
         ["вход $x$", "Linear + ReLU\n(тело сети)", "Linear(…, 1)",
          "одно число $\\hat y$\nформа $(N, 1)$ → $(N,)$",
          "MSE $= \\frac{1}{N}\\sum (\\hat y - y)^2$"],
         "#cfe8cf"),
    ]
    for y, title, texts, head_color in rows:
        ax.text(-0.55, y, title, ha="right", va="center", fontsize=10,
                fontweight="bold")
        for i, (x, text) in enumerate(zip(xs, texts)):
            color = "#dde6f5" if i < 2 else head_color
            _box(ax, x, y, text, color, width=1.75 if i >= 3 else 1.5)
            if i:
                _arrow(ax, xs[i - 1] + 0.78, x - 0.9, y)
    ax.text(1.6, 3.0, "одинаково", ha="center", fontsize=9, color="0.35")
    ax.text(6.6, 3.0, "меняются только выход и функция потерь", ha="center",
            fontsize=9, color="0.35")
    ax.set_xlim(-2.2, 9.7)
    ax.set_ylim(0, 3.3)
    ax.axis("off")
    ax.set_title("Сеть для регрессии — та же сеть с другой «головой»")
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


def _poly_fits(degree, x, n_sets, noise, grid, rng):
    """Least-squares polynomials of ``degree`` fitted to ``n_sets`` noisy
    samples of :func:`wave` at the fixed points ``x``; returns their
    predictions on ``grid``, the mean training error and the mean error on
    fresh noisy answers at the ``grid`` points (measured, not computed)."""
    A = np.vander(x / 3, degree + 1)  # x / 3 in [-1, 1]: better conditioned
    G = np.vander(grid / 3, degree + 1)
    preds, train_errors, test_errors = [], [], []
    for _ in range(n_sets):
        y = wave(x) + noise * rng.normal(size=len(x))
        w, *_ = np.linalg.lstsq(A, y, rcond=None)
        preds.append(G @ w)
        train_errors.append(np.mean((A @ w - y) ** 2))
        fresh = wave(grid) + noise * rng.normal(size=len(grid))
        test_errors.append(np.mean((G @ w - fresh) ** 2))
    return (np.array(preds), float(np.mean(train_errors)),
            float(np.mean(test_errors)))


def fig_bias_variance(path: Path) -> None:
    """Bias and variance of polynomial fits, measured by Monte Carlo.

    The points ``x`` are fixed, only the noise in ``y`` is drawn anew for
    each of ``n_sets`` training sets; bias² and variance are averaged over
    a grid on the same interval.  The error on new data is measured on fresh
    noisy answers at the grid points, and checked against bias² + variance +
    noise² (the decomposition the lesson states).
    """
    rng = np.random.default_rng(0)
    noise, n_points, n_sets = 0.3, 15, 400
    x = np.linspace(-3, 3, n_points)
    grid = np.linspace(-3, 3, 300)
    truth = wave(grid)
    degrees = np.arange(0, n_points)
    bias2, variance, train, test = [], [], [], []
    for degree in degrees:
        preds, train_error, test_error = _poly_fits(degree, x, n_sets, noise,
                                                    grid, rng)
        bias2.append(np.mean((preds.mean(axis=0) - truth) ** 2))
        variance.append(np.mean(preds.var(axis=0)))
        train.append(train_error)
        test.append(test_error)
    bias2, variance, test = np.array(bias2), np.array(variance), np.array(test)
    np.testing.assert_allclose(test, bias2 + variance + noise ** 2, rtol=0.05)
    best = int(degrees[np.argmin(test)])

    fig, axes = plt.subplots(1, 4, figsize=(16, 3.9),
                             gridspec_kw=dict(width_ratios=[1, 1, 1, 1.3]))
    examples = ((1, "степень 1: большое смещение"),
                (best, f"степень {best}: равновесие"),
                (n_points - 2, f"степень {n_points - 2}: большой разброс"))
    for ax, (degree, title) in zip(axes, examples):
        preds, *_ = _poly_fits(degree, x, 12, noise, grid,
                               np.random.default_rng(1))
        for p in preds:
            ax.plot(grid, p, color="tab:blue", lw=0.8, alpha=0.45)
        ax.plot(grid, preds.mean(axis=0), color="tab:red", lw=2,
                label="среднее по выборкам")
        ax.plot(grid, truth, "k--", lw=1.5, label="истинная функция")
        ax.set_ylim(-3, 3)
        ax.set_xlabel("$x$")
        ax.set_title(title, fontsize=10)
    axes[0].set_ylabel("$y$")
    axes[0].legend(fontsize=8, loc="upper left")

    ax = axes[3]
    ax.plot(degrees, bias2, "o-", label="смещение² (bias²)")
    ax.plot(degrees, variance, "s-", label="разброс (variance)")
    ax.plot(degrees, test, "k^-", label="ошибка на новых данных (измерена)")
    ax.plot(degrees, train, "v--", color="0.5", label="ошибка на обучении")
    ax.axhline(noise ** 2, color="0.6", lw=0.8, ls=":")
    ax.text(0.2, noise ** 2 * 1.15, "шум $\\sigma^2$", fontsize=8,
            color="0.4")
    ax.axvline(best, color="tab:green", lw=0.8)
    ax.set_yscale("log")
    ax.set_ylim(1e-4, 1e2)
    ax.set_xlabel("степень многочлена (сложность модели)")
    ax.set_title("ошибка = смещение² + разброс + шум", fontsize=10)
    ax.text(0.02, 0.96, "← недообучение", transform=ax.transAxes,
            fontsize=9, va="top")
    ax.text(0.98, 0.96, "переобучение →", transform=ax.transAxes,
            fontsize=9, ha="right", va="top")
    ax.legend(fontsize=7, loc="lower left")
    fig.suptitle(f"Многочлены по {n_points} зашумлённым точкам: синие линии "
                 "— модели, обученные на разных выборках", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


#: PNG file name -> the function that draws it.
FIGURES = {
    "06_regression_head.png": fig_regression_head,
    "06_bias_variance.png": fig_bias_variance,
}


def main(argv: list[str]) -> int:
    names = argv or list(FIGURES)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        print("unknown figures:", ", ".join(unknown), "; known:",
              ", ".join(FIGURES))
        return 1
    IMAGES.mkdir(exist_ok=True)
    for name in names:
        FIGURES[name](IMAGES / name)
        print(f"wrote images/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
