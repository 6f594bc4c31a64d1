"""Re-execute notebooks in place in full mode, so committed outputs are real.

    python -m tools.run_notebooks                 # every notebook
    python -m tools.run_notebooks notebooks/01_*  # some of them

Fast mode is switched off explicitly; each notebook runs in a fresh kernel of
the current environment with ``notebooks/`` as its working folder.  A
notebook that fails is left unchanged on disk and the command exits non-zero.

What is written is what a static reader (GitHub, nbconvert, the course site)
can show:

* progress bars are drawn as text, not as Jupyter widgets: an IPython start-up
  file of a temporary profile points ``tqdm.auto`` at the plain ``tqdm`` for
  this run only, and carriage returns are resolved, so a stored bar shows its
  final state (100 %, with its last postfix).  A learner who runs the notebook
  in JupyterLab or Colab still gets live widget bars;
* no widget state and no per-cell timing metadata are stored (timings of
  earlier runs are dropped too);
* PyTorch computes on one CPU thread (``OMP_NUM_THREADS=1`` unless set), so
  a re-run prints the same digits as the committed outputs;
* ``metadata.nn_basics.provenance`` records what produced the outputs
  (:mod:`tools.provenance`); a test compares it with the current code.
"""
from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from tools import provenance

ROOT = Path(__file__).resolve().parents[1]

TEXT_BARS = """\
# written by tools/run_notebooks.py for one run of `make outputs`
import tqdm.auto
import tqdm.std

tqdm.auto.tqdm = tqdm.std.tqdm
tqdm.auto.trange = tqdm.std.trange
"""

#: the output a Jupyter widget (a tqdm bar in JupyterLab) leaves in a notebook
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

# text up to a carriage return that is followed by more text on the same line
_OVERWRITTEN = re.compile(r"[^\n]*\r(?=[^\n])")


def finished_text(text: str) -> str:
    """What a terminal shows for ``text``: each line's last ``\\r`` state."""
    return _OVERWRITTEN.sub("", text).replace("\r\n", "\n").replace("\r", "")


def clean_outputs(nb) -> None:
    """Merge adjacent stream outputs, resolve ``\\r``, drop widget views."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)  # timings of an earlier run
        merged = []
        for out in cell.outputs:
            if (out.output_type == "stream" and merged
                    and merged[-1].output_type == "stream"
                    and merged[-1].name == out.name):
                merged[-1].text += out.text
                continue
            if "data" in out:
                out.data.pop(WIDGET_VIEW, None)
                if not out.data:
                    continue
            merged.append(out)
        for out in merged:
            if out.output_type == "stream":
                out.text = finished_text(out.text)
        cell.outputs = [o for o in merged
                        if o.output_type != "stream" or o.text]


def run(path: Path, timeout: int = 3600) -> float:
    nb = nbformat.read(path, as_version=4)
    fp = provenance.fingerprint(nb)
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            record_timing=False, store_widget_state=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    elapsed = time.perf_counter() - start
    clean_outputs(nb)
    provenance.record(nb, fp)
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str]) -> int:
    os.environ["NN_BASICS_FAST"] = "0"
    # One CPU thread for PyTorch's kernels: multi-threaded reductions change the
    # last digits of lesson 05's training, and the prose quotes those numbers.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    paths = [Path(p) for p in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    failed, times = [], {}
    with tempfile.TemporaryDirectory(prefix="nn-basics-ipython-") as profile:
        startup = Path(profile) / "profile_default" / "startup"
        startup.mkdir(parents=True)
        (startup / "00-text-bars.py").write_text(TEXT_BARS, encoding="utf-8")
        os.environ["IPYTHONDIR"] = profile
        for path in paths:
            print(f"{path.name} ...", end=" ", flush=True)
            try:
                times[path.name] = run(path)
                print(f"{times[path.name]:.1f} s", flush=True)
            except Exception as err:  # report and go on with the others
                print(f"FAILED: {type(err).__name__}: {str(err)[-2000:]}")
                failed.append(path.name)
    if times:
        print(f"total: {sum(times.values()):.1f} s for {len(times)} notebooks")
    if failed:
        print("failed:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
