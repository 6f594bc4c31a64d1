"""The course's datasets: notMNIST (downloaded, verified, cached) and the
regression data of lesson 06 (no network).

``load_notmnist()`` gives one of two sources of notMNIST letters A–J:

* ``source="sample"`` (the default): the 10,000-image sample of
  notMNIST_small (1,000 per letter) in MNIST's IDX format, published in
  davidflanagan/notMNIST-to-MNIST.  The lessons' committed outputs are made
  from it, so every learner gets the numbers the lessons show;
* ``source="archive"``: the full ``notMNIST_small.tar.gz`` (about 18.7 k PNG
  files in folders ``A/`` … ``J/``).

Each source has its own cache, so switching never returns the other one's
data.  For the chosen source, ``load_notmnist`` tries in order:

1. its parsed-array cache in the data folder (``notmnist-sample.npz`` or
   ``notmnist-archive.npz``), validated before use and rebuilt if it fails;
2. a mirror: the ``NN_BASICS_MIRROR`` variable (or ``mirror=``), a local
   folder, a ``file://`` URL or an http(s) URL base holding the source's files;
3. the published addresses.

How it stays correct under stress:

* Everything that writes into the data folder runs under a file lock
  (``notmnist.lock``, the ``filelock`` package), so two notebooks loading at
  once wait for each other.  Temporary files and folders have unique names;
  leftovers of a killed run are removed by the next run that holds the lock.
* A download asks for the raw bytes (``Accept-Encoding: identity``) and
  writes them undecoded, stops as soon as more bytes arrive than the file can
  have, and has an overall deadline besides the per-read timeout.  Redirects
  are followed by hand: no loops, nothing but http(s).  The file is written
  to ``<name>.<unique>.part`` and renamed only after its size and hash check.
* An archive is listed and every member checked before anything is written,
  extracted into a temporary folder, compared with its member list and only
  then renamed into place; a folder already there is compared too.
* Every failure is reported in Russian; ``load_notmnist`` raises
  :class:`DataUnavailable` (or ``ValueError`` for an unknown ``source``).

pooch's ``HTTPDownloader`` is not used for the transfer: it decodes
``Content-Encoding`` on the fly and reads fixed-size chunks, so it can bound
neither the bytes written nor the time a trickling server takes.  The loop
below uses requests (pooch's own transport) directly; hashes are pooch's
``file_hash``.
"""
from __future__ import annotations

import contextlib
import errno
import gzip
import lzma
import math
import os
import posixpath
import secrets
import shutil
import tarfile
import tempfile
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

#: Environment variable: a local folder or URL base with the notMNIST files.
MIRROR_ENV = "NN_BASICS_MIRROR"
#: Environment variable: where downloads and caches go (default ``data/``).
DATA_ENV = "NN_BASICS_DATA"

CLASSES = list("ABCDEFGHIJ")
#: The values of ``load_notmnist(source=...)``; the first is the default.
SOURCES = ("sample", "archive")
CACHE_NAMES = {"sample": "notmnist-sample.npz", "archive": "notmnist-archive.npz"}
CACHE_KEYS = ("X", "y", "classes", "source", "skipped", "kind")
ARCHIVE_DIR = "notMNIST_small"
LOCK_NAME = "notmnist.lock"
# names of this module's temporary files and folders in the data folder
# (".notMNIST_small-", "..extract": folders of older versions of this module)
_TEMP_PREFIXES = (".extract", "..extract", f".{ARCHIVE_DIR}-")
_TEMP_SUFFIX = ".part"

RETRIES = 3          # attempts per address (only where another one may help)
RETRY_PAUSE = 2.0    # seconds before the next attempt (doubles each time)
TIMEOUT = 30         # seconds without a byte before a connection is abandoned
DEADLINE = 600       # seconds for one file, however slowly its bytes arrive
MAX_REDIRECTS = 10
LOCK_TIMEOUT = 30 * 60                # seconds to wait for another process
MAX_DOWNLOAD_BYTES = 64 * 2**20       # a file without a published size
MAX_ARCHIVE_BYTES = 200 * 2**20       # unpacked size limit (notMNIST_small: ~20 MB)
MAX_ARCHIVE_MEMBERS = 100_000
MAX_ARRAY_BYTES = 128 * 2**20         # an unpacked cache or IDX file (~160 k images)
CHUNK = 1 << 16


@dataclass(frozen=True)
class Remote:
    """A file the course downloads: its name, size, hash and addresses."""

    name: str
    hash: str            # "md5:<hex>" or "sha256:<hex>"
    size: int | None     # None: unknown, MAX_DOWNLOAD_BYTES bounds the download
    urls: tuple[str, ...]


ARCHIVE = Remote(
    "notMNIST_small.tar.gz", "md5:c9890a473a9769fda4bdf314aaf500dd", 8_458_043,
    ("http://yaroslavvb.com/upload/notMNIST/notMNIST_small.tar.gz",
     "https://commondatastorage.googleapis.com/books1000/notMNIST_small.tar.gz"))
_IDX = "https://github.com/davidflanagan/notMNIST-to-MNIST/raw/master/"
IDX_IMAGES = Remote(
    "t10k-images-idx3-ubyte.gz",
    "sha256:70ae9e06201f2827e5b0a3781a3169d735dd2efc69996b9eeaee7f10ed4044d7",
    3_172_375, (_IDX + "t10k-images-idx3-ubyte.gz",))
IDX_LABELS = Remote(
    "t10k-labels-idx1-ubyte.gz",
    "sha256:1fa03836e01c862542f8eb83463bb951bebec6fcb3efa28dad748c6b38a9021b",
    5_118, (_IDX + "t10k-labels-idx1-ubyte.gz",))


