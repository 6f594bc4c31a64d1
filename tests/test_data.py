"""Tests for :mod:`utils.data`: notMNIST download, verification, extraction,
caching, and the regression data.

Everything runs offline: "remote" files are served by a loopback HTTP server
started here, and the published files are replaced (monkeypatch) by small
synthetic ones whose size and hash the tests compute.  A "refused" address is
a loopback port that is bound but not listening.  The real 10,000-image IDX
sample is used only where ``NN_BASICS_MIRROR`` points at it (CI) and in the
read-only cache test (if that variable is set).

This module also holds the synthetic files, the server and the fixtures that
``test_data_stress.py`` (concurrency, poisoned caches, hostile servers)
imports.
"""
from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import utils.data as D

ROOT = Path(D.__file__).resolve().parents[1]
ORIG_ARCHIVE, ORIG_IMAGES, ORIG_LABELS = D.ARCHIVE, D.IDX_IMAGES, D.IDX_LABELS
# Read before the autouse fixture removes it from the environment.
ENV_MIRROR = os.environ.get(D.MIRROR_ENV)
REAL_IDX = Path(ENV_MIRROR or "/nonexistent")  # the mirror make sets, if any

ARCHIVE_NAME = ORIG_ARCHIVE.name
IMAGES_NAME = ORIG_IMAGES.name
LABELS_NAME = ORIG_LABELS.name
SAMPLE_CACHE = D.CACHE_NAMES["sample"]
ARCHIVE_CACHE = D.CACHE_NAMES["archive"]
LETTERS = list("ABCDEFGHIJ")
PER_CLASS = 3
N_IDX = 20


# ================================================================ synthetic files

def _png(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buf, format="PNG")
    return buf.getvalue()


