"""The Data page and the sidebar's data picker: what the set holds, and clear words for bad input."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from support.app import app, chart_with, data_dir, texts, use_no_runs

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


def _pick_folder(at, path: Path | str) -> None:
    at.sidebar.radio(key="data_source").set_value("folder").run()
    at.sidebar.text_input(key="data_folder_path").set_value(str(path)).run()


def test_demo_classes_groups_and_files(at) -> None:
    assert at.title[0].value == "Data"
    shown = texts(at)
    assert "300 real · 300 fake · n = 600" in shown
    assert "synthetic demo data" in shown
    assert set(chart_with(at, "class")["count"]) == {300}
    groups = chart_with(at, "group")
    assert len(set(groups["group"])) == 5 and groups["count"].sum() == 600
    files = next(d.value for d in at.main.table if "format" in d.value.columns)
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


def test_grid_shows_24_thumbnails_and_filters_by_class(at) -> None:
    grid = at.main.image[0]
    assert len(grid.value) == 24
    at.main.selectbox[0].set_value(0).run()  # class: fake
    captions = at.main.image[0].captions
    assert len(captions) == 24 and all(c.startswith("fake · fake/") for c in captions)


def test_grid_filters_by_group_and_seed(at) -> None:
    at.main.selectbox[1].set_value("skin_tone").run()
    tone = at.main.selectbox[2].options[1]
    at.main.selectbox[2].set_value(tone).run()
    first = at.main.image[0].captions
    assert len(first) == 24
    at.main.number_input[0].set_value(3).run()
    assert at.main.image[0].captions != first


def test_mean_image_and_spectrum_per_class_with_n(at) -> None:
    captions = [c for image in at.main.image[1:] for c in image.captions]
    assert captions == [
        "mean real image (n=300)",
        "mean real log-power spectrum (n=300)",
        "mean fake image (n=300)",
        "mean fake log-power spectrum (n=300)",
    ]


def test_leakage_report(at) -> None:
    shown = texts(at)
    assert "450 training and 150 validation images, stratified by class." in shown
    assert "No identical image is on both sides" in shown
    at.main.number_input[1].set_value(0.5).run()
    assert "300 training and 300 validation images, stratified by class." in texts(at)


def test_image_size_choice_changes_what_is_decoded(at) -> None:
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


def test_folder_with_a_broken_file_lists_it_as_skipped(at, tmp_path: Path) -> None:
    demo = data_dir() / "demo"
    for label in ("real", "fake"):
        (tmp_path / "mine" / label).mkdir(parents=True)
        for i in range(3):
            shutil.copy(demo / label / f"{label}_{i}.jpg", tmp_path / "mine" / label)
    (tmp_path / "mine" / "real" / "broken.jpg").write_bytes(b"not a jpeg at all")
    _pick_folder(at, tmp_path / "mine")
    assert "Using **mine**" in texts(at)
    assert "3 real · 3 fake · n = 6" in texts(at)
    assert "1 file(s) were skipped and are not used:" in [w.value for w in at.warning]
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
    assert "Sources" in [h.value for h in at.header]
    table = next(d.value for d in at.table if "most common size" in d.value.columns)
    rows = table.set_index("source")
    assert rows.loc["studio", ["real", "fake", "images"]].tolist() == [6, 6, 12]
    assert rows.loc["phone", ["real", "fake", "most common size"]].tolist() == [4, 4, "24x24"]
