"""Tests for core.data.download, with kagglehub.dataset_download replaced (no network)."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import kagglehub
import pytest

from core.data.download import KAGGLE_SETS, download_kaggle, failure_reason
from core.errors import (
    DOWNLOAD_FAILED,
    DOWNLOAD_NOT_FOUND,
    DOWNLOAD_OFFLINE,
    DOWNLOAD_REFUSED,
    DOWNLOAD_UNEXPECTED,
    UNKNOWN_DOWNLOAD,
    ConfigError,
    DownloadError,
)
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
    expected = DOWNLOAD_FAILED.format(title=kaggle_set.title, reason=DOWNLOAD_OFFLINE, url=kaggle_set.url)
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


def _raised(error: BaseException, cause: BaseException | None = None) -> BaseException:
    """``error`` as caught, with ``cause`` as its __cause__ (raise ... from ...)."""
    try:
        raise error from cause
    except BaseException as caught:  # noqa: BLE001
        return caught


class _Response:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code


class _HTTPError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"{status} Client Error")
        self.response = _Response(status)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (
            OSError(
                "HTTPSConnectionPool(host='www.kaggle.com', port=443): Max retries exceeded with url: "
                "/api/v1/datasets/view/moritzm00/utkface-cropped (Caused by NameResolutionError(...))"
            ),
            DOWNLOAD_OFFLINE,
        ),
        (_raised(RuntimeError("wrapped"), socket.gaierror(-3, "Temporary failure")), DOWNLOAD_OFFLINE),
        (_HTTPError(403), DOWNLOAD_REFUSED.format(status=403)),
        (_HTTPError(401), DOWNLOAD_REFUSED.format(status=401)),
        (_HTTPError(404), DOWNLOAD_NOT_FOUND),
        (ValueError("checksum mismatch\ntraceback lines"), "checksum mismatch"),
        (ValueError(""), "ValueError"),
    ],
)
def test_failure_reason_in_words(error: BaseException, reason: str) -> None:
    assert failure_reason(error) == reason


def test_failure_reason_shortens_at_a_word_never_mid_word() -> None:
    text = "word " * 60
    reason = failure_reason(ValueError(text), limit=42)
    assert reason == "word word word word word word word word…"
    assert len(reason) <= 43
