"""Re-execute notebooks in place in full mode, so committed outputs are real.

    python -m tools.run_notebooks                 # every notebook
    python -m tools.run_notebooks notebooks/01_*  # some of them

Fast mode is switched off explicitly; each notebook runs in a fresh kernel of
the current environment with ``notebooks/`` as its working folder.  A
notebook that fails is left unchanged on disk and the command exits non-zero.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def run(path: Path, timeout: int = 3600) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    elapsed = time.perf_counter() - start
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str]) -> int:
    os.environ["NN_BASICS_FAST"] = "0"
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    paths = [Path(p) for p in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    failed = []
    for path in paths:
        print(f"{path.name} ...", end=" ", flush=True)
        try:
            print(f"{run(path):.1f} s", flush=True)
        except Exception as err:  # report and go on with the others
            print(f"FAILED: {type(err).__name__}: {str(err)[-2000:]}")
            failed.append(path.name)
    if failed:
        print("failed:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
