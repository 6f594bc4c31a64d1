"""Issue 14: the notMNIST loader under stress.

Concurrent runs on one data folder, a poisoned cache, half-extracted and
cluttered folders, hostile servers, files that raise exotic exceptions, ``~``
and ``$VARS`` in the settings, a killed run, and the choice of source.
Every server is a loopback one (see ``test_data.py``, whose synthetic files,
server and fixtures this module reuses); every test is bounded in time and
bytes.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import utils.data as D
from test_data import (  # noqa: F401 — fixtures are used by name
    ARCHIVE_CACHE, ARCHIVE_NAME, IMAGES_NAME, LABELS_NAME, LETTERS,
    PER_CLASS, ROOT, SAMPLE_CACHE, Server, _idx, _png, _spec_remote,
    assert_nothing_half_written, assert_only, assert_russian,
    assert_synthetic_idx, assert_synthetic_letters, files, load_archive,
    offline, reason_for, remote, server, set_sources, tries_section)


def _mirror(tmp_path: Path, files, images=None, labels=None) -> Path:
    """A local mirror folder with the synthetic IDX pair."""
    mirror = tmp_path / "mirror"
    mirror.mkdir(exist_ok=True)
    (mirror / IMAGES_NAME).write_bytes(files.images if images is None else images)
    (mirror / LABELS_NAME).write_bytes(files.labels if labels is None else labels)
    return mirror


def _unique(tmp_path: Path, name: str) -> str:
    """A server path no other test uses (hits are counted per path)."""
    return f"/{tmp_path.name}/{name}"


# ================================================================ concurrency

CHILD = r'''
import hashlib, json, os, sys, time
spec = json.loads(sys.argv[1])
sys.path.insert(0, spec["root"])
import utils.data as D
D.RETRY_PAUSE, D.TIMEOUT = 0, 20
for attr, r in spec["remotes"].items():
    setattr(D, attr, D.Remote(r["name"], r["hash"], r["size"], tuple(r["urls"])))
open(spec["ready"], "w").close()
while not os.path.exists(spec["go"]):     # start all at the same moment
    time.sleep(0.001)
X, y, classes = D.load_notmnist(data_dir=spec["data_dir"], mirror=None,
                                source=spec["source"], verbose=False)
print("RESULT " + json.dumps({
    "X": hashlib.sha256(X.tobytes()).hexdigest(),
    "y": hashlib.sha256(y.tobytes()).hexdigest(),
    "n": len(y), "classes": classes}))
'''


def _child_env() -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in (D.MIRROR_ENV, D.DATA_ENV) and "proxy" not in k.lower()}
    env.update(NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
               PYTHONDONTWRITEBYTECODE="1", PYTHONIOENCODING="utf-8")
    return env


def _spawn(tmp_path: Path, spec: dict, i: int) -> subprocess.Popen:
    spec = dict(spec, root=str(ROOT), ready=str(tmp_path / "sync" / f"ready{i}"),
                go=str(tmp_path / "sync" / "go"))
    return subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(spec)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=_child_env(), cwd=tmp_path / "sync")


def _wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


@pytest.mark.parametrize("source", ["archive", "sample"])
def test_four_processes_at_once_on_an_empty_folder(tmp_path, server, files, source):
    """4 processes load into one empty data folder at the same moment: each
    gets the full dataset, the files are downloaded once, and the cache they
    leave loads and validates."""
    data = tmp_path / "data"                 # not there yet: a process makes it
    (tmp_path / "sync").mkdir()
    refused = [server.refused("x")]
    # served in 4 pieces 50 ms apart, so that the processes overlap
    if source == "archive":
        url = server.add(_unique(tmp_path, ARCHIVE_NAME), "slow", files.archive, 4, 0.05)
        remotes = {
            "ARCHIVE": _spec_remote(remote(ARCHIVE_NAME, files.archive, [url], "md5")),
            "IDX_IMAGES": _spec_remote(remote(IMAGES_NAME, files.images, refused)),
            "IDX_LABELS": _spec_remote(remote(LABELS_NAME, files.labels, refused))}
        X8, y = files.X, files.y
        served = [url]
    else:
        images = server.add(_unique(tmp_path, IMAGES_NAME), "slow", files.images, 4, 0.05)
        labels = server.add(_unique(tmp_path, LABELS_NAME), "slow", files.labels, 4, 0.05)
        remotes = {
            "ARCHIVE": _spec_remote(remote(ARCHIVE_NAME, files.archive, refused, "md5")),
            "IDX_IMAGES": _spec_remote(remote(IMAGES_NAME, files.images, [images],
                                              with_size=False)),
            "IDX_LABELS": _spec_remote(remote(LABELS_NAME, files.labels, [labels],
                                              with_size=False))}
        X8, y = files.idx_X, files.idx_y.astype(np.int64)
        served = [images, labels]
    spec = {"remotes": remotes, "data_dir": str(data), "source": source}
    procs = [_spawn(tmp_path, spec, i) for i in range(4)]
    try:
        _wait_for(lambda: all((tmp_path / "sync" / f"ready{i}").exists()
                              for i in range(4)), 60, "the processes to start")
        (tmp_path / "sync" / "go").touch()
        outs = [p.communicate(timeout=60) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    expected = {"X": hashlib.sha256((X8.astype(np.float32) / 255.0).tobytes()).hexdigest(),
                "y": hashlib.sha256(y.astype(np.int64).tobytes()).hexdigest(),
                "n": len(y), "classes": LETTERS}
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        line = next(l for l in out.splitlines() if l.startswith("RESULT "))
        assert json.loads(line[len("RESULT "):]) == expected
    for url in served:                       # the others waited, then used the cache
        assert server.hits[url.split(str(server.port), 1)[1]] == 1
    cache = data / D.CACHE_NAMES[source]
    cX, cy, classes, skipped, _ = D._read_cache(cache, source)   # validates
    np.testing.assert_array_equal(cX, X8)
    np.testing.assert_array_equal(cy, y)
    assert classes == LETTERS and skipped == 0
    assert_nothing_half_written(data)
    names = {D.LOCK_NAME, cache.name} | (
        {ARCHIVE_NAME, D.ARCHIVE_DIR} if source == "archive"
        else {IMAGES_NAME, LABELS_NAME})
    assert set(os.listdir(data)) == names
    assert_only(tmp_path, "data", "sync")


def test_a_process_waits_for_the_lock_and_says_so(tmp_path, files, capsys):
    """While another process holds the data folder, a load waits, says so in
    Russian, and succeeds when the folder is free; a lock held too long gives
    a Russian DataUnavailable."""
    data = tmp_path / "data"
    data.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from filelock import FileLock; "
         "l = FileLock(sys.argv[1]); l.acquire(); print('held', flush=True); "
         "time.sleep(float(sys.argv[2]))", str(data / D.LOCK_NAME), "0.7"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        t0 = time.monotonic()
        X, y, classes = D.load_notmnist(data_dir=data, mirror=str(_mirror(tmp_path, files)))
        waited = time.monotonic() - t0
    finally:
        holder.kill()
        holder.wait()
    assert_synthetic_idx(files, X, y, classes)
    assert "готовит другой процесс" in capsys.readouterr().out
    assert waited > 0.2


def test_a_lock_held_too_long(monkeypatch, tmp_path, files):
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setattr(D, "LOCK_TIMEOUT", 0.3)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from filelock import FileLock; "
         "l = FileLock(sys.argv[1]); l.acquire(); print('held', flush=True); "
         "time.sleep(30)", str(data / D.LOCK_NAME)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(D.DataUnavailable, match="занимает другой процесс"):
            D.load_notmnist(data_dir=data, mirror=str(_mirror(tmp_path, files)))
    finally:
        holder.kill()
        holder.wait()


def test_killed_run_leaves_nothing_behind(monkeypatch, tmp_path, server, files):
    """SIGKILL in the middle of a download: the next run removes the
    leftover and loads normally."""
    data = tmp_path / "data"
    (tmp_path / "sync").mkdir()
    (tmp_path / "sync" / "go").touch()
    slow = server.add(_unique(tmp_path, IMAGES_NAME), "trickle", files.images, 0.05)
    refused = [server.refused("x")]
    spec = {"data_dir": str(data), "source": "sample", "remotes": {
        "ARCHIVE": _spec_remote(remote(ARCHIVE_NAME, files.archive, refused, "md5")),
        "IDX_IMAGES": _spec_remote(remote(IMAGES_NAME, files.images, [slow])),
        "IDX_LABELS": _spec_remote(remote(LABELS_NAME, files.labels, refused))}}
    child = _spawn(tmp_path, spec, 0)
    try:
        _wait_for(lambda: data.is_dir() and any(p.name.endswith(".part")
                                                for p in data.iterdir()),
                  60, "the download to start")
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate()
    assert any(p.name.endswith(".part") for p in data.iterdir())   # the leftover
    good = server.add(_unique(tmp_path, "good-" + IMAGES_NAME), "file", files.images)
    labels = server.add(_unique(tmp_path, LABELS_NAME), "file", files.labels)
    set_sources(monkeypatch, server, files, images=[good], labels=[labels])
    assert_synthetic_idx(files, *D.load_notmnist(data_dir=data))
    assert_nothing_half_written(data)
    assert sorted(os.listdir(data)) == sorted(
        [D.LOCK_NAME, IMAGES_NAME, LABELS_NAME, SAMPLE_CACHE])


# ================================================================ poisoned caches

def _cache_arrays(files) -> dict:
    return {"X": files.idx_X.copy(), "y": files.idx_y.astype(np.int64),
            "classes": np.array(LETTERS), "source": "выборка в формате IDX",
            "skipped": 0, "kind": "sample"}


def _npy(array: np.ndarray, shape=None) -> bytes:
    """A .npy file; ``shape`` overrides the shape its header declares."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {
        "descr": np.lib.format.dtype_to_descr(array.dtype), "fortran_order": False,
        "shape": shape if shape is not None else array.shape})
    return buf.getvalue() + array.tobytes()


