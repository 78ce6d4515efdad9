"""Unpack a data set a user uploaded as a .zip, refusing anything unsafe.

An archive is checked entry by entry *before* anything is written: no names that climb
out (``../``) or are absolute (zip slip), no links, no encrypted entries, not too many
files or folders (named, or implied by a file's path), not too much disk once unpacked
(each file counted in whole 4 kB blocks, each folder as one), no entry that expands
suspiciously, and no archive that expands suspiciously as a whole: thousands of small
entries, none large enough to be judged alone, are still a zip bomb. Sizes are checked
again while unpacking, in case the archive's header lies.

It is then unpacked into a temporary folder (``.tmp-<pid>-...``, swept if the process is
killed; see :mod:`core.disk`) and renamed to ``data_dir()/uploads/<sha256 of the
archive>/``, so the same upload is unpacked once and never seen half-written. The
uploads folder keeps to :func:`core.disk.quota_bytes`: the uploads used least recently
are deleted to make room. macOS's ``__MACOSX/`` and ``.DS_Store`` entries are left out.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import IO

from core import disk
from core.errors import (
    UPLOAD_ARCHIVE_RATIO,
    UPLOAD_CORRUPT,
    UPLOAD_ENCRYPTED,
    UPLOAD_NOT_ZIP,
    UPLOAD_SYMLINK,
    UPLOAD_TOO_BIG,
    UPLOAD_TOO_LARGE_UNPACKED,
    UPLOAD_TOO_MANY_FILES,
    UPLOAD_TOO_MANY_FOLDERS,
    UPLOAD_UNSAFE_PATH,
    UPLOAD_ZIP_BOMB,
    UploadError,
)
from core.paths import data_dir

#: Largest archive accepted, in megabytes.
MAX_UPLOAD_MB = 200
#: Largest total size once unpacked, in megabytes.
MAX_UNPACKED_MB = 500
#: Most entries an archive may hold (the full UTKFace set has 23,708).
MAX_FILES = 50_000
#: Largest expansion of one entry; photos barely compress, zip bombs expand ~1000 times.
MAX_RATIO = 100
#: Entries smaller than this are not ratio-checked alone (a small csv may compress very well);
#: the archive as a whole is, once it unpacks to more than this.
RATIO_MIN_BYTES = 1024 * 1024
#: Most folders an archive may create, named or implied by its files' paths.
MAX_FOLDERS = 1_000
#: What one file or folder takes on disk at least: a file system block.
BLOCK = 4096

_CHUNK = 1024 * 1024
_MB = 1024 * 1024
_UNPACK_FAILURES = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError)


def extract_zip(data: bytes | Path) -> Path:
    """Unpack an uploaded .zip under ``data_dir()/uploads/`` and return the data folder.

    Parameters
    ----------
    data : bytes or Path
        The archive's content, or the path of the archive file.

    Returns
    -------
    Path
        The archive's single top-level folder when it has exactly one (as when a folder
        is zipped), else the folder it was unpacked into. The same content always gives
        the same folder, unpacked only the first time.

    Raises
    ------
    UploadError
        If the archive is too big, not a zip, damaged, or refused by a safety check;
        the message says which.
    """
    size = len(data) if isinstance(data, bytes) else Path(data).stat().st_size
    if size > MAX_UPLOAD_MB * _MB:
        raise UploadError(UPLOAD_TOO_BIG.format(size_mb=size / _MB, limit_mb=MAX_UPLOAD_MB))
    folder = uploads_dir()
    disk.sweep_once(folder)
    target = folder / _sha256(data)
    if target.is_dir():
        disk.touch(target)
    else:
        _unpack_new(data, target, size)
        disk.evict(folder, quota=disk.quota_bytes(), keep={target.name})
    return _data_folder(target)


def uploads_dir() -> Path:
    """Where uploads are unpacked (not created until something is written)."""
    return data_dir() / "uploads"


def _unpack_new(data: bytes | Path, target: Path, size: int) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
    except (zipfile.BadZipFile, EOFError, ValueError) as error:
        raise UploadError(UPLOAD_NOT_ZIP) from error
    with archive:
        members = _checked_members(archive, size)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(dir=target.parent, prefix=disk.temp_prefix()))
        try:
            _unpack(archive, members, temporary)
            os.rename(temporary, target)
        except _UNPACK_FAILURES as error:
            if not target.is_dir():  # else another process unpacked the same upload first
                raise UploadError(UPLOAD_CORRUPT.format(reason=error)) from error
        finally:
            shutil.rmtree(temporary, ignore_errors=True)


def _checked_members(archive: zipfile.ZipFile, size: int) -> list[zipfile.ZipInfo]:
    """The entries to unpack, after every safety check on the archive's directory (``size`` bytes)."""
    members = [info for info in archive.infolist() if not _junk(info.filename)]
    if len(members) > MAX_FILES:
        raise UploadError(UPLOAD_TOO_MANY_FILES.format(n=len(members), limit=MAX_FILES))
    n_folders = _count_folders(members)
    unpacked, cost = 0, n_folders * BLOCK
    for info in members:
        name = info.filename
        if _unsafe(name):
            raise UploadError(UPLOAD_UNSAFE_PATH.format(entry=name))
        if stat.S_ISLNK(info.external_attr >> 16):
            raise UploadError(UPLOAD_SYMLINK.format(entry=name))
        if info.flag_bits & 0x1:
            raise UploadError(UPLOAD_ENCRYPTED.format(entry=name))
        if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise UploadError(UPLOAD_ZIP_BOMB.format(entry=name, ratio=ratio))
        if not info.is_dir():
            unpacked += info.file_size
            cost += max(1, -(-info.file_size // BLOCK)) * BLOCK
    limit_mb = min(MAX_UNPACKED_MB, disk.quota_bytes() // _MB)
    if cost > limit_mb * _MB:
        raise UploadError(UPLOAD_TOO_LARGE_UNPACKED.format(size_mb=cost / _MB, limit_mb=limit_mb))
    if unpacked > max(RATIO_MIN_BYTES, MAX_RATIO * size):
        ratio = unpacked / max(size, 1)
        raise UploadError(
            UPLOAD_ARCHIVE_RATIO.format(size_kb=size / 1024, unpacked_mb=unpacked / _MB, ratio=ratio)
        )
    return members


def _count_folders(members: list[zipfile.ZipInfo]) -> int:
    """How many folders unpacking creates, named or implied by paths; refuses past :data:`MAX_FOLDERS`."""
    folders: set[str] = set()
    for info in members:
        parts = info.filename.replace("\\", "/").strip("/").split("/")
        prefix = ""
        for part in parts if info.is_dir() else parts[:-1]:
            prefix = f"{prefix}/{part}"
            folders.add(prefix)
            if len(folders) > MAX_FOLDERS:  # stop early: a deep chain of names costs its square
                raise UploadError(UPLOAD_TOO_MANY_FOLDERS.format(n=len(folders), limit=MAX_FOLDERS))
    return len(folders)


def _unpack(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], folder: Path) -> None:
    for info in members:
        out = folder / info.filename.replace("\\", "/")
        if not out.resolve().is_relative_to(folder.resolve()):
            raise UploadError(UPLOAD_UNSAFE_PATH.format(entry=info.filename))
        if info.is_dir():
            out.mkdir(parents=True, exist_ok=True)
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as source, open(out, "wb") as sink:
            _copy_at_most(source, sink, info)


def _copy_at_most(source: IO[bytes], sink: IO[bytes], info: zipfile.ZipInfo) -> None:
    """Copy one entry, refusing it if it grows past its declared size (a lying header)."""
    written = 0
    while chunk := source.read(_CHUNK):
        written += len(chunk)
        if written > info.file_size:
            ratio = written / max(info.compress_size, 1)
            raise UploadError(UPLOAD_ZIP_BOMB.format(entry=info.filename, ratio=ratio))
        sink.write(chunk)


def _unsafe(name: str) -> bool:
    """Whether an entry name is absolute or climbs out of the folder (zip slip)."""
    normal = name.replace("\\", "/")
    absolute = normal.startswith("/") or re.match(r"^[A-Za-z]:", normal) is not None
    return absolute or ".." in normal.split("/") or "\x00" in normal or not normal.strip("/")


def _junk(name: str) -> bool:
    normal = name.replace("\\", "/")
    return normal.startswith("__MACOSX/") or normal.rsplit("/", 1)[-1] == ".DS_Store"


def _sha256(data: bytes | Path) -> str:
    if isinstance(data, bytes):
        return hashlib.sha256(data).hexdigest()
    digest = hashlib.sha256()
    with open(data, "rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _data_folder(target: Path) -> Path:
    entries = list(target.iterdir())
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else target
