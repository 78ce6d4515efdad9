"""Training sets kept on disk: the same pixels as a load into memory, read a batch at a time."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from support.factories import write_tiny_folder

from core.data import datasets, ondisk
from core.data.ondisk import DiskImages, load_on_disk
from core.errors import ConfigError, DataError
from core.model import memory
from core.model.config import TrainConfig


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UNMASK_DATA_DIR", str(tmp_path / "data"))
    return write_tiny_folder(tmp_path / "faces", n_per_class=20, size=24)


def test_on_disk_set_holds_the_same_pixels_labels_and_info_as_one_in_memory(folder: Path) -> None:
    (folder / "real" / "broken.jpg").write_bytes(b"not an image")
    in_memory = datasets.load(folder, image_size=16, use_cache=False)
    on_disk = load_on_disk(datasets.scan(folder), image_size=16)
    assert isinstance(on_disk.images, DiskImages) and on_disk.images.shape == in_memory.images.shape
    np.testing.assert_array_equal(on_disk.images[:], in_memory.images)
    assert on_disk.paths == in_memory.paths
    np.testing.assert_array_equal(on_disk.labels, in_memory.labels)
    assert on_disk.info.equals(in_memory.info)
    assert [s.path for s in on_disk.skipped] == [s.path for s in in_memory.skipped] == ["real/broken.jpg"]


def test_rows_are_read_in_the_order_asked_by_int_slice_list_and_mask(folder: Path) -> None:
    faces = load_on_disk(datasets.scan(folder), image_size=16)
    whole = faces.images[:]
    np.testing.assert_array_equal(faces.images[[5, 0, 5, -1]], whole[[5, 0, 5, -1]])
    np.testing.assert_array_equal(faces.images[3], whole[3])
    np.testing.assert_array_equal(faces.images[2:9:3], whole[2:9:3])
    mask = np.zeros(len(whole), dtype=bool)
    mask[[1, 7]] = True
    np.testing.assert_array_equal(faces.images[mask], whole[mask])
    with pytest.raises(IndexError):
        faces.images[[len(whole)]]
    again = pickle.loads(pickle.dumps(faces.images))  # e.g. to a tf.data worker: reopened by path
    np.testing.assert_array_equal(again[[4]], whole[[4]])


def test_a_second_load_reads_the_file_instead_of_decoding(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_on_disk(datasets.scan(folder), image_size=16)
    monkeypatch.setattr(datasets, "decode_files", lambda *a, **k: pytest.fail("decoded again"))
    second = load_on_disk(datasets.scan(folder), image_size=16)
    assert second.images.path == first.images.path
    np.testing.assert_array_equal(second.images[:], first.images[:])


def test_a_file_cut_short_is_decoded_again(folder: Path) -> None:
    first = load_on_disk(datasets.scan(folder), image_size=16)
    whole = first.images[:]
    with open(first.images.path, "r+b") as f:
        f.truncate(100)
    second = load_on_disk(datasets.scan(folder), image_size=16)
    np.testing.assert_array_equal(second.images[:], whole)


def test_a_set_larger_than_the_disk_quota_is_refused_with_a_sentence(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UNMASK_DISK_QUOTA_MB", "1")
    expected = r"a file of 8 MB, more than the 1 MB the decode cache may use; raise UNMASK_DISK_QUOTA_MB"
    with pytest.raises(DataError, match=expected):
        load_on_disk(datasets.scan(folder), image_size=256)


def test_streaming_starts_above_the_threshold_and_shrinks_the_memory_estimate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    paper = TrainConfig(preset="paper")
    assert ondisk.pixel_bytes(10_000, 300) == 2_700_000_000
    assert memory.streams(paper, 10_000) and not memory.streams(paper, 1_000)
    assert not memory.streams(TrainConfig(preset="artifacts"), 100_000)
    monkeypatch.setenv("UNMASK_STREAM_ABOVE_MB", "1")
    assert memory.streams(TrainConfig(preset="fast"), 200)
    # Streamed, 100,000 images need no more memory than 2,048 held at once.
    held = memory.peak_bytes("paper", n_images=2048, image_size=300, batch_size=32)
    memory.check_fits(paper, n_images=100_000, available=held)
    with pytest.raises(ConfigError):
        memory.check_fits(paper, n_images=100_000, available=held - 1)