class DataUnavailable(RuntimeError):
    """No source of a dataset worked; the message says what was tried."""


class BadFile(ValueError):
    """A file that failed a check (size, hash, format, unsafe archive)."""


class _NetError(Exception):
    """A failed transfer: a Russian reason, and whether another try may help."""

    def __init__(self, reason: str, retry: bool):
        super().__init__(reason)
        self.reason, self.retry = reason, retry


# ---------------------------------------------------------------- small helpers

def _expand(value: str) -> str:
    """``$VARS`` and a leading ``~`` expanded, as a shell would."""
    return os.path.expanduser(os.path.expandvars(value))


def _temp_path(path: Path) -> Path:
    """A name next to ``path`` that no other process uses."""
    return path.with_name(f"{path.name}.{os.getpid()}-{secrets.token_hex(4)}"
                          f"{_TEMP_SUFFIX}")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def _os_reason(err: OSError) -> str:
    """A Russian description of a file-system error."""
    where = f" {err.filename}" if err.filename else ""
    fix = f" (другую папку для данных задаёт переменная {DATA_ENV})"
    if isinstance(err, PermissionError):
        return f"нет прав доступа:{where}{fix}"
    if err.errno == errno.EROFS:
        return f"папка только для чтения:{where}{fix}"
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"на диске нет места:{where}"
    if isinstance(err, FileNotFoundError):
        return f"нет файла или папки{where}"
    code = errno.errorcode.get(err.errno or 0)
    return f"ошибка файловой системы{f' ({code})' if code else ''}{where}"


def _reason(err: Exception) -> str:
    return _os_reason(err) if isinstance(err, OSError) else str(err)


# ---------------------------------------------------------------- checking

def file_hash(path: Path, algorithm: str) -> str:
    import pooch

    return pooch.file_hash(str(path), alg=algorithm)


def verify(path: Path, remote: Remote) -> None:
    """Raise :class:`BadFile` unless ``path`` has the size and hash of ``remote``."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(512).lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head")):
        raise BadFile(f"вместо файла {remote.name} получена HTML-страница "
                      f"({size} байт): вероятно, страница ошибки сервера")
    if remote.size is not None and size != remote.size:
        raise BadFile(f"файл {remote.name} неполный или чужой: {size} байт "
                      f"вместо {remote.size}")
    algorithm, expected = remote.hash.split(":")
    actual = file_hash(path, algorithm)
    if actual != expected:
        raise BadFile(f"хеш {algorithm} файла {remote.name} не совпадает: "
                      f"{actual} вместо {expected}")


def _check_arrays(X: np.ndarray, y: np.ndarray, classes) -> None:
    """Raise :class:`BadFile` unless ``X, y, classes`` are notMNIST letters:
    X uint8 (N, 28, 28) with N > 0, y integers 0…9 of the same length, the
    classes A–J, each with at least one image."""
    if X.dtype != np.uint8:
        raise BadFile(f"картинки X имеют тип {X.dtype}, а нужен uint8 "
                      "(яркость от 0 до 255)")
    if X.ndim != 3 or X.shape[1:] != (28, 28):
        raise BadFile(f"картинки X имеют форму {X.shape}, а нужна (N, 28, 28)")
    if len(X) == 0:
        raise BadFile("в X нет ни одной картинки")
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise BadFile(f"метки y должны быть одномерным массивом целых чисел, "
                      f"а это {y.dtype} формы {y.shape}")
    if len(y) != len(X):
        raise BadFile(f"картинок {len(X)}, а меток {len(y)}")
    if list(classes) != CLASSES:
        raise BadFile(f"классов {len(classes)} ({', '.join(map(str, classes))}), "
                      f"а нужно 10: {', '.join(CLASSES)}")
    low, high = int(y.min()), int(y.max())
    if low < 0 or high >= len(CLASSES):
        raise BadFile(f"метки y должны быть от 0 до 9, а они от {low} до {high}")
    counts = np.bincount(y.astype(np.int64), minlength=len(CLASSES))
    empty = [c for c, n in zip(CLASSES, counts) if n == 0]
    if empty:
        raise BadFile(f"у классов {', '.join(empty)} нет ни одной картинки")
    if X.max() <= 1:
        raise BadFile("все пиксели X равны 0 или 1: похоже, яркость уже "
                      "разделили на 255")


# ---------------------------------------------------------------- fetching

def _is_url(base: str) -> bool:
    return base.startswith(("http://", "https://"))


def _local_path(mirror: str) -> str:
    """``file:///srv/notmnist`` -> ``/srv/notmnist``; other values as given."""
    if mirror.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return unquote(urlparse(mirror).path)
    return mirror


def _causes(err: BaseException) -> list[BaseException]:
    """``err`` and every exception it wraps (causes, contexts, reasons)."""
    seen: list[BaseException] = []
    stack = [err]
    while stack:
        e = stack.pop()
        if not isinstance(e, BaseException) or any(e is s for s in seen):
            continue
        seen.append(e)
        stack += [e.__cause__, e.__context__, getattr(e, "reason", None),
                  *getattr(e, "args", ())]
    return seen


