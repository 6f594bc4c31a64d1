"""Lesson 05 benchmark: the course sources' pipeline against the final models
of both notebooks, trained in one run on one machine on the same split.

    NN_BASICS_MIRROR=/path/to/notmnist-idx python -m tools.benchmark_notmnist
    python -m tools.benchmark_notmnist --threads 1 --source-epochs 1000
    python -m tools.benchmark_notmnist --quick      # plumbing check, minutes

Every model trains in its own subprocess (``--worker NAME``), so PyTorch and
TensorFlow never share a process; the parent prints a table: model, test
accuracy, training wall time, and the ratio of that time to the sources'
pipeline's time.  Data: ``utils.data.load_notmnist()`` (set the mirror as
for the notebooks), split 64/16/20, stratified, seed 0 (scikit-learn's
``train_test_split`` twice), as in the notebooks.

* ``sources`` — the course sources' pipeline (PyTorch): MLP
  [512, 256, 128, 32] with ReLU and an ``nn.Softmax`` layer before
  ``cross_entropy``, full-batch SGD with lr 0.1, ``--source-epochs`` epochs
  on the training part.  The sources' own epoch count is not recorded in
  the course; the table also prints the per-epoch time and the epoch count
  at which the 0.25 ratio would be reached, so the reader can judge.
* ``pytorch`` and ``tensorflow`` — the final models of
  ``notebooks/05_mlp_notmnist_*.ipynb`` (section «Смотрим на результат»),
  copied here cell for cell: MLP [512, 256] with batch normalization,
  dropout 0.3, AdamW (weight decay 1e-4) with linear warm-up to 2e-3 and
  cosine decay, random shifts of ±2 pixels, batch 128, 60 epochs on train
  and validation together.  Keep them in step with the notebooks.

Only the training loop is timed (not imports, data loading or evaluation).
``--threads N`` pins every worker to N CPU threads (fair and steadier on a
shared machine); 0 keeps each library's default.  The exit status is 1 when
a final model is below 93.0 % or slower than 0.25 of the sources' time.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MODELS = {  # worker name -> row label
    "sources": "источники: softmax + полный пакет, SGD 0.1",
    "pytorch": "итоговая модель, PyTorch",
    "tensorflow": "итоговая модель, TensorFlow/Keras",
}
ACCURACY_BAR = 0.930
RATIO_BAR = 0.25
SOURCE_EPOCHS = 1000
FINAL_EPOCHS = 60
BATCH_SIZE = 128


# ------------------------------------------------------------------ shared

def split():
    """The notebooks' split: 64/16/20, stratified, seed 0."""
    from sklearn.model_selection import train_test_split
    from utils.data import load_notmnist

    X, y, _ = load_notmnist(verbose=False)
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=0)
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest, y_rest, test_size=0.2, stratify=y_rest, random_state=0)
    return X_train, y_train, X_val, y_val, X_test, y_test


def warmup_cosine(step, total_steps, warmup=0.1):
    """Learning-rate factor: linear warm-up, then cosine from 1 to 0."""
    warmup_steps = int(warmup * total_steps)
    if step < warmup_steps:
        return step / warmup_steps
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return 0.5 * (1 + math.cos(math.pi * progress))


# ------------------------------------------------------------------ torch

def _torch_setup(threads):
    import torch

    if threads:
        torch.set_num_threads(threads)
    from utils.device import seed_everything
    seed_everything(0)
    return torch


def _torch_mlp(hidden, dropout=0.0, bn=False):
    from torch import nn

    layers, n_in = [nn.Flatten()], 28 * 28
    for n_out in hidden:
        layers.append(nn.Linear(n_in, n_out))
        if bn:
            layers.append(nn.BatchNorm1d(n_out))
        layers.append(nn.ReLU())
        if dropout:
            layers.append(nn.Dropout(dropout))
        n_in = n_out
    layers.append(nn.Linear(n_in, 10))
    return nn.Sequential(*layers)


def _torch_accuracy(net, X, y):
    import torch

    net.eval()
    with torch.no_grad():
        pred = torch.cat([net(X[i:i + 1000]) for i in range(0, len(X), 1000)])
    return (pred.argmax(dim=1) == y).float().mean().item()


