"""The Data page and the sidebar's data picker: what the set holds, and clear words for bad input."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from support.app import app, chart_with, data_dir, markdown_tables, texts, use_no_runs

import ui
from core.data import download
from core.errors import (
    DOWNLOAD_FAILED,
    DOWNLOAD_OFFLINE,
    IMAGE_NOT_AN_IMAGE,
    NO_SUCH_FOLDER,
    UNKNOWN_LAYOUT,
    DownloadError,
)
from ui.loaders import DATA_UNUSABLE


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    use_no_runs(monkeypatch, tmp_path / "models")
    return app("data")


@pytest.fixture
def section(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """The Data page opened on one of its sections (a tab), as a link with ``?section=...`` does."""
    use_no_runs(monkeypatch, tmp_path / "models")
    return lambda name: app("data", section=name)


def _pick_folder(at, path: Path | str) -> None:
    at.sidebar.radio(key="data_source").set_value("folder").run()
    at.sidebar.text_input(key="data_folder_path").set_value(str(path)).run()


def test_demo_classes_and_groups(at) -> None:
    assert at.title[0].value == "Data"
    shown = texts(at)
    assert "300 real · 300 fake · n = 600" in shown
    assert "synthetic demo data" in shown
    assert set(chart_with(at, "class")["count"]) == {300}
    groups = chart_with(at, "group")
    assert len(set(groups["group"])) == 5 and groups["count"].sum() == 600
    [by_class] = markdown_tables(at.main)
    assert by_class["group"].tolist() == sorted(set(groups["group"]))
    assert (by_class["fake"] + by_class["real"]).sum() == 600


def test_sections_are_tabs_and_only_the_chosen_one_is_made(at, section) -> None:
    sections = [t.label for t in at.main.tabs if t.label != "skin_tone"]  # not the Groups' own tabs
    assert sections == [
        "Classes and groups",
        "Images",
        "Files",
        "Average image and spectrum",
        "Leakage",
    ]
    assert len(at.main.image) == 0 and len(at.main.number_input) == 0  # no grid, no leakage check yet
    files = section("Files")
    assert len(files.main.get("vega_lite_chart")) == 0 and len(files.main.image) == 0
    assert section("no such section").main.get("vega_lite_chart")  # an unknown name: the first section


def test_demo_files(section) -> None:
    at = section("Files")
    [files] = markdown_tables(at.main)
    row = files.to_dict(orient="records")[0]
    assert row | {"mean file size (kB)": 0} == {
        "size": "128x128",
        "format": "JPEG",
        "mode": "RGB",
        "images": 600,
        "mean file size (kB)": 0,
    }
    assert row["mean file size (kB)"] > 0
    assert "No file was skipped." in [s.value for s in at.success]


def test_grid_shows_24_thumbnails_and_filters_by_class(section) -> None:
    at = section("Images")
    grid = at.main.image[0]
    assert len(grid.value) == 24
    at.main.selectbox[0].set_value(0).run()  # class: fake
    captions = at.main.image[0].captions
    assert len(captions) == 24 and all(c.startswith("fake · fake/") for c in captions)


def test_grid_filters_by_group_and_seed(section) -> None:
    at = section("Images")
    at.main.selectbox[1].set_value("skin_tone").run()
    tone = at.main.selectbox[2].options[1]
    at.main.selectbox[2].set_value(tone).run()
    first = at.main.image[0].captions
    assert len(first) == 24
    at.main.number_input[0].set_value(3).run()
    assert at.main.image[0].captions != first


def test_mean_image_and_spectrum_per_class_with_n(section) -> None:
    at = section("Average image and spectrum")
    captions = [c for image in at.main.image for c in image.captions]
    assert captions == [
        "mean real image (n=300)",
        "mean real log-power spectrum (n=300)",
        "mean fake image (n=300)",
        "mean fake log-power spectrum (n=300)",
    ]


def test_leakage_report(section) -> None:
    at = section("Leakage")
    shown = texts(at)
    assert "450 training and 150 validation images, stratified by class." in shown
    assert "No identical image is on both sides" in shown
    at.main.number_input[0].set_value(0.5).run()
    assert "300 training and 300 validation images, stratified by class." in texts(at)


def test_image_size_choice_changes_what_is_decoded(section) -> None:
    at = section("Images")
    at.button_group(key="data_size").set_value(32).run()
    assert "at 32 px as the model would see them" in texts(at)


def test_nonexistent_folder_says_so(at, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    _pick_folder(at, missing)
    message = NO_SUCH_FOLDER.format(path=missing)
    assert [e.value for e in at.sidebar.error] == [message]
    assert message not in [e.value for e in at.main.error]  # once, beside the picker
    assert DATA_UNUSABLE in [i.value for i in at.main.info]
    assert not at.exception


def test_folder_with_a_broken_file_lists_it_as_skipped(section, tmp_path: Path) -> None:
    demo = data_dir() / "demo"
    for label in ("real", "fake"):
        (tmp_path / "mine" / label).mkdir(parents=True)
        for i in range(3):
            shutil.copy(demo / label / f"{label}_{i}.jpg", tmp_path / "mine" / label)
    (tmp_path / "mine" / "real" / "broken.jpg").write_bytes(b"not a jpeg at all")
    at = section("Files")
    _pick_folder(at, tmp_path / "mine")
    assert "Using **mine**" in texts(at)
    assert "6 images read from" in texts(at)
    warnings = [w.value for w in at.warning]
    # said above the tabs, whichever is open, and in full on the Files tab
    assert "1 file(s) were skipped and are not used: the Files tab says why." in warnings
    assert "1 file(s) were skipped and are not used:" in warnings
    skipped = next(d.value for d in at.main.dataframe if "reason" in d.value.columns)
    assert list(skipped["file"]) == ["real/broken.jpg"]
    assert skipped["reason"][0] == IMAGE_NOT_AN_IMAGE.format(name="broken.jpg")


def test_zip_without_images_says_so(at) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("notes/readme.txt", "no faces here")
    at.sidebar.radio(key="data_source").set_value("zip").run()
    at.sidebar.file_uploader(key="data_zip").set_value(
        ("notes.zip", archive.getvalue(), "application/zip")
    ).run()
    errors = [e.value for e in at.sidebar.error]
    assert len(errors) == 1 and errors[0].startswith(UNKNOWN_LAYOUT.split("{")[0])
    assert DATA_UNUSABLE in [i.value for i in at.main.info]
    assert not at.exception


def test_zip_of_a_data_folder_is_used(at) -> None:
    demo = data_dir() / "demo"
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        for label in ("real", "fake"):
            for i in range(2):
                zf.write(demo / label / f"{label}_{i}.jpg", f"faces/{label}/{label}_{i}.jpg")
    at.sidebar.radio(key="data_source").set_value("zip").run()
    at.sidebar.file_uploader(key="data_zip").set_value(
        ("faces.zip", archive.getvalue(), "application/zip")
    ).run()
    assert "2 real · 2 fake · n = 4" in texts(at)
    assert "/uploads/" in texts(at)


def test_kaggle_download_failure_is_one_sentence(at, monkeypatch: pytest.MonkeyPatch) -> None:
    failure = DOWNLOAD_FAILED.format(
        title="UTKFace (cropped)", reason="offline", url="https://example.invalid"
    )

    def offline(which: str) -> Path:
        raise DownloadError(failure)

    monkeypatch.setattr(download, "download_kaggle", offline)
    at.sidebar.radio(key="data_source").set_value("kaggle").run()
    assert ui.ASK_FOR_DOWNLOAD in [e.value for e in at.sidebar.error]
    at.sidebar.selectbox(key="kaggle_which").set_value("utkface").run()
    at.sidebar.button(key="kaggle_download").click().run()
    assert [e.value for e in at.sidebar.error] == [failure]
    assert [e.value for e in at.main.error] == []  # said once, in the sidebar, beside the picker
    assert DATA_UNUSABLE in [i.value for i in at.main.info]
    assert not at.exception


def test_kaggle_offline_error_is_a_sentence_not_a_connection_dump(
    at, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kagglehub

    def offline(handle: str, *args: object, **kwargs: object) -> str:
        raise OSError(
            "HTTPSConnectionPool(host='www.kaggle.com', port=443): Max retries exceeded with url: /api/v1/"
            'datasets/view/hamzaboulahia/hardfakevsrealfaces (Caused by NameResolutionError("..."))'
        )

    monkeypatch.setattr(kagglehub, "dataset_download", offline)
    at.sidebar.radio(key="data_source").set_value("kaggle").run()
    at.sidebar.button(key="kaggle_download").click().run()
    [shown] = [e.value for e in at.sidebar.error]
    assert DOWNLOAD_OFFLINE in shown and "HTTPSConnectionPool" not in shown


def test_a_manifest_of_two_sources_shows_each_source_counts_and_sizes(at, tmp_path: Path) -> None:
    from support.factories import write_tiny_folder

    write_tiny_folder(tmp_path / "alpha", n_per_class=6, size=16)
    write_tiny_folder(tmp_path / "beta", n_per_class=4, size=24, seed=1)
    manifest = tmp_path / "sources.csv"
    manifest.write_text("folder,source\nalpha,studio\nbeta,phone\n", encoding="utf-8")
    _pick_folder(at, manifest)
    assert not at.exception, [e.value for e in at.exception]
    assert "Sources" in [h.value for h in at.subheader]
    table = next(t for t in markdown_tables(at.main) if "most common size" in t.columns)
    rows = table.set_index("source")
    assert rows.loc["studio", ["real", "fake", "images"]].tolist() == [6, 6, 12]
    assert rows.loc["phone", ["real", "fake", "most common size"]].tolist() == [4, 4, "24x24"]