def _net_error(err: Exception) -> _NetError:
    """What a requests/urllib3/socket error means, in Russian."""
    import http.client
    import socket
    import ssl

    import requests
    import urllib3

    causes = _causes(err)

    def has(*types) -> bool:
        return any(isinstance(c, types) for c in causes)

    name_error = getattr(urllib3.exceptions, "NameResolutionError", socket.gaierror)
    if has(ssl.SSLCertVerificationError):
        return _NetError("сертификат сервера не прошёл проверку (TLS): сервер "
                         "не тот, за кого себя выдаёт, или на компьютере "
                         "неверные дата и время", retry=False)
    if has(ssl.SSLError, requests.exceptions.SSLError, urllib3.exceptions.SSLError):
        return _NetError("не удалось установить защищённое соединение (TLS): "
                         "сервер отвечает не по HTTPS или соединение подменено",
                         retry=False)
    if has(requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
           requests.exceptions.MissingSchema, urllib3.exceptions.LocationParseError):
        return _NetError("адрес записан с ошибкой: его не удаётся разобрать",
                         retry=False)
    # before the timeouts: urllib3's NewConnectionError is a ConnectTimeoutError
    if has(name_error, socket.gaierror):
        return _NetError("нет соединения с сервером: его имя не найдено (нет "
                         "интернета или адрес записан с ошибкой)", retry=True)
    if has(ConnectionRefusedError):
        return _NetError("нет соединения с сервером: соединение отклонено (нет "
                         "интернета, или по этому адресу сервер не работает)",
                         retry=True)
    if has(requests.exceptions.ConnectTimeout) or (
            has(urllib3.exceptions.ConnectTimeoutError)
            and not has(urllib3.exceptions.NewConnectionError)):
        return _NetError(f"сервер не отвечает: соединение не установлено за "
                         f"{TIMEOUT} с", retry=True)
    if has(requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError,
           TimeoutError):
        return _NetError(f"сервер принял соединение, но ничего не прислал за "
                         f"{TIMEOUT} с", retry=True)
    if has(urllib3.exceptions.ProtocolError, http.client.HTTPException,
           ConnectionResetError, requests.exceptions.ChunkedEncodingError):
        return _NetError("соединение оборвалось посреди загрузки (файл недокачан)",
                         retry=True)
    if has(requests.exceptions.ConnectionError, OSError):
        return _NetError("нет соединения с сервером (нет интернета или адрес "
                         "недоступен)", retry=True)
    return _NetError("непредвиденный сбой сети", retry=True)


def _http_error(code: int) -> _NetError:
    if code >= 500:
        return _NetError(f"сервер ответил HTTP {code} (ошибка на стороне сервера)",
                         retry=True)
    what = {401: "нужен вход", 403: "доступ запрещён",
            404: "файла по этому адресу нет", 410: "файл удалён с сервера"}
    return _NetError(f"сервер ответил HTTP {code}"
                     + (f" ({what[code]})" if code in what else ""), retry=False)


def _check_url(url: str) -> None:
    """Raise :class:`_NetError` for a URL that cannot be requested."""
    from urllib.parse import urlsplit

    if any(c.isspace() or ord(c) < 32 for c in url):
        raise _NetError("адрес записан с ошибкой: в нём пробел или "
                        "управляющий символ", retry=False)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 — raises for a port out of range
    except ValueError as err:
        raise _NetError("адрес записан с ошибкой: его не удаётся разобрать",
                        retry=False) from err
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _NetError("адрес записан с ошибкой: нужен вид http(s)://сервер/путь",
                        retry=False)


def _open(session, url: str, deadline: float):
    """GET ``url`` and follow redirects by hand; return a 200 response."""
    from urllib.parse import urljoin, urlsplit

    visited: list[str] = []
    while True:
        _check_url(url)
        if time.monotonic() > deadline:
            raise _NetError(f"загрузка не уложилась в {DEADLINE} с", retry=False)
        resp = session.get(url, stream=True, allow_redirects=False,
                           timeout=(TIMEOUT, TIMEOUT))
        if not resp.is_redirect:
            if resp.status_code != 200:
                resp.close()
                raise _http_error(resp.status_code)
            return resp
        target = urljoin(url, resp.headers["Location"])
        resp.close()
        shown = target if len(target) <= 100 else target[:97] + "…"
        if urlsplit(target).scheme.lower() not in ("http", "https"):
            raise _NetError(f"сервер перенаправил на {shown} — это не http(s), "
                            "такой переход не выполняется", retry=False)
        visited.append(url)
        if target in visited:
            raise _NetError(f"сервер переадресует по кругу ({shown} уже был): "
                            "файл по этому адресу не получить", retry=False)
        if len(visited) > MAX_REDIRECTS:
            raise _NetError(f"больше {MAX_REDIRECTS} переадресаций подряд: "
                            "файл по этому адресу не получить", retry=False)
        url = target