def worker_sources(epochs, threads):
    torch = _torch_setup(threads)
    from torch import nn

    X_train, y_train, _, _, X_test, y_test = split()
    X, y = torch.tensor(X_train), torch.tensor(y_train)
    net = nn.Sequential(_torch_mlp((512, 256, 128, 32)), nn.Softmax(dim=1))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    for _ in range(epochs):
        net.train()
        loss = loss_fn(net(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    acc = _torch_accuracy(net, torch.tensor(X_test), torch.tensor(y_test))
    return {"accuracy": acc, "seconds": seconds, "epochs": epochs,
            "final_loss": loss.item()}


def _torch_shift(X, max_shift=2):
    import torch
    import torch.nn.functional as F

    n, s = len(X), max_shift
    padded = F.pad(X, (s, s, s, s))
    dy = torch.randint(0, 2 * s + 1, (n, 1, 1))
    dx = torch.randint(0, 2 * s + 1, (n, 1, 1))
    rows = torch.arange(28).view(1, 28, 1) + dy
    cols = torch.arange(28).view(1, 1, 28) + dx
    batch = torch.arange(n).view(n, 1, 1)
    return padded[batch, rows, cols]


def worker_pytorch(epochs, threads):
    torch = _torch_setup(threads)
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    X_train, y_train, X_val, y_val, X_test, y_test = split()
    X_full = torch.cat([torch.tensor(X_train), torch.tensor(X_val)])
    y_full = torch.cat([torch.tensor(y_train), torch.tensor(y_val)])
    full_iter = DataLoader(TensorDataset(X_full, y_full),
                           batch_size=BATCH_SIZE, shuffle=True)
    from utils.device import seed_everything
    seed_everything(0)  # as run() in the notebook, just before the model
    net = _torch_mlp((512, 256), dropout=0.3, bn=True)
    optimizer = torch.optim.AdamW(net.parameters(), lr=2e-3,
                                  weight_decay=1e-4)
    total_steps = epochs * len(full_iter)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: warmup_cosine(step, total_steps))
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    for _ in range(epochs):
        net.train()
        for X, y in full_iter:
            loss = loss_fn(net(_torch_shift(X)), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            loss.item()  # the notebook's loop reads the loss every step
    seconds = time.perf_counter() - start
    acc = _torch_accuracy(net, torch.tensor(X_test), torch.tensor(y_test))
    return {"accuracy": acc, "seconds": seconds, "epochs": epochs}


# ------------------------------------------------------------------ tensorflow

def worker_tensorflow(epochs, threads):
    import numpy as np

    from utils.device import quiet_tf, seed_everything
    with quiet_tf():
        import tensorflow as tf
        import keras
        if threads:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        tf.config.list_physical_devices("GPU")
    seed_everything(0)

    X_train, y_train, X_val, y_val, X_test, y_test = split()
    full_ds = (tf.data.Dataset.from_tensor_slices(
        (np.concatenate([X_train, X_val]), np.concatenate([y_train, y_val])))
        .shuffle(len(X_train) + len(X_val), seed=0).batch(BATCH_SIZE)
        .prefetch(tf.data.AUTOTUNE))
    seed_everything(0)  # as run() in the notebook, just before the model
    layers = [keras.Input((28, 28)), keras.layers.Reshape((28, 28, 1)),
              keras.layers.RandomTranslation(2 / 28, 2 / 28,
                                             fill_mode="constant",
                                             interpolation="nearest"),
              keras.layers.Flatten()]
    for n_out in (512, 256):
        layers += [keras.layers.Dense(n_out),
                   keras.layers.BatchNormalization(momentum=0.9,
                                                   epsilon=1e-5),
                   keras.layers.ReLU(), keras.layers.Dropout(0.3)]
    layers.append(keras.layers.Dense(10))
    net = keras.Sequential(layers)
    total_steps = epochs * len(full_ds)
    warmup_steps = int(0.1 * total_steps)
    lr = keras.optimizers.schedules.CosineDecay(
        0.0, total_steps - warmup_steps, warmup_target=2e-3,
        warmup_steps=warmup_steps)
    net.compile(optimizer=keras.optimizers.AdamW(lr, weight_decay=1e-4),
                loss=keras.losses.SparseCategoricalCrossentropy(
                    from_logits=True),
                metrics=["accuracy"])
    start = time.perf_counter()
    net.fit(full_ds, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    pred = net.predict(X_test, batch_size=1000, verbose=0).argmax(axis=1)
    return {"accuracy": float((pred == y_test).mean()), "seconds": seconds,
            "epochs": epochs}


WORKERS = {"sources": worker_sources, "pytorch": worker_pytorch,
           "tensorflow": worker_tensorflow}


# ------------------------------------------------------------------ parent

def thread_env(threads: int) -> dict:
    env = dict(os.environ)
    if threads:
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS",
                     "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                     "TF_NUM_INTEROP_THREADS"):
            env[name] = str(threads)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def run_worker(name: str, epochs: int, threads: int) -> dict:
    cmd = [sys.executable, "-m", "tools.benchmark_notmnist", "--worker", name,
           "--epochs", str(epochs), "--threads", str(threads)]
    proc = subprocess.run(cmd, cwd=ROOT, env=thread_env(threads),
                          capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{name}: процесс завершился с кодом "
                           f"{proc.returncode}\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-epochs", type=int, default=SOURCE_EPOCHS,
                        help="epochs of the sources' full-batch pipeline")
    parser.add_argument("--final-epochs", type=int, default=FINAL_EPOCHS,
                        help="epochs of the notebooks' final models")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads per worker (0: library default)")
    parser.add_argument("--quick", action="store_true",
                        help="tiny epoch counts: check that everything runs")
    parser.add_argument("--worker", choices=sorted(WORKERS),
                        help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:  # inside a subprocess: train one model, print JSON
        result = WORKERS[args.worker](args.epochs, args.threads)
        print(json.dumps(result))
        return 0

    if args.quick:
        args.source_epochs, args.final_epochs = 5, 2
    print(f"Бенчмарк урока 05: эпох у источников {args.source_epochs}, "
          f"у итоговых моделей {args.final_epochs}; потоков на процесс: "
          f"{args.threads or 'по умолчанию'}.", flush=True)
    results = {}
    for name in MODELS:
        epochs = args.source_epochs if name == "sources" else args.final_epochs
        print(f"  обучается: {MODELS[name]} …", flush=True)
        results[name] = run_worker(name, epochs, args.threads)
        print(f"    {results[name]['seconds']:.1f} с, точность "
              f"{results[name]['accuracy']:.4f}", flush=True)

    src = results["sources"]["seconds"]
    header = (f"| {'модель':44} | {'точность на тесте':17} | "
              f"{'время обучения, с':17} | {'доля от источников':18} |")
    print()
    print(header)
    print("|" + "|".join("-" * len(c) for c in header.split("|")[1:-1]) + "|")
    for name, label in MODELS.items():
        r = results[name]
        print(f"| {label:44} | {100 * r['accuracy']:16.2f}% | "
              f"{r['seconds']:17.1f} | {r['seconds'] / src:18.3f} |")
    per_epoch = src / results["sources"]["epochs"]
    slowest = max(results[n]["seconds"] for n in ("pytorch", "tensorflow"))
    print(f"\nИсточники: {per_epoch:.3f} с на эпоху, потери в конце "
          f"{results['sources']['final_loss']:.4f} (граница log(1 + 9/e) = "
          f"{math.log(1 + 9 / math.e):.4f}); доля {RATIO_BAR} достигается, "
          f"если у источников не меньше "
          f"{math.ceil(slowest / RATIO_BAR / per_epoch)} эпох.")

    failed = []
    for name in ("pytorch", "tensorflow"):
        r = results[name]
        if r["accuracy"] < ACCURACY_BAR:
            failed.append(f"{MODELS[name]}: точность {r['accuracy']:.4f} "
                          f"< {ACCURACY_BAR}")
        if r["seconds"] > RATIO_BAR * src:
            failed.append(f"{MODELS[name]}: время {r['seconds']:.1f} с > "
                          f"{RATIO_BAR} × {src:.1f} с")
    if args.quick:
        print("Режим --quick: пороги не проверяются.")
        return 0
    print("\n".join(["Не выполнено:"] + failed) if failed
          else "Все пороги выполнены.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