def _write_bad_cache(path: Path, case: str, files):
    a = _cache_arrays(files)
    X, y = a["X"], a["y"]
    if case == "header_lies":            # X.npy promises 10 million images
        with zipfile.ZipFile(path, "w") as zf:
            for key, value in a.items():
                arr = np.asarray(value)
                zf.writestr(f"{key}.npy", _npy(arr, (10_000_000, 28, 28) if key == "X"
                                                else None))
        return
    if case == "bomb":                    # tiny on disk, big once unpacked
        a["X"] = np.zeros((3000, 28, 28), np.uint8)
        a["y"] = np.arange(3000) % 10
        np.savez_compressed(path, **a)
        return
    change = {
        "shape_10x5x5": lambda: a.update(X=np.full((10, 5, 5), 200, np.uint8),
                                         y=np.arange(10)),
        "y_57": lambda: y.__setitem__(3, 57),
        "divided_by_255": lambda: a.update(X=(X / 255.0).astype(np.float32)),
        "nan": lambda: a.update(X=np.where(X > 100, np.nan, X / 255.0)),
        "already_0_1": lambda: a.update(X=(X > 127).astype(np.uint8)),
        "lengths": lambda: a.update(y=y[:-1]),
        "three_classes": lambda: a.update(classes=np.array(list("ABC")), y=y % 3),
        "no_rows": lambda: a.update(X=X[:0], y=y[:0]),
        "y_negative": lambda: y.__setitem__(0, -1),
        "y_float": lambda: a.update(y=y.astype(np.float64)),
        "y_2d": lambda: a.update(y=y[:, None]),
        "class_names": lambda: a.update(classes=np.array(list("0123456789"))),
        "class_without_images": lambda: a.update(y=y % 9),
        "other_source": lambda: a.update(kind="archive"),
        "no_y": lambda: a.pop("y"),
        "pickled": lambda: a.update(classes=np.array(LETTERS, dtype=object)),
    }[case]
    change()
    np.savez(path, **a)