def _download(url: str, part: Path, size: int | None = None,
              name: str | None = None) -> None:
    """Stream ``url`` into ``part``: the raw bytes (no transparent decoding),
    at most ``size`` of them (or :data:`MAX_DOWNLOAD_BYTES`), within
    :data:`DEADLINE` seconds; a progress bar while it runs.

    Raises :class:`_NetError` (network), :class:`BadFile` (too many bytes) or
    ``OSError`` (the disk).
    """
    import requests
    from tqdm.auto import tqdm

    limit = size if size is not None else MAX_DOWNLOAD_BYTES
    deadline = time.monotonic() + DEADLINE
    name = name or part.name
    with requests.Session() as session:
        session.headers.update({"Accept-Encoding": "identity",
                                "User-Agent": "nn-basics (course data loader)"})
        try:
            resp = _open(session, url, deadline)
        except requests.RequestException as err:
            raise _net_error(err) from err
        with resp:
            header = resp.headers.get("Content-Length", "")
            length = int(header) if header.strip().isdigit() else None
            if length is not None and length > limit:
                raise BadFile(f"сервер собирается прислать {length} байт, а в файле "
                              f"{name} их не больше {limit}: это не тот файл, "
                              "загрузка не начата")
            # read1 returns whatever has arrived, so the deadline is checked
            # even when a server sends a byte a second
            read = getattr(resp.raw, "read1", None) or resp.raw.read
            got = 0
            bar = tqdm(total=length or size, desc=f"Загрузка {name}", unit="B",
                       unit_scale=True, leave=False)
            try:
                with open(part, "wb") as f:
                    while True:
                        if time.monotonic() > deadline:
                            raise _NetError(
                                f"загрузка не уложилась в {DEADLINE} с (получено "
                                f"{got} байт): связь слишком медленная", retry=False)
                        try:
                            chunk = read(CHUNK, decode_content=False)
                        except Exception as err:  # noqa: BLE001 — the network
                            raise _body_error(err, got, length) from err
                        if not chunk:
                            break
                        got += len(chunk)
                        if got > limit:
                            raise BadFile(f"сервер прислал больше {limit} байт — "
                                          f"больше, чем может быть в файле {name}: "
                                          "загрузка остановлена")
                        f.write(chunk)
                        bar.update(len(chunk))
            finally:
                bar.close()
            if length is not None and got != length:
                raise _NetError(f"соединение оборвалось посреди загрузки (файл "
                                f"недокачан: {got} из {length} байт)", retry=True)


def _body_error(err: Exception, got: int, length: int | None) -> _NetError:
    """A failure while the body arrives (the headers came)."""
    import ssl

    import urllib3

    of = f" из {length}" if length is not None else ""
    causes = _causes(err)
    if any(isinstance(c, (urllib3.exceptions.ReadTimeoutError, TimeoutError))
           for c in causes):
        return _NetError(f"сервер перестал присылать данные: {TIMEOUT} с без "
                         f"единого байта (получено {got}{of} байт)", retry=True)
    if any(isinstance(c, ssl.SSLError) for c in causes):
        return _net_error(err)
    return _NetError(f"соединение оборвалось посреди загрузки (файл недокачан: "
                     f"{got}{of} байт)", retry=True)


def _transfer(url: str, dest: Path, remote: Remote) -> None:
    """Download ``url`` to a unique ``.part`` file, verify it, rename it to ``dest``."""
    part = _temp_path(dest)
    try:
        _download(url, part, remote.size, remote.name)
        verify(part, remote)
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)


def fetch(remote: Remote, sources: list[str], data_dir: Path,
          tried: list[str]) -> Path | None:
    """Return a verified local copy of ``remote``, or None.

    A file already in ``data_dir`` is used if it verifies (that is how a
    learner hands the course an archive by hand).  Otherwise each source is
    tried: a local file is verified where it lies (a read-only classroom
    mirror works), a URL is downloaded, up to :data:`RETRIES` times where
    another attempt may help.  Every failure goes to ``tried``.
    """
    dest = data_dir / remote.name
    if dest.is_file():
        try:
            verify(dest, remote)
            return dest
        except BadFile as err:
            try:
                dest.unlink()
                tried.append(f"{dest}: {err}; файл удалён")
            except OSError as gone:
                tried.append(f"{dest}: {err}; не удалён: {_os_reason(gone)}")
        except OSError as err:
            tried.append(f"{dest}: {_os_reason(err)}")
    for source in sources:
        if not _is_url(source):          # a local mirror: check it in place
            try:
                verify(Path(source), remote)
                return Path(source)
            except FileNotFoundError:
                tried.append(f"{source}: нет файла")
            except (BadFile, OSError) as err:
                tried.append(f"{source}: {_reason(err)}")
            continue
        for attempt in range(1, RETRIES + 1):
            try:
                _transfer(source, dest, remote)
                return dest
            except BadFile as err:       # a wrong file will not get better
                tried.append(f"{source}: {err}")
                break
            except OSError as err:       # the disk, not the network
                tried.append(f"{source}: {_os_reason(err)}")
                break
            except _NetError as err:
                if attempt == RETRIES or not err.retry:
                    tries = f" (попыток: {attempt})" if attempt > 1 else ""
                    tried.append(f"{source}: {err.reason}{tries}")
                    break
                time.sleep(RETRY_PAUSE * 2 ** (attempt - 1))
    return None


# ---------------------------------------------------------------- archives

_ARCHIVE_ERRORS = (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, OSError)


def _archive_trouble(archive: Path, err: Exception) -> BadFile:
    if isinstance(err, OSError) and err.errno is not None:
        why = _os_reason(err)            # the disk, or the file vanished
    else:
        why = "файл повреждён или обрезан"
    return BadFile(f"архив {archive.name} не распаковывается: {why}")


def _check_member(member: tarfile.TarInfo, dest: Path) -> None:
    """Refuse anything but plain files and folders inside ``dest``."""
    name = member.name
    if member.issym() or member.islnk():
        raise BadFile(f"в архиве ссылка {name!r} → {member.linkname!r}")
    if not (member.isfile() or member.isdir()):
        raise BadFile(f"в архиве особый файл {name!r} (устройство, канал…)")
    if name.startswith(("/", "\\")) or os.path.isabs(name) or ":" in name:
        raise BadFile(f"в архиве абсолютный путь {name!r}")
    target = os.path.realpath(dest / name)
    if os.path.commonpath([target, os.path.realpath(dest)]) != os.path.realpath(dest):
        raise BadFile(f"в архиве путь {name!r} ведёт за пределы папки")


