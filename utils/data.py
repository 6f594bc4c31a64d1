"""The course's datasets: notMNIST (downloaded, verified, cached) and the
regression data of lesson 06 (no network).

``load_notmnist()`` tries, in order:

1. the parsed-array cache ``notmnist.npz`` in the data folder;
2. a mirror: the ``NN_BASICS_MIRROR`` variable (or the ``mirror=`` argument),
   a local folder or a URL base that holds ``notMNIST_small.tar.gz`` or the
   two IDX files of the 10,000-image sample;
3. the original ``notMNIST_small.tar.gz`` addresses;
4. the IDX sample on GitHub.

Every file is checked against its published size and hash before use.  A
download goes to ``<name>.part`` and is renamed only after it is verified;
an archive is extracted into a temporary folder, member by member after a
safety check, and renamed into place.  On failure nothing half-written stays.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

#: Environment variable: a local folder or URL base with the notMNIST files.
MIRROR_ENV = "NN_BASICS_MIRROR"
#: Environment variable: where downloads and caches go (default ``data/``).
DATA_ENV = "NN_BASICS_DATA"

CLASSES = list("ABCDEFGHIJ")
CACHE_NAME = "notmnist.npz"
ARCHIVE_DIR = "notMNIST_small"

RETRIES = 3          # attempts per address
RETRY_PAUSE = 2.0    # seconds before the next attempt (doubles each time)
TIMEOUT = 30         # seconds without data before a download is abandoned
MAX_ARCHIVE_BYTES = 200 * 2**20   # unpacked size limit (notMNIST_small: ~20 MB)
MAX_ARCHIVE_MEMBERS = 100_000


@dataclass(frozen=True)
class Remote:
    """A file the course downloads: its name, size, hash and addresses."""

    name: str
    hash: str            # "md5:<hex>" or "sha256:<hex>"
    size: int | None
    urls: tuple[str, ...]


ARCHIVE = Remote(
    "notMNIST_small.tar.gz", "md5:c9890a473a9769fda4bdf314aaf500dd", 8_458_043,
    ("http://yaroslavvb.com/upload/notMNIST/notMNIST_small.tar.gz",
     "https://commondatastorage.googleapis.com/books1000/notMNIST_small.tar.gz"))
_IDX = "https://github.com/davidflanagan/notMNIST-to-MNIST/raw/master/"
IDX_IMAGES = Remote(
    "t10k-images-idx3-ubyte.gz",
    "sha256:70ae9e06201f2827e5b0a3781a3169d735dd2efc69996b9eeaee7f10ed4044d7",
    None, (_IDX + "t10k-images-idx3-ubyte.gz",))
IDX_LABELS = Remote(
    "t10k-labels-idx1-ubyte.gz",
    "sha256:1fa03836e01c862542f8eb83463bb951bebec6fcb3efa28dad748c6b38a9021b",
    None, (_IDX + "t10k-labels-idx1-ubyte.gz",))


class DataUnavailable(RuntimeError):
    """No source of a dataset worked; the message says what was tried."""


class BadFile(ValueError):
    """A file that failed a check (size, hash, format, unsafe archive)."""


# ---------------------------------------------------------------- checking

def file_hash(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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


# ---------------------------------------------------------------- fetching

def _is_url(base: str) -> bool:
    return base.startswith(("http://", "https://"))


def _local_path(mirror: str) -> str:
    """``file:///srv/notmnist`` -> ``/srv/notmnist``; other values as given."""
    if mirror.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return unquote(urlparse(mirror).path)
    return mirror


def _download(url: str, part: Path) -> None:
    """Stream ``url`` into ``part`` with a progress bar (pooch + requests)."""
    import pooch
    from tqdm.auto import tqdm

    # total=1 until pooch sets it from Content-Length: a tqdm without a total
    # cannot be tested for truth, which pooch does.
    bar = tqdm(total=1, desc=f"Загрузка {part.name.removesuffix('.part')}",
               unit="B", unit_scale=True, leave=False)
    downloader = pooch.HTTPDownloader(progressbar=bar, chunk_size=1 << 16,
                                      timeout=TIMEOUT)
    try:
        downloader(url, str(part), None)
    finally:
        bar.close()