BAD_CACHES = {                           # case: what the message must say
    "shape_10x5x5": "форму (10, 5, 5)",
    "y_57": "от 0 до 57",
    "divided_by_255": "тип float32",
    "nan": "тип float64",
    "already_0_1": "равны 0 или 1",
    "lengths": "картинок 20, а меток 19",
    "three_classes": "классов 3",
    "no_rows": "нет ни одной картинки",
    "y_negative": "от -1 до 9",
    "y_float": "целых чисел",
    "y_2d": "одномерным",
    "class_names": "классов 10 (0, 1, 2",
    "class_without_images": "у классов J нет",
    "other_source": "другого источника",
    "no_y": "нет массивов y",
    "pickled": "объекты Python",
    "bomb": "МБ",
    "header_lies": "обещает больше данных",
}


@pytest.mark.parametrize("case", list(BAD_CACHES))
def test_bad_cache_is_reported_and_rebuilt(monkeypatch, tmp_path, files, capsys, case):
    data = tmp_path / "data"
    data.mkdir()
    cache = data / SAMPLE_CACHE
    _write_bad_cache(cache, case, files)
    if case == "bomb":
        monkeypatch.setattr(D, "MAX_ARRAY_BYTES", 2**20)
    loaded = []
    real_load = np.load
    monkeypatch.setattr(np, "load", lambda path, *a, **k: (loaded.append(Path(path)),
                                                           real_load(path, *a, **k))[1])
    mirror = _mirror(tmp_path, files)
    X, y, classes = D.load_notmnist(data_dir=data, mirror=str(mirror))
    assert_synthetic_idx(files, X, y, classes)
    note = next(l for l in capsys.readouterr().out.splitlines() if "негоден" in l)
    assert BAD_CACHES[case] in note, note
    assert_russian(note)
    if case in ("bomb", "header_lies"):        # refused before any array was read
        assert loaded == []
    # rebuilt: the cache now validates, and the next call uses it
    D._read_cache(cache, "sample")
    assert_synthetic_idx(files, *D.load_notmnist(data_dir=data, mirror=str(mirror)))
    assert "источник: кэш" in capsys.readouterr().out
    assert_nothing_half_written(data)


