"""Tests for core.data.layouts: listing folders, labels.csv, data.csv and UTKFace names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from core.data.faceset import SkippedFile
from core.data.layouts import (
    check_data_csv,
    list_labels_csv,
    list_real_fake,
    list_utkface,
    looks_like_utkface,
    parse_label,
    parse_utkface_name,
)
from core.errors import (
    CSV_DISAGREES,
    DATA_CSV_BAD_LABEL,
    DATA_CSV_COLUMNS,
    LABELS_CSV_BAD_LABEL,
    LABELS_CSV_BAD_PATH,
    LABELS_CSV_COLUMNS,
    SKIP_BROKEN_LINK,
    SKIP_LINK_OUTSIDE,
    SKIP_LISTED_MISSING,
    SKIP_LISTED_TWICE,
    SKIP_UTKFACE_NAME,
    DataError,
)


def _jpeg(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), (90, 90, 90)).save(path, "JPEG")
    return path


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", 1), ("0", 0), ("real", 1), ("FAKE", 0), (" Real ", 1), ("yes", None), ("", None), ("2", None)],
)
def test_parse_label_cases(value, expected):
    assert parse_label(value) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("25_0_0_20170116174525125.jpg.chip.jpg", {"race": "White", "gender": "male", "age_band": "18-29"}),
        ("1_1_1_2017.jpg", {"race": "Black", "gender": "female", "age_band": "0-17"}),
        ("17_0_2_1.jpg", {"race": "Asian", "gender": "male", "age_band": "0-17"}),
        ("30_1_3_1.jpg", {"race": "Indian", "gender": "female", "age_band": "30-44"}),
        ("59_0_4_1.jpg", {"race": "Others", "gender": "male", "age_band": "45-59"}),
        ("60_0_4_1.png", {"race": "Others", "gender": "male", "age_band": "60+"}),
    ],
)
def test_parse_utkface_name_valid(name, expected):
    assert parse_utkface_name(name) == expected


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("61_1_20170109142408075.jpg.chip.jpg", "it has 3 fields instead of 4"),
        ("61_1_2_3_4.jpg", "it has 5 fields instead of 4"),
        ("x_1_2_3.jpg", "'x' is not a number"),
        ("40_2_1_3.jpg", "gender code 2 is not 0 or 1"),
        ("40_1_5_3.jpg", "race code 5 is not 0 to 4"),
        ("200_1_1_3.jpg", "age 200 is over 116"),
    ],
)
def test_parse_utkface_name_invalid_says_why(name, problem):
    with pytest.raises(ValueError, match=re.escape(problem)):
        parse_utkface_name(name)


def test_list_utkface_skips_unparsed_names_with_reason(tmp_path):
    _jpeg(tmp_path / "25_0_0_1.jpg.chip.jpg")
    _jpeg(tmp_path / "61_3_2.jpg.chip.jpg")
    (tmp_path / "README.txt").write_text("ignored")
    listing = list_utkface(tmp_path)
    assert listing.paths == ["25_0_0_1.jpg.chip.jpg"]
    assert listing.labels == [1]
    assert listing.groups == {"race": ["White"], "gender": ["male"], "age_band": ["18-29"]}
    reason = SKIP_UTKFACE_NAME.format(problem="it has 3 fields instead of 4")
    assert listing.skipped == [SkippedFile("61_3_2.jpg.chip.jpg", reason)]


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["1_0_0_1.jpg", "2_1_1_2.jpg", "a.jpg"], True),
        (["a.jpg", "b.jpg", "1_0_0_1.jpg"], False),
        ([], False),
    ],
)
def test_looks_like_utkface_needs_most_names(tmp_path, names, expected):
    for name in names:
        _jpeg(tmp_path / name)
    assert looks_like_utkface(tmp_path) is expected


def test_list_real_fake_recurses_and_sorts(tmp_path):
    for name in ["real/b.jpg", "real/a.jpg", "real/deep/er/c.png", "Fake/z.jpg"]:
        _jpeg(tmp_path / name)
    listing = list_real_fake(tmp_path)
    assert listing.paths == ["Fake/z.jpg", "real/a.jpg", "real/b.jpg", "real/deep/er/c.png"]
    assert listing.labels == [0, 1, 1, 1]


def test_list_real_fake_link_outside_is_not_followed(tmp_path):
    outside = tmp_path / "outside"
    _jpeg(outside / "secret.jpg")
    root = tmp_path / "data"
    _jpeg(root / "real" / "a.jpg")
    _jpeg(root / "fake" / "inside.jpg")
    (root / "real" / "escape.jpg").symlink_to(outside / "secret.jpg")
    (root / "real" / "folder").symlink_to(outside, target_is_directory=True)
    (root / "fake" / "alias.jpg").symlink_to(root / "fake" / "inside.jpg")
    listing = list_real_fake(root.resolve())
    assert listing.paths == ["fake/alias.jpg", "fake/inside.jpg", "real/a.jpg"]
    assert listing.skipped == [
        SkippedFile("real/folder", SKIP_LINK_OUTSIDE),
        SkippedFile("real/escape.jpg", SKIP_LINK_OUTSIDE),
    ]


@pytest.mark.parametrize(
    "csv_text",
    [
        "images_id,label\nreal_1,real\nfake_1,fake\n",
        "images_id,label\nreal/real_1.jpg,1\nfake/fake_1.jpg,0\n",
        "Images_ID , Label\nREAL_1.JPG,Real\nfake_1.jpg,FAKE\nnot_on_disk,fake\n",
    ],
)
def test_check_data_csv_agreeing_formats_pass(tmp_path, csv_text):
    paths, labels = ["fake/fake_1.jpg", "real/real_1.jpg", "real/real_2.jpg"], [0, 1, 1]
    check_data_csv(_csv(tmp_path / "data.csv", csv_text), paths, labels)


def test_check_data_csv_disagreement_names_first_mismatches(tmp_path):
    csv = _csv(tmp_path / "data.csv", "images_id,label\nreal_1,fake\nreal_2,real\nfake_1,real\n")
    expected = CSV_DISAGREES.format(
        n=2, examples="real/real_1.jpg (data.csv says fake); fake/fake_1.jpg (data.csv says real)"
    )
    with pytest.raises(DataError, match=re.escape(expected)):
        check_data_csv(csv, ["fake/fake_1.jpg", "real/real_1.jpg", "real/real_2.jpg"], [0, 1, 1])


def test_check_data_csv_same_name_in_both_folders_uses_the_path(tmp_path):
    csv = _csv(tmp_path / "data.csv", "images_id,label\nfake/x.jpg,fake\nreal/x.jpg,fake\n")
    expected = CSV_DISAGREES.format(n=1, examples="real/x.jpg (data.csv says fake)")
    with pytest.raises(DataError, match=re.escape(expected)):
        check_data_csv(csv, ["fake/x.jpg", "real/x.jpg"], [0, 1])


def test_check_data_csv_bad_label_raises_with_row(tmp_path):
    csv = _csv(tmp_path / "data.csv", "images_id,label\nreal_1,real\nreal_2,maybe\n")
    with pytest.raises(DataError, match=re.escape(DATA_CSV_BAD_LABEL.format(row=3, label="maybe"))):
        check_data_csv(csv, ["real/real_1.jpg"], [1])


def test_check_data_csv_missing_columns_raises(tmp_path):
    csv = _csv(tmp_path / "data.csv", "id,label\nreal_1,real\n")
    expected = DATA_CSV_COLUMNS.format(path=tmp_path, columns=["id", "label"])
    with pytest.raises(DataError, match=re.escape(expected)):
        check_data_csv(csv, ["real/real_1.jpg"], [1])


def test_list_labels_csv_reads_labels_groups_and_skips(tmp_path):
    for name in ["a.jpg", "sub/b.jpg", "c.jpg", "unlisted.jpg"]:
        _jpeg(tmp_path / name)
    _csv(
        tmp_path / "labels.csv",
        "path,label,skin_tone\na.jpg,real,light\nsub\\b.jpg,FAKE,\nmissing.jpg,1,dark\n"
        "a.jpg,0,dark\n./c.jpg, 0 ,medium\n",
    )
    listing = list_labels_csv(tmp_path)
    assert listing.paths == ["a.jpg", "sub/b.jpg", "c.jpg"]
    assert listing.labels == [1, 0, 0]
    assert listing.groups == {"skin_tone": ["light", "unknown", "medium"]}
    assert listing.skipped == [
        SkippedFile("missing.jpg", SKIP_LISTED_MISSING),
        SkippedFile("a.jpg", SKIP_LISTED_TWICE),
    ]


@pytest.mark.parametrize("bad_path", ["/etc/passwd", "../outside.jpg", "sub/../../x.jpg", "C:\\x.jpg", ""])
def test_list_labels_csv_path_outside_folder_raises(tmp_path, bad_path):
    _csv(tmp_path / "labels.csv", f'path,label\n"{bad_path}",1\n')
    with pytest.raises(DataError, match=re.escape(LABELS_CSV_BAD_PATH.format(row=2, value=bad_path))):
        list_labels_csv(tmp_path)


def test_list_labels_csv_bad_label_raises_with_row(tmp_path):
    _jpeg(tmp_path / "a.jpg")
    _csv(tmp_path / "labels.csv", "path,label\na.jpg,1\na.jpg,human\n")
    with pytest.raises(DataError, match=re.escape(LABELS_CSV_BAD_LABEL.format(row=3, label="human"))):
        list_labels_csv(tmp_path)


def test_list_labels_csv_missing_columns_raises(tmp_path):
    _csv(tmp_path / "labels.csv", "file,class\na.jpg,1\n")
    expected = LABELS_CSV_COLUMNS.format(path=tmp_path, columns=["file", "class"])
    with pytest.raises(DataError, match=re.escape(expected)):
        list_labels_csv(tmp_path)


def test_list_labels_csv_link_outside_is_skipped(tmp_path):
    outside = _jpeg(tmp_path / "outside.jpg")
    root = tmp_path / "data"
    root.mkdir()
    (root / "link.jpg").symlink_to(outside)
    _csv(root / "labels.csv", "path,label\nlink.jpg,1\n")
    assert list_labels_csv(root.resolve()).skipped == [SkippedFile("link.jpg", SKIP_LINK_OUTSIDE)]


def test_list_real_fake_dangling_link_and_link_loop_are_skipped(tmp_path):
    _jpeg(tmp_path / "real" / "a.jpg")
    (tmp_path / "real" / "gone.jpg").symlink_to(tmp_path / "real" / "deleted.jpg")
    (tmp_path / "fake" / "loop.jpg").parent.mkdir()
    (tmp_path / "fake" / "loop.jpg").symlink_to(tmp_path / "fake" / "loop.jpg")
    listing = list_real_fake(tmp_path.resolve())
    assert listing.paths == ["real/a.jpg"]
    assert listing.skipped == [
        SkippedFile("fake/loop.jpg", SKIP_BROKEN_LINK),
        SkippedFile("real/gone.jpg", SKIP_BROKEN_LINK),
    ]


def test_list_labels_csv_link_loop_is_missing(tmp_path):
    _jpeg(tmp_path / "a.jpg")
    (tmp_path / "loop.jpg").symlink_to(tmp_path / "loop.jpg")
    _csv(tmp_path / "labels.csv", "path,label\na.jpg,1\nloop.jpg,0\n")
    listing = list_labels_csv(tmp_path.resolve())
    assert listing.paths == ["a.jpg"]
    assert listing.skipped == [SkippedFile("loop.jpg", SKIP_LISTED_MISSING)]
