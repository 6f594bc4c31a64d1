"""Every plotting helper draws from NumPy input with Russian labels."""
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from utils import plotting  # noqa: E402

CYRILLIC = re.compile("[а-яА-Я]")


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def russian(text):
    return bool(CYRILLIC.search(text))


def test_plot_curves_drops_non_finite_and_labels():
    ax = plotting.plot_curves({"обучение": [3, 2, 1], "валидация": [3, np.inf, 2]},
                              title="Потери")
    assert russian(ax.get_xlabel()) and russian(ax.get_ylabel())
    assert [len(l.get_xdata()) for l in ax.get_lines()] == [3, 2]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["обучение", "валидация"]


def test_show_images_marks_errors_red():
    imgs = np.random.default_rng(0).random((4, 28, 28))
    axes = plotting.show_images(imgs, [0, 1, 2, 3], list("ABCD"), preds=[0, 1, 3, 3],
                                ncols=2)
    titles = [ax.get_title() for ax in axes.flat]
    assert titles == ["A → A", "B → B", "C → D", "D → D"]
    assert axes.flat[2].title.get_color() == "red"


def test_confusion_matrix_counts():
    ax = plotting.plot_confusion_matrix([0, 0, 1, 2], [0, 1, 1, 2], ["A", "B", "C"])
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["1", "1", "0", "0", "1", "0", "0", "0", "1"]
    assert russian(ax.get_xlabel()) and russian(ax.get_title())


def _contour_sets(ax):
    from matplotlib.contour import ContourSet
    return [c for c in ax.collections if isinstance(c, ContourSet)]


def test_decision_boundary_accepts_labels_and_probabilities():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    y = np.array([0, 1, 1, 0])
    seen = []

    def labels(g):
        seen.append(g)
        return (g[:, 1] > 0.5).astype(int)

    ax = plotting.plot_decision_boundary(labels, X, y, resolution=50)
    assert russian(ax.get_title())
    grid = seen[0]
    assert grid.shape == (50 * 50, 2)  # the plane around the data, with a margin
    np.testing.assert_allclose(grid.min(axis=0), [-0.1, -0.1])
    np.testing.assert_allclose(grid.max(axis=0), [1.1, 1.1])
    assert len(_contour_sets(ax)) == 1  # labels: filled regions, no p = 0.5 line
    assert ax.collections[-1].get_offsets().shape == (4, 2)  # the points

    # probabilities of class 1: the black line p = 0.5 lies at x2 = 0.5
    ax = plotting.plot_decision_boundary(
        lambda g: 1 / (1 + np.exp(-20 * (g[:, 1] - 0.5))), X, y, resolution=50)
    line = _contour_sets(ax)[-1]
    assert list(line.levels) == [0.5]
    ys = np.concatenate([p.vertices[:, 1] for p in line.get_paths() if len(p.vertices)])
    assert ys.size and np.abs(ys - 0.5).max() < 0.02

    # class scores (n, 2): the best class is taken, so no p = 0.5 line either
    ax = plotting.plot_decision_boundary(lambda g: np.c_[g[:, 0], g[:, 1]], X, y,
                                         resolution=50)
    filled = _contour_sets(ax)
    assert len(filled) == 1 and min(filled[0].levels) <= 0 <= 1 <= max(filled[0].levels)


def test_loss_surface_with_paths():
    path = np.array([[1.5, 1.5], [0.5, 0.7], [0.0, 0.0]])
    ax = plotting.plot_loss_surface(lambda a, b: a ** 2 + 10 * b ** 2,
                                    {"ГД": path, "расходится": np.r_[path, [[np.nan, 1]]]})
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["ГД", "расходится"]
    assert russian(ax.get_title())


def test_activations_and_pred_vs_true_and_graph():
    x = np.linspace(-3, 3, 50)
    axes = plotting.plot_activations(x, {"ReLU": np.maximum(x, 0)},
                                     {"ReLU": (x > 0).astype(float)})
    assert axes.flat[0].get_title() == "ReLU"
    ax = plotting.plot_pred_vs_true([1, 2, 3], [1.1, 1.9, 3.2])
    assert russian(ax.get_xlabel()) and russian(ax.get_ylabel())
    ax = plotting.plot_graph([("x", "mul"), ("w", "mul"), ("mul", "add"),
                              ("b", "add"), ("add", "L")])
    assert sorted(t.get_text() for t in ax.texts if t.get_text()) == [
        "L", "add", "b", "mul", "w", "x"]