def _members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """All members, within the count and unpacked-size limits."""
    members = []
    for member in tar:
        members.append(member)
        if len(members) > MAX_ARCHIVE_MEMBERS:
            raise BadFile(f"в архиве больше {MAX_ARCHIVE_MEMBERS} файлов")
    if sum(m.size for m in members) > MAX_ARCHIVE_BYTES:
        raise BadFile("архив распаковывается в слишком большой объём")
    # tarfile takes a garbage header for the end of the archive; reading the
    # compressed stream to its end makes gzip/xz check their CRC, so a damaged
    # archive is an error, not a shorter member list
    total = 0
    while chunk := tar.fileobj.read(1 << 20):
        total += len(chunk)
        if total > MAX_ARCHIVE_BYTES + 2**20:
            raise BadFile("архив распаковывается в слишком большой объём")
    return members


def list_archive(archive: Path) -> list[tarfile.TarInfo]:
    """The members of ``archive``, read without writing anything."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            return _members(tar)
    except _ARCHIVE_ERRORS as err:
        raise _archive_trouble(archive, err) from err


def _differences(root: Path, members, prefix: str = "") -> tuple[list, list]:
    """What the folder ``root`` lacks of the archive ``members`` under
    ``prefix/`` (missing, or with another size), and the files in its class
    folders A–J that the archive does not have."""
    missing, expected = [], set()
    for member in members:
        name = posixpath.normpath(member.name)
        if prefix:
            if not name.startswith(prefix + "/"):
                continue
            name = name[len(prefix) + 1:]
        path = root / name
        if member.isdir():
            if not path.is_dir():
                missing.append(name + "/")
            continue
        expected.add(name)
        try:
            same = path.is_file() and path.stat().st_size == member.size
        except OSError:
            same = False
        if not same:
            missing.append(name)
    extra = []
    for letter in CLASSES:
        if (root / letter).is_dir():
            extra += [f"{letter}/{p.name}" for p in sorted((root / letter).iterdir())
                      if f"{letter}/{p.name}" not in expected]
    return missing, extra


def _differences_text(missing: list, extra: list) -> str:
    parts = []
    if missing:
        parts.append(f"нет {len(missing)} файлов или папок из архива (или они "
                     f"другого размера), например {missing[0]}")
    if extra:
        parts.append(f"лишних файлов: {len(extra)}, например {extra[0]}")
    return "; ".join(parts)


def safe_extract(archive: Path, dest: Path) -> list[tarfile.TarInfo]:
    """Extract ``archive`` into the new folder ``dest``, or raise and leave nothing.

    Every member is checked first (:func:`_check_member`, total size and
    count limits); then tarfile's ``data`` filter is applied as a second
    line of defence where this Python has it.  The extracted tree is compared
    with the member list before it is renamed to ``dest``.  Returns the
    members.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = _members(tar)
            for member in members:
                _check_member(member, tmp)
            if hasattr(tarfile, "data_filter"):
                tar.extractall(tmp, members=members, filter="data")
            else:
                tar.extractall(tmp, members=members)  # checked above
        missing, _ = _differences(tmp, members)
        if missing:
            raise BadFile(f"архив {archive.name} распаковался не полностью: "
                          f"{_differences_text(missing, [])}")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
        return members
    except BadFile:
        raise
    except _ARCHIVE_ERRORS as err:
        raise _archive_trouble(archive, err) from err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- readers

def read_letter_folders(root):
    """Read PNG letters from ``root/A`` … ``root/J``: the folder is the label.

    Returns ``(images uint8 (N, 28, 28), labels int64 (N,), class names,
    number of skipped files)``.  Only the folders named A–J are classes,
    numbered in alphabetical order; anything else in ``root`` (such as the
    ``.ipynb_checkpoints`` that Jupyter creates) is skipped and reported.
    A ``.png`` file (any case) that does not decode or is not 28x28 —
    notMNIST_small has a couple, some of them empty — is skipped and counted.
    A class without a single image, or a file that vanishes while it is
    read, raises :class:`BadFile`.
    """
    from PIL import Image

    root = Path(root)
    classes = sorted(p.name for p in root.iterdir()
                     if p.name in CLASSES and p.is_dir())
    ignored = sorted(p.name for p in root.iterdir() if p.name not in classes)
    images, labels, skipped = [], [], 0
    for label, letter in enumerate(classes):
        count = 0
        for path in sorted((root / letter).iterdir()):
            if path.suffix.lower() != ".png":  # не картинка: .DS_Store и т. п.
                ignored.append(f"{letter}/{path.name}")
                continue
            try:
                with Image.open(path) as img:
                    if img.size != (28, 28):   # другой размер: не буква
                        skipped += 1
                        continue
                    pixels = np.asarray(img.convert("L"), dtype=np.uint8)
            except FileNotFoundError as err:   # файл удалили, пока мы читали
                raise BadFile(f"файл {path} исчез во время чтения") from err
            except (OSError, ValueError, SyntaxError,
                    Image.DecompressionBombError):  # пустой, битый или огромный
                skipped += 1
                continue
            images.append(pixels)
            labels.append(label)
            count += 1
        if count == 0:
            raise BadFile(f"в папке {root / letter} нет ни одной картинки 28×28")
    if ignored:
        more = f" и ещё {len(ignored) - 10}" if len(ignored) > 10 else ""
        print(f"Пропущено в {root} (не папки A–J и не PNG): "
              f"{', '.join(ignored[:10])}{more}")
    if not classes:
        raise BadFile(f"в папке {root} нет ни одной папки классов A–J")
    return np.stack(images), np.array(labels, dtype=np.int64), classes, skipped


