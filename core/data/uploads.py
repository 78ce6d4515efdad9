"""Unpack a data set a user uploaded as a .zip, refusing anything unsafe.

An archive is checked entry by entry *before* anything is written: no names that climb
out (``../``) or are absolute (zip slip), no links, no encrypted entries, not too many
files, not too much data once unpacked, and no entry that expands suspiciously (zip
bomb). Sizes are checked again while unpacking, in case the archive's header lies.
It is then unpacked into a temporary folder and renamed to
``data_dir()/uploads/<sha256 of the archive>/``, so the same upload is unpacked once and
never seen half-written. macOS's ``__MACOSX/`` and ``.DS_Store`` entries are left out.
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

from core.errors import (
    UPLOAD_CORRUPT,
    UPLOAD_ENCRYPTED,
    UPLOAD_NOT_ZIP,
    UPLOAD_SYMLINK,
    UPLOAD_TOO_BIG,
    UPLOAD_TOO_LARGE_UNPACKED,
    UPLOAD_TOO_MANY_FILES,
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
#: Entries smaller than this are not ratio-checked (a small csv may compress very well).
RATIO_MIN_BYTES = 1024 * 1024

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
    target = data_dir() / "uploads" / _sha256(data)
    if not target.is_dir():
        _unpack_new(data, target)
    return _data_folder(target)


def _unpack_new(data: bytes | Path, target: Path) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
    except (zipfile.BadZipFile, EOFError, ValueError) as error:
        raise UploadError(UPLOAD_NOT_ZIP) from error
    with archive:
        members = _checked_members(archive)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(dir=target.parent, prefix=".tmp-"))
        try:
            _unpack(archive, members, temporary)
            os.rename(temporary, target)
        except _UNPACK_FAILURES as error:
            if not target.is_dir():  # else another process unpacked the same upload first
                raise UploadError(UPLOAD_CORRUPT.format(reason=error)) from error
        finally:
            shutil.rmtree(temporary, ignore_errors=True)


def _checked_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The entries to unpack, after every safety check on the archive's directory."""
    members = [info for info in archive.infolist() if not _junk(info.filename)]
    if len(members) > MAX_FILES:
        raise UploadError(UPLOAD_TOO_MANY_FILES.format(n=len(members), limit=MAX_FILES))
    total = 0
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
        total += info.file_size
    if total > MAX_UNPACKED_MB * _MB:
        raise UploadError(UPLOAD_TOO_LARGE_UNPACKED.format(size_mb=total / _MB, limit_mb=MAX_UNPACKED_MB))
    return members


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
