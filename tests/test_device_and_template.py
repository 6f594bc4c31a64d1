"""utils.device (fast flag, seeding, devices) and the notebook template."""
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from tools import stamp_notebooks as tmpl


def run_py(code, **env):
    full = {**os.environ, **env}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmpl.ROOT, env=full,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out


@pytest.mark.parametrize("value, expected", [("", False), ("0", False),
                                             ("1", True), ("yes", True)])
def test_fast_flag_is_read_from_one_variable(value, expected):
    out = run_py("from utils.device import FAST, scaled; print(FAST, scaled(10, 1))",
                 NN_BASICS_FAST=value)
    assert out.stdout.split() == [str(expected), "1" if expected else "10"]


def test_seeding_torch_repeats_and_device_is_printed():
    out = run_py(
        "import torch\n"
        "from utils.device import seed_everything, torch_device\n"
        "seed_everything(3); a = torch.rand(3)\n"
        "seed_everything(3); b = torch.rand(3)\n"
        "assert torch.equal(a, b)\n"
        "d = torch_device()\n"
        "import sys; assert 'tensorflow' not in sys.modules\n")
    assert "Устройство PyTorch:" in out.stdout


def test_tensorflow_is_quiet_and_gpu_setup_is_idempotent():
    out = run_py(
        "from utils.device import quiet_tf, seed_everything, tf_gpus\n"
        "with quiet_tf():\n"
        "    import tensorflow as tf\n"
        "    tf_gpus()\n"
        "tf_gpus()\n"  # a re-run cell must not fail
        "seed_everything(1); a = tf.random.uniform([3]).numpy()\n"
        "seed_everything(1); b = tf.random.uniform([3]).numpy()\n"
        "assert (a == b).all()\n"
        "import sys; assert 'torch' not in sys.modules\n")
    assert out.stdout.count("Устройство TensorFlow:") == 2
    assert out.stderr.strip() == "", out.stderr


def test_template_check_catches_an_edited_bootstrap(tmp_path):
    src = tmpl.notebook_paths()[0]
    copy = tmp_path / src.name
    shutil.copy(src, copy)
    assert tmpl.problems(copy) == []
    nb = nbformat.read(copy, as_version=4)
    cell = nb.cells[tmpl.setup_cell_index(nb)]
    cell.source = cell.source.replace("--depth", "--depth-edited", 1)
    nb.cells[0].source = nb.cells[0].source.replace("colab-badge", "badge", 1)
    nbformat.write(nb, copy)
    found = tmpl.problems(copy)
    assert any("bootstrap" in p for p in found) and any("badge" in p for p in found)
    assert tmpl.stamp(copy) is True
    assert tmpl.problems(copy) == []
    nb = nbformat.read(copy, as_version=4)
    del nb.cells[tmpl.setup_cell_index(nb)].metadata["jupyter"]
    nbformat.write(nb, copy)
    assert any("not folded" in p for p in tmpl.problems(copy))
    assert tmpl.stamp(copy) is True
    assert tmpl.problems(copy) == []
    assert tmpl.stamp(copy) is False  # idempotent


def test_twin_names_and_badges():
    assert tmpl.twin_name("03_sgd_pytorch.ipynb") == "03_sgd_tensorflow.ipynb"
    assert tmpl.twin_name("03_sgd_tensorflow.ipynb") == "03_sgd_pytorch.ipynb"
    line = tmpl.badges("03_sgd_pytorch.ipynb")
    assert "colab.research.google.com/github/" in line
    assert "notebooks/03_sgd_pytorch.ipynb" in line
    assert "(03_sgd_tensorflow.ipynb)" in line
