"""`make lab` serves JupyterLab on the notebooks folder."""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

from tools.stamp_notebooks import ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_lab_serves_jupyterlab():
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    args = (f"--no-browser --ip=127.0.0.1 --port={port} "
            "--ServerApp.token= --ServerApp.password= --ServerApp.port_retries=0")
    proc = subprocess.Popen(["make", "-s", "lab", f"LAB_ARGS={args}"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        page = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"{base}/lab", timeout=5) as r:
                    page = r.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        if page is None:
            said = proc.stdout.read1().decode() if proc.poll() is not None else ""
            raise AssertionError(f"JupyterLab did not answer on {base}: {said}")
        assert "JupyterLab" in page
        with urllib.request.urlopen(f"{base}/api/contents", timeout=10) as r:
            names = {item["name"] for item in json.load(r)["content"]}
        assert "01_tensors_pytorch.ipynb" in names, names  # served from notebooks/
    finally:
        _stop(proc)


def _stop(proc):
    """Stop make and the JupyterLab it started (one process group)."""
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break  # the group is gone already
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    proc.stdout.close()