def _tar_gz(entries) -> bytes:
    """``entries``: (name, bytes) for files, (name, None) for folders."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 1_600_000_000
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _idx(array: np.ndarray, magic: bytes | None = None) -> bytes:
    head = magic if magic is not None else bytes([0, 0, 8, array.ndim])
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return gzip.compress(head + dims + array.astype(np.uint8).tobytes(), mtime=0)


def _letters():
    """{letter: [(file name, pixels)]}, PER_CLASS distinct 28x28 images each."""
    out = {}
    for k, letter in enumerate(LETTERS):
        rng = np.random.default_rng(100 + k)
        out[letter] = [(f"img{i}.png", rng.integers(0, 256, (28, 28), dtype=np.uint8))
                       for i in range(PER_CLASS)]
    return out


def _archive(letters, extra=()) -> bytes:
    entries = [(D.ARCHIVE_DIR, None)]
    for letter, files in letters.items():
        entries.append((f"{D.ARCHIVE_DIR}/{letter}", None))
        entries += [(f"{D.ARCHIVE_DIR}/{letter}/{n}", _png(p)) for n, p in files]
    entries += list(extra)
    return _tar_gz(entries)


class Files:
    """All synthetic payloads and what reading them must give."""

    def __init__(self):
        letters = _letters()
        self.letters = letters
        self.X = np.stack([p for files in letters.values() for _, p in files])
        self.y = np.repeat(np.arange(10), PER_CLASS).astype(np.int64)
        self.archive = _archive(letters)
        # a PNG that does not decode (signature, then garbage) and an empty one
        self.broken_png = b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 20
        self.archive_badpng = _archive(letters, extra=[
            (f"{D.ARCHIVE_DIR}/B/broken.png", self.broken_png),
            (f"{D.ARCHIVE_DIR}/D/empty.png", b""),
        ])
        # same size as the good archive, different bytes
        self.archive_wrong = self.archive[:-1] + bytes([self.archive[-1] ^ 0xFF])
        rng = np.random.default_rng(7)
        self.idx_X = rng.integers(0, 256, (N_IDX, 28, 28), dtype=np.uint8)
        self.idx_y = (np.arange(N_IDX) % 10).astype(np.uint8)
        self.images = _idx(self.idx_X)
        self.labels = _idx(self.idx_y)
        # an images file whose header says "labels" (magic 00000801)
        self.images_badmagic = _idx(self.idx_X, magic=b"\x00\x00\x08\x01")
        self.html = (b"<!DOCTYPE html>\n<html><head><title>404</title></head>"
                     b"<body>Not Found</body></html>\n")


def remote(name: str, data: bytes, urls, algorithm="sha256", with_size=True):
    return D.Remote(name, f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}",
                    len(data) if with_size else None, tuple(urls))


# ================================================================ loopback server

class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.routes[path] = (kind, *args)``; see the ``_<kind>`` methods."""

    server_version = "TestMirror/1.0"

    def log_message(self, *args):      # keep pytest output clean
        pass

    def do_GET(self):
        srv = self.server
        with srv.lock:
            srv.hits[self.path] = srv.hits.get(self.path, 0) + 1
            srv.headers_seen[self.path] = dict(self.headers)
        kind, *args = srv.routes.get(self.path, ("status", 404, b"not found"))
        try:
            getattr(self, "_" + kind)(*args)
        except (BrokenPipeError, ConnectionResetError):
            pass                       # the client hung up: that is the point

    def _head(self, code=200, length=None, ctype="application/octet-stream",
              extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        if length is not None:
            self.send_header("Content-Length", str(length))
        for key, value in extra:
            self.send_header(key, value)
        self.end_headers()

    def _file(self, body):
        self._head(200, len(body))
        self.wfile.write(body)

    def _html(self, body):
        self._head(200, len(body), "text/html; charset=utf-8")
        self.wfile.write(body)

    def _status(self, code, body):
        self._head(code, len(body), "text/plain")
        self.wfile.write(body)

    def _truncate(self, body):         # promise everything, send half, hang up
        self._head(200, len(body))
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True

    def _slow(self, body, pieces, pause):
        """The whole body, in ``pieces`` parts ``pause`` seconds apart."""
        self._head(200, len(body))
        step = -(-len(body) // pieces)
        for i in range(0, len(body), step):
            self.wfile.write(body[i: i + step])
            self.wfile.flush()
            time.sleep(pause)

    def _redirect(self, location, code=302):
        self._head(code, 0, extra=[("Location", location)])

    def _stall(self, body, after_headers, seconds):
        """Go silent for ``seconds``: before the headers, or after half the body."""
        if after_headers:
            self._head(200, len(body))
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
        time.sleep(seconds)
        self.close_connection = True

    def _trickle(self, body, pause):
        """One byte every ``pause`` seconds (Content-Length says all of it)."""
        self._head(200, len(body))
        for i in range(len(body)):
            self.wfile.write(body[i: i + 1])
            self.wfile.flush()
            time.sleep(pause)

    def _endless(self, max_total):
        """Zeros without a Content-Length until the client hangs up."""
        self._head(200, None)
        chunk, sent = bytes(1 << 16), 0
        try:
            while sent < max_total:
                self.wfile.write(chunk)
                sent += len(chunk)
        finally:
            with self.server.lock:
                self.server.sent[self.path] = sent
        self.close_connection = True

    def _length(self, claimed, body):  # a Content-Length that lies
        self._head(200, claimed)
        self.wfile.write(body)
        self.close_connection = True

    def _encoded(self, body, encoding):
        self._head(200, len(body), extra=[("Content-Encoding", encoding)])
        self.wfile.write(body)


class Server:
    """A loopback HTTP server (HTTPS with ``context``, an ``ssl.SSLContext``)."""

    def __init__(self, context=None):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        if context is not None:
            self.httpd.socket = context.wrap_socket(self.httpd.socket,
                                                    server_side=True)
        self.scheme = "https" if context is not None else "http"
        self.httpd.daemon_threads = True
        self.httpd.routes, self.httpd.hits = {}, {}
        self.httpd.sent, self.httpd.headers_seen = {}, {}
        self.httpd.lock = threading.Lock()
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        # bound but never listening: connecting to it is refused at once
        self._refuser = socket.socket()
        self._refuser.bind(("127.0.0.1", 0))
        self.refused_base = f"http://127.0.0.1:{self._refuser.getsockname()[1]}"

    def add(self, path: str, *behaviour) -> str:
        self.httpd.routes[path] = behaviour
        return self.url(path)

    def url(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def refused(self, name: str) -> str:
        return f"{self.refused_base}/{name}"

    @property
    def hits(self):
        return self.httpd.hits

    @property
    def sent(self):
        return self.httpd.sent

    @property
    def headers_seen(self):
        return self.httpd.headers_seen

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self._refuser.close()


@pytest.fixture(scope="module")
def files():
    return Files()


@pytest.fixture(scope="module")
def server():
    srv = Server()
    yield srv
    srv.close()


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path, server, files):
    """Fast retries, no proxies, no mirror variable, and synthetic remotes
    whose every address is refused until a test says otherwise."""
    monkeypatch.setattr(D, "RETRY_PAUSE", 0)
    monkeypatch.setattr(D, "TIMEOUT", 3)
    monkeypatch.setattr(D, "DEADLINE", 30)
    monkeypatch.delenv(D.MIRROR_ENV, raising=False)
    # a default data folder that must never appear (tests pass data_dir)
    monkeypatch.setenv(D.DATA_ENV, str(tmp_path / "default-data-must-not-exist"))
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    set_sources(monkeypatch, server, files)
    server.hits.clear()


def set_sources(monkeypatch, server, files, archive=(), images=(), labels=(),
                archive_data=None, images_data=None, labels_data=None):
    """Patch ARCHIVE / IDX_IMAGES / IDX_LABELS to synthetic files.

    Address lists default to one refused address each.  The IDX files get no
    size (as a file without a published size), the archive its size."""
    archive_data = files.archive if archive_data is None else archive_data
    images_data = files.images if images_data is None else images_data
    labels_data = files.labels if labels_data is None else labels_data
    monkeypatch.setattr(D, "ARCHIVE", remote(
        ARCHIVE_NAME, archive_data, archive or [server.refused(ARCHIVE_NAME)],
        algorithm="md5"))
    monkeypatch.setattr(D, "IDX_IMAGES", remote(
        IMAGES_NAME, images_data, images or [server.refused(IMAGES_NAME)],
        with_size=False))
    monkeypatch.setattr(D, "IDX_LABELS", remote(
        LABELS_NAME, labels_data, labels or [server.refused(LABELS_NAME)],
        with_size=False))


# ================================================================ helpers

def assert_nothing_half_written(data_dir: Path):
    leftovers = [str(p.relative_to(data_dir)) for p in data_dir.rglob("*")
                 if p.name.endswith(".part") or p.name.startswith(".")]
    assert leftovers == [], f"half-written files left in {data_dir}: {leftovers}"


def assert_only(tmp_path: Path, *names):
    """Nothing was created next to the data folder (outside the target)."""
    assert sorted(os.listdir(tmp_path)) == sorted(names)


def tries_section(message: str) -> str:
    """The list of what was tried (without the 'how to fix' part)."""
    return message.split("Как исправить")[0]


def reason_for(message: str, url: str) -> str:
    """The reason given for ``url`` in a DataUnavailable message."""
    line = next(l for l in tries_section(message).splitlines() if url in l)
    return line.split(url + ":", 1)[1]


def assert_russian(reason: str):
    """A reason a learner can read: Russian, no exception class names."""
    assert re.search("[а-яё]", reason, re.I), f"not in Russian: {reason}"
    assert not re.search(r"Error|Exception|Errno|Traceback", reason), \
        f"raw exception shown to the learner: {reason}"


def assert_synthetic_letters(files, X, y, classes):
    assert X.dtype == np.float32 and y.dtype == np.int64
    assert X.shape == (10 * PER_CLASS, 28, 28)
    assert classes == LETTERS
    np.testing.assert_array_equal(np.rint(X * 255).astype(np.uint8), files.X)
    np.testing.assert_array_equal(y, files.y)


def assert_synthetic_idx(files, X, y, classes):
    assert X.dtype == np.float32 and y.dtype == np.int64
    assert X.shape == (N_IDX, 28, 28)
    assert classes == LETTERS
    np.testing.assert_array_equal(np.rint(X * 255).astype(np.uint8), files.idx_X)
    np.testing.assert_array_equal(y, files.idx_y)


def load_archive(data_dir, **kwargs):
    return D.load_notmnist(data_dir=data_dir, source="archive", **kwargs)


def good_run(monkeypatch, server, files, data_dir):
    """'The next good run succeeds': a working address, then load the archive."""
    good = server.add("/good/" + ARCHIVE_NAME, "file", files.archive)
    set_sources(monkeypatch, server, files, archive=[good])
    X, y, classes = load_archive(data_dir)
    assert_synthetic_letters(files, X, y, classes)
    assert_nothing_half_written(data_dir)
    assert (data_dir / ARCHIVE_CACHE).is_file()


# ================================================================ 0. the download itself

def test_download_streams_url_into_part_file(tmp_path, server, files):
    """``_download`` must write the served bytes (it is what every URL uses)."""
    url = server.add("/plain/" + ARCHIVE_NAME, "file", files.archive)
    part = tmp_path / (ARCHIVE_NAME + ".part")
    D._download(url, part)
    assert part.read_bytes() == files.archive
    # it asks for the bytes as they are, not for a compressed transfer
    assert server.headers_seen["/plain/" + ARCHIVE_NAME]["Accept-Encoding"] == "identity"


@pytest.mark.parametrize("behaviour", [
    "refused", "404", "500", "truncated", "html", "wrong_hash"])
def test_download_failure_reason_is_russian(monkeypatch, tmp_path, server, files,
                                            behaviour):
    """Each failed address gets a reason a learner can read (GUIDE: every
    message from utils is in Russian), not a raw exception repr."""
    path = f"/{behaviour}/{ARCHIVE_NAME}"
    url = {
        "refused": lambda: server.refused(ARCHIVE_NAME),
        "404": lambda: server.add(path, "status", 404, b"nope"),
        "500": lambda: server.add(path, "status", 500, b"oops"),
        "truncated": lambda: server.add(path, "truncate", files.archive),
        "html": lambda: server.add(path, "html", files.html),
        "wrong_hash": lambda: server.add(path, "file", files.archive_wrong),
    }[behaviour]()
    set_sources(monkeypatch, server, files, archive=[url])
    with pytest.raises(D.DataUnavailable) as exc:
        load_archive(tmp_path / "data")
    assert_russian(reason_for(str(exc.value), url).split("(попыток:")[0])


# ================================================================ 1. refused, then good

@pytest.mark.parametrize("which", ["archive", "idx"])
def test_refused_first_address_then_next_works(monkeypatch, tmp_path, server,
                                               files, capsys, which):
    data = tmp_path / "data"
    if which == "archive":
        good = server.add("/good/" + ARCHIVE_NAME, "file", files.archive)
        set_sources(monkeypatch, server, files,
                    archive=[server.refused(ARCHIVE_NAME), good])
        X, y, classes = load_archive(data)
    else:
        set_sources(monkeypatch, server, files, images=[
            server.refused(IMAGES_NAME), server.add("/idx/" + IMAGES_NAME, "file", files.images)],
            labels=[server.refused(LABELS_NAME),
                    server.add("/idx/" + LABELS_NAME, "file", files.labels)])
        X, y, classes = D.load_notmnist(data_dir=data)
    out = capsys.readouterr().out
    if which == "archive":
        assert_synthetic_letters(files, X, y, classes)
        assert server.hits["/good/" + ARCHIVE_NAME] == 1
        assert f"источник: {data / ARCHIVE_NAME}" in out
    else:
        assert_synthetic_idx(files, X, y, classes)
        assert "IDX" in out
    assert "нет соединения" not in out
    assert_nothing_half_written(data)
    assert_only(tmp_path, "data")


# ================================================================ 2. truncated download

@pytest.mark.parametrize("target", ["archive", "idx"])
def test_truncated_download_fails_and_leaves_no_part(monkeypatch, tmp_path, server,
                                                     files, target):
    data = tmp_path / "data"
    if target == "archive":
        trunc = server.add("/trunc/" + ARCHIVE_NAME, "truncate", files.archive)
        set_sources(monkeypatch, server, files, archive=[trunc])
    else:
        trunc = server.add("/trunc/" + IMAGES_NAME, "truncate", files.images)
        set_sources(monkeypatch, server, files, images=[trunc])
    with pytest.raises(D.DataUnavailable) as exc:
        D.load_notmnist(data_dir=data, source="archive" if target == "archive"
                        else "sample")
    msg = str(exc.value)
    line = next(l for l in msg.splitlines() if trunc in l)
    assert "оборвалось" in line
    assert "попыток: 3" in line          # a broken transfer is retried
    assert server.hits[trunc.split(str(server.port))[1]] == D.RETRIES
    assert not list(data.rglob("*.part"))
    assert sorted(os.listdir(data)) == [D.LOCK_NAME]
    assert_only(tmp_path, "data")
    good_run(monkeypatch, server, files, data)


def test_truncated_first_address_then_good(monkeypatch, tmp_path, server, files):
    data = tmp_path / "data"
    trunc = server.add("/trunc/" + ARCHIVE_NAME, "truncate", files.archive)
    good = server.add("/good/" + ARCHIVE_NAME, "file", files.archive)
    set_sources(monkeypatch, server, files, archive=[trunc, good])
    assert_synthetic_letters(files, *load_archive(data))
    assert_nothing_half_written(data)


# ================================================================ 3. wrong hash

def test_wrong_hash_is_refused_and_not_kept(monkeypatch, tmp_path, server, files):
    data = tmp_path / "data"
    assert len(files.archive_wrong) == len(files.archive)  # only the hash differs
    wrong = server.add("/wrong/" + ARCHIVE_NAME, "file", files.archive_wrong)
    set_sources(monkeypatch, server, files, archive=[wrong])
    with pytest.raises(D.DataUnavailable) as exc:
        load_archive(data)
    line = next(l for l in str(exc.value).splitlines() if wrong in l)
    assert "хеш" in line and ARCHIVE_NAME in line
    assert server.hits["/wrong/" + ARCHIVE_NAME] == 1   # a wrong file is not retried
    assert not (data / ARCHIVE_NAME).exists()
    assert os.listdir(data) == [D.LOCK_NAME]
    assert_only(tmp_path, "data")
    good_run(monkeypatch, server, files, data)


def test_bad_file_already_in_data_dir_is_replaced(monkeypatch, tmp_path, server,
                                                  files, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / ARCHIVE_NAME).write_bytes(files.archive_wrong)
    good_run(monkeypatch, server, files, data)
    assert (data / ARCHIVE_NAME).read_bytes() == files.archive


# ================================================================ 4. HTML error page

@pytest.mark.parametrize("page", [
    None,
    b"<html><body><h1>500 Internal Server Error</h1></body></html>",
    b"\n\n  <!doctype HTML>\n<title>Error</title>",
])
def test_html_page_instead_of_archive(monkeypatch, tmp_path, server, files, page):
    data = tmp_path / "data"
    html = server.add("/html/" + ARCHIVE_NAME, "html", page or files.html)
    set_sources(monkeypatch, server, files, archive=[html])
    with pytest.raises(D.DataUnavailable) as exc:
        load_archive(data)
    line = next(l for l in str(exc.value).splitlines() if html in l)
    assert "HTML" in line
    assert not (data / ARCHIVE_NAME).exists()
    assert os.listdir(data) == [D.LOCK_NAME]
    good_run(monkeypatch, server, files, data)


# ================================================================ 5. leftovers

def test_leftover_part_from_interrupted_run(monkeypatch, tmp_path, server, files):
    """Temporary files of a killed run (of this and of older versions) go."""
    data = tmp_path / "data"
    data.mkdir()
    (data / (ARCHIVE_NAME + ".part")).write_bytes(b"half of an old download" * 1000)
    (data / (ARCHIVE_NAME + ".4242-0badcafe.part")).write_bytes(b"half" * 100)
    (data / "notmnist.npz.part").write_bytes(b"PK\x03\x04 interrupted")
    (data / (ARCHIVE_CACHE + ".99-00ff00ff.part")).write_bytes(b"PK\x03\x04 cut")
    for folder in (".extract", ".extract.77-12345678.part", "..extract.1-2.part-x1y2",
                   f".{D.ARCHIVE_DIR}-abc123"):
        (data / folder / "A").mkdir(parents=True)
        (data / folder / "A" / "junk.png").write_bytes(b"junk")
    (data / "my notes.txt").write_text("a learner's own file")
    good_run(monkeypatch, server, files, data)
    assert sorted(os.listdir(data)) == sorted(
        [ARCHIVE_NAME, D.ARCHIVE_DIR, ARCHIVE_CACHE, D.LOCK_NAME, "my notes.txt"])
    assert_only(tmp_path, "data")


# ================================================================ 6. unsafe archives

def _evil_members(kind: str, outside: Path):
    """Members (TarInfo, bytes|None) of a malicious archive of ``kind``."""
    def file(name, data=b"pwned"):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        return info, data

    def special(name, type_, linkname=""):
        info = tarfile.TarInfo(name)
        info.type, info.linkname = type_, linkname
        return info, None

    ok = file(f"{D.ARCHIVE_DIR}/A/ok.txt", b"fine")
    return [ok] + {
        "dotdot": [file("../evil.txt")],
        "dotdot_deep": [file(f"{D.ARCHIVE_DIR}/../../evil.txt")],
        "absolute": [file(str(outside / "abs_evil.txt"))],
        "symlink_abs": [special("link", tarfile.SYMTYPE, str(outside)),
                        file("link/pwned.txt")],
        "symlink_rel": [special("link", tarfile.SYMTYPE, "../../outside"),
                        file("link/pwned.txt")],
        "hardlink_abs": [special("hl", tarfile.LNKTYPE, str(outside / "secret.txt"))],
        "hardlink_rel": [special("hl", tarfile.LNKTYPE, "../../outside/secret.txt")],
        "chardev": [special("dev", tarfile.CHRTYPE)],
        "fifo": [special("fifo", tarfile.FIFOTYPE)],
    }[kind]


def _write_tar(path: Path, members):
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            if info.type == tarfile.CHRTYPE:
                info.devmajor, info.devminor = 1, 3
            tar.addfile(info, io.BytesIO(data) if data is not None else None)


def _snapshot(*dirs):
    return {str(d): sorted(str(p.relative_to(d)) for p in d.rglob("*")) for d in dirs}


EVIL = ["dotdot", "dotdot_deep", "absolute", "symlink_abs", "symlink_rel",
        "hardlink_abs", "hardlink_rel", "chardev", "fifo"]
FILTER_MODES = ["data_filter", "fallback"]


HAS_DATA_FILTER = hasattr(tarfile, "data_filter")   # Python 3.10.12+, 3.11.4+
NO_DATA_FILTER = "this Python's tarfile has no data filter (3.10.12+, 3.11.4+)"


def _set_mode(monkeypatch, mode):
    if mode == "fallback":
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    elif not HAS_DATA_FILTER:
        pytest.skip(NO_DATA_FILTER)
    assert hasattr(tarfile, "data_filter") == (mode == "data_filter")


@pytest.mark.parametrize("mode", FILTER_MODES)
@pytest.mark.parametrize("kind", EVIL)
def test_safe_extract_refuses_unsafe_member(monkeypatch, tmp_path, kind, mode):
    _set_mode(monkeypatch, mode)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    work = tmp_path / "work"
    work.mkdir()
    archive = tmp_path / "evil.tar.gz"
    _write_tar(archive, _evil_members(kind, outside))
    dest = work / "dest"
    before = _snapshot(tmp_path)

    with pytest.raises(D.BadFile) as exc:
        D.safe_extract(archive, dest)

    assert "архиве" in str(exc.value)
    assert not dest.exists()
    assert _snapshot(tmp_path) == before
    for evil in (work / "evil.txt", tmp_path / "evil.txt", outside / "abs_evil.txt",
                 outside / "pwned.txt", work / "hl", work / "link"):
        assert not os.path.lexists(evil), evil
    assert (outside / "secret.txt").read_bytes() == b"secret"
    assert (outside / "secret.txt").stat().st_nlink == 1


@pytest.mark.skipif(not HAS_DATA_FILTER, reason=NO_DATA_FILTER)
def test_data_filter_is_a_second_line_of_defence(monkeypatch, tmp_path):
    """With the member check switched off, tarfile's data filter still refuses."""
    monkeypatch.setattr(D, "_check_member", lambda member, dest: None)
    work = tmp_path / "work"
    work.mkdir()
    archive = tmp_path / "evil.tar.gz"
    _write_tar(archive, _evil_members("dotdot", tmp_path / "outside"))
    with pytest.raises(D.BadFile):
        D.safe_extract(archive, work / "dest")
    assert os.listdir(work) == []
    assert not (tmp_path / "evil.txt").exists() and not (work / "evil.txt").exists()


@pytest.mark.parametrize("mode", FILTER_MODES)
def test_safe_extract_good_archive(monkeypatch, tmp_path, files, mode):
    _set_mode(monkeypatch, mode)
    archive = tmp_path / ARCHIVE_NAME
    archive.write_bytes(files.archive)
    work = tmp_path / "work"
    work.mkdir()
    dest = work / "dest"
    D.safe_extract(archive, dest)
    assert os.listdir(work) == ["dest"]          # no temporary folder left
    root = dest / D.ARCHIVE_DIR
    assert sorted(os.listdir(root)) == LETTERS
    name, pixels = files.letters["C"][1]
    with Image.open(root / "C" / name) as img:
        np.testing.assert_array_equal(np.asarray(img), pixels)
    # extracting again replaces the folder
    D.safe_extract(archive, dest)
    assert os.listdir(work) == ["dest"]
    assert sorted(os.listdir(root)) == LETTERS


def test_safe_extract_not_an_archive(tmp_path):
    archive = tmp_path / "junk.tar.gz"
    archive.write_bytes(b"this is not a tar file" * 10)
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(D.BadFile, match="не распаковывается"):
        D.safe_extract(archive, work / "dest")
    assert os.listdir(work) == []


# ================================================================ 7. undecodable PNGs

def test_read_letter_folders_skips_and_counts_bad_pngs(tmp_path, files):
    root = tmp_path / "letters"
    for letter, pics in files.letters.items():
        (root / letter).mkdir(parents=True)
        for name, pixels in pics:
            (root / letter / name).write_bytes(_png(pixels))
    (root / "B" / "broken.png").write_bytes(files.broken_png)
    (root / "D" / "empty.png").write_bytes(b"")
    X, y, classes, skipped = D.read_letter_folders(root)
    assert skipped == 2
    assert classes == LETTERS
    assert X.dtype == np.uint8 and X.shape == (10 * PER_CLASS, 28, 28)
    np.testing.assert_array_equal(X, files.X)
    np.testing.assert_array_equal(y, files.y)


def test_load_notmnist_reports_skipped_pngs(monkeypatch, tmp_path, server, files,
                                            capsys):
    data = tmp_path / "data"
    url = server.add("/badpng/" + ARCHIVE_NAME, "file", files.archive_badpng)
    set_sources(monkeypatch, server, files, archive=[url],
                archive_data=files.archive_badpng)
    X, y, classes = load_archive(data)
    assert_synthetic_letters(files, X, y, classes)
    out = capsys.readouterr().out
    assert "пропущено нечитаемых файлов: 2" in out
    # the count survives the cache
    X2, y2, _ = load_archive(data)
    assert "пропущено нечитаемых файлов: 2" in capsys.readouterr().out
    np.testing.assert_array_equal(X2, X)


# ================================================================ 8. bad IDX magic

@pytest.mark.parametrize("head,ndim", [
    (b"\x00\x00\x08\x01", 3),     # a labels file where images are expected
    (b"\x12\x34\x08\x03", 3),     # not zero bytes first
    (b"\x00\x00\x0d\x03", 3),     # float data, not uint8
    (b"\x00\x00", 1),             # too short
])
def test_read_idx_bad_magic(tmp_path, head, ndim):
    path = tmp_path / "bad-idx.gz"
    path.write_bytes(gzip.compress(head + bytes(16)))
    with pytest.raises(D.BadFile, match="магическое") as exc:
        D.read_idx(path, ndim)
    assert "bad-idx.gz" in str(exc.value)


def test_read_idx_good(tmp_path, files):
    path = tmp_path / IMAGES_NAME
    path.write_bytes(files.images)
    np.testing.assert_array_equal(D.read_idx(path, 3), files.idx_X)


def test_mirror_with_bad_idx_magic(monkeypatch, tmp_path, server, files):
    data = tmp_path / "data"
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / IMAGES_NAME).write_bytes(files.images_badmagic)
    (mirror / LABELS_NAME).write_bytes(files.labels)
    set_sources(monkeypatch, server, files, images_data=files.images_badmagic)
    with pytest.raises(D.DataUnavailable) as exc:
        D.load_notmnist(data_dir=data, mirror=str(mirror))
    tried = tries_section(str(exc.value))
    line = next(l for l in tried.splitlines() if "магическое" in l)
    assert IMAGES_NAME in line and "00000801" in line
    assert_nothing_half_written(data)
    assert_only(tmp_path, "data", "mirror")
    # the next good run: the mirror now holds good files
    (mirror / IMAGES_NAME).write_bytes(files.images)
    set_sources(monkeypatch, server, files)
    assert_synthetic_idx(files, *D.load_notmnist(data_dir=data, mirror=str(mirror)))


# ================================================================ 9. read-only data folder

SCENARIO = r'''
import json, os, sys
from pathlib import Path
spec = json.loads(sys.argv[1])
sys.path.insert(0, spec["root"])
import numpy as np
import utils.data as D
D.RETRY_PAUSE, D.TIMEOUT = 0, 3
for attr, r in spec["remotes"].items():
    if r["hash"] is None:                   # keep the published name and hash
        setattr(D, attr, D.Remote(getattr(D, attr).name, getattr(D, attr).hash,
                                  getattr(D, attr).size, tuple(r["urls"])))
    else:
        setattr(D, attr, D.Remote(r["name"], r["hash"], r["size"], tuple(r["urls"])))
data_dir = Path(spec["data_dir"])
out = {"uid": os.geteuid(), "access_w": os.access(data_dir, os.W_OK)}
try:
    (data_dir / "probe").write_bytes(b"")
    (data_dir / "probe").unlink()
    out["probe"] = "written"
except OSError as err:
    out["probe"] = repr(err)
try:
    X, y, classes = D.load_notmnist(data_dir=data_dir, mirror=spec["mirror"],
                                    source=spec.get("source", "sample"))
    out.update(shape=list(X.shape), dtype=str(X.dtype), classes=classes,
               counts=np.bincount(y).tolist(), error=None)
except D.DataUnavailable as err:
    out["error"] = str(err)
out["listing"] = sorted(os.listdir(data_dir))
print("RESULT " + json.dumps(out, ensure_ascii=False))
'''

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
# root: a private mount namespace in which the data folder is bind-mounted
# read-only; the child stays root (so it reaches a .venv in a 0700 checkout)
# and the folder is read-only for it alone
RO_MOUNT = ['mount --bind "$1" "$1"', 'mount -o remount,bind,ro "$1"',
            'shift', 'exec "$@"']


def _child_env(home: Path) -> dict:
    # this interpreter's own search path (its venv, .pth files, PYTHONPATH)
    paths = [str(ROOT)] + [p for p in sys.path if p and os.path.isdir(p)]
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
            "PYTHONPATH": os.pathsep.join(paths), "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONIOENCODING": "utf-8", "LANG": "C.UTF-8",
            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}