def test_caches_are_separate_per_source(monkeypatch, tmp_path, server, files, capsys):
    """The sample is the default even when the archive is reachable, and
    switching sources never returns the other source's data."""
    data = tmp_path / "data"
    archive = server.add(_unique(tmp_path, ARCHIVE_NAME), "file", files.archive)
    images = server.add(_unique(tmp_path, IMAGES_NAME), "file", files.images)
    labels = server.add(_unique(tmp_path, LABELS_NAME), "file", files.labels)
    set_sources(monkeypatch, server, files, archive=[archive], images=[images],
                labels=[labels])
    for _ in range(2):                       # built, then from each cache
        assert_synthetic_idx(files, *D.load_notmnist(data_dir=data))
        assert_synthetic_letters(files, *load_archive(data))
        assert_synthetic_idx(files, *D.load_notmnist(data_dir=data, source="sample"))
    out = capsys.readouterr().out
    assert f"кэш {data / SAMPLE_CACHE}" in out and f"кэш {data / ARCHIVE_CACHE}" in out
    assert server.hits[archive.split(str(server.port), 1)[1]] == 1
    assert server.hits[images.split(str(server.port), 1)[1]] == 1


def test_unknown_source_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="такого источника нет") as exc:
        D.load_notmnist(data_dir=tmp_path / "data", source="full")
    assert "'sample'" in str(exc.value) and "'archive'" in str(exc.value)
    assert not (tmp_path / "data").exists()


# ================================================================ hostile servers

def _hostile(server, tmp_path, case, files):
    """(url, expected fragment of the reason, expected hits or None)."""
    u = lambda name: _unique(tmp_path, name)   # noqa: E731
    if case == "redirect_loop":
        return server.add(u("loop"), "redirect", u("loop")), "по кругу", 1
    if case == "redirect_chain":
        for i in range(12):
            server.add(u(f"r{i}"), "redirect", server.url(u(f"r{i + 1}")), 301)
        return server.url(u("r0")), f"больше {D.MAX_REDIRECTS} переадресаций", 1
    if case == "redirect_to_file":
        return (server.add(u("tofile"), "redirect", "file:///etc/passwd"),
                "file:///etc/passwd — это не http(s)", 1)
    if case == "malformed_ipv6":
        return f"http://[::1/{IMAGES_NAME}", "адрес записан с ошибкой", None
    if case == "malformed_port":
        return f"http://127.0.0.1:99999/{IMAGES_NAME}", "адрес записан с ошибкой", None
    if case == "malformed_no_host":
        return f"http:///{IMAGES_NAME}", "адрес записан с ошибкой", None
    if case == "malformed_space":
        return server.url(u("a b")), "пробел", None
    if case in ("403", "404", "410"):
        return server.add(u(case), "status", int(case), b"no"), f"HTTP {case}", 1
    if case == "503":
        return server.add(u(case), "status", 503, b"busy"), "HTTP 503", D.RETRIES
    if case == "stall_before_headers":
        return (server.add(u("stall0"), "stall", files.images, False, 3),
                "ничего не прислал", D.RETRIES)
    if case == "stall_after_headers":
        return (server.add(u("stall1"), "stall", files.images, True, 3),
                "перестал присылать данные", D.RETRIES)
    if case == "trickle":
        return (server.add(u("trickle"), "trickle", files.images, 0.3),
                "не уложилась", 1)
    if case == "tls_to_plain_http":
        return f"https://127.0.0.1:{server.port}{u('tls')}", "TLS", None
    if case == "endless":
        return server.add(u("endless"), "endless", 256 * 2**20), "больше 262144 байт", 1
    if case == "length_lies":
        return (server.add(u("length"), "length", 10**9, b"x" * 100),
                "собирается прислать 1000000000 байт", 1)
    if case == "gzip_bomb_encoded":        # 20 MB of zeros as a 20 KB gzip body
        return (server.add(u("bomb"), "encoded", gzip.compress(bytes(20 * 2**20)), "gzip"),
                "хеш", 1)
    raise AssertionError(case)


HOSTILE = ["redirect_loop", "redirect_chain", "redirect_to_file", "malformed_ipv6",
           "malformed_port", "malformed_no_host", "malformed_space", "403", "404",
           "410", "503", "stall_before_headers", "stall_after_headers", "trickle",
           "tls_to_plain_http", "endless", "length_lies", "gzip_bomb_encoded"]