def read_idx(path, ndim: int) -> np.ndarray:
    """Read a gzipped IDX file of unsigned bytes (MNIST's format).

    The header is two zero bytes, the type code 0x08 (uint8), the number of
    dimensions, then each dimension as a big-endian uint32.  Raises
    :class:`BadFile` for a file that is not such an IDX file, is cut short or
    would unpack to more than :data:`MAX_ARRAY_BYTES`.
    """
    name = Path(path).name
    try:
        with gzip.open(path, "rb") as f:
            head = f.read(4 + 4 * ndim)
            if len(head) < 4 or head[:2] != b"\0\0" or head[2] != 0x08 \
                    or head[3] != ndim:
                raise BadFile(f"{name}: неверное магическое число IDX "
                              f"{head[:4].hex()} (ожидалось 000008{ndim:02x})")
            if len(head) < 4 + 4 * ndim:
                raise BadFile(f"{name}: заголовок IDX обрывается: {len(head)} "
                              f"байт вместо {4 + 4 * ndim}")
            dims = tuple(int.from_bytes(head[4 + 4 * i: 8 + 4 * i], "big")
                         for i in range(ndim))
            expected = math.prod(dims)
            if expected > MAX_ARRAY_BYTES:
                raise BadFile(f"{name}: по заголовку {dims} в файле {expected} "
                              f"байт данных — больше допустимых {MAX_ARRAY_BYTES}")
            raw = f.read(expected + 1)
    except BadFile:
        raise
    except (gzip.BadGzipFile, EOFError, zlib.error) as err:
        raise BadFile(f"{name}: сжатый файл повреждён или обрезан") from err
    if len(raw) != expected:
        raise BadFile(f"{name}: {'больше' if len(raw) > expected else len(raw)} "
                      f"байт данных вместо {expected} по заголовку {dims}")
    return np.frombuffer(raw, dtype=np.uint8).reshape(dims)


# ---------------------------------------------------------------- notMNIST

def data_dir_default() -> Path:
    """``NN_BASICS_DATA`` (``~`` and ``$VARS`` expanded) or the course's ``data/``."""
    value = os.environ.get(DATA_ENV)
    return Path(_expand(value)) if value else ROOT / "data"


def _mirror_source(remote: Remote, mirror: str) -> str:
    if _is_url(mirror):
        return f"{mirror.rstrip('/')}/{remote.name}"
    return str(Path(mirror) / remote.name)


def _mirror_value(mirror: str | None) -> str | None:
    """The mirror setting with ``$VARS`` (and, for a folder, ``~``) expanded."""
    if not mirror:
        return None
    mirror = os.path.expandvars(mirror)
    if _is_url(mirror):
        return mirror
    return os.path.expanduser(_local_path(mirror))


def _mirror_problem(mirror: str) -> str | None:
    """Why the mirror cannot be used at all, or None."""
    if _is_url(mirror):
        return None
    if "://" in mirror:
        scheme = mirror.split("://")[0]
        return (f"неизвестная схема адреса «{scheme}» (подходят http://, "
                "https:// и file://)")
    if not Path(mirror).is_dir():
        hint = " (в пути осталась «$»: такой переменной окружения нет)" \
            if "$" in mirror else ""
        return f"папки нет{hint}"
    return None


def _from_archive(sources: list[str], data_dir: Path, tried: list[str], say):
    archive = fetch(ARCHIVE, sources, data_dir, tried)
    if archive is None:
        return None
    folder = data_dir / ARCHIVE_DIR
    members = list_archive(archive)
    extract = not os.path.lexists(folder)
    if not extract:          # never trusted because it exists: compare it
        missing, extra = (_differences(folder, members, ARCHIVE_DIR)
                          if folder.is_dir() and not folder.is_symlink()
                          else (["(это не папка)"], []))
        extract = bool(missing or extra)
        if extract:
            say(f"Папка {_shown(folder)} не совпадает с архивом "
                f"({_differences_text(missing, extra)}): распаковываю архив заново.")
    if extract:
        staging = _temp_path(data_dir / ".extract")
        try:
            safe_extract(archive, staging)
            if not (staging / ARCHIVE_DIR).is_dir():
                raise BadFile(f"в архиве {archive.name} нет папки {ARCHIVE_DIR}/")
            if os.path.lexists(folder):
                old = _temp_path(data_dir / ".extract")
                os.replace(folder, old)
                _remove(old)
            os.replace(staging / ARCHIVE_DIR, folder)
        finally:
            _remove(staging)
    X, y, classes, skipped = read_letter_folders(folder)
    _check_arrays(X, y, classes)
    return X, y, classes, skipped, _shown(archive)


def _from_idx(sources: list[str], data_dir: Path, tried: list[str], say):
    """``sources``: bases (mirror folder / URL), or [] for the published URLs."""
    found = []
    for remote in (IDX_IMAGES, IDX_LABELS):
        where = ([_mirror_source(remote, b) for b in sources] if sources
                 else list(remote.urls))
        path = fetch(remote, where, data_dir, tried)
        if path is None:
            return None
        found.append(path)
    X = read_idx(found[0], 3)
    y = read_idx(found[1], 1).astype(np.int64)
    try:
        _check_arrays(X, y, CLASSES)
    except BadFile as err:
        raise BadFile(f"файлы IDX не согласованы: {err}") from err
    where = _shown(found[0].parent)
    return X, y, list(CLASSES), 0, f"выборка в формате IDX из {where}"


def _save_cache(path: Path, source: str, X, y, classes, where: str,
                skipped: int) -> None:
    part = _temp_path(path)
    try:
        with open(part, "xb") as f:
            np.savez(f, X=X, y=y, classes=np.array(classes), source=where,
                     skipped=skipped, kind=source)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


