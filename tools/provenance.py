"""What produced a notebook's committed outputs, and whether it is still so.

``make outputs`` (:mod:`tools.run_notebooks`) records a fingerprint in each
notebook's metadata (``metadata.nn_basics.provenance``): a hash of every code
cell's source, in order, and a hash of every file of ``utils/`` the notebook
imports (directly or through another ``utils`` module).  :func:`stale` compares
the recorded fingerprint with the notebook and ``utils/`` as they are now, so a
test can tell that a cell or a helper changed after the outputs were made.

Markdown cells are not part of the fingerprint: prose does not change outputs.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UTILS = ROOT / "utils"
KEY = "nn_basics"

# `from utils.data import x`, `from utils import data, device`, `import utils.x`,
# and inside utils the relative forms `from .data import x`, `from . import x`.
_FROM = re.compile(r"^[ \t]*from[ \t]+(utils|\.)(?:\.?(\w+))?[ \t]+import[ \t]+"
                   r"\(?([\w \t,]+)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+utils\.(\w+)", re.M)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _imported_modules(source: str) -> set[str]:
    """Names of the utils modules that ``source`` imports."""
    found = set(_IMPORT.findall(source))
    for package, module, names in _FROM.findall(source):
        if module:
            found.add(module)
        else:  # `from utils import data, device`: each name may be a module
            found.update(n.strip() for n in names.split(",") if n.strip())
    return {m for m in found if (UTILS / f"{m}.py").is_file()}


def utils_files(sources) -> list[Path]:
    """The files of ``utils/`` that code ``sources`` import, transitively."""
    todo = set().union(*(_imported_modules(s) for s in sources))
    files = {UTILS / "__init__.py"}
    while todo:
        path = UTILS / f"{todo.pop()}.py"
        if path not in files:
            files.add(path)
            todo |= _imported_modules(path.read_text(encoding="utf-8"))
    return sorted(files)


def fingerprint(nb) -> dict:
    """The fingerprint of notebook ``nb`` (nbformat node) as it is now."""
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    return {
        "cells": [_digest(s.encode("utf-8")) for s in code],
        "utils": {p.relative_to(ROOT).as_posix(): _digest(p.read_bytes())
                  for p in utils_files(code)},
    }


def record(nb, fp: dict) -> None:
    """Store fingerprint ``fp`` in ``nb``'s metadata."""
    nb.metadata.setdefault(KEY, {})["provenance"] = fp


def stale(nb, name: str) -> str | None:
    """Why ``nb``'s outputs are not from its current code, or None."""
    fp = nb.metadata.get(KEY, {}).get("provenance")
    if not fp:
        return (f"{name}: no record of what produced the outputs; "
                f"run `make outputs NOTEBOOKS=notebooks/{name}`")
    now = fingerprint(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for i, (old, new) in enumerate(zip(fp["cells"], now["cells"])):
        if old != new:
            first = code[i].source.strip().splitlines()[:1] or [""]
            return (f"{name}: code cell {i + 1} changed after its outputs were "
                    f"made («{first[0][:60]}»); run "
                    f"`make outputs NOTEBOOKS=notebooks/{name}`")
    if len(fp["cells"]) != len(now["cells"]):
        return (f"{name}: {len(now['cells'])} code cells now, "
                f"{len(fp['cells'])} when the outputs were made; run "
                f"`make outputs NOTEBOOKS=notebooks/{name}`")
    for path in sorted(set(fp["utils"]) | set(now["utils"])):
        if fp["utils"].get(path) != now["utils"].get(path):
            return (f"{name}: {path} changed (or its use did) after the outputs "
                    f"were made; run `make outputs NOTEBOOKS=notebooks/{name}`")
    return None