@pytest.mark.timeout(30)               # a regression may hang: fail it soon
@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_server(monkeypatch, tmp_path, server, files, case):
    """Every hostile answer gives a Russian reason that says what happened,
    within a bounded time, no retry where retrying cannot help, and nothing
    written outside (or left half-written in) the data folder."""
    monkeypatch.setattr(D, "TIMEOUT", 0.5)
    monkeypatch.setattr(D, "DEADLINE", 1.5)
    monkeypatch.setattr(D, "MAX_DOWNLOAD_BYTES", 256 * 2**10)
    url, expected, hits = _hostile(server, tmp_path, case, files)
    set_sources(monkeypatch, server, files, images=[url])
    data = tmp_path / "data"
    t0 = time.monotonic()
    with pytest.raises(D.DataUnavailable) as exc:
        D.load_notmnist(data_dir=data)
    elapsed = time.monotonic() - t0
    reason = reason_for(str(exc.value), url)
    assert expected in reason, reason
    assert_russian(reason)
    if hits is not None:
        assert server.hits[url.split(str(server.port), 1)[1]] == hits
    if hits == 1 or hits is None:
        assert "попыток" not in reason       # not retried
    assert elapsed < 5, f"took {elapsed:.1f} s"
    if case == "endless":                    # stopped soon after the limit
        time.sleep(0.2)
        assert server.sent[url.split(str(server.port), 1)[1]] < 64 * 2**20
    assert_nothing_half_written(data)
    assert os.listdir(data) == [D.LOCK_NAME]
    assert_only(tmp_path, "data")


def test_oversized_archive_stops_at_its_known_size(monkeypatch, tmp_path, server, files):
    """A file with a published size: the download stops just past that size."""
    url = server.add(_unique(tmp_path, "endless"), "endless", 256 * 2**20)
    set_sources(monkeypatch, server, files, archive=[url])
    with pytest.raises(D.DataUnavailable) as exc:
        load_archive(tmp_path / "data")
    reason = reason_for(str(exc.value), url)
    assert f"больше {len(files.archive)} байт" in reason
    assert_russian(reason)
    time.sleep(0.2)
    assert server.sent[url.split(str(server.port), 1)[1]] < 64 * 2**20


def test_gz_served_with_content_encoding_keeps_raw_bytes(monkeypatch, tmp_path,
                                                         server, files):
    """A server that labels a .gz file ``Content-Encoding: gzip`` (Apache
    does) serves it correctly: the raw bytes are kept and pass the hash."""
    images = server.add(_unique(tmp_path, IMAGES_NAME), "encoded", files.images, "gzip")
    labels = server.add(_unique(tmp_path, LABELS_NAME), "encoded", files.labels, "gzip")
    set_sources(monkeypatch, server, files, images=[images], labels=[labels])
    assert_synthetic_idx(files, *D.load_notmnist(data_dir=tmp_path / "data"))


def test_redirect_is_followed(monkeypatch, tmp_path, server, files):
    """GitHub's raw addresses redirect: a redirect to http(s) still works."""
    good = server.add(_unique(tmp_path, "real/" + IMAGES_NAME), "file", files.images)
    moved = server.add(_unique(tmp_path, "moved"), "redirect", good, 302)
    set_sources(monkeypatch, server, files, images=[moved],
                labels=[server.add(_unique(tmp_path, LABELS_NAME), "file", files.labels)])
    assert_synthetic_idx(files, *D.load_notmnist(data_dir=tmp_path / "data"))


