"""Decoded images kept on disk, so a data set is decoded once per image size.

Each entry is two files under ``data_dir()/cache/``: ``<key>.npy`` with the pixels (read
back with ``allow_pickle=False``, never a pickle) and ``<key>.json`` with which files they
are, their :class:`~core.data.images.ImageInfo` and the files that failed to decode. Images
decoded at native resolution, each its own size, are stored as one flat uint8 array with
their shapes in the json.

The key hashes the layout, every file's relative path, size and modification time (ns),
the image size and :data:`~core.data.images.DECODER_VERSION`, so a cache whose files changed
is never used: it simply is not found. Entries are written to a temporary file and
moved into place with ``os.replace`` (the ``.npy`` first, the ``.json`` last), so another
process sees a whole entry or none. An entry that fails to read back (truncated, wrong
shape, unreadable json) is deleted and the caller decodes again. Entries are not fsynced:
after a power cut the worst case is a damaged entry, which is detected and rebuilt.
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

from core.data.faceset import SkippedFile
from core.data.images import DECODER_VERSION
from core.paths import data_dir

#: Bump when the files' format changes.
CACHE_FORMAT = 1
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

    Raises
    ------
    OSError
        If one of the files cannot be examined (``os.stat``).
    """
    digest = hashlib.sha256()
    header = {"format": CACHE_FORMAT, "decoder": DECODER_VERSION, "layout": layout, "size": image_size}
    digest.update(json.dumps(header, sort_keys=True).encode())
    for path in sorted(paths):
        stat = os.stat(Path(root, path))
        digest.update(os.fsencode(path) + f"\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:40]


def read_cache(key: str, paths: Sequence[str]) -> Decoded | None:
    """The entry ``key`` re-ordered to match ``paths``, or None if absent or damaged.

    A damaged entry is deleted, so the next :func:`write_cache` replaces it.
    """
    meta_file, array_file = _files(key)
    if not meta_file.is_file():
        return None
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        images = np.load(array_file, allow_pickle=False)
        return _match(meta, images, key, paths)
    except (OSError, ValueError, EOFError, KeyError, TypeError):
        _remove(key)
        return None


def write_cache(key: str, decoded: Decoded, paths: Sequence[str]) -> bool:
    """Store ``decoded`` (made from ``paths``) as entry ``key``; False if the disk refused.

    A cache that cannot be written (read-only or full disk) only costs speed, so the
    error is not raised.
    """
    ragged = decoded.images.dtype == object
    pixels = _flatten(decoded.images) if ragged else decoded.images
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
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
