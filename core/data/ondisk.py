"""Training sets larger than memory: decoded squares kept in a file, read a batch at a time.

A set whose decoded pixels would take more than :func:`stream_above_bytes` is decoded a chunk
at a time (:func:`core.data.datasets.decoded_chunks`) into one raw uint8 file under the decode
cache's folder, ``<key>.u8`` beside ``<key>.json`` (what the rows are: kept files, their info,
skipped ones). Its :class:`DiskImages` reads the rows a batch asks for with ``os.preadv`` into
a fresh array: the file is never mapped, so pages read stay in the kernel's page cache and
not in the process's memory, which stays bounded whatever the number of images.

The key is the decode cache's (:func:`core.data.cache.cache_key`: every file's bytes, the
folder, the size), so a second run on the same folder reads the file instead of decoding
again, and a changed folder is decoded anew. The entry counts against the cache's quota
(:func:`core.disk.quota_bytes`); one larger than the quota is refused with a sentence rather
than written. Entries are written under a temporary name and moved into place.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core import disk
from core.data.cache import INFO_COLUMNS, cache_dir, cache_key
from core.data.datasets import Progress, decoded_chunks
from core.data.faceset import FaceSet, SkippedFile
from core.errors import NO_VALID_IMAGES, STREAM_OVER_QUOTA, DataError

#: Decoded pixels above this many megabytes are kept on disk for training (``UNMASK_STREAM_ABOVE_MB``).
STREAM_ABOVE_VARIABLE = "UNMASK_STREAM_ABOVE_MB"
DEFAULT_STREAM_ABOVE_MB = 1024
SUFFIX = ".u8"
#: Images decoded at once while the file is written.
CHUNK = 256


def stream_above_bytes() -> int:
    """:data:`STREAM_ABOVE_VARIABLE` in bytes (default :data:`DEFAULT_STREAM_ABOVE_MB` MB)."""
    try:
        return max(1, int(os.environ.get(STREAM_ABOVE_VARIABLE, DEFAULT_STREAM_ABOVE_MB))) * 2**20
    except ValueError:
        return DEFAULT_STREAM_ABOVE_MB * 2**20


def pixel_bytes(n_images: int, image_size: int) -> int:
    """Bytes of ``n_images`` decoded ``image_size`` squares (uint8 RGB)."""
    return n_images * image_size * image_size * 3


class DiskImages:
    """Read-only ``(n, size, size, 3)`` uint8 images in a raw file, indexed like an array.

    ``images[i]``, ``images[a:b]`` and ``images[[i, j, ...]]`` read those rows (in that order)
    into a new array; nothing else is held. Pickles as its path (each process opens it anew).
    """

    def __init__(self, path: str | os.PathLike[str], n: int, size: int) -> None:
        self.path = Path(path)
        self.shape = (n, size, size, 3)
        self.dtype = np.dtype(np.uint8)
        self.ndim = 4
        self._row = size * size * 3
        self._fd = os.open(self.path, os.O_RDONLY)  # pread is safe from several threads at once

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def nbytes(self) -> int:
        return len(self) * self._row

    def __getitem__(self, key: Any) -> np.ndarray:
        n = len(self)
        if isinstance(key, int | np.integer):
            return self._read(np.array([int(key)]))[0]
        if isinstance(key, slice):
            return self._read(np.arange(n)[key])
        rows = np.asarray(key)
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        return self._read(rows.astype(np.int64).reshape(-1))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        whole = self[:]
        return whole if dtype is None else whole.astype(dtype)

    def __reduce__(self) -> tuple:
        return (DiskImages, (str(self.path), self.shape[0], self.shape[1]))

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            os.close(fd)

    def _read(self, rows: np.ndarray) -> np.ndarray:
        n = len(self)
        rows = np.where(rows < 0, rows + n, rows)
        if len(rows) and (rows.min() < 0 or rows.max() >= n):
            raise IndexError(f"row out of range for {n} images")
        out = np.empty((len(rows), *self.shape[1:]), dtype=np.uint8)
        flat = out.reshape(len(rows), -1)
        for j, row in enumerate(rows):
            got = os.preadv(self._fd, [memoryview(flat[j])], int(row) * self._row)
            if got != self._row:
                raise OSError(f"{self.path} ends early: row {row} of {n}")
        return out


def load_on_disk(listed: FaceSet, *, image_size: int, progress: Progress | None = None) -> FaceSet:
    """The files ``listed`` names as ``image_size`` squares in a file on disk (:class:`DiskImages`).

    Reuses the entry of an earlier load of the same files; else decodes them a chunk at a time.

    Raises
    ------
    DataError
        ``STREAM_OVER_QUOTA`` when the file would not fit the cache's quota;
        ``NO_VALID_IMAGES`` when no file decodes.
    """
    need = pixel_bytes(len(listed), image_size)
    quota = disk.quota_bytes()
    if need > quota:
        raise DataError(
            STREAM_OVER_QUOTA.format(
                n=len(listed), size=image_size, need_mb=need / 2**20, quota_mb=quota / 2**20
            )
        )
    key = cache_key(listed.root, layout=listed.layout, paths=listed.paths, image_size=f"disk{image_size}")
    folder = cache_dir()
    data, meta = folder / f"{key}{SUFFIX}", folder / f"{key}.json"
    entry = _read_entry(data, meta, image_size)
    if entry is None:
        entry = _write_entry(listed, image_size, data, meta, progress)
        disk.evict(folder, quota=quota, keep={key})
    elif progress is not None:
        progress(len(listed), len(listed))
    disk.touch(data, meta)
    kept, info, skipped = entry
    if len(kept) == 0:
        raise DataError(
            NO_VALID_IMAGES.format(path=listed.root, n_skipped=len(listed.skipped) + len(skipped))
        )
    return dataclasses.replace(
        listed.subset(kept),
        images=DiskImages(data, len(kept), image_size),
        image_size=image_size,
        info=info,
        skipped=listed.skipped + skipped,
    )


def _write_entry(
    listed: FaceSet, size: int, data: Path, meta: Path, progress: Progress | None
) -> tuple[np.ndarray, pd.DataFrame, tuple[SkippedFile, ...]]:
    data.parent.mkdir(parents=True, exist_ok=True)
    disk.sweep_once(data.parent)
    temp = data.parent / f"{disk.temp_prefix()}{data.name}"
    kept: list[np.ndarray] = []
    infos: list[pd.DataFrame] = []
    skipped: list[SkippedFile] = []
    try:
        with open(temp, "wb") as sink:
            for start, decoded in decoded_chunks(
                listed, form=("square", size), chunk_size=CHUNK, workers=None
            ):
                sink.write(np.ascontiguousarray(decoded.images).tobytes())
                kept.append(start + decoded.kept)
                infos.append(decoded.info)
                skipped.extend(decoded.skipped)
                if progress is not None:
                    progress(min(start + CHUNK, len(listed)), len(listed))
        os.replace(temp, data)
    finally:
        temp.unlink(missing_ok=True)
    index = np.concatenate(kept) if kept else np.zeros(0, dtype=int)
    info = pd.concat(infos, ignore_index=True) if infos else pd.DataFrame(columns=list(INFO_COLUMNS))
    record = {
        "n": len(index),
        "size": size,
        "kept": index.tolist(),
        "info": {c: info[c].tolist() for c in INFO_COLUMNS},
        "skipped": [[s.path, s.reason] for s in skipped],
    }
    temp_meta = meta.parent / f"{disk.temp_prefix()}{meta.name}"
    temp_meta.write_text(json.dumps(record), encoding="utf-8")
    os.replace(temp_meta, meta)
    return index, info, tuple(skipped)


def _read_entry(
    data: Path, meta: Path, size: int
) -> tuple[np.ndarray, pd.DataFrame, tuple[SkippedFile, ...]] | None:
    """The entry's kept positions, info and skipped files, or None when absent or not whole."""
    try:
        record = json.loads(meta.read_text(encoding="utf-8"))
        n = int(record["n"])
        if record["size"] != size or data.stat().st_size != pixel_bytes(n, size) or len(record["kept"]) != n:
            return None
        info = pd.DataFrame({c: record["info"][c] for c in INFO_COLUMNS})
        skipped = tuple(SkippedFile(str(p), str(r)) for p, r in record["skipped"])
        return np.asarray(record["kept"], dtype=int), info, skipped
    except (OSError, ValueError, KeyError, TypeError):
        return None
