"""Tests for core.data.datasets: detecting layouts, scanning and decoding whole folders."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.data.datasets import (
    DEMO_NAME,
    decode_files,
    detect_layout,
    is_demo_folder,
    load,
    require_both_classes,
    scan,
)
from core.data.faceset import SkippedFile
from core.data.images import IMAGE_EXTENSIONS
from core.errors import (
    IMAGE_EMPTY,
    IMAGE_NOT_AN_IMAGE,
    IMAGE_TRUNCATED,
    LAYOUT_MISMATCH,
    NO_SUCH_FOLDER,
    NO_VALID_IMAGES,
    NOT_A_FOLDER,
    ONE_CLASS,
    OUT_OF_RANGE,
    SKIP_NOT_IMAGE_TYPE,
    SKIP_UTKFACE_NAME,
    UNKNOWN_LAYOUT,
    UNKNOWN_LAYOUT_CHOICE,
    ConfigError,
    DataError,
)


def _image(path: Path, colour: tuple[int, int, int] = (90, 90, 90), fmt: str = "PNG") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (16, 16), colour).save(path, fmt)
    return path


def _real_fake(root: Path, n_real: int = 2, n_fake: int = 2) -> Path:
    for i in range(n_real):
        _image(root / "real" / f"real_{i}.png", (200, 10 * i, 0))
    for i in range(n_fake):
        _image(root / "fake" / f"fake_{i}.png", (0, 10 * i, 200))
    return root


def _escaped(template: str, **fields: object) -> str:
    return re.escape(template.format(**fields))


def test_detect_layout_labels_csv_wins_over_folders(tmp_path):
    _real_fake(tmp_path)
    (tmp_path / "labels.csv").write_text("path,label\nreal/real_0.png,1\n")
    assert detect_layout(tmp_path) == "labels_csv"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (["real/a.png", "fake/b.png"], "real_fake_folders"),
        (["REAL/a.png", "Fake/b.png"], "real_fake_folders"),
        (["real/a.png"], "real_fake_folders"),
        (["25_0_0_1.jpg.chip.jpg", "30_1_2_1.jpg.chip.jpg"], "utkface"),
    ],
)
def test_detect_layout_cases(tmp_path, files, expected):
    for name in files:
        _image(tmp_path / name)
    assert detect_layout(tmp_path) == expected


def test_detect_layout_empty_folder_raises_unknown(tmp_path):
    with pytest.raises(DataError, match=_escaped(UNKNOWN_LAYOUT, path=tmp_path)):
        detect_layout(tmp_path)


def test_detect_layout_missing_folder_raises(tmp_path):
    with pytest.raises(DataError, match=_escaped(NO_SUCH_FOLDER, path=tmp_path / "nope")):
        detect_layout(tmp_path / "nope")


def test_detect_layout_file_raises_not_a_folder(tmp_path):
    file = _image(tmp_path / "a.png")
    with pytest.raises(DataError, match=_escaped(NOT_A_FOLDER, path=file)):
        detect_layout(file)


def test_scan_real_fake_lists_without_pixels(tmp_path):
    root = _real_fake(tmp_path / "My Faces", n_real=2, n_fake=1)
    _image(root / "real" / "nested" / "deeper" / "real_9.png")
    (root / "real" / ".DS_Store").write_bytes(b"junk")
    (root / "README.md").write_text("ignored at the top")
    listed = scan(root)
    assert listed.paths == (
        "fake/fake_0.png",
        "real/nested/deeper/real_9.png",
        "real/real_0.png",
        "real/real_1.png",
    )
    assert listed.labels.tolist() == [0, 1, 1, 1]
    assert listed.labels.dtype == np.int8
    assert (listed.name, listed.layout, listed.images, listed.image_size) == (
        "My Faces",
        "real_fake_folders",
        None,
        0,
    )
    assert listed.groups.shape == (4, 0)
    assert listed.info["bytes"].tolist() == [(root / p).stat().st_size for p in listed.paths]
    assert listed.skipped == ()


def test_scan_non_image_in_class_folder_is_skipped_with_reason(tmp_path):
    root = _real_fake(tmp_path)
    (root / "fake" / "notes.txt").write_text("hello")
    reason = SKIP_NOT_IMAGE_TYPE.format(suffix=".txt", extensions=", ".join(IMAGE_EXTENSIONS))
    assert scan(root).skipped == (SkippedFile("fake/notes.txt", reason),)


def test_scan_empty_class_folders_raises_no_valid_images(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "fake").mkdir()
    with pytest.raises(DataError, match=_escaped(NO_VALID_IMAGES, path=tmp_path, n_skipped=0)):
        scan(tmp_path)


def test_scan_forced_layout_that_does_not_fit_raises(tmp_path):
    _real_fake(tmp_path)
    expected = LAYOUT_MISMATCH.format(path=tmp_path, layout="labels_csv", why="it has no labels.csv")
    with pytest.raises(DataError, match=re.escape(expected)):
        scan(tmp_path, layout="labels_csv")


def test_scan_unknown_layout_choice_raises(tmp_path):
    expected = UNKNOWN_LAYOUT_CHOICE.format(
        layout="csv", choices="auto, labels_csv, real_fake_folders, utkface"
    )
    with pytest.raises(ConfigError, match=re.escape(expected)):
        scan(tmp_path, layout="csv")


def test_scan_utkface_groups_and_named_skips(tmp_path):
    for name in ["25_0_0_1.jpg.chip.jpg", "70_1_3_2.jpg.chip.jpg", "61_1_3.jpg.chip.jpg", "40_0_9_1.jpg"]:
        _image(tmp_path / name, fmt="JPEG")
    listed = scan(tmp_path)
    assert listed.layout == "utkface"
    assert listed.labels.tolist() == [1, 1]
    assert listed.groups.to_dict("list") == {
        "race": ["White", "Indian"],
        "gender": ["male", "female"],
        "age_band": ["18-29", "60+"],
    }
    assert listed.skipped == (
        SkippedFile("40_0_9_1.jpg", SKIP_UTKFACE_NAME.format(problem="race code 9 is not 0 to 4")),
        SkippedFile("61_1_3.jpg.chip.jpg", SKIP_UTKFACE_NAME.format(problem="it has 3 fields instead of 4")),
    )


def test_scan_demo_manifest_names_the_set(tmp_path):
    _real_fake(tmp_path)
    (tmp_path / "labels.csv").write_text(
        "path,label,skin_tone\nreal/real_0.png,1,dark\nfake/fake_0.png,0,light\n"
    )
    (tmp_path / "manifest.json").write_text(json.dumps({"generator": "unmask-demo", "n": 2}))
    listed = scan(tmp_path)
    assert (listed.name, listed.is_demo, listed.layout) == (DEMO_NAME, True, "labels_csv")
    assert listed.groups["skin_tone"].tolist() == ["dark", "light"]


@pytest.mark.parametrize("manifest", ['{"generator": "other"}', "not json", '["unmask-demo"]'])
def test_is_demo_folder_other_manifests_are_not_demo(tmp_path, manifest):
    (tmp_path / "manifest.json").write_text(manifest)
    assert is_demo_folder(tmp_path) is False


def test_scan_name_overrides_folder_name(tmp_path):
    assert scan(_real_fake(tmp_path), name="Hard set").name == "Hard set"


def test_load_decodes_and_skips_bad_files_with_reasons(tmp_path):
    root = _real_fake(tmp_path, n_real=2, n_fake=2)
    (root / "real" / "empty.jpg").write_bytes(b"")
    (root / "fake" / "random.jpg").write_bytes(os.urandom(300))
    good = (root / "real" / "real_0.png").read_bytes()
    _image(root / "real" / "cut.jpg", fmt="JPEG")
    (root / "real" / "cut.jpg").write_bytes((root / "real" / "cut.jpg").read_bytes()[:200])
    faceset = load(root, image_size=8)
    assert faceset.paths == ("fake/fake_0.png", "fake/fake_1.png", "real/real_0.png", "real/real_1.png")
    assert faceset.images.shape == (4, 8, 8, 3)
    assert faceset.image_size == 8
    assert tuple(faceset.images[2, 0, 0]) == (200, 0, 0)
    assert faceset.info.to_dict("records")[2] == {
        "width": 16,
        "height": 16,
        "format": "PNG",
        "mode": "RGB",
        "bytes": len(good),
    }
    assert {s.path: s.reason for s in faceset.skipped} == {
        "fake/random.jpg": IMAGE_NOT_AN_IMAGE.format(name="random.jpg"),
        "real/cut.jpg": IMAGE_TRUNCATED.format(name="cut.jpg"),
        "real/empty.jpg": IMAGE_EMPTY.format(name="empty.jpg"),
    }


def test_load_nothing_decodes_raises_no_valid_images(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.jpg").write_bytes(b"")
    (tmp_path / "real" / "b.jpg").write_bytes(b"nope")
    with pytest.raises(DataError, match=_escaped(NO_VALID_IMAGES, path=tmp_path, n_skipped=2)):
        load(tmp_path, image_size=8)


@pytest.mark.parametrize("image_size", [0, 7, 1025])
def test_load_image_size_out_of_range_raises(tmp_path, image_size):
    expected = OUT_OF_RANGE.format(name="image_size", low=8, high=1024, value=image_size)
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load(_real_fake(tmp_path), image_size=image_size)


def test_load_unicode_and_non_utf8_names(tmp_path):
    root = _real_fake(tmp_path, n_real=0, n_fake=1)
    _image(root / "real" / "visage_é_面孔_😀.png", (10, 20, 30))
    odd = os.fsdecode(b"caf\xe9 \xff.png")  # not UTF-8: Python keeps it surrogate-escaped
    _image(root / "real" / odd, (40, 50, 60))
    first = load(root, image_size=8)
    again = load(root, image_size=8)  # through the cache's json
    assert set(first.paths) == {"fake/fake_0.png", f"real/{odd}", "real/visage_é_面孔_😀.png"}
    assert again.paths == first.paths
    colours = {p: tuple(first.images[i, 0, 0]) for i, p in enumerate(first.paths)}
    assert colours[f"real/{odd}"] == (40, 50, 60)
    assert colours["real/visage_é_面孔_😀.png"] == (10, 20, 30)


def test_load_progress_reaches_total_and_is_called_on_cache_hit(tmp_path):
    root = _real_fake(tmp_path, n_real=3, n_fake=2)
    calls: list[tuple[int, int]] = []
    load(root, image_size=8, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (5, 5)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    calls.clear()
    load(root, image_size=8, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(5, 5)]


def test_load_without_cache_writes_nothing(tmp_path):
    load(_real_fake(tmp_path / "data"), image_size=8, use_cache=False)
    assert not (Path(os.environ["UNMASK_DATA_DIR"]) / "cache").exists()


def test_decode_files_keeps_order_across_threads(tmp_path):
    paths = [f"img_{i}.png" for i in range(12)]
    for i, name in enumerate(paths):
        _image(tmp_path / name, (i * 20, 0, 0))
    decoded = decode_files(tmp_path, paths, size=8, workers=4)
    assert decoded.images[:, 0, 0, 0].tolist() == [i * 20 for i in range(12)]
    assert decoded.kept.tolist() == list(range(12))


def test_require_both_classes_one_class_raises(tmp_path):
    faceset = scan(_real_fake(tmp_path, n_real=2, n_fake=0))
    with pytest.raises(DataError, match=_escaped(ONE_CLASS, present="real", path=tmp_path)):
        require_both_classes(faceset)


def test_require_both_classes_both_present_passes(tmp_path):
    require_both_classes(scan(_real_fake(tmp_path)))


def test_load_hard_set_counts(hard_set_dir):
    faceset = load(hard_set_dir, image_size=32)
    assert (len(faceset), faceset.n_real, faceset.n_fake) == (1289, 589, 700)
    assert faceset.images.shape == (1289, 32, 32, 3)
    assert faceset.skipped == ()
    assert set(faceset.info["width"]) == {300}


def test_load_utkface_sample_groups(utkface_dir):
    faceset = load(utkface_dir, image_size=16)
    assert len(faceset) == 2000
    assert faceset.groups["race"].value_counts().to_dict() == {
        race: 400 for race in ("White", "Black", "Asian", "Indian", "Others")
    }
    assert faceset.groups["gender"].value_counts().to_dict() == {"male": 1000, "female": 1000}
    assert sorted(s.path for s in faceset.skipped) == [
        "61_1_20170109142408075.jpg.chip.jpg",
        "61_3_20170109150557335.jpg.chip.jpg",
    ]


def test_load_progress_that_raises_stops_the_load(tmp_path):
    root = _real_fake(tmp_path, n_real=30, n_fake=30)

    def cancel(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        load(root, image_size=8, progress=cancel)
    assert not (Path(os.environ["UNMASK_DATA_DIR"]) / "cache").exists()