@pytest.fixture
def tls_server(tmp_path):
    """A loopback HTTPS server with a self-signed certificate."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: cannot make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=30)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    srv = Server(context)
    yield srv
    srv.close()
    cert.unlink()
    key.unlink()


def test_tls_certificate_that_does_not_verify(monkeypatch, tmp_path, server, files,
                                              tls_server):
    url = tls_server.add("/" + IMAGES_NAME, "file", files.images)
    set_sources(monkeypatch, server, files, images=[url])
    with pytest.raises(D.DataUnavailable) as exc:
        D.load_notmnist(data_dir=tmp_path / "data")
    reason = reason_for(str(exc.value), url)
    assert "сертификат сервера не прошёл проверку" in reason
    assert "попыток" not in reason
    assert_russian(reason)
    assert tls_server.hits == {}             # no request was sent in clear text


# ================================================================ folders

def _letter_tree(root: Path, files):
    for letter, pics in files.letters.items():
        (root / letter).mkdir(parents=True)
        for name, pixels in pics:
            (root / letter / name).write_bytes(_png(pixels))


def test_read_letter_folders_keeps_only_classes(tmp_path, files, capsys):
    """Only A–J are classes: Jupyter's checkpoints, macOS's __MACOSX, hidden
    folders, a lower-case 'a' and stray files are skipped and reported, and
    do not shift the labels; *.PNG in capitals is read."""
    root = tmp_path / "letters"
    _letter_tree(root, files)
    extra = np.full((28, 28), 77, np.uint8)
    for junk in (".ipynb_checkpoints", "__MACOSX", ".hidden", "a"):
        (root / junk).mkdir()
        (root / junk / "img0.png").write_bytes(_png(extra))
    (root / "notes.txt").write_text("x")
    (root / "A" / "Thumbs.db").write_bytes(b"\0" * 10)
    (root / "B" / "img9.PNG").write_bytes(_png(extra))
    X, y, classes, skipped = D.read_letter_folders(root)
    assert classes == LETTERS and skipped == 0
    at = 2 * PER_CLASS                       # after B's own files
    np.testing.assert_array_equal(X, np.insert(files.X, at, extra, axis=0))
    np.testing.assert_array_equal(y, np.insert(files.y, at, 1))
    out = capsys.readouterr().out
    for name in (".hidden", ".ipynb_checkpoints", "__MACOSX", "a", "notes.txt",
                 "A/Thumbs.db"):
        assert name in out
    assert_russian(out)


@pytest.mark.parametrize("case", ["empty", "only_broken", "no_classes"])
def test_read_letter_folders_empty_class(tmp_path, files, case):
    root = tmp_path / "letters"
    if case == "no_classes":
        (root / "a").mkdir(parents=True)
        (root / "a" / "img0.png").write_bytes(_png(files.X[0]))
    else:
        _letter_tree(root, files)
        for p in (root / "J").iterdir():
            p.unlink()
        if case == "only_broken":
            (root / "J" / "broken.png").write_bytes(files.broken_png)
    with pytest.raises(D.BadFile) as exc:
        D.read_letter_folders(root)
    assert_russian(str(exc.value))
    assert (f"{root / 'J'} нет ни одной картинки" in str(exc.value)
            if case != "no_classes" else "нет ни одной папки классов" in str(exc.value))


def test_vanished_file_is_an_error_not_a_skipped_image(monkeypatch, tmp_path, files):
    root = tmp_path / "letters"
    _letter_tree(root, files)
    real_open = Image.open

    def open_after_someone_deleted_it(path, *args, **kwargs):
        if Path(path).name == "img1.png" and Path(path).parent.name == "C":
            Path(path).unlink()
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(Image, "open", open_after_someone_deleted_it)
    with pytest.raises(D.BadFile, match="исчез во время чтения"):
        D.read_letter_folders(root)


def test_decompression_bomb_png_is_skipped(monkeypatch, tmp_path, files):
    """Pillow's DecompressionBombError (a huge picture) is a skipped file."""
    root = tmp_path / "letters"
    _letter_tree(root, files)
    (root / "E" / "huge.png").write_bytes(_png(np.zeros((64, 64), np.uint8)))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)   # 64*64 > 2*1000
    with pytest.raises(Image.DecompressionBombError):        # what Pillow does
        Image.open(root / "E" / "huge.png")
    X, y, classes, skipped = D.read_letter_folders(root)
    assert skipped == 1
    np.testing.assert_array_equal(X, files.X)


def _extract_by_hand(files, data: Path):
    """What a learner's `tar xzf` leaves in the data folder."""
    with tarfile.open(fileobj=io.BytesIO(files.archive)) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(data, filter="data")
        else:
            tar.extractall(data)          # our own synthetic archive


def _spoil(folder: Path, case: str):
    """Spoil the extracted ``folder`` next to the archive as in ``case``."""
    if case == "half_extracted":         # a `tar` stopped after A
        for letter in LETTERS[1:]:
            shutil.rmtree(folder / letter)
    elif case == "empty_A":              # nothing but an empty A/
        for letter in LETTERS:
            shutil.rmtree(folder / letter)
        (folder / "A").mkdir()
    elif case == "empty_A_of_ten":
        for p in (folder / "A").iterdir():
            p.unlink()
    elif case == "extra_file":
        (folder / "A" / "zzz.png").write_bytes(_png(np.ones((28, 28), np.uint8)))
    elif case == "cut_file":
        path = folder / "C" / "img1.png"
        path.write_bytes(path.read_bytes()[:40])
    elif case == "not_a_folder":
        shutil.rmtree(folder)
        folder.write_text("x")
    else:
        raise AssertionError(case)


FOLDERS = ["half_extracted", "empty_A", "empty_A_of_ten", "extra_file", "cut_file",
           "not_a_folder"]


