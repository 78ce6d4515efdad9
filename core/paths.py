"""Paths anchored at the repository root, and paths a user typed. Nothing is created at import time."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from core.errors import HOME_UNKNOWN, PATH_UNUSABLE, DataError

REPO_ROOT: Path = Path(__file__).resolve().parent.parent
#: Longest path shown in full in a message; longer ones keep their two ends.
SHOWN_CHARS = 80


def data_dir() -> Path:
    """Where caches, the demo set and uploads live (``UNMASK_DATA_DIR`` overrides)."""
    return Path(os.environ.get("UNMASK_DATA_DIR", REPO_ROOT / "data"))


def models_dir() -> Path:
    """Where training runs are stored (``UNMASK_MODELS_DIR`` overrides)."""
    return Path(os.environ.get("UNMASK_MODELS_DIR", REPO_ROOT / "models"))


def shared_datasets_dir() -> Path:
    """The real data sets beside the checkout, if present (``UNMASK_SHARED_DIR`` overrides)."""
    return Path(os.environ.get("UNMASK_SHARED_DIR", REPO_ROOT.parent / "shared" / "datasets"))


def user_path(path: str | os.PathLike[str]) -> Path:
    """A path a user typed (the sidebar's folder box, ``--data``), with ``~`` expanded.

    The one door for such paths, in the app and the CLI alike: whatever the file system says
    about the path becomes a sentence. The path may not exist; the caller says what it
    expected to find there.

    Parameters
    ----------
    path : str or path-like
        As typed.

    Returns
    -------
    Path
        ``path`` with ``~`` and ``~user`` expanded, not resolved.

    Raises
    ------
    DataError
        ``HOME_UNKNOWN`` for ``~user`` of a user this machine does not know; ``PATH_UNUSABLE``
        when the file system refuses to look at it (a name too long, a NUL character, a loop
        of links, no permission).

    Examples
    --------
    >>> user_path("~/faces") == Path.home() / "faces"
    True
    """
    text = os.fspath(path)
    if "\x00" in text:
        raise DataError(PATH_UNUSABLE.format(path=shown_path(text), reason="it holds a NUL character"))
    try:
        expanded = Path(text).expanduser()
    except RuntimeError as error:  # Python's words for "no such user"
        user = text[1:].replace(os.sep, "/").split("/", 1)[0]
        raise DataError(HOME_UNKNOWN.format(path=shown_path(text), user=user)) from error
    # A missing path is the caller's to judge; any other refusal is a sentence here.
    with path_errors(expanded), contextlib.suppress(FileNotFoundError, NotADirectoryError):
        expanded.stat()
    return expanded


@contextlib.contextmanager
def path_errors(path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn any OSError or RuntimeError raised inside into ``PATH_UNUSABLE`` about ``path``.

    For code that walks a folder a user named: a file that vanishes, a folder it may not
    read or a loop of links (``Path.resolve`` raises RuntimeError for one) ends in a sentence.

    Raises
    ------
    DataError
        ``PATH_UNUSABLE`` with the system's reason.
    """
    try:
        yield
    except (OSError, RuntimeError) as error:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        raise DataError(PATH_UNUSABLE.format(path=shown_path(path), reason=reason)) from error


def shown_path(path: str | os.PathLike[str]) -> str:
    """``path`` as a message shows it: whole up to :data:`SHOWN_CHARS`, else its two ends.

    Examples
    --------
    >>> shown_path("/data/faces")
    '/data/faces'
    >>> shown_path("/" + "a" * 200)
    '/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
    """
    text = os.fspath(path)
    if len(text) <= SHOWN_CHARS:
        return text
    half = SHOWN_CHARS // 2
    return f"{text[:half]}…{text[-half:]}"


def inside(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> Path | None:
    """``root / path`` resolved, when it stays inside ``root``; None when it leaves it or cannot be resolved.

    For paths read from files a user could edit (a run's ``scores.csv``): an absolute path,
    ``..`` or a link that points elsewhere never reaches the screen.

    Examples
    --------
    >>> inside("/data/faces", "/etc/passwd") is None
    True
    >>> inside("/data/faces", "../other/a.png") is None
    True
    """
    try:
        base = Path(root).resolve()
        found = (base / path).resolve()
    except (OSError, RuntimeError, ValueError):  # RuntimeError: a loop of links; ValueError: a NUL
        return None
    return found if found.is_relative_to(base) else None