def _python_for(prefix: list[str], env: dict) -> str | None:
    """An interpreter that ``prefix`` (setpriv …) can run with our packages."""
    v = f"{sys.version_info[0]}.{sys.version_info[1]}"
    candidates = [sys.executable, os.path.realpath(sys.executable),
                  shutil.which(f"python{v}"), f"/usr/bin/python{v}",
                  f"/usr/local/bin/python{v}"]
    probe = (f"import sys; assert sys.version_info[:2] == {sys.version_info[:2]!r}; "
             "import numpy, PIL, requests, pooch, tqdm, filelock, utils.data")
    seen = set()
    for py in candidates:
        if not py or py in seen or not os.path.exists(py):
            continue
        seen.add(py)
        r = subprocess.run(prefix + [py, "-c", probe], env=env, cwd="/",
                           capture_output=True, timeout=30)
        if r.returncode == 0:
            return py
    return None


def _readonly_prefix(data_dir: Path, env: dict) -> tuple[list[str], str, str]:
    """How to run a child for which ``data_dir`` is read-only:
    ``(command prefix, python, how)``; skips where nothing works."""
    if os.geteuid() != 0:
        return [], sys.executable, "chmod"     # the caller chmods the folder
    tried = []
    if shutil.which("unshare") and shutil.which("mount"):
        prefix = ["unshare", "--mount", "--propagation", "private", "--",
                  "sh", "-ec", "; ".join(RO_MOUNT), "sh", str(data_dir)]
        r = subprocess.run(prefix + [sys.executable, "-c", "pass"], env=env,
                           cwd="/", capture_output=True, text=True, timeout=30)
        if r.returncode == 0:
            return prefix, sys.executable, "unshare"
        tried.append(f"unshare --mount: {r.stderr.strip()[:200]}")
    if shutil.which("setpriv"):
        py = _python_for(NOBODY, env)
        if py is not None:
            return NOBODY, py, "nobody"
        tried.append("setpriv: no interpreter that nobody can run")
    pytest.skip("running as root and no way to make a folder read-only here "
                f"(no private mount namespace, no usable setpriv): {tried}")