def _npy_header(f) -> tuple[tuple, np.dtype]:
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, _, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        raise BadFile(f"неизвестная версия формата .npy {version}")
    return shape, dtype


def _read_cache(path: Path, source: str):
    """The cache's ``(X, y, classes, skipped, where)`` after every check.

    The sizes in the zip directory and each array's .npy header are checked
    before any array is read, so a small file cannot unpack into gigabytes.
    Raises :class:`BadFile` (in Russian) for anything but a cache of
    ``source`` with valid notMNIST arrays.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = {i.filename: i for i in zf.infolist()}
            missing = [k for k in CACHE_KEYS if f"{k}.npy" not in infos]
            if missing:
                raise BadFile(f"в нём нет массивов {', '.join(missing)}")
            unpacked = sum(i.file_size for i in infos.values())
            if unpacked > MAX_ARRAY_BYTES:
                raise BadFile(f"в распакованном виде он занял бы "
                              f"{unpacked / 2**20:.0f} МБ, а кэш notMNIST меньше "
                              f"{MAX_ARRAY_BYTES // 2**20} МБ")
            for key in CACHE_KEYS:
                info = infos[f"{key}.npy"]
                with zf.open(info) as f:
                    shape, dtype = _npy_header(f)
                if dtype.hasobject:
                    raise BadFile(f"массив {key} хранит объекты Python, а не числа")
                if math.prod(shape) * dtype.itemsize > info.file_size:
                    raise BadFile(f"заголовок массива {key} обещает больше данных, "
                                  "чем есть в файле")
        with np.load(path, allow_pickle=False) as z:
            arrays = {key: z[key] for key in CACHE_KEYS}
    except BadFile:
        raise
    except (zipfile.BadZipFile, ValueError, EOFError, KeyError, zlib.error,
            OSError) as err:
        if isinstance(err, OSError) and err.errno is not None:
            raise
        raise BadFile("файл повреждён или это не кэш курса") from err
    kind = arrays["kind"]
    if kind.shape != () or kind.dtype.kind != "U" or str(kind) != source:
        raise BadFile(f"в нём данные другого источника ({kind!s}), а нужен "
                      f"source={source!r}")
    classes = arrays["classes"]
    if classes.ndim != 1 or classes.dtype.kind != "U":
        raise BadFile(f"имена классов хранятся как {classes.dtype} формы "
                      f"{classes.shape}, а нужен список строк")
    classes = [str(c) for c in classes]
    _check_arrays(arrays["X"], arrays["y"], classes)
    skipped, where = arrays["skipped"], arrays["source"]
    if skipped.shape != () or not np.issubdtype(skipped.dtype, np.integer) \
            or int(skipped) < 0 or where.shape != () or where.dtype.kind != "U":
        raise BadFile("поля skipped и source испорчены")
    return arrays["X"], arrays["y"], classes, int(skipped), str(where)


def _cached(cache: Path, source: str, tried: list[str], say):
    """The cache's data, or None (the reason goes to ``tried`` and is said)."""
    try:
        X, y, classes, skipped, _ = _read_cache(cache, source)
    except BadFile as err:
        note = (f"кэш {_shown(cache)} негоден: {err}; данные будут собраны "
                "заново из источника")
        tried.append(note)
        say(note[0].upper() + note[1:] + ".")
        return None
    except OSError as err:
        tried.append(f"кэш {cache}: {_os_reason(err)}")
        return None
    return X, y, classes, skipped, f"кэш {_shown(cache)}"


def _stat(path: Path):
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