@pytest.mark.parametrize("case", FOLDERS)
def test_folder_beside_the_archive_is_checked(monkeypatch, tmp_path, files, capsys,
                                              case):
    """A folder that does not match the archive's member list is extracted
    again, with a message; it is never trusted because it exists."""
    data = tmp_path / "data"
    data.mkdir()
    (data / ARCHIVE_NAME).write_bytes(files.archive)   # handed over by hand
    _extract_by_hand(files, data)
    _spoil(data / D.ARCHIVE_DIR, case)
    assert_synthetic_letters(files, *load_archive(data))
    out = capsys.readouterr().out
    note = next(l for l in out.splitlines() if "не совпадает с архивом" in l)
    assert "распаковываю архив заново" in note
    assert_russian(note)
    assert sorted(os.listdir(data / D.ARCHIVE_DIR)) == LETTERS
    assert_nothing_half_written(data)


def test_complete_folder_is_not_extracted_again(tmp_path, files, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / ARCHIVE_NAME).write_bytes(files.archive)
    _extract_by_hand(files, data)
    (data / D.ARCHIVE_DIR / ".ipynb_checkpoints").mkdir()   # Jupyter was here
    before = (data / D.ARCHIVE_DIR / "A" / "img0.png").stat().st_ino
    assert_synthetic_letters(files, *load_archive(data))
    out = capsys.readouterr().out
    assert "не совпадает" not in out and ".ipynb_checkpoints" in out
    assert (data / D.ARCHIVE_DIR / "A" / "img0.png").stat().st_ino == before