def _transfer(url: str, dest: Path, remote: Remote) -> None:
    """Download ``url`` to ``dest.part``, verify it, rename it to ``dest``."""
    part = dest.with_name(dest.name + ".part")
    try:
        _download(url, part)
        verify(part, remote)
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)


def _describe(err: Exception) -> str:
    """A short Russian description of a download error."""
    import requests

    if isinstance(err, requests.HTTPError) and err.response is not None:
        return f"сервер ответил HTTP {err.response.status_code}"
    if isinstance(err, requests.Timeout):
        return f"сервер не ответил за {TIMEOUT} с"
    if isinstance(err, requests.exceptions.ChunkedEncodingError):
        return "соединение оборвалось посреди загрузки (файл недокачан)"
    if isinstance(err, requests.ConnectionError):
        return "нет соединения с сервером (нет интернета или адрес недоступен)"
    if isinstance(err, PermissionError):
        return (f"нет прав на запись в {Path(err.filename or '').parent} "
                f"(другую папку для данных задаёт переменная {DATA_ENV})")
    if isinstance(err, OSError):
        return f"ошибка записи на диск: {err.strerror or err}"
    return f"{type(err).__name__}: {err}"


def _worth_retrying(err: Exception) -> bool:
    """Connection trouble and server errors may pass; a 404 or a disk
    without write permission will not."""
    import requests

    if isinstance(err, requests.HTTPError) and err.response is not None:
        return err.response.status_code >= 500
    return isinstance(err, requests.RequestException)


def fetch(remote: Remote, sources: list[str], data_dir: Path,
          tried: list[str]) -> Path | None:
    """Return a verified local copy of ``remote``, or None.

    A file already in ``data_dir`` is used if it verifies (that is how a
    learner hands the course an archive by hand).  Otherwise each source is
    tried: a local file is verified where it lies (a read-only classroom
    mirror works), a URL is downloaded up to :data:`RETRIES` times.  Every
    failure goes to ``tried``.
    """
    dest = data_dir / remote.name
    if dest.is_file():
        try:
            verify(dest, remote)
            return dest
        except BadFile as err:
            tried.append(f"{dest}: {err}; файл удалён")
            dest.unlink()
    for source in sources:
        if not _is_url(source):          # a local mirror: check it in place
            try:
                verify(Path(source), remote)
                return Path(source)
            except FileNotFoundError:
                tried.append(f"{source}: нет файла")
            except (BadFile, OSError) as err:
                tried.append(f"{source}: {err}")
            continue
        for attempt in range(1, RETRIES + 1):
            try:
                _transfer(source, dest, remote)
                return dest
            except BadFile as err:       # a wrong file will not get better
                tried.append(f"{source}: {err}")
                break
            except Exception as err:     # network, disk
                if attempt == RETRIES or not _worth_retrying(err):
                    tries = f" (попыток: {attempt})" if attempt > 1 else ""
                    tried.append(f"{source}: {_describe(err)}{tries}")
                    break
                time.sleep(RETRY_PAUSE * 2 ** (attempt - 1))
    return None


# ---------------------------------------------------------------- archives

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


