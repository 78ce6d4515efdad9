"""Tests for core.data.sources: several folders as one set, each image tagged with its source."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from core.data.sources import Source, load_sources, parse_sources, read_manifest, scan_sources, source_names
from core.errors import (
    MANIFEST_COLUMNS,
    MANIFEST_EMPTY,
    NO_SUCH_FOLDER,
    NOT_A_FOLDER,
    SOURCE_COLUMN_TAKEN,
    SOURCE_NAMED_TWICE,
    DataError,
)


def _image(path: Path, size: tuple[int, int] = (12, 10), colour: int = 90) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (colour, 0, 0)).save(path)


def _folders(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A real/fake folder, a real-only folder, and a labels.csv folder with a group column."""
    both, reals, grouped = (
        tmp_path / "sets" / "hard",
        tmp_path / "sets" / "other" / "lfw",
        tmp_path / "sets" / "g",
    )
    for i in range(3):
        _image(both / "real" / f"r{i}.png")
        _image(both / "fake" / f"f{i}.png", colour=200)
        _image(reals / "real" / f"l{i}.png", size=(20, 16))
        _image(grouped / f"{i}.png")
    pd.DataFrame(
        {"path": [f"{i}.png" for i in range(3)], "label": [0, 1, 0], "tone": ["a", "b", "a"]}
    ).to_csv(grouped / "labels.csv", index=False)
    return both, reals, grouped


def test_parse_sources_names_folders_by_their_names(tmp_path):
    both, reals, _ = _folders(tmp_path)
    assert parse_sources([both, str(reals)]) == [
        Source(both.resolve(), "hard"),
        Source(reals.resolve(), "lfw"),
    ]


def test_read_manifest_relative_folders_and_optional_names(tmp_path):
    both, reals, _ = _folders(tmp_path)
    manifest = tmp_path / "sets" / "sources.csv"
    manifest.write_text("folder,source\nhard,the hard set\nother/lfw,\n")
    assert read_manifest(manifest) == [Source(both.resolve(), "the hard set"), Source(reals.resolve(), "lfw")]
    assert parse_sources([manifest]) == read_manifest(manifest)  # a manifest is a --data entry like a folder
    only_folders = tmp_path / "sets" / "plain.csv"
    only_folders.write_text("folder\nhard\n")
    assert read_manifest(only_folders) == [Source(both.resolve(), "hard")]


@pytest.mark.parametrize(
    ("text", "template"),
    [("path,name\nhard,x\n", MANIFEST_COLUMNS), ("folder,source\n", MANIFEST_EMPTY)],
)
def test_read_manifest_malformed_is_one_sentence(tmp_path, text, template):
    _folders(tmp_path)
    manifest = tmp_path / "sets" / "m.csv"
    manifest.write_text(text)
    expected = template.format(file=manifest, columns="path, name")
    with pytest.raises(DataError, match=re.escape(expected)):
        read_manifest(manifest)


def test_read_manifest_missing_folder(tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text("folder\nnowhere\n")
    with pytest.raises(DataError, match=re.escape(NO_SUCH_FOLDER.format(path=tmp_path / "nowhere"))):
        read_manifest(manifest)


def test_parse_sources_same_name_twice_is_an_error(tmp_path):
    both, _, _ = _folders(tmp_path)
    twin = tmp_path / "elsewhere" / "hard"
    _image(twin / "real" / "x.png")
    expected = SOURCE_NAMED_TWICE.format(name="hard", first=both.resolve(), second=twin.resolve())
    with pytest.raises(DataError, match=re.escape(expected)):
        parse_sources([both, twin])


def test_scan_sources_keeps_labels_and_groups_and_adds_source(tmp_path):
    both, reals, grouped = _folders(tmp_path)
    faces = scan_sources(parse_sources([both, reals, grouped]))
    assert faces.layout == "sources" and Path(faces.root) == (tmp_path / "sets").resolve()
    assert source_names(faces) == ["hard", "lfw", "g"]
    by_source = faces.groups.assign(label=faces.labels).groupby("source")["label"].agg(["sum", "count"])
    assert by_source.loc["hard"].tolist() == [3, 6] and by_source.loc["lfw"].tolist() == [3, 3]
    assert by_source.loc["g"].tolist() == [1, 3]
    assert list(faces.groups.columns) == ["tone", "source"]
    assert set(faces.groups.loc[faces.groups["source"] != "g", "tone"]) == {"unknown"}
    assert faces.groups.loc[faces.groups["source"] == "g", "tone"].tolist() == ["a", "b", "a"]
    assert all((Path(faces.root) / p).is_file() for p in faces.paths)
    assert "other/lfw/real/l0.png" in faces.paths


def test_scan_sources_refuses_a_folder_with_its_own_source_column(tmp_path):
    folder = tmp_path / "s"
    _image(folder / "0.png")
    pd.DataFrame({"path": ["0.png"], "label": [1], "source": ["x"]}).to_csv(
        folder / "labels.csv", index=False
    )
    other = tmp_path / "t"
    _image(other / "real" / "1.png")
    with pytest.raises(DataError, match=re.escape(SOURCE_COLUMN_TAKEN.format(path=folder.resolve()))):
        scan_sources(parse_sources([folder, other]))


def test_load_sources_native_and_square(tmp_path):
    both, reals, _ = _folders(tmp_path)
    named = parse_sources([both, reals])
    native = load_sources(named, native_max_side=64)
    assert native.is_native and len(native) == 9
    shapes = {
        image.shape
        for image, source in zip(native.images, native.groups["source"], strict=True)
        if source == "lfw"
    }
    assert shapes == {(16, 20, 3)}
    squares = load_sources(named, image_size=8)
    assert squares.images.shape == (9, 8, 8, 3)
    np.testing.assert_array_equal(squares.labels, native.labels)


def test_parse_sources_a_file_that_is_no_manifest_is_not_a_folder(tmp_path):
    archive = tmp_path / "faces.zip"
    archive.write_bytes(b"PK")
    with pytest.raises(DataError, match=re.escape(NOT_A_FOLDER.format(path=archive))):
        parse_sources([archive, tmp_path])