@contextlib.contextmanager
def _locked(data_dir: Path, say):
    """Hold the data folder's lock; yield False where it cannot be taken
    (a folder that nobody can write to needs none)."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(data_dir / LOCK_NAME))
    try:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            say(f"Данные в {_shown(data_dir)} сейчас готовит другой процесс "
                "(например, парный ноутбук): жду, пока он закончит…")
            lock.acquire(timeout=LOCK_TIMEOUT)
        held = True
    except Timeout as err:
        raise DataUnavailable(
            f"Папку данных {data_dir} больше {LOCK_TIMEOUT / 60:g} мин занимает "
            f"другой процесс (файл блокировки {LOCK_NAME}). Дождитесь его или "
            "остановите ядро, которое загружает данные, и запустите загрузку "
            "снова.") from err
    except OSError:
        held = False
    try:
        yield held
    finally:
        if held:
            lock.release()


def _remove_leftovers(data_dir: Path) -> None:
    """Remove temporary files and folders of runs that were killed.

    Called only while holding the lock: every temporary name in the folder
    then belongs to a process that is gone.
    """
    for path in data_dir.iterdir():
        if path.name.endswith(_TEMP_SUFFIX) or path.name.startswith(_TEMP_PREFIXES):
            _remove(path)


def _from_sources(source: str, data_dir: Path, mirror: str | None,
                  tried: list[str], say):
    """Read ``source`` from the mirror, then from the published addresses.
    Returns ``(found or None, an unexpected exception or None)``."""
    if source == "sample":
        reader, what = _from_idx, "выборка IDX"
        plans = [([mirror] if mirror else None), []]
    else:
        reader, what = _from_archive, f"архив {ARCHIVE.name}"
        plans = [([_mirror_source(ARCHIVE, mirror)] if mirror else None),
                 list(ARCHIVE.urls)]
    if not mirror:
        tried.append(f"зеркало ({MIRROR_ENV}): не задано")
    elif problem := _mirror_problem(mirror):
        tried.append(f"зеркало {mirror}: {problem}")
        plans[0] = None
    unexpected = None
    for sources in plans:
        if sources is None:
            continue
        try:
            found = reader(sources, data_dir, tried, say)
        except (BadFile, OSError) as err:
            tried.append(f"{what}: {_reason(err)}")
            continue
        except Exception as err:  # noqa: BLE001 — reported, and chained below
            tried.append(f"{what}: непредвиденная ошибка {type(err).__name__}")
            unexpected = err
            continue
        if found is not None:
            return found, None
    return None, unexpected


def load_notmnist(data_dir=None, mirror=None, verbose=True, source="sample"):
    """notMNIST letters A–J: ``X`` float32 ``(N, 28, 28)`` in [0, 1], ``y``
    int64 ``(N,)`` and the class names.

    ``source="sample"`` (default): the 10,000-image IDX sample the lessons
    use; ``source="archive"``: the full notMNIST_small archive (~18.7 k
    images).  ``data_dir`` defaults to ``NN_BASICS_DATA`` or the repository's
    ``data/``; ``mirror`` defaults to ``NN_BASICS_MIRROR`` (``~`` and
    ``$VARS`` are expanded in both).  Raises :class:`DataUnavailable` with
    what was tried and how to fix it.
    """
    if source not in SOURCES:
        raise ValueError(f"source={source!r}: такого источника нет. Возможны "
                         "'sample' (выборка из 10 000 изображений, по умолчанию) "
                         "и 'archive' (полный архив notMNIST_small)")
    say = print if verbose else (lambda *args: None)
    data_dir = Path(_expand(str(data_dir))) if data_dir is not None \
        else data_dir_default()
    mirror = _mirror_value(mirror if mirror is not None
                           else os.environ.get(MIRROR_ENV))
    cache = data_dir / CACHE_NAMES[source]
    tried: list[str] = []
    first_look = _stat(cache)
    found = None
    if first_look is None:
        tried.append(f"кэш {cache}: нет файла")
    else:
        found = _cached(cache, source, tried, say)
    if found is None:
        found = _build(source, data_dir, mirror, cache, first_look, tried, say)
    X8, y, classes, skipped, where = found
    if verbose:
        counts = np.bincount(y, minlength=len(classes))
        print(f"notMNIST: {len(y)} изображений, {len(classes)} классов "
              f"({counts.min()}–{counts.max()} на класс); источник: {where}"
              + (f"; пропущено нечитаемых файлов: {skipped}" if skipped else ""))
    return X8.astype(np.float32) / 255.0, y.astype(np.int64), list(classes)


def _build(source, data_dir: Path, mirror, cache: Path, first_look,
           tried: list[str], say):
    """Under the data folder's lock: the data from the sources, cached."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        tried.append(f"папка {data_dir}: {_os_reason(err)}")
    with _locked(data_dir, say) as held:
        if held:
            _remove_leftovers(data_dir)
            now = _stat(cache)
            if now is not None and now != first_look:  # built while we waited
                found = _cached(cache, source, tried, say)
                if found is not None:
                    return found
        found, unexpected = _from_sources(source, data_dir, mirror, tried, say)
        if found is None:
            raise DataUnavailable(_unavailable_message(source, data_dir, tried)) \
                from unexpected
        X8, y, classes, skipped, where = found
        try:
            _save_cache(cache, source, X8, y, classes, where, skipped)
        except OSError as err:
            say(f"Кэш не сохранён ({_os_reason(err)}): в следующий раз данные "
                "будут прочитаны из источника заново.")
        return found


def _shown(path: Path) -> str:
    """A path as a learner should see it: relative to the course if inside."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except (ValueError, OSError):
        return str(path)


def _unavailable_message(source: str, data_dir: Path, tried: list[str]) -> str:
    lines = "\n".join(f"  • {t}" for t in tried)
    if source == "sample":
        files = (f"пару файлов {IDX_IMAGES.name} и {IDX_LABELS.name} "
                 f"(адрес: {IDX_IMAGES.urls[0].rsplit('/', 1)[0]}/)")
        other = ("\n  3) или возьмите полный архив notMNIST_small: "
                 "load_notmnist(source=\"archive\") — картинок больше, "
                 "и числа будут не такими, как в уроке.")
    else:
        files = f"архив {ARCHIVE.name} (адрес: {ARCHIVE.urls[0]})"
        other = ""
    return (
        "Не удалось получить набор notMNIST. Что было испробовано:\n"
        f"{lines}\n"
        "Как исправить (любой из способов):\n"
        f"  1) скачайте {files} и положите в папку {data_dir};\n"
        f"  2) укажите зеркало — папку или адрес, где лежат эти файлы: "
        f"переменная окружения {MIRROR_ENV}, например\n"
        f"     os.environ[\"{MIRROR_ENV}\"] = \"/путь/к/папке\" "
        f"(в ноутбуке, до загрузки данных).{other}")


# ---------------------------------------------------------------- regression

def load_diabetes():
    """scikit-learn's bundled diabetes data (442 patients, 10 features,
    disease progression after a year), unscaled, as float32; no network."""
    from sklearn.datasets import load_diabetes as sk_load

    d = sk_load(scaled=False)
    return (d.data.astype(np.float32), d.target.astype(np.float32),
            list(d.feature_names))


def wave(x):
    """The synthetic 1-D function of lesson 06: ``sin(2x) + 0.5x``."""
    return np.sin(2 * x) + 0.5 * x


def make_wave(n=200, noise=0.3, seed=0):
    """``n`` noisy points of :func:`wave` on [-3, 3]: ``x``, ``y`` float32."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-3, 3, n))
    y = wave(x) + noise * rng.normal(size=n)
    return x.astype(np.float32), y.astype(np.float32)
