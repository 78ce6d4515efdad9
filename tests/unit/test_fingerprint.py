"""Folder fingerprints: stable for the same files, new for any change."""

import os

import pytest

from core.data.fingerprint import FINGERPRINT_LENGTH, folder_fingerprint, is_fingerprint


@pytest.fixture()
def folder(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.jpg").write_bytes(b"aaaa")
    (tmp_path / "real" / "b.jpg").write_bytes(b"bb")
    return tmp_path


PATHS = ["real/a.jpg", "real/b.jpg"]


def test_fingerprint_is_stable_and_ignores_order(folder):
    key = folder_fingerprint(folder, PATHS)
    assert len(key) == FINGERPRINT_LENGTH and is_fingerprint(key)
    assert folder_fingerprint(folder, PATHS[::-1]) == key
    assert folder_fingerprint(folder / "real" / "..", PATHS) == key  # the resolved path counts


@pytest.mark.parametrize(
    "change",
    [
        lambda f: (f / "real" / "a.jpg").write_bytes(b"aaaaa"),  # size
        lambda f: os.utime(f / "real" / "b.jpg", ns=(1, 1)),  # modification time
        lambda f: (f / "real" / "b.jpg").rename(f / "real" / "c.jpg"),  # name
    ],
)
def test_fingerprint_changes_with_the_files(folder, change):
    before = folder_fingerprint(folder, PATHS)
    change(folder)
    paths = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.jpg"))
    assert folder_fingerprint(folder, paths) != before


def test_fingerprint_depends_on_the_folder_and_the_list(folder, tmp_path_factory):
    other = tmp_path_factory.mktemp("copy")
    (other / "real").mkdir()
    for path in PATHS:
        (other / path).write_bytes((folder / path).read_bytes())
        mtime = (folder / path).stat().st_mtime_ns
        os.utime(other / path, ns=(mtime, mtime))  # same names, sizes and times: only the folder differs
    assert folder_fingerprint(other, PATHS) != folder_fingerprint(folder, PATHS)
    assert folder_fingerprint(folder, PATHS[:1]) != folder_fingerprint(folder, PATHS)


def test_fingerprint_of_a_missing_file_raises(folder):
    with pytest.raises(FileNotFoundError):
        folder_fingerprint(folder, ["real/none.jpg"])


@pytest.mark.parametrize("key", ["", "../../etc/passwd", "0123456789ABCDEF0123", "0123456789abcdef012"])
def test_is_fingerprint_refuses_anything_else(key):
    assert not is_fingerprint(key)
