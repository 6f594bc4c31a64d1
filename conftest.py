"""pytest set-up shared by the utils tests and the notebooks under nbval."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))


def pytest_configure(config):
    # Fast mode for every notebook kernel that nbval starts (the kernels
    # inherit this process's environment): fewer epochs, less data.
    os.environ["NN_BASICS_FAST"] = "1"