def test_extraction_is_checked_against_the_member_list(monkeypatch, tmp_path, files):
    """If extraction silently writes only part of the archive, it is refused."""
    data = tmp_path / "data"
    data.mkdir()
    (data / ARCHIVE_NAME).write_bytes(files.archive)
    real = tarfile.TarFile.extractall

    def half(self, path=".", members=None, **kwargs):
        return real(self, path, members=list(members)[: len(members) // 2], **kwargs)

    monkeypatch.setattr(tarfile.TarFile, "extractall", half)
    with pytest.raises(D.DataUnavailable) as exc:
        load_archive(data)
    line = next(l for l in tries_section(str(exc.value)).splitlines()
                if "распаковался не полностью" in l)
    assert_russian(line.split("•")[1])
    assert_nothing_half_written(data)
    assert not (data / D.ARCHIVE_DIR).exists()


# ================================================================ no raw exceptions

def _xz_archive(files) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:xz") as tar:
        for letter, pics in files.letters.items():
            for name, pixels in pics:
                data = _png(pixels) + os.urandom(20_000)   # incompressible bulk
                info = tarfile.TarInfo(f"{D.ARCHIVE_DIR}/{letter}/{name}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _corrupt_middle(data: bytes) -> bytes:
    mid = len(data) // 2
    return data[:mid] + bytes(b ^ 0x5A for b in data[mid: mid + 64]) + data[mid + 64:]


def _bad_idx(case: str, files) -> tuple[bytes, bytes, str]:
    """(images, labels, expected fragment) for an IDX pair that must fail."""
    head = bytes([0, 0, 8, 3])
    return {
        "truncated_gzip": (files.images[: len(files.images) // 2], files.labels,
                           "повреждён или обрезан"),
        "corrupt_gzip": (_corrupt_middle(files.images), files.labels,
                         "повреждён или обрезан"),
        "dims_overflow": (gzip.compress(head + (2**32 - 1).to_bytes(4, "big") * 3),
                          files.labels, "больше допустимых"),
        "header_shorter_than_dims": (gzip.compress(head + bytes(5)), files.labels,
                                     "заголовок IDX обрывается"),
        "labels_57": (files.images, _idx(np.where(files.idx_y == 3, 57, files.idx_y)),
                      "от 0 до 57"),
        "count_mismatch": (files.images, _idx(files.idx_y[:-1]), "картинок 20, а меток 19"),
    }[case]


@pytest.mark.parametrize("case", ["truncated_gzip", "corrupt_gzip", "dims_overflow",
                                  "header_shorter_than_dims", "labels_57",
                                  "count_mismatch"])
def test_broken_idx_gives_a_russian_error(monkeypatch, tmp_path, server, files, case):
    """EOFError, zlib errors, overflowing dims…: all become Russian reasons.
    The files pass their (synthetic) hash: only reading them can fail."""
    images, labels, expected = _bad_idx(case, files)
    mirror = _mirror(tmp_path, files, images, labels)
    set_sources(monkeypatch, server, files, images_data=images, labels_data=labels)
    with pytest.raises(D.DataUnavailable) as exc:
        D.load_notmnist(data_dir=tmp_path / "data", mirror=str(mirror))
    line = next(l for l in tries_section(str(exc.value)).splitlines()
                if l.strip().startswith("• выборка IDX"))
    assert expected in line, line
    assert_russian(line)


@pytest.mark.parametrize("case", ["xz_corrupt", "gz_corrupt", "gz_truncated"])
def test_broken_archive_gives_a_russian_error(monkeypatch, tmp_path, server, files, case):
    """LZMAError, zlib.error, EOFError from a damaged archive that passes its
    (synthetic) hash: a Russian reason, nothing left behind."""
    archive = {"xz_corrupt": lambda: _corrupt_middle(_xz_archive(files)),
               "gz_corrupt": lambda: _corrupt_middle(files.archive),
               "gz_truncated": lambda: files.archive[: len(files.archive) * 2 // 3],
               }[case]()
    data = tmp_path / "data"
    data.mkdir()
    (data / ARCHIVE_NAME).write_bytes(archive)
    set_sources(monkeypatch, server, files, archive_data=archive)
    with pytest.raises(D.DataUnavailable) as exc:
        load_archive(data)
    line = next(l for l in tries_section(str(exc.value)).splitlines()
                if "не распаковывается" in l)
    assert "повреждён или обрезан" in line
    assert_russian(line.split("•")[1])
    assert_nothing_half_written(data)
    assert sorted(os.listdir(data)) == sorted([D.LOCK_NAME, ARCHIVE_NAME])


def test_archive_with_an_empty_class_gives_a_russian_error(monkeypatch, tmp_path,
                                                           server, files):
    letters = dict(files.letters, J=[])
    from test_data import _archive
    archive = _archive(letters)
    data = tmp_path / "data"
    data.mkdir()
    (data / ARCHIVE_NAME).write_bytes(archive)
    set_sources(monkeypatch, server, files, archive_data=archive)
    with pytest.raises(D.DataUnavailable) as exc:
        load_archive(data)
    assert "J нет ни одной картинки" in str(exc.value)
    assert not (data / ARCHIVE_CACHE).exists()


# ================================================================ settings

def test_data_folder_setting_expands_tilde_and_vars(monkeypatch, tmp_path, files):
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    mirror = str(_mirror(tmp_path, files))
    monkeypatch.setenv(D.DATA_ENV, "~/nn-data")
    assert_synthetic_idx(files, *D.load_notmnist(mirror=mirror))
    assert (home / "nn-data" / SAMPLE_CACHE).is_file()
    monkeypatch.setenv("NNB_TEST_BASE", str(tmp_path / "base"))
    monkeypatch.setenv(D.DATA_ENV, "$NNB_TEST_BASE/d")
    assert_synthetic_idx(files, *D.load_notmnist(mirror=mirror))
    assert (tmp_path / "base" / "d" / SAMPLE_CACHE).is_file()
    assert_synthetic_idx(files, *D.load_notmnist(data_dir="~/arg-data", mirror=mirror))
    assert (home / "arg-data" / SAMPLE_CACHE).is_file()
    assert os.listdir(cwd) == []             # no folder literally named "~" or "$…"


@pytest.mark.parametrize("setting", ["~/m", "$NNB_TEST_MIRROR", "${NNB_TEST_MIRROR}",
                                     "file://$NNB_TEST_MIRROR"])
def test_mirror_setting_expands_tilde_and_vars(monkeypatch, tmp_path, files, setting):
    home = tmp_path / "home"
    home.mkdir()
    (home / "m").mkdir()
    (home / "m" / IMAGES_NAME).write_bytes(files.images)
    (home / "m" / LABELS_NAME).write_bytes(files.labels)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("NNB_TEST_MIRROR", str(home / "m"))
    monkeypatch.setenv(D.MIRROR_ENV, setting)
    assert_synthetic_idx(files, *D.load_notmnist(data_dir=tmp_path / "data"))


@pytest.mark.parametrize("setting,expected", [
    ("$NNB_NO_SUCH_VARIABLE/m", "такой переменной окружения нет"),
    ("ftp://127.0.0.1/m", "неизвестная схема адреса «ftp»"),
])
def test_mirror_setting_that_cannot_work(monkeypatch, tmp_path, files, setting, expected):
    monkeypatch.delenv("NNB_NO_SUCH_VARIABLE", raising=False)
    monkeypatch.setenv(D.MIRROR_ENV, setting)
    with pytest.raises(D.DataUnavailable) as exc:
        D.load_notmnist(data_dir=tmp_path / "data")
    line = next(l for l in tries_section(str(exc.value)).splitlines() if "зеркало" in l)
    assert expected in line
    assert_russian(line)
