"""Tests for core.data.uploads: unpacking a .zip safely, once, and refusing unsafe archives."""

from __future__ import annotations

import hashlib
import io
import os
import random
import re
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from core.data import uploads
from core.data.uploads import extract_zip
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


# --- a budget for the whole archive: small entries and folders count too --------------------------


def test_extract_zip_many_small_entries_that_expand_together_are_refused():
    """Each entry is under RATIO_MIN_BYTES, so none is ratio-checked alone: 21 kB -> 20 MB."""
    data = _zip({f"faces/{i}.png": bytes(1000 * 1024) for i in range(20)})
    unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    expected = UPLOAD_ARCHIVE_RATIO.format(
        size_kb=len(data) / 1024, unpacked_mb=unpacked / 2**20, ratio=unpacked / len(data)
    )
    with pytest.raises(UploadError, match=re.escape(expected)):
        extract_zip(data)
    assert _uploads() == []


def test_extract_zip_of_ordinary_photos_passes_the_archive_ratio():
    data = _zip(
        {f"faces/{i}.jpg": os.urandom(300 * 1024) for i in range(8)} | {"faces/labels.csv": bytes(50_000)}
    )
    assert extract_zip(data).name == "faces"


@pytest.mark.parametrize(
    "names",
    [
        [f"d{i}/" for i in range(uploads.MAX_FOLDERS + 1)],  # folder entries
        [f"d{i}/a.jpg" for i in range(uploads.MAX_FOLDERS + 1)],  # folders implied by file names
        ["/".join(f"d{j}" for j in range(uploads.MAX_FOLDERS + 1)) + "/a.jpg"],  # one deep chain
    ],
    ids=["folder-entries", "implied-folders", "deep-chain"],
)
def test_extract_zip_too_many_folders_are_refused(names):
    data = _zip(dict.fromkeys(names, b""))
    expected = UPLOAD_TOO_MANY_FOLDERS.format(n=uploads.MAX_FOLDERS + 1, limit=uploads.MAX_FOLDERS)
    with pytest.raises(UploadError, match=re.escape(expected)):
        extract_zip(data)
    assert _uploads() == []


def test_extract_zip_counts_each_small_file_as_a_whole_disk_block(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UNPACKED_MB", 1)
    data = _zip({f"faces/{i}.jpg": b"x" for i in range(300)}, compression=zipfile.ZIP_STORED)
    expected = UPLOAD_TOO_LARGE_UNPACKED.format(size_mb=(300 + 1) * 4096 / 2**20, limit_mb=1)
    with pytest.raises(UploadError, match=re.escape(expected)):
        extract_zip(data)


# --- uploads/ stays under its quota; a killed unpacking leaves nothing behind ---------------------


def _photos(seed: int, kb: int = 300) -> bytes:
    """A stored archive of one incompressible 'photo': the same bytes for the same seed."""
    noise = random.Random(seed).randbytes(kb * 1024)
    return _zip({f"faces{seed}/real/a.jpg": noise}, compression=zipfile.ZIP_STORED)


def test_uploads_over_the_quota_evict_the_least_recently_used(monkeypatch):
    monkeypatch.setenv("UNMASK_DISK_QUOTA_MB", "1")
    first, second, third = (extract_zip(_photos(i)) for i in range(3))
    _age(first.parent, 30), _age(second.parent, 20), _age(third.parent, 10)
    assert extract_zip(_photos(0)) == first  # used again: now the most recent
    fourth = extract_zip(_photos(3))
    assert [p.exists() for p in (first, second, third, fourth)] == [True, False, True, True]


def test_upload_larger_than_the_quota_is_refused(monkeypatch):
    monkeypatch.setenv("UNMASK_DISK_QUOTA_MB", "1")
    data = _zip({"faces/a.jpg": os.urandom(1100 * 1024)}, compression=zipfile.ZIP_STORED)
    expected = UPLOAD_TOO_LARGE_UNPACKED.format(size_mb=1100 * 1024 / 2**20 + 4096 / 2**20, limit_mb=1)
    with pytest.raises(UploadError, match=re.escape(expected)):
        extract_zip(data)


def test_a_killed_unpacking_is_swept_at_the_next_upload(tmp_path):
    dead = _dead_pid()
    orphan = data_dir() / "uploads" / f".tmp-{dead}-abcd1234"
    (orphan / "faces").mkdir(parents=True)
    (orphan / "faces" / "big.bin").write_bytes(bytes(1024))
    mine = data_dir() / "uploads" / f".tmp-{os.getpid()}-efgh5678"
    mine.mkdir()
    extract_zip(_photos(9))
    assert not orphan.exists()
    assert mine.exists()  # this process may still be unpacking it


def _age(path: Path, seconds: float) -> None:
    when = path.stat().st_mtime - seconds
    os.utime(path, (when, when))


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid
