"""Tests for core.data.download, with kagglehub.dataset_download replaced (no network)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import kagglehub
import pytest

from core.data.download import KAGGLE_SETS, download_kaggle
from core.errors import DOWNLOAD_FAILED, DOWNLOAD_UNEXPECTED, UNKNOWN_DOWNLOAD, ConfigError, DownloadError
from core.paths import REPO_ROOT


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")


def _fake_download(monkeypatch: pytest.MonkeyPatch, folder: Path, handles: list[str]) -> None:
    def dataset_download(handle: str, *args: object, **kwargs: object) -> str:
        handles.append(handle)
        return str(folder)

    monkeypatch.setattr(kagglehub, "dataset_download", dataset_download)


def test_download_kaggle_hard_finds_real_fake_root(tmp_path, monkeypatch):
    handles: list[str] = []
    _touch(tmp_path / "versions" / "1" / "data.csv")
    _touch(tmp_path / "versions" / "1" / "real" / "real_1.jpg")
    _touch(tmp_path / "versions" / "1" / "fake" / "fake_1.jpg")
    _fake_download(monkeypatch, tmp_path, handles)
    assert download_kaggle("hard") == tmp_path / "versions" / "1"
    assert handles == ["hamzaboulahia/hardfakevsrealfaces"]


def test_download_kaggle_utkface_picks_folder_with_most_faces(tmp_path, monkeypatch):
    handles: list[str] = []
    for i in range(3):
        _touch(tmp_path / "utkface_aligned_cropped" / "UTKFace" / f"{20 + i}_0_0_1.jpg.chip.jpg")
    _touch(tmp_path / "utkface_aligned_cropped" / "crop_part1" / "20_0_0_1.jpg.chip.jpg")
    _fake_download(monkeypatch, tmp_path, handles)
    assert download_kaggle("utkface") == tmp_path / "utkface_aligned_cropped" / "UTKFace"
    assert handles == ["moritzm00/utkface-cropped"]


@pytest.mark.parametrize("which", ["hard", "utkface"])
def test_download_kaggle_offline_says_how_to_download_by_hand(monkeypatch, which):
    def offline(handle: str, *args: object, **kwargs: object) -> str:
        raise ConnectionError("Failed to resolve 'www.kaggle.com'\nmore detail")

    monkeypatch.setattr(kagglehub, "dataset_download", offline)
    kaggle_set = KAGGLE_SETS[which]
    expected = DOWNLOAD_FAILED.format(
        title=kaggle_set.title, reason="Failed to resolve 'www.kaggle.com'", url=kaggle_set.url
    )
    with pytest.raises(DownloadError, match=re.escape(expected)) as caught:
        download_kaggle(which)
    message = str(caught.value)
    assert f"https://www.kaggle.com/datasets/{kaggle_set.handle}" in message
    assert "--data DIR" in message and "sidebar" in message
    assert message.count(". ") == 0  # one sentence


def test_download_kaggle_unexpected_content_raises(tmp_path, monkeypatch):
    _touch(tmp_path / "something_else.txt")
    _fake_download(monkeypatch, tmp_path, [])
    kaggle_set = KAGGLE_SETS["hard"]
    expected = DOWNLOAD_UNEXPECTED.format(
        title=kaggle_set.title, path=tmp_path, expected=kaggle_set.expected, url=kaggle_set.url
    )
    with pytest.raises(DownloadError, match=re.escape(expected)):
        download_kaggle("hard")


def test_download_kaggle_unknown_set_raises():
    with pytest.raises(
        ConfigError, match=re.escape(UNKNOWN_DOWNLOAD.format(which="ffhq", choices="hard, utkface"))
    ):
        download_kaggle("ffhq")


def test_download_module_import_does_not_import_kagglehub():
    code = "import sys, core.data.download; print('kagglehub' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
