"""Tests for core.data.split: the stratified seeded split and the duplicate (leakage) check."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.data.datasets import load
from core.data.split import leakage_report, split_indices, split_strata, three_way_split
from core.errors import (
    LEAKAGE_NO_SOURCE,
    OUT_OF_RANGE,
    SPLIT_STRATUM_TOO_SMALL,
    SPLIT_TOO_SMALL,
    ConfigError,
    DataError,
)

EIGHT = np.array([1, 1, 1, 1, 0, 0, 0, 0])


def test_split_indices_hard_set_sizes_match_the_paper():
    labels = np.array([1] * 589 + [0] * 700)
    train, val = split_indices(labels)
    assert (len(train), len(val)) == (966, 323)
    assert (labels[val].sum(), labels[train].sum()) == (148, 441)


def test_split_indices_pinned_result():
    # Pinned so a changed split (new library version, other machine) is noticed.
    train, val = split_indices(EIGHT, val_fraction=0.25, seed=0)
    assert train.tolist() == [0, 1, 2, 5, 6, 7]
    assert val.tolist() == [3, 4]


def test_split_indices_same_seed_same_split_other_seed_differs():
    labels = np.array([1, 0] * 50)
    first, again, other = (split_indices(labels, seed=s)[1] for s in (7, 7, 8))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_split_indices_cover_everything_once_and_stratify():
    labels = np.array([1] * 30 + [0] * 10)
    train, val = split_indices(labels, val_fraction=0.5, seed=3)
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(40))
    assert (labels[val] == 1).sum() == 15


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_split_indices_fraction_out_of_range_raises(fraction):
    expected = OUT_OF_RANGE.format(name="val_fraction", low=0, high=1, value=fraction)
    with pytest.raises(ConfigError, match=re.escape(expected)):
        split_indices(EIGHT, val_fraction=fraction)


def test_split_indices_too_few_of_a_class_raises():
    expected = SPLIT_TOO_SMALL.format(n_real=1, n_fake=3, val_fraction=0.25)
    with pytest.raises(DataError, match=re.escape(expected)):
        split_indices(np.array([1, 0, 0, 0]))


def _folder_with_copy(root: Path) -> Path:
    for i, name in enumerate(["a.png", "b.png", "c.png"]):
        Image.new("RGB", (8, 8), (i * 60, 0, 0)).save(_mk(root / "real") / name)
    Image.new("RGB", (8, 8), (0, 0, 90)).save(_mk(root / "fake") / "d.png")
    shutil.copyfile(root / "real" / "a.png", root / "fake" / "copy_of_a.png")
    return root


def _mk(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_leakage_report_finds_byte_identical_pair(tmp_path):
    faceset = load(_folder_with_copy(tmp_path), image_size=8)
    index = {p: i for i, p in enumerate(faceset.paths)}
    train = np.array([index["real/a.png"], index["real/b.png"]])
    val = np.array([index["fake/copy_of_a.png"], index["fake/d.png"], index["real/c.png"]])
    assert leakage_report(faceset, train, val) == [("real/a.png", "fake/copy_of_a.png")]


def test_leakage_report_same_side_duplicates_are_not_leaks(tmp_path):
    faceset = load(_folder_with_copy(tmp_path), image_size=8)
    index = {p: i for i, p in enumerate(faceset.paths)}
    train = np.array([index["real/a.png"], index["fake/copy_of_a.png"]])
    val = np.array([index["real/b.png"], index["fake/d.png"]])
    assert leakage_report(faceset, train, val) == []


def test_leakage_report_uses_pixels_when_files_are_gone(tmp_path):
    faceset = load(_folder_with_copy(tmp_path), image_size=8)
    shutil.rmtree(tmp_path / "real")
    index = {p: i for i, p in enumerate(faceset.paths)}
    train, val = np.array([index["real/a.png"]]), np.array([index["fake/copy_of_a.png"]])
    assert leakage_report(faceset, train, val) == [("real/a.png", "fake/copy_of_a.png")]
    with pytest.raises(DataError, match=re.escape(LEAKAGE_NO_SOURCE.format(name=faceset.name))):
        leakage_report(faceset, train, val, source="files")


def test_leakage_report_hard_set_split_has_no_duplicates(hard_set_dir):
    faceset = load(hard_set_dir, image_size=16)
    train, val = split_indices(faceset.labels)
    assert (len(train), len(val)) == (966, 323)
    assert leakage_report(faceset, train, val) == []


def _sourced(counts: dict[tuple[str, int], int]):
    """A scanned-only FaceSet with a ``source`` column: ``counts[(source, label)]`` images each."""
    import pandas as pd

    from core.data.faceset import FaceSet

    sources, labels = [], []
    for (source, label), n in counts.items():
        sources += [source] * n
        labels += [label] * n
    paths = tuple(f"{s}/{i}.png" for i, s in enumerate(sources))
    return FaceSet("x", "/x", "sources", paths, np.array(labels, np.int8), pd.DataFrame({"source": sources}))


def test_split_strata_source_and_class_or_class_alone():
    faces = _sourced({("hard", 1): 2, ("lfw", 1): 1, ("poll", 0): 1})
    assert split_strata(faces).tolist() == ["hard/real", "hard/real", "lfw/real", "poll/fake"]
    plain = faces.subset(np.arange(4))
    plain = dataclasses.replace(plain, groups=plain.groups.drop(columns="source"))
    assert split_strata(plain).tolist() == ["real", "real", "real", "fake"]


def test_three_way_split_stratifies_by_source_and_class():
    faces = _sourced({("hard", 1): 40, ("hard", 0): 40, ("lfw", 1): 80, ("poll", 0): 40})
    train, val, test = three_way_split(faces, val_fraction=0.25, test_fraction=0.2, seed=0)
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(len(faces)))
    strata = split_strata(faces)
    for stratum, n in (("hard/real", 40), ("lfw/real", 80), ("poll/fake", 40)):
        assert (strata[test] == stratum).sum() == round(n * 0.2)
        assert (strata[val] == stratum).sum() == round(n * 0.8 * 0.25)


def test_three_way_split_test_images_are_the_same_for_every_seed():
    faces = _sourced({("a", 1): 30, ("a", 0): 30, ("b", 1): 30})
    first = three_way_split(faces, val_fraction=0.25, test_fraction=0.2, seed=0)
    other = three_way_split(faces, val_fraction=0.25, test_fraction=0.2, seed=1)
    np.testing.assert_array_equal(first[2], other[2])
    assert not np.array_equal(first[1], other[1])
    assert three_way_split(faces, val_fraction=0.25, seed=0)[2].size == 0


def test_three_way_split_without_sources_is_the_plain_split():
    labels = np.array([1] * 589 + [0] * 700)
    faces = _sourced({("hard", 1): 589, ("hard", 0): 700})
    faces = dataclasses.replace(faces, groups=faces.groups.drop(columns="source"))
    train, val, test = three_way_split(faces, val_fraction=0.25, seed=4)
    expected = split_indices(labels, val_fraction=0.25, seed=4)
    np.testing.assert_array_equal(train, expected[0])
    np.testing.assert_array_equal(val, expected[1])


def test_split_indices_too_small_stratum_names_it():
    faces = _sourced({("a", 1): 10, ("a", 0): 10, ("b", 1): 1})
    expected = SPLIT_STRATUM_TOO_SMALL.format(name="val_fraction", fraction=0.25, stratum="b/real", n=1)
    with pytest.raises(DataError, match=re.escape(expected)):
        three_way_split(faces, val_fraction=0.25, seed=0)
