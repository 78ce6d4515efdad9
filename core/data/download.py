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
        reason = failure_reason(error)
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


def failure_reason(error: BaseException, *, limit: int = 160) -> str:
    """Why a download failed, in words: offline, refused, not found, or the error's first line, shortened.

    A connection failure (raised by requests, urllib3 or the socket, as
    ``HTTPSConnectionPool(host=...): Max retries exceeded...``) reads as :data:`DOWNLOAD_OFFLINE`;
    an HTTP 401 or 403 as :data:`DOWNLOAD_REFUSED`, a 404 as :data:`DOWNLOAD_NOT_FOUND`. Anything else
    gives its first line, cut at a word boundary with an ellipsis when longer than ``limit``.

    Examples
    --------
    >>> failure_reason(OSError("HTTPSConnectionPool(host='www.kaggle.com', port=443): Max retries"))
    'Kaggle could not be reached: this computer seems to be offline'
    >>> failure_reason(ValueError("disk full"))
    'disk full'
    """
    chain = _chain(error)
    texts = " ".join(str(e) for e in chain)
    names = {type(e).__name__ for e in chain}
    if names & _OFFLINE_TYPES or any(marker in texts for marker in _OFFLINE_MARKERS):
        return DOWNLOAD_OFFLINE
    status = next((s for e in chain if (s := _http_status(e)) is not None), None)
    if status in (401, 403):
        return DOWNLOAD_REFUSED.format(status=status)
    if status == 404:
        return DOWNLOAD_NOT_FOUND
    first = (str(error).splitlines() or [""])[0].strip() or type(error).__name__
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


#: Exception types and texts that mean the network, not Kaggle, failed.
_OFFLINE_TYPES = {"ConnectionError", "NewConnectionError", "NameResolutionError", "MaxRetryError", "gaierror"}
_OFFLINE_MARKERS = (
    "HTTPSConnectionPool",
    "Max retries exceeded",
    "Failed to resolve",
    "Network is unreachable",
)


def _chain(error: BaseException) -> list[BaseException]:
    """The error and the ones that caused it, outermost first."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _http_status(error: BaseException) -> int | None:
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


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
