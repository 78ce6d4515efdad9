"""Tests for core.data.cache: keys that follow the files, safe writes, damaged entries rebuilt."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from core.data import cache, datasets
from core.data.cache import Decoded, cache_dir, cache_key, clear_cache, read_cache, write_cache
from core.data.datasets import load
from core.data.faceset import SkippedFile
from core.errors import DISK_QUOTA_BAD, ConfigError

PATHS = ("a.png", "b.png", "c.png")


def _files(root: Path, names: tuple[str, ...] = PATHS) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        Image.new("RGB", (8, 8), (i * 50, 0, 0)).save(root / name)
    return root


def _decoded(n: int = 2, size: int = 4) -> Decoded:
    images = np.arange(n * size * size * 3, dtype=np.uint8).reshape(n, size, size, 3)
    info = pd.DataFrame(
        {
            "width": [8] * n,
            "height": [8] * n,
            "format": ["PNG"] * n,
            "mode": ["RGB"] * n,
            "bytes": [70 + i for i in range(n)],
        }
    )
    return Decoded(
        images=images, kept=np.array([0, 2][:n]), info=info, skipped=(SkippedFile("b.png", "bad"),)
    )


def _key(root: Path, **changes: object) -> str:
    options = {"layout": "real_fake_folders", "paths": PATHS, "image_size": 4} | changes
    return cache_key(root, **options)


def test_cache_key_is_stable_and_ignores_order(tmp_path):
    root = _files(tmp_path)
    assert _key(root) == _key(root)
    assert _key(root) == _key(root, paths=tuple(reversed(PATHS)))


@pytest.mark.parametrize("change", [{"layout": "labels_csv"}, {"image_size": 8}, {"paths": PATHS[:2]}])
def test_cache_key_changes_with_settings(tmp_path, change):
    root = _files(tmp_path)
    assert _key(root, **change) != _key(root)


def test_cache_key_changes_when_a_file_changes(tmp_path):
    root = _files(tmp_path)
    before = _key(root)
    stat = (root / "a.png").stat()
    os.utime(root / "a.png", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert _key(root) != before


def test_read_cache_absent_returns_none():
    assert read_cache("0" * 40, PATHS) is None


def test_write_cache_then_read_gives_the_same(tmp_path):
    decoded = _decoded()
    assert write_cache("k1", decoded, PATHS) is True
    back = read_cache("k1", PATHS)
    np.testing.assert_array_equal(back.images, decoded.images)
    assert back.kept.tolist() == [0, 2]
    pd.testing.assert_frame_equal(back.info, decoded.info)
    assert back.skipped == decoded.skipped
    assert sorted(p.name for p in cache_dir().iterdir()) == ["k1.json", "k1.npy"]


def test_read_cache_reorders_to_the_listing(tmp_path):
    decoded = _decoded()
    write_cache("k2", decoded, PATHS)
    back = read_cache("k2", ("c.png", "b.png", "a.png"))  # c is now 0, a is now 2
    assert back.kept.tolist() == [0, 2]
    np.testing.assert_array_equal(back.images, decoded.images[::-1])
    assert back.info["bytes"].tolist() == [71, 70]


@pytest.mark.parametrize(
    "damage",
    [
        lambda npy, meta: npy.write_bytes(npy.read_bytes()[:-10]),
        lambda npy, meta: np.save(npy, np.zeros((2, 5, 4, 3), dtype=np.uint8)),
        lambda npy, meta: np.save(npy, np.zeros((2, 4, 4, 3), dtype=np.float32)),
        lambda npy, meta: meta.write_text("{not json"),
        lambda npy, meta: npy.unlink(),
    ],
    ids=["truncated", "wrong-shape", "wrong-dtype", "bad-json", "missing-npy"],
)
def test_read_cache_damaged_entry_is_deleted(damage):
    write_cache("k3", _decoded(), PATHS)
    damage(cache_dir() / "k3.npy", cache_dir() / "k3.json")
    assert read_cache("k3", PATHS) is None
    assert list(cache_dir().iterdir()) == []


def test_write_cache_failure_leaves_no_partial_file(monkeypatch):
    def broken_save(file, array, allow_pickle):
        file.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(cache.np, "save", broken_save)
    assert write_cache("k4", _decoded(), PATHS) is False
    assert list(cache_dir().iterdir()) == []


def test_clear_cache_counts_removed_files():
    write_cache("k5", _decoded(), PATHS)
    assert clear_cache() == 2
    assert clear_cache() == 0


def test_load_second_time_uses_cache(tmp_path, monkeypatch):
    root = tmp_path / "data"
    _files(root / "real")
    first = load(root, image_size=8)
    monkeypatch.setattr(datasets, "decode_files", lambda *a, **k: pytest.fail("decoded again"))
    second = load(root, image_size=8)
    np.testing.assert_array_equal(second.images, first.images)
    pd.testing.assert_frame_equal(second.info, first.info)


def test_load_after_a_file_changed_decodes_again(tmp_path):
    root = tmp_path / "data"
    _files(root / "real")
    assert tuple(load(root, image_size=8).images[0, 0, 0]) == (0, 0, 0)
    Image.new("RGB", (8, 8), (0, 255, 0)).save(root / "real" / "a.png")
    stat = (root / "real" / "a.png").stat()
    os.utime(root / "real" / "a.png", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert tuple(load(root, image_size=8).images[0, 0, 0]) == (0, 255, 0)


def test_load_rebuilds_a_truncated_cache(tmp_path):
    root = tmp_path / "data"
    _files(root / "real")
    first = load(root, image_size=8)
    (npy,) = cache_dir().glob("*.npy")
    npy.write_bytes(npy.read_bytes()[:100])
    np.testing.assert_array_equal(load(root, image_size=8).images, first.images)
    np.testing.assert_array_equal(load(root, image_size=8).images, first.images)


def test_load_hard_set_cached_is_identical(hard_set_dir):
    cold = load(hard_set_dir, image_size=64)
    warm = load(hard_set_dir, image_size=64)
    assert warm.paths == cold.paths
    np.testing.assert_array_equal(warm.images, cold.images)
    assert len(list(cache_dir().glob("*.npy"))) == 1


# --- an exact key: the folder and every file's bytes -------------------------------------------------


def _twin_folders(tmp_path: Path) -> tuple[Path, Path]:
    """Two folders with the same names, sizes and times but other pixels (BMP: its size is fixed)."""
    folders = []
    for name, colour in (("one", (255, 0, 0)), ("two", (0, 0, 255))):
        root = tmp_path / name / "real"
        root.mkdir(parents=True)
        Image.new("RGB", (8, 8), colour).save(root / "a.bmp")
        os.utime(root / "a.bmp", ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
        folders.append(root.parent)
    assert (folders[0] / "real/a.bmp").stat().st_size == (folders[1] / "real/a.bmp").stat().st_size
    return folders[0], folders[1]


def test_twin_folders_never_share_cached_pixels(tmp_path):
    one, two = _twin_folders(tmp_path)
    assert tuple(load(one, image_size=8).images[0, 0, 0]) == (255, 0, 0)
    assert tuple(load(two, image_size=8).images[0, 0, 0]) == (0, 0, 255)
    assert cache_key(one, layout="real_fake_folders", paths=("real/a.bmp",), image_size=8) != cache_key(
        two, layout="real_fake_folders", paths=("real/a.bmp",), image_size=8
    )


def test_a_file_rewritten_with_the_same_size_and_time_is_decoded_again(tmp_path):
    one, _ = _twin_folders(tmp_path)
    assert tuple(load(one, image_size=8).images[0, 0, 0]) == (255, 0, 0)
    Image.new("RGB", (8, 8), (0, 255, 0)).save(one / "real/a.bmp")  # same size, new pixels
    os.utime(one / "real/a.bmp", ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    assert tuple(load(one, image_size=8).images[0, 0, 0]) == (0, 255, 0)


def _claim_huge_shape(npy: Path, meta: Path) -> None:
    """Rewrite the entry so that both its .npy header and its .json claim 10^6 images of 512 px."""
    shape = (1_000_000, 512, 512, 3)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": shape})
    npy.write_bytes(header.getvalue() + b"\0" * 100)
    values = json.loads(meta.read_text())
    meta.write_text(json.dumps({**values, "shape": list(shape)}))


def test_read_cache_entry_claiming_a_huge_shape_is_deleted_not_a_memory_error():
    write_cache("k6", _decoded(), PATHS)
    _claim_huge_shape(cache_dir() / "k6.npy", cache_dir() / "k6.json")
    assert read_cache("k6", PATHS) is None
    assert list(cache_dir().iterdir()) == []


def test_load_rebuilds_an_entry_claiming_a_huge_shape(tmp_path, monkeypatch):
    root = tmp_path / "data"
    _files(root / "real")
    first = load(root, image_size=8)
    (npy,) = cache_dir().glob("*.npy")
    _claim_huge_shape(npy, npy.with_suffix(".json"))
    np.testing.assert_array_equal(load(root, image_size=8).images, first.images)  # rebuilt
    monkeypatch.setattr(datasets, "decode_files", lambda *a, **k: pytest.fail("decoded again"))
    np.testing.assert_array_equal(load(root, image_size=8).images, first.images)  # and used


# --- the cache keeps to its quota; a killed write leaves nothing for long ---------------------------


def _big(size: int = 256) -> Decoded:
    """Two images of ``size`` px (384 kB at 256 px), as :func:`_decoded` lays them out."""
    small = _decoded()
    return Decoded(np.zeros((2, size, size, 3), dtype=np.uint8), small.kept, small.info, small.skipped)


def _age(key: str, seconds: float) -> None:
    for file in cache_dir().glob(f"{key}.*"):
        when = file.stat().st_mtime - seconds
        os.utime(file, (when, when))


def _keys() -> list[str]:
    return sorted({p.name.split(".")[0] for p in cache_dir().iterdir()})


def test_write_cache_over_the_quota_evicts_the_least_recently_used(monkeypatch):
    monkeypatch.setenv("UNMASK_DISK_QUOTA_MB", "1")
    write_cache("k1", _big(), PATHS)
    write_cache("k2", _big(), PATHS)
    _age("k1", 30), _age("k2", 20)
    assert read_cache("k1", PATHS) is not None  # used: now the most recent
    write_cache("k3", _big(), PATHS)
    assert _keys() == ["k1", "k3"]


def test_write_cache_of_an_entry_larger_than_the_quota_writes_nothing(monkeypatch):
    monkeypatch.setenv("UNMASK_DISK_QUOTA_MB", "1")
    write_cache("k1", _big(), PATHS)
    assert write_cache("k2", _big(512), PATHS) is False  # 1.5 MB
    assert _keys() == ["k1"]


@pytest.mark.parametrize("value", ["0", "-5", "lots", "1.5"])
def test_a_bad_quota_is_a_sentence(monkeypatch, value):
    monkeypatch.setenv("UNMASK_DISK_QUOTA_MB", value)
    expected = DISK_QUOTA_BAD.format(variable="UNMASK_DISK_QUOTA_MB", value=value)
    with pytest.raises(ConfigError, match=re.escape(expected)):
        write_cache("k1", _decoded(), PATHS)


def test_a_killed_write_is_swept_when_the_cache_is_first_used(tmp_path):
    cache_dir().mkdir(parents=True)
    dead = _dead_pid()
    orphan = cache_dir() / f".tmp-{dead}-abcd1234.npy"
    orphan.write_bytes(bytes(4096))
    old, young = cache_dir() / ".tmp-oldname1.npy", cache_dir() / ".tmp-newname1.npy"
    old.write_bytes(b"x"), young.write_bytes(b"x")
    os.utime(old, (0, 0))
    mine = cache_dir() / f".tmp-{os.getpid()}-efgh5678.npy"  # this process may be writing it
    mine.write_bytes(b"x")
    root = tmp_path / "data"
    _files(root / "real")
    load(root, image_size=8)
    assert [p.exists() for p in (orphan, old, young, mine)] == [False, False, True, True]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid
