"""Device selection, seeding, quiet TensorFlow logs and the fast-mode flag.

Neither framework is imported at module import time: the torch helpers import
torch, the TensorFlow helpers import TensorFlow, and :func:`seed_everything`
seeds only the frameworks that the notebook has already imported.
"""
from __future__ import annotations

import contextlib
import os
import random
import sys

import numpy as np

#: Name of the environment variable that switches fast mode on.
FAST_ENV = "NN_BASICS_FAST"

#: Fast mode: fewer epochs and less data, so that CI runs every notebook in
#: minutes.  Off by default (a learner gets the full lesson).  This is the only
#: place where the variable is read.
FAST = os.environ.get(FAST_ENV, "").strip().lower() not in ("", "0", "false", "no")

_COLAB_GPU_HINT = (
    "GPU не найден. В Colab включите его: «Среда выполнения» → «Сменить среду "
    "выполнения» → «Аппаратный ускоритель: GPU» (Runtime → Change runtime type), "
    "затем перезапустите ноутбук. Без GPU всё тоже работает, только медленнее."
)


def _in_colab() -> bool:
    return "google.colab" in sys.modules


@contextlib.contextmanager
def quiet_tf(level: int = 2):
    """Load TensorFlow without its start-up chatter.

    Use as ``with quiet_tf(): import tensorflow as tf`` (and the first device
    query inside the block).  It sets ``TF_CPP_MIN_LOG_LEVEL`` (read once,
    when the C++ runtime loads; ``level=2`` keeps errors) and, for the block
    only, points the process's C-level stderr at ``/dev/null``: TensorFlow
    2.21 prints lines about oneDNN and missing CUDA drivers before its own
    log settings apply, so the variable alone does not hide them.  Python
    exceptions are not affected and still show.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", str(level))
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no real fd 2 (an unusual host): nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def torch_device(verbose: bool = True):
    """Return the best available ``torch.device``: cuda, then mps, then cpu."""
    import torch

    if torch.cuda.is_available():
        device = torch.device("cuda")
        name = torch.cuda.get_device_name(device)
    elif getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        device = torch.device("mps")
        name = "Apple Metal"
    else:
        device = torch.device("cpu")
        name = "процессор"
    if verbose:
        print(f"Устройство PyTorch: {device.type} ({name})")
        if device.type == "cpu" and _in_colab():
            print(_COLAB_GPU_HINT)
    return device


def tf_gpus(verbose: bool = True) -> list:
    """List TensorFlow's GPUs and turn on memory growth for each.

    Memory growth lets TensorFlow take GPU memory as it needs it instead of
    grabbing all of it at start.  It can only be set before the GPU is first
    used; re-running the cell afterwards raises ``RuntimeError``, which is
    ignored here, so the call is idempotent.
    """
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:
            pass  # the GPU is already initialised: the setting was made earlier
    if verbose:
        if gpus:
            names = ", ".join(g.name for g in gpus)
            print(f"Устройство TensorFlow: GPU ({names})")
        else:
            print("Устройство TensorFlow: процессор (GPU не найден)")
            if _in_colab():
                print(_COLAB_GPU_HINT)
    return gpus


def seed_everything(seed: int = 0, deterministic: bool = False) -> None:
    """Seed ``random``, NumPy and whichever of torch / TensorFlow is imported.

    ``deterministic=True`` also asks the frameworks for deterministic kernels
    (slower on a GPU; some operations then raise instead of running).
    """
    random.seed(seed)
    np.random.seed(seed)
    if "torch" in sys.modules:
        import torch

        torch.manual_seed(seed)  # seeds every CUDA device too
        if deterministic:
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
            torch.use_deterministic_algorithms(True)
            torch.backends.cudnn.benchmark = False
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        tf.keras.utils.set_random_seed(seed)
        if deterministic:
            tf.config.experimental.enable_op_determinism()


def scaled(full, fast):
    """Return ``fast`` in fast mode and ``full`` otherwise (epochs, sizes)."""
    return fast if FAST else full