def safe_extract(archive: Path, dest: Path) -> None:
    """Extract ``archive`` into the new folder ``dest``, or raise and leave nothing.

    Every member is checked first (:func:`_check_member`, total size and
    count limits); then tarfile's ``data`` filter is applied as a second
    line of defence where this Python has it.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            if len(members) > MAX_ARCHIVE_MEMBERS:
                raise BadFile(f"в архиве слишком много файлов: {len(members)}")
            if sum(m.size for m in members) > MAX_ARCHIVE_BYTES:
                raise BadFile("архив распаковывается в слишком большой объём")
            for member in members:
                _check_member(member, tmp)
            if hasattr(tarfile, "data_filter"):
                tar.extractall(tmp, members=members, filter="data")
            else:
                tar.extractall(tmp, members=members)  # checked above
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    except (tarfile.TarError, EOFError, OSError) as err:
        raise BadFile(f"архив {archive.name} не распаковывается: {err}") from err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- readers

def read_letter_folders(root):
    """Read PNG letters from ``root/A``, ``root/B``, ...: the folder is the label.

    Returns ``(images uint8 (N, 28, 28), labels int64 (N,), class names,
    number of skipped files)``.  A file that does not decode (notMNIST_small
    has a couple, some of them empty) is skipped and counted.
    """
    from PIL import Image

    classes = sorted(p.name for p in Path(root).iterdir() if p.is_dir())
    images, labels, skipped = [], [], 0
    for label, letter in enumerate(classes):
        for path in sorted(Path(root, letter).glob("*.png")):
            try:
                with Image.open(path) as img:
                    pixels = np.asarray(img.convert("L"), dtype=np.uint8)
            except (OSError, ValueError):  # пустой или повреждённый файл
                skipped += 1
                continue
            if pixels.shape != (28, 28):
                skipped += 1
                continue
            images.append(pixels)
            labels.append(label)
    return np.stack(images), np.array(labels, dtype=np.int64), classes, skipped


def read_idx(path, ndim: int) -> np.ndarray:
    """Read a gzipped IDX file of unsigned bytes (MNIST's format).

    The header is two zero bytes, the type code 0x08 (uint8), the number of
    dimensions, then each dimension as a big-endian uint32.
    """
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] != 0x08 or raw[3] != ndim:
        raise BadFile(f"{Path(path).name}: неверное магическое число IDX "
                      f"{raw[:4].hex()} (ожидалось 000008{ndim:02x})")
    header = 4 + 4 * ndim
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big")
                 for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=header)
    if data.size != int(np.prod(dims)):
        raise BadFile(f"{Path(path).name}: {data.size} байт данных вместо "
                      f"{int(np.prod(dims))} по заголовку {dims}")
    return data.reshape(dims)


# ---------------------------------------------------------------- notMNIST

def data_dir_default() -> Path:
    return Path(os.environ.get(DATA_ENV) or ROOT / "data")


def _mirror_source(remote: Remote, mirror: str) -> str:
    if _is_url(mirror):
        return f"{mirror.rstrip('/')}/{remote.name}"
    return str(Path(mirror) / remote.name)


def _from_archive(sources: list[str], data_dir: Path, tried: list[str]):
    archive = fetch(ARCHIVE, sources, data_dir, tried)
    if archive is None:
        return None
    folder = data_dir / ARCHIVE_DIR
    if not (folder / "A").is_dir():
        staging = data_dir / ".extract"
        try:
            safe_extract(archive, staging)
            if folder.exists():
                shutil.rmtree(folder)
            os.replace(staging / ARCHIVE_DIR, folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    X, y, classes, skipped = read_letter_folders(folder)
    return X, y, classes, skipped, _shown(archive)


def _from_idx(sources: list[str], data_dir: Path, tried: list[str]):
    """``sources``: bases (mirror folder / URL) or None for GitHub."""
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
    if len(X) != len(y) or X.shape[1:] != (28, 28) or y.max(initial=0) >= 10:
        raise BadFile("файлы IDX не согласованы: "
                      f"{X.shape} изображений, {y.shape} меток")
    where = _shown(found[0].parent)
    return X, y, CLASSES, 0, f"выборка в формате IDX из {where}"


def _save_cache(path: Path, X, y, classes, source: str, skipped: int) -> None:
    part = path.with_name(path.name + ".part")
    try:
        with open(part, "wb") as f:
            np.savez(f, X=X, y=y, classes=np.array(classes), source=source,
                     skipped=skipped)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


def _load_cache(path: Path):
    with np.load(path, allow_pickle=False) as z:
        return (z["X"], z["y"], [str(c) for c in z["classes"]],
                int(z["skipped"]), str(z["source"]))


def load_notmnist(data_dir=None, mirror=None, verbose=True):
    """notMNIST letters A–J: ``X`` float32 ``(N, 28, 28)`` in [0, 1], ``y``
    int64 ``(N,)`` and the class names.

    ``data_dir`` defaults to ``NN_BASICS_DATA`` or the repository's ``data/``;
    ``mirror`` defaults to ``NN_BASICS_MIRROR``.  Raises
    :class:`DataUnavailable` with what was tried and how to fix it.
    """
    data_dir = Path(data_dir) if data_dir is not None else data_dir_default()
    mirror = mirror if mirror is not None else os.environ.get(MIRROR_ENV) or None
    if mirror:
        mirror = _local_path(mirror)
    cache = data_dir / CACHE_NAME
    tried: list[str] = []
    found = None  # (X uint8, y, classes, skipped, source)
    if cache.is_file():
        try:
            found = _load_cache(cache)
            where = f"кэш {_shown(cache)}"
        except Exception as err:  # noqa: BLE001 — any damage: rebuild the cache
            tried.append(f"кэш {cache}: повреждён ({err}), пересоздаю")
    else:
        tried.append(f"кэш {cache}: нет файла")
    if found is None:
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            tried.append(f"папка {data_dir}: {err}")
        if not mirror:
            tried.append(f"зеркало ({MIRROR_ENV}): не задано")
        elif not _is_url(mirror) and not Path(mirror).is_dir():
            tried.append(f"зеркало {mirror}: папки нет")
        plans = [  # (reader, its sources) in the documented order
            (_from_archive, [_mirror_source(ARCHIVE, mirror)]),
            (_from_idx, [mirror]),
        ] if mirror else []
        plans += [(_from_archive, list(ARCHIVE.urls)), (_from_idx, [])]
        for reader, sources in plans:
            try:
                found = reader(sources, data_dir, tried)
            except (BadFile, OSError) as err:
                tried.append(f"{reader.__name__[1:]}: {err}")
            if found is not None:
                break
        if found is None:
            raise DataUnavailable(_unavailable_message(data_dir, tried))
        X8, y, classes, skipped, where = found
        try:
            _save_cache(cache, X8, y, classes, where, skipped)
        except OSError as err:
            print(f"Кэш не сохранён ({err}): в следующий раз данные будут "
                  "прочитаны из источника заново.")
    X8, y, classes, skipped, _ = found
    if verbose:
        counts = np.bincount(y, minlength=len(classes))
        print(f"notMNIST: {len(y)} изображений, {len(classes)} классов "
              f"({counts.min()}–{counts.max()} на класс); источник: {where}"
              + (f"; пропущено нечитаемых файлов: {skipped}" if skipped else ""))
    return X8.astype(np.float32) / 255.0, y.astype(np.int64), classes


def _shown(path: Path) -> str:
    """A path as a learner should see it: relative to the course if inside."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _unavailable_message(data_dir: Path, tried: list[str]) -> str:
    lines = "\n".join(f"  • {t}" for t in tried)
    return (
        "Не удалось получить набор notMNIST. Что было испробовано:\n"
        f"{lines}\n"
        "Как исправить (любой из двух способов):\n"
        f"  1) скачайте {ARCHIVE.name} (или пару файлов {IDX_IMAGES.name} и "
        f"{IDX_LABELS.name}) и положите в папку {data_dir};\n"
        f"  2) укажите зеркало — папку или адрес, где лежат эти файлы: "
        f"переменная окружения {MIRROR_ENV}, например\n"
        f"     os.environ[\"{MIRROR_ENV}\"] = \"/путь/к/папке\" "
        "(в ноутбуке, до загрузки данных).")


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
