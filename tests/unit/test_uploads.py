"""Tests for core.data.uploads: unpacking a .zip safely, once, and refusing unsafe archives."""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import zipfile
from pathlib import Path

import pytest

from core.data import uploads
from core.data.uploads import extract_zip
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


def _zip(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in entries.items():
            archive.writestr(zipfile.ZipInfo(name), content, compress_type=compression)
    return buffer.getvalue()


def _patch_central(data: bytes, offset: int, value: bytes) -> bytes:
    """Overwrite bytes of the first central-directory header (what infolist reads)."""
    start = data.index(b"PK\x01\x02")
    return data[: start + offset] + value + data[start + offset + len(value) :]


def _uploads() -> list[str]:
    folder = data_dir() / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_extract_zip_returns_single_top_folder(tmp_path):
    data = _zip({"faces/real/a.jpg": b"aaa", "faces/fake/b.jpg": b"bbb", "faces/": b""})
    folder = extract_zip(data)
    digest = hashlib.sha256(data).hexdigest()
    assert folder == data_dir() / "uploads" / digest / "faces"
    assert (folder / "real" / "a.jpg").read_bytes() == b"aaa"
    assert (folder / "fake" / "b.jpg").read_bytes() == b"bbb"


def test_extract_zip_several_top_entries_returns_unpacked_folder():
    data = _zip({"real/a.jpg": b"a", "fake/b.jpg": b"b", "labels.csv": b"path,label\n"})
    folder = extract_zip(data)
    assert folder == data_dir() / "uploads" / hashlib.sha256(data).hexdigest()
    assert sorted(p.name for p in folder.iterdir()) == ["fake", "labels.csv", "real"]


def test_extract_zip_same_content_reuses_folder(tmp_path):
    data = _zip({"faces/real/a.jpg": b"aaa"})
    first = extract_zip(data)
    (first / "marker").write_text("still here")
    archive = tmp_path / "upload.zip"
    archive.write_bytes(data)
    assert extract_zip(archive) == first
    assert (first / "marker").exists()
    assert len(_uploads()) == 1


def test_extract_zip_leaves_out_macos_junk():
    data = _zip({"faces/a.jpg": b"a", "__MACOSX/faces/._a.jpg": b"x", "faces/.DS_Store": b"x"})
    folder = extract_zip(data)
    assert [p.name for p in folder.iterdir()] == ["a.jpg"]


def test_extract_zip_not_a_zip_raises():
    with pytest.raises(UploadError, match=re.escape(UPLOAD_NOT_ZIP)):
        extract_zip(b"this is a text file, not an archive")


def test_extract_zip_over_size_limit_raises(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UPLOAD_MB", 1)
    data = os.urandom(2 * 1024 * 1024)
    with pytest.raises(UploadError, match=re.escape(UPLOAD_TOO_BIG.format(size_mb=2.0, limit_mb=1))):
        extract_zip(data)


@pytest.mark.parametrize(
    "name", ["../evil.txt", "/etc/evil.txt", "faces/../../evil.txt", "C:\\evil.txt", "a\\..\\..\\e"]
)
def test_extract_zip_slip_is_refused_before_writing(tmp_path, name):
    data = _zip({"faces/ok.jpg": b"ok", name: b"evil"})
    with pytest.raises(UploadError, match=re.escape(UPLOAD_UNSAFE_PATH.format(entry=name))):
        extract_zip(data)
    assert _uploads() == []
    assert not (data_dir() / "evil.txt").exists()


def test_extract_zip_symlink_entry_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("faces/link.jpg")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(UploadError, match=re.escape(UPLOAD_SYMLINK.format(entry="faces/link.jpg"))):
        extract_zip(buffer.getvalue())


def test_extract_zip_encrypted_entry_is_refused():
    data = _patch_central(_zip({"secret.jpg": b"data"}), 8, b"\x01\x00")  # general purpose flag bit 0
    with pytest.raises(UploadError, match=re.escape(UPLOAD_ENCRYPTED.format(entry="secret.jpg"))):
        extract_zip(data)


def test_extract_zip_too_many_files_is_refused(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_FILES", 2)
    data = _zip({f"faces/{i}.jpg": b"x" for i in range(3)})
    with pytest.raises(UploadError, match=re.escape(UPLOAD_TOO_MANY_FILES.format(n=3, limit=2))):
        extract_zip(data)


def test_extract_zip_too_large_unpacked_is_refused(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UNPACKED_MB", 1)
    data = _zip({"a.bin": os.urandom(600 * 1024), "b.bin": os.urandom(600 * 1024)})
    expected = UPLOAD_TOO_LARGE_UNPACKED.format(size_mb=1200 / 1024, limit_mb=1)
    with pytest.raises(UploadError, match=re.escape(expected)):
        extract_zip(data)


def test_extract_zip_bomb_is_refused_before_writing():
    data = _zip({"zeros.bin": bytes(20 * 1024 * 1024)})
    (info,) = zipfile.ZipFile(io.BytesIO(data)).infolist()
    expected = UPLOAD_ZIP_BOMB.format(entry="zeros.bin", ratio=info.file_size / info.compress_size)
    with pytest.raises(UploadError, match=re.escape(expected)):
        extract_zip(data)
    assert _uploads() == []


def test_extract_zip_lying_size_header_is_refused():
    # The central directory claims 1,000 bytes; the entry really holds 2 MB of zeros.
    # zipfile stops at the declared size, so the checksum no longer matches.
    data = _zip({"zeros.bin": bytes(2 * 1024 * 1024)})
    data = _patch_central(data, 24, (1000).to_bytes(4, "little"))
    expected = UPLOAD_CORRUPT.format(reason="Bad CRC-32 for file 'zeros.bin'")
    with pytest.raises(UploadError, match=re.escape(expected)):
        extract_zip(data)
    assert _uploads() == []


def test_extract_zip_damaged_data_is_refused_and_cleaned_up():
    data = bytearray(_zip({"faces/a.txt": b"hello world " * 100}, compression=zipfile.ZIP_STORED))
    start = data.index(b"hello world")
    data[start : start + 5] = b"HELLO"  # CRC no longer matches
    expected = re.escape(UPLOAD_CORRUPT.format(reason="Bad CRC-32 for file 'faces/a.txt'"))
    with pytest.raises(UploadError, match=expected):
        extract_zip(bytes(data))
    assert _uploads() == []


def test_extract_zip_from_path(tmp_path):
    archive = tmp_path / "faces.zip"
    archive.write_bytes(_zip({"faces/real/a.jpg": b"a"}))
    assert extract_zip(Path(archive)).name == "faces"