@pytest.fixture
def readonly_run(tmp_path):
    """Run SCENARIO against a data folder the runner cannot write.

    As root (chmod is ignored) the folder is bind-mounted read-only in a
    private mount namespace (``unshare --mount``), or else the scenario runs
    as ``nobody``; an ordinary user gets the folder chmod 0o555.  Yields
    ``run(spec) -> (result, out)``.
    """
    base = Path(tempfile.mkdtemp(prefix="nnb-ro-"))
    os.chmod(base, 0o755)
    data_dir = base / "data"
    data_dir.mkdir()
    os.chmod(data_dir, 0o755)
    env = _child_env(base)
    prefix, py, how = _readonly_prefix(data_dir, env)
    if how == "chmod":
        os.chmod(data_dir, 0o555)

    def run(spec):
        spec = dict(spec, root=str(ROOT), data_dir=str(data_dir))
        r = subprocess.run(prefix + [py, "-c", SCENARIO, json.dumps(spec)], env=env,
                           cwd="/", capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        line = next(l for l in r.stdout.splitlines() if l.startswith("RESULT "))
        result = json.loads(line[len("RESULT "):])
        assert not result["access_w"] and result["probe"] != "written", \
            f"the folder was writable: {result}"
        return result, r.stdout

    run.base, run.data_dir, run.how = base, data_dir, how
    try:
        yield run
    finally:
        os.chmod(data_dir, 0o755)
        shutil.rmtree(base, ignore_errors=True)


def _spec_remote(r: D.Remote):
    return {"name": r.name, "hash": r.hash, "size": r.size, "urls": list(r.urls)}


def test_readonly_cache_with_local_mirror(readonly_run, server, files):
    refused = [server.refused("x")]
    if REAL_IDX.is_dir():
        mirror, n = str(REAL_IDX.resolve()), 10_000
        remotes = {a: {"hash": None, "urls": refused}
                   for a in ("ARCHIVE", "IDX_IMAGES", "IDX_LABELS")}
    else:                                      # no real sample: synthetic pair
        mirror, n = readonly_run.base / "mirror", N_IDX
        mirror.mkdir()
        os.chmod(mirror, 0o755)
        (mirror / IMAGES_NAME).write_bytes(files.images)
        (mirror / LABELS_NAME).write_bytes(files.labels)
        for f in mirror.iterdir():
            os.chmod(f, 0o644)
        mirror = str(mirror)
        remotes = {"ARCHIVE": {"hash": None, "urls": refused},
                   "IDX_IMAGES": _spec_remote(remote(IMAGES_NAME, files.images, refused)),
                   "IDX_LABELS": _spec_remote(remote(LABELS_NAME, files.labels, refused))}
    result, out = readonly_run({"mirror": mirror, "remotes": remotes})
    assert result["error"] is None, result["error"]
    assert result["shape"] == [n, 28, 28] and result["dtype"] == "float32"
    assert result["classes"] == LETTERS
    assert sum(result["counts"]) == n
    assert "Кэш не сохранён" in out
    assert result["listing"] == []


def test_readonly_cache_with_only_urls(readonly_run, server, files):
    good = server.add("/ro/" + ARCHIVE_NAME, "file", files.archive)
    images = server.add("/ro/" + IMAGES_NAME, "file", files.images)
    labels = server.add("/ro/" + LABELS_NAME, "file", files.labels)
    remotes = {
        "ARCHIVE": _spec_remote(remote(ARCHIVE_NAME, files.archive, [good], "md5")),
        "IDX_IMAGES": _spec_remote(remote(IMAGES_NAME, files.images, [images])),
        "IDX_LABELS": _spec_remote(remote(LABELS_NAME, files.labels, [labels])),
    }
    for source in ("sample", "archive"):
        result, out = readonly_run({"mirror": None, "remotes": remotes,
                                    "source": source})
        assert result["error"] is not None, "loaded although nothing can be written"
        msg = result["error"]
        assert msg.startswith("Не удалось получить набор notMNIST")
        assert str(readonly_run.data_dir) in tries_section(msg), msg
        assert_russian(tries_section(msg).split("испробовано:")[1])
        assert result["listing"] == []


# ================================================================ 10. cache hit is offline

def test_cache_hit_does_not_touch_network(monkeypatch, tmp_path, server, files,
                                          capsys):
    data = tmp_path / "data"
    good = server.add("/good/" + ARCHIVE_NAME, "file", files.archive)
    set_sources(monkeypatch, server, files, archive=[good])
    X1, y1, c1 = load_archive(data)
    capsys.readouterr()
    hits = dict(server.hits)

    def no_network(*args, **kwargs):
        raise AssertionError("network used on a cache hit")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(D, "_download", no_network)
    monkeypatch.setattr(D, "fetch", no_network)
    X2, y2, c2 = load_archive(data)
    np.testing.assert_array_equal(X2, X1)
    np.testing.assert_array_equal(y2, y1)
    assert c2 == c1 and X2.dtype == np.float32 and y2.dtype == np.int64
    assert f"кэш {data / ARCHIVE_CACHE}" in capsys.readouterr().out
    assert server.hits == hits


@pytest.mark.parametrize("damage", ["garbage", "truncated_zip"])
def test_damaged_cache_is_rebuilt(monkeypatch, tmp_path, server, files, capsys,
                                  damage):
    """A damaged cache must be reported and rebuilt, not crash."""
    data = tmp_path / "data"
    good_run(monkeypatch, server, files, data)
    cache = data / ARCHIVE_CACHE
    raw = cache.read_bytes()
    cache.write_bytes(b"not a cache" * 100 if damage == "garbage" else raw[: len(raw) // 2])
    capsys.readouterr()
    X, y, classes = load_archive(data)
    assert_synthetic_letters(files, X, y, classes)
    assert "негоден: файл повреждён" in capsys.readouterr().out
    assert cache.read_bytes() != raw[: len(raw) // 2]
    assert_synthetic_letters(files, *load_archive(data))
    assert "источник: кэш" in capsys.readouterr().out


# ================================================================ 11. nothing works

@pytest.mark.parametrize("source", ["sample", "archive"])
@pytest.mark.parametrize("mirror_kind", ["none", "missing_folder", "url"])
def test_no_source_works(monkeypatch, tmp_path, server, files, mirror_kind, source):
    data = tmp_path / "data"
    archive_urls = [server.refused(ARCHIVE_NAME),
                    server.add("/404/" + ARCHIVE_NAME, "status", 404, b"nope"),
                    server.add("/500/" + ARCHIVE_NAME, "status", 500, b"oops")]
    image_urls = [server.add("/html/" + IMAGES_NAME, "html", files.html),
                  server.refused(IMAGES_NAME)]
    set_sources(monkeypatch, server, files, archive=archive_urls, images=image_urls)
    mirror = {"none": None, "missing_folder": str(tmp_path / "no-such-mirror"),
              "url": server.url("/broken-mirror")}[mirror_kind]
    if mirror:
        monkeypatch.setenv(D.MIRROR_ENV, mirror)
    with pytest.raises(D.DataUnavailable) as exc:
        D.load_notmnist(data_dir=data, source=source)
    msg = str(exc.value)
    tried = tries_section(msg)
    assert msg.startswith("Не удалось получить набор notMNIST. Что было испробовано:")
    lines = tried.splitlines()
    if source == "archive":
        for url in archive_urls:
            assert url in tried, url
        assert "нет соединения" in next(l for l in lines if archive_urls[0] in l)
        assert "HTTP 404" in next(l for l in lines if archive_urls[1] in l)
        assert "HTTP 500" in next(l for l in lines if archive_urls[2] in l)
        assert not any(u in tried for u in image_urls)   # one source, not both
    else:
        for url in image_urls:
            assert url in tried, url
        assert "HTML" in next(l for l in lines if image_urls[0] in l)
        assert not any(u in tried for u in archive_urls)
        assert 'source="archive"' in msg.split("Как исправить")[1]
    if mirror_kind == "none":
        assert f"{D.MIRROR_ENV}): не задано" in tried
    elif mirror_kind == "missing_folder":
        assert f"зеркало {mirror}: папки нет" in tried
    else:
        name = ARCHIVE_NAME if source == "archive" else IMAGES_NAME
        assert f"{mirror}/{name}" in tried
    for line in lines[1:]:
        assert_russian(line)
    fix = msg.split("Как исправить")[1]
    assert str(data) in fix and D.MIRROR_ENV in fix
    assert os.listdir(data) == [D.LOCK_NAME]      # nothing half-written
    assert_only(tmp_path, "data")


# ================================================================ 12. URL mirror

def test_url_mirror_serving_idx_pair(monkeypatch, tmp_path, server, files, capsys):
    data = tmp_path / "data"
    server.add("/some/base/" + IMAGES_NAME, "file", files.images)
    server.add("/some/base/" + LABELS_NAME, "file", files.labels)
    monkeypatch.setenv(D.MIRROR_ENV, server.url("/some/base"))
    X, y, classes = D.load_notmnist(data_dir=data)
    assert_synthetic_idx(files, X, y, classes)
    assert server.hits["/some/base/" + IMAGES_NAME] == 1
    assert server.hits["/some/base/" + LABELS_NAME] == 1
    assert "IDX" in capsys.readouterr().out
    assert sorted(os.listdir(data)) == sorted(
        [IMAGES_NAME, LABELS_NAME, SAMPLE_CACHE, D.LOCK_NAME])
    assert_only(tmp_path, "data")


def test_url_mirror_serving_archive(monkeypatch, tmp_path, server, files):
    """With source="archive" the mirror may serve the archive."""
    data = tmp_path / "data"
    server.add("/arch/base/" + ARCHIVE_NAME, "file", files.archive)
    monkeypatch.setenv(D.MIRROR_ENV, server.url("/arch/base/"))
    assert_synthetic_letters(files, *load_archive(data))
    assert server.hits["/arch/base/" + ARCHIVE_NAME] == 1
    assert_only(tmp_path, "data")


# ================================================================ 13. the real sample

# sha256 of the arrays the lessons' outputs were made from (X as uint8 0…255,
# y as int64), measured with the loader before the sample became the default
REAL_X8_SHA256 = "6bda48464effe4169d9cd068967cd81a717ae2f925ddb55fd71025e23022ee9a"
REAL_Y_SHA256 = "b6b7d4ca4dadcb6c8d9a4bcdb22a14d1eb6bec32609f1459d65462eb9ef83a88"


@pytest.mark.skipif(not ENV_MIRROR, reason=f"{D.MIRROR_ENV} is not set: the real "
                    "notMNIST IDX sample is not available (CI sets it)")
def test_real_sample_through_mirror(monkeypatch, tmp_path, server):
    refused = (server.refused("real"),)
    monkeypatch.setattr(D, "ARCHIVE", replace(ORIG_ARCHIVE, urls=refused))
    monkeypatch.setattr(D, "IDX_IMAGES", replace(ORIG_IMAGES, urls=refused))
    monkeypatch.setattr(D, "IDX_LABELS", replace(ORIG_LABELS, urls=refused))
    monkeypatch.setenv(D.MIRROR_ENV, ENV_MIRROR)
    data = tmp_path / "data"
    t0 = time.perf_counter()
    X, y, classes = D.load_notmnist(data_dir=data)      # the default source
    t1 = time.perf_counter()
    X2, y2, classes2 = D.load_notmnist(data_dir=data)
    t2 = time.perf_counter()
    print(f"\nnotMNIST sample: first call {t1 - t0:.3f} s, second (cache) {t2 - t1:.3f} s")
    assert X.dtype == np.float32 and X.shape == (10_000, 28, 28)
    assert 0.0 <= X.min() and X.max() <= 1.0 and X.max() > 0.5
    assert y.dtype == np.int64 and np.bincount(y).tolist() == [1000] * 10
    assert classes == LETTERS
    # exactly the data the lessons' numbers come from
    X8 = np.rint(X * 255).astype(np.uint8)
    assert np.array_equal(X8.astype(np.float32) / 255.0, X)
    assert hashlib.sha256(X8.tobytes()).hexdigest() == REAL_X8_SHA256
    assert hashlib.sha256(y.tobytes()).hexdigest() == REAL_Y_SHA256
    assert t2 - t1 <= 0.5
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)
    assert classes2 == classes


# ================================================================ 14. regression data

def test_load_diabetes():
    X, y, names = D.load_diabetes()
    assert X.shape == (442, 10) and X.dtype == np.float32
    assert y.shape == (442,) and y.dtype == np.float32
    assert len(names) == 10
    assert np.isfinite(X).all() and np.isfinite(y).all()


def test_make_wave_is_deterministic():
    x1, y1 = D.make_wave(n=50, seed=3)
    x2, y2 = D.make_wave(n=50, seed=3)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    x3, y3 = D.make_wave(n=50, seed=4)
    assert not np.array_equal(x1, x3)
    assert x1.shape == y1.shape == (50,)
    assert x1.dtype == y1.dtype == np.float32
    assert np.all(np.diff(x1) >= 0) and x1.min() >= -3 and x1.max() <= 3
    x0, y0 = D.make_wave(n=50, noise=0.0, seed=3)
    np.testing.assert_allclose(y0, D.wave(x0), atol=1e-6)


def test_file_url_mirror_is_a_local_folder(monkeypatch, tmp_path, files):
    """``NN_BASICS_MIRROR=file:///…`` reads the folder, no HTTP involved."""
    mirror = tmp_path / "mirror dir"
    mirror.mkdir()
    (mirror / IMAGES_NAME).write_bytes(files.images)
    (mirror / LABELS_NAME).write_bytes(files.labels)
    monkeypatch.setattr(D, "IDX_IMAGES", remote(IMAGES_NAME, files.images, []))
    monkeypatch.setattr(D, "IDX_LABELS", remote(LABELS_NAME, files.labels, []))
    monkeypatch.setattr(D, "ARCHIVE", replace(D.ARCHIVE, urls=()))
    monkeypatch.setattr(D, "_download", lambda *a: pytest.fail("no download"))
    X, y, classes = D.load_notmnist(data_dir=tmp_path / "data",
                                    mirror=mirror.as_uri(), verbose=False)
    assert X.shape == (N_IDX, 28, 28) and classes == LETTERS
