"""Fetch the two public data sets from Kaggle with ``kagglehub``.

kagglehub keeps its own cache (``~/.cache/kagglehub`` unless ``KAGGLEHUB_CACHE`` says
otherwise), so a second call returns at once. Nothing is downloaded at import time, and
kagglehub itself is imported only when a download is asked for.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from core.data.layouts import class_folders, looks_like_utkface
from core.errors import DOWNLOAD_FAILED, DOWNLOAD_UNEXPECTED, UNKNOWN_DOWNLOAD, ConfigError, DownloadError

Which = Literal["hard", "utkface"]
#: How deep below the download folder the data folder is looked for.
MAX_DEPTH = 4


@dataclass(frozen=True)
class KaggleSet:
    """One public data set: its kaggle handle, title and page."""

    handle: str
    title: str
    expected: str

    @property
    def url(self) -> str:
        return f"https://www.kaggle.com/datasets/{self.handle}"


KAGGLE_SETS: dict[str, KaggleSet] = {
    "hard": KaggleSet(
        "hamzaboulahia/hardfakevsrealfaces", "Fake-Vs-Real-Faces (Hard)", "real/ and fake/ folders"
    ),
    "utkface": KaggleSet("moritzm00/utkface-cropped", "UTKFace (cropped)", "UTKFace-named images"),
}


def download_kaggle(which: Which) -> Path:
    """Download a data set from Kaggle and return the folder to point Unmask at.

    Parameters
    ----------
    which : {"hard", "utkface"}
        The Hard real-vs-fake set the paper trained on, or the UTKFace faces used to
        measure bias.

    Returns
    -------
    Path
        For "hard", the folder holding ``real/`` and ``fake/``; for "utkface", the
        folder holding the most UTKFace-named images.

    Raises
    ------
    ConfigError
        If ``which`` is not one of the choices.
    DownloadError
        If the download fails for any reason (offline, Kaggle down, no permission), or
        holds no data folder; the message says how to download it by hand.
    """
    if which not in KAGGLE_SETS:
        raise ConfigError(UNKNOWN_DOWNLOAD.format(which=which, choices=", ".join(KAGGLE_SETS)))
    kaggle_set = KAGGLE_SETS[which]
    try:
        import kagglehub

        downloaded = Path(kagglehub.dataset_download(kaggle_set.handle))
    # kagglehub and requests raise many unrelated types (HTTP, DNS, SSL, auth, disk,
    # corrupt archive); every one of them leaves the user the same way out.
    except Exception as error:  # noqa: BLE001
        reason = (str(error).splitlines() or [type(error).__name__])[0][:200]
        raise DownloadError(
            DOWNLOAD_FAILED.format(title=kaggle_set.title, reason=reason, url=kaggle_set.url)
        ) from error
    found = _find_data_folder(downloaded, which)
    if found is None:
        raise DownloadError(
            DOWNLOAD_UNEXPECTED.format(
                title=kaggle_set.title, path=downloaded, expected=kaggle_set.expected, url=kaggle_set.url
            )
        )
    return found


def _find_data_folder(top: Path, which: Which) -> Path | None:
    """The shallowest folder under ``top`` with real/ and fake/, or with most UTKFace images."""
    best: tuple[int, Path] | None = None
    for here, dirs, _files in os.walk(top):
        folder = Path(here)
        depth = len(folder.relative_to(top).parts)
        dirs[:] = sorted(dirs) if depth < MAX_DEPTH else []
        if which == "hard":
            labels = {label for _path, label in class_folders(folder)}
            if len(labels) == 2:
                return folder
        elif looks_like_utkface(folder):
            count = sum(1 for _ in folder.glob("*_*_*"))
            if best is None or count > best[0]:
                best = (count, folder)
    return None if best is None else best[1]
