"""pytest set-up shared by the utils tests and the notebooks under nbval.

Notebooks run in fast mode (``NN_BASICS_FAST=1``: fewer epochs, less data)
unless ``--full-mode`` is given: then they run as a learner runs them, every
full-mode assert included (``make test-full``).
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))


def pytest_addoption(parser):
    parser.addoption("--full-mode", action="store_true", default=False,
                     help="run the notebooks in full mode (NN_BASICS_FAST=0), "
                          "as a learner does")


def pytest_configure(config):
    # The notebook kernels that nbval starts inherit this process's
    # environment; the choice is explicit, whatever the caller's shell holds.
    full = config.getoption("--full-mode")
    os.environ["NN_BASICS_FAST"] = "0" if full else "1"
