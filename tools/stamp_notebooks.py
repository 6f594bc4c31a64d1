"""Stamp the shared top of every notebook from one template, or check it.

Every notebook starts with the same pieces:

* cell 0 (markdown): ``# <title>``, then the badge line, which is generated
  here from the file name: "Open in Colab" for this notebook and a link to the
  twin in the other framework;
* cell 1 (markdown): ``## О чём этот ноутбук`` with the notebook's own bullets;
* after a ``## Подготовка`` heading, the first code cell: the environment
  bootstrap :data:`BOOTSTRAP`, identical everywhere and folded
  (:data:`FOLDED`): JupyterLab hides its source, Colab shows only its
  ``# @title`` line.  The next code cell holds every import of the lesson and
  the one after it the device and the seed; those two are the lesson's own.

Usage::

    python -m tools.stamp_notebooks          # rewrite badges and bootstrap
    python -m tools.stamp_notebooks --check  # exit 1 if a notebook differs

The repository address lives here only (:data:`GITHUB_REPO`); a user can point
the bootstrap at another clone with the ``NN_BASICS_REPO`` variable.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

GITHUB_REPO = "nn-basics/nn-basics"
BRANCH = "main"
REPO_URL = f"https://github.com/{GITHUB_REPO}.git"

FRAMEWORKS = {"pytorch": "PyTorch", "tensorflow": "TensorFlow"}

#: The one line of the bootstrap that a reader sees (Colab shows it as the
#: title of the folded form).
BOOTSTRAP_TITLE = ("# @title Подготовка окружения: находит папку курса, "
                   "в Colab скачивает её")

BOOTSTRAP = f'''{BOOTSTRAP_TITLE}
# вспомогательный код – одинаков во всех ноутбуках, его вставляет
# tools/stamp_notebooks.py; адрес курса меняет переменная NN_BASICS_REPO.
import os
import subprocess
import sys
from pathlib import Path

try:
    import google.colab  # noqa: F401  (есть только в Colab)
    IN_COLAB = True
except ImportError:
    IN_COLAB = False

REPO_URL = os.environ.get("NN_BASICS_REPO", "{REPO_URL}")
_here = Path.cwd()
ROOT = next((p for p in [_here, *_here.parents, _here / "nn-basics"]
             if (p / "utils" / "__init__.py").is_file()), None)
if ROOT is None and IN_COLAB:
    ROOT = _here / "nn-basics"
    _git = subprocess.run(["git", "clone", "--quiet", "--depth", "1",
                           REPO_URL, str(ROOT)],
                          capture_output=True, text=True)
    if _git.returncode != 0:
        raise RuntimeError(f"Не удалось скачать курс из {{REPO_URL}}: "
                           f"{{_git.stderr.strip()}}. Проверьте интернет.")
    try:
        import pooch  # noqa: F401  (Colab обычно уже содержит его)
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                        "pooch"], check=True)
if ROOT is None:
    raise RuntimeError("Не найдена папка курса с пакетом utils: откройте "
                       "ноутбук из папки notebooks/ репозитория или в Colab.")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))'''

#: Cell metadata that folds the bootstrap: JupyterLab hides the source,
#: Colab shows the cell as a form with its ``# @title`` only.
FOLDED = {"cellView": "form", "jupyter": {"source_hidden": True}}


def twin_name(name: str) -> str:
    """``01_x_pytorch.ipynb`` -> ``01_x_tensorflow.ipynb`` and back."""
    for fw, other in (("pytorch", "tensorflow"), ("tensorflow", "pytorch")):
        suffix = f"_{fw}.ipynb"
        if name.endswith(suffix):
            return name[: -len(suffix)] + f"_{other}.ipynb"
    raise ValueError(f"not a track notebook: {name}")


def badges(name: str) -> str:
    """The badge line for notebook file ``name``."""
    twin = twin_name(name)
    other = FRAMEWORKS[twin.rsplit("_", 1)[1].removesuffix(".ipynb")]
    colab = (f"https://colab.research.google.com/github/{GITHUB_REPO}/blob/"
             f"{BRANCH}/notebooks/{name}")
    return (f"[![Открыть в Colab](https://colab.research.google.com/assets/"
            f"colab-badge.svg)]({colab}) "
            f"[![Тот же урок на {other}](https://img.shields.io/badge/"
            f"тот_же_урок-{other}-blue)]({twin})")


def notebook_paths() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*_*.ipynb"))


def _title_cell(source: str, name: str) -> str:
    title = source.strip().splitlines()[0]
    return f"{title}\n\n{badges(name)}"


def setup_cell_index(nb) -> int:
    """Index of the first code cell: the bootstrap."""
    return next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")


def is_folded(cell) -> bool:
    """True if ``cell`` is folded in JupyterLab and shown as a form in Colab."""
    return (cell.metadata.get("cellView") == "form"
            and cell.metadata.get("jupyter", {}).get("source_hidden") is True
            and cell.source.startswith("# @title "))


def problems(path: Path) -> list[str]:
    """What in notebook ``path`` differs from the template."""
    nb = nbformat.read(path, as_version=4)
    out = []
    cells = nb.cells
    if len(cells) < 4 or cells[0].cell_type != "markdown":
        return [f"{path.name}: the notebook must open with a markdown title cell"]
    head = cells[0].source.strip().splitlines()
    if not head or not head[0].startswith("# "):
        out.append(f"{path.name}: cell 0 must start with one '# ' title")
    if cells[0].source != _title_cell(cells[0].source, path.name):
        out.append(f"{path.name}: the badge line differs from the template")
    if not cells[1].source.startswith("## О чём этот ноутбук"):
        out.append(f"{path.name}: cell 1 must be «## О чём этот ноутбук»")
    i = setup_cell_index(nb)
    if not cells[i - 1].source.startswith("## Подготовка"):
        out.append(f"{path.name}: the bootstrap must follow «## Подготовка»")
    setup = cells[i]
    if setup.source != BOOTSTRAP:
        out.append(f"{path.name}: the bootstrap cell differs from the template "
                   "(run `make stamp`)")
    if not is_folded(setup):
        out.append(f"{path.name}: the bootstrap cell is not folded "
                   "(run `make stamp`)")
    return out


def stamp(path: Path) -> bool:
    """Rewrite the badge line and the bootstrap; return True if changed."""
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    nb.cells[0].source = _title_cell(nb.cells[0].source, path.name)
    setup = nb.cells[setup_cell_index(nb)]
    setup.source = BOOTSTRAP
    setup.metadata.update(FOLDED)
    after = nbformat.writes(nb)
    if after != before:
        path.write_text(after, encoding="utf-8")
        return True
    return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only report notebooks that differ")
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.paths or notebook_paths()
    if args.check:
        found = [p for path in paths for p in problems(path)]
        print("\n".join(found) or "all notebooks match the template")
        return 1 if found else 0
    for path in paths:
        if stamp(path):
            print(f"stamped {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
