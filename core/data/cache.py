"""Decoded images kept on disk, so a data set is decoded once per image size.

Each entry is two files under ``data_dir()/cache/``: ``<key>.npy`` with the pixels (read
back with ``allow_pickle=False``, never a pickle) and ``<key>.json`` with which files they
are, their :class:`~core.data.images.ImageInfo` and the files that failed to decode. Images
decoded at native resolution, each its own size, are stored as one flat uint8 array with
their shapes in the json.

The key hashes the folder's resolved path, the layout, every file's relative path, size,
modification time (ns) and a digest of all its bytes (BLAKE2b), the image size and
:data:`~core.data.images.DECODER_VERSION`. So a cache whose files changed is never used,
even when a file was rewritten with the same size and time, and two folders with the
same file names never share pixels: the entry simply is not found. Hashing reads every
file once per load (about 0.2 s for the 1,289 images of the Hard set here), far less
than decoding them.

Entries are written to a temporary file and moved into place with ``os.replace`` (the
``.npy`` first, the ``.json`` last), so another process sees a whole entry or none. An
entry that fails to read back (truncated, wrong shape, unreadable json, or a header that
claims more pixels than the file holds) is deleted and the caller decodes again; the
``.npy`` header is checked against the file's size before any array is allocated.
Entries are not fsynced: after a power cut the worst case is a damaged entry, which is
detected and rebuilt.

The cache keeps to :func:`core.disk.quota_bytes`: after each write the entries read least
recently are deleted until it fits, and an entry larger than the quota is not written.
Temporary files of a killed write are swept the first time a process uses the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from core import disk
from core.data.faceset import SkippedFile
from core.data.images import DECODER_VERSION
from core.paths import data_dir

#: Bump when the files' format changes.
CACHE_FORMAT = 3
INFO_COLUMNS = ("width", "height", "format", "mode", "bytes")
#: The extra info column of a native-resolution decode (see :func:`core.data.images.decode_native_with_info`).
NATIVE_FACTOR = "native_factor"


@dataclass(frozen=True)
class Decoded:
    """The decoded part of a data set.

    Attributes
    ----------
    images : ndarray of uint8, shape (k, size, size, 3), or of object, shape (k,)
        Pixels of the files that decoded; at native resolution one ``(h, w, 3)`` array each.
    kept : ndarray of int, shape (k,)
        Their positions in the listing they came from, ascending.
    info : DataFrame, k rows
        :data:`INFO_COLUMNS` for each of them (and :data:`NATIVE_FACTOR` for a native decode).
    skipped : tuple of SkippedFile
        Files that could not be decoded, with the reason.
    """

    images: np.ndarray
    kept: np.ndarray
    info: pd.DataFrame
    skipped: tuple[SkippedFile, ...]


def cache_dir() -> Path:
    """Where cache entries live (not created until something is written)."""
    return data_dir() / "cache"


def cache_key(
    root: str | os.PathLike[str], *, layout: str, paths: Sequence[str], image_size: int | str
) -> str:
    """A hex key naming the decoded form of ``paths`` under ``root`` as they are on disk now.

    ``image_size`` names the decoded form: a side in pixels, or a string such as
    ``"native<=512"`` for a native-resolution decode.
    It covers ``root`` itself (resolved) and every byte of every file, so any change to
    a file, or another folder with the same names, gives another key.

    Raises
    ------
    OSError
        If one of the files cannot be examined or read.
    """
    base = Path(root).resolve()
    digest = hashlib.sha256()
    header = {"format": CACHE_FORMAT, "decoder": DECODER_VERSION, "layout": layout, "size": image_size}
    header["root"] = os.fsdecode(base)  # json.dumps escapes what is not UTF-8
    digest.update(json.dumps(header, sort_keys=True).encode())
    for path in sorted(paths):
        file = base / path
        stat = os.stat(file)
        digest.update(os.fsencode(path) + f"\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
        digest.update(_content_digest(file) + b"\n")
    return digest.hexdigest()[:40]


def read_cache(key: str, paths: Sequence[str]) -> Decoded | None:
    """The entry ``key`` re-ordered to match ``paths``, or None if absent or damaged.

    A damaged entry is deleted, so the next :func:`write_cache` replaces it; an entry read
    is marked used (see :func:`core.disk.evict`).
    """
    disk.sweep_once(cache_dir())
    meta_file, array_file = _files(key)
    if not meta_file.is_file():
        return None
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        images = _load_pixels(array_file, meta["shape"])
        found = _match(meta, images, key, paths)
    except (OSError, ValueError, EOFError, KeyError, TypeError, MemoryError):
        _remove(key)
        return None
    disk.touch(meta_file, array_file)
    return found


def write_cache(key: str, decoded: Decoded, paths: Sequence[str]) -> bool:
    """Store ``decoded`` (made from ``paths``) as entry ``key``; False if the disk refused.

    A cache that cannot be written (read-only or full disk, or an entry larger than the
    quota) only costs speed, so the error is not raised. Older entries are evicted to keep
    the cache under :func:`core.disk.quota_bytes`.

    Raises
    ------
    ConfigError
        If ``UNMASK_DISK_QUOTA_MB`` is not a number of megabytes.
    """
    disk.sweep_once(cache_dir())
    quota = disk.quota_bytes()
    ragged = decoded.images.dtype == object
    pixels = _flatten(decoded.images) if ragged else decoded.images
    if pixels.nbytes > quota:
        return False
    meta = {
        "format": CACHE_FORMAT,
        "key": key,
        "shape": list(pixels.shape),
        "paths": [paths[i] for i in decoded.kept],
        "info": {c: decoded.info[c].tolist() for c in decoded.info.columns},
        "skipped": [[s.path, s.reason] for s in decoded.skipped],
    }
    if ragged:
        meta["shapes"] = [list(image.shape) for image in decoded.images]
    meta_file, array_file = _files(key)
    try:
        meta_file.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(array_file, lambda f: np.save(f, pixels, allow_pickle=False))
        _atomic_write(meta_file, lambda f: f.write(json.dumps(meta).encode("utf-8")))
    except OSError:
        return False
    disk.evict(cache_dir(), quota=quota, keep={key})
    return True


def clear_cache() -> int:
    """Delete every cache entry; returns how many files were removed."""
    removed = 0
    if cache_dir().is_dir():
        for file in cache_dir().iterdir():
            if file.is_file():
                file.unlink(missing_ok=True)
                removed += 1
    return removed


def _content_digest(file: Path) -> bytes:
    with open(file, "rb") as opened:
        return hashlib.file_digest(opened, lambda: hashlib.blake2b(digest_size=16)).digest()


def _load_pixels(array_file: Path, shape: Sequence[int]) -> np.ndarray:
    """The entry's pixels, once its header matches ``shape``, uint8, and the file's own size.

    A header is only a claim: one that says 10^6 images of 512 px must not allocate 786 GB
    before the short file gives it away.
    """
    with open(array_file, "rb") as file:
        version = np.lib.format.read_magic(file)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"cache entry has .npy version {version}")
        read_header = (
            np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        )
        found, fortran, dtype = read_header(file)
        expected = file.tell() + int(np.prod(found, dtype=object))
    if list(found) != list(shape) or fortran or dtype != np.uint8 or array_file.stat().st_size != expected:
        raise ValueError("cache entry header does not match its file")
    return np.load(array_file, allow_pickle=False)


def _match(meta: dict, images: np.ndarray, key: str, paths: Sequence[str]) -> Decoded:
    """Check the entry is whole, then put its rows in the order of ``paths``."""
    cached = meta["paths"]
    if meta["format"] != CACHE_FORMAT or meta["key"] != key or images.dtype != np.uint8:
        raise ValueError("cache entry does not match")
    if list(images.shape) != meta["shape"]:
        raise ValueError("cache entry has the wrong shape")
    if "shapes" in meta:
        images = _unflatten(images, meta["shapes"])
    elif images.ndim != 4:
        raise ValueError("cache entry has the wrong shape")
    if images.shape[0] != len(cached):
        raise ValueError("cache entry has the wrong shape")
    position = {path: i for i, path in enumerate(paths)}
    kept = np.array([position[p] for p in cached], dtype=int)
    order = np.argsort(kept, kind="stable")
    columns = [*INFO_COLUMNS, *([NATIVE_FACTOR] if NATIVE_FACTOR in meta["info"] else [])]
    info = pd.DataFrame({c: meta["info"][c] for c in columns})
    if len(info) != len(cached):
        raise ValueError("cache entry info has the wrong length")
    if not np.array_equal(order, np.arange(len(order))):
        images, kept, info = images[order], kept[order], info.iloc[order].reset_index(drop=True)
    skipped = tuple(SkippedFile(path, reason) for path, reason in meta["skipped"])
    return Decoded(images=images, kept=kept, info=info, skipped=skipped)


def _flatten(images: np.ndarray) -> np.ndarray:
    """One flat uint8 array holding every image of a ragged set, in order."""
    return np.concatenate([image.reshape(-1) for image in images]) if len(images) else np.zeros(0, np.uint8)


def _unflatten(flat: np.ndarray, shapes: list[list[int]]) -> np.ndarray:
    """The ragged set :func:`_flatten` made, from its shapes; ValueError if they do not add up."""
    if flat.ndim != 1 or any(len(shape) != 3 for shape in shapes):
        raise ValueError("cache entry has the wrong shape")
    sizes = [int(np.prod(shape)) for shape in shapes]
    if sum(sizes) != flat.size:
        raise ValueError("cache entry has the wrong size")
    out = np.empty(len(shapes), dtype=object)
    offsets = np.cumsum([0, *sizes])
    for i, shape in enumerate(shapes):
        out[i] = flat[offsets[i] : offsets[i + 1]].reshape(shape)
    return out


def _files(key: str) -> tuple[Path, Path]:
    return cache_dir() / f"{key}.json", cache_dir() / f"{key}.npy"


def _remove(key: str) -> None:
    for file in _files(key):
        with contextlib.suppress(OSError):
            file.unlink(missing_ok=True)


def _atomic_write(target: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write through a temporary file in the same folder, then rename over ``target``."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=disk.temp_prefix(), suffix=target.suffix)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
