"""Bounded disk: the folders Unmask fills stay under a quota, and what a killed process left is swept.

``data/uploads/`` (one folder per uploaded archive) and ``data/cache/`` (one ``.npy`` and one
``.json`` per decoded data set) each hold at most :func:`quota_bytes` (``UNMASK_DISK_QUOTA_MB``,
2048 by default). After something new is written, :func:`evict` deletes the entries used
least recently until the folder fits again; reading an entry marks it used (:func:`touch`,
its modification time, since many file systems do not keep access times).

Temporary files are named ``.tmp-<pid>-...`` (:func:`temp_prefix`). The first time a process
uses one of these folders, :func:`sweep_once` deletes those of processes that no longer run
(a killed cache write can leave a 100 MB ``.npy`` behind), and any ``.tmp-`` older than
:data:`ORPHAN_AGE_S`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

from core.errors import DISK_QUOTA_BAD, ConfigError

#: The quota of each folder when ``UNMASK_DISK_QUOTA_MB`` is not set.
DEFAULT_QUOTA_MB = 2048
QUOTA_VARIABLE = "UNMASK_DISK_QUOTA_MB"
#: A temporary file this old is an orphan whatever its name says (a pid may be reused).
ORPHAN_AGE_S = 3600
_TEMP = re.compile(r"\A\.tmp-(?:(\d+)-)?")
_MB = 1024 * 1024
_swept: set[str] = set()


def quota_bytes() -> int:
    """The most each of ``data/uploads/`` and ``data/cache/`` may hold, from ``UNMASK_DISK_QUOTA_MB``.

    Raises
    ------
    ConfigError
        If the variable is set to anything but a whole number of megabytes from 1 up.
    """
    text = os.environ.get(QUOTA_VARIABLE, str(DEFAULT_QUOTA_MB))
    try:
        megabytes = int(text)
        if megabytes < 1:
            raise ValueError(text)
    except ValueError:
        raise ConfigError(DISK_QUOTA_BAD.format(variable=QUOTA_VARIABLE, value=text)) from None
    return megabytes * _MB


def temp_prefix() -> str:
    """The name prefix of this process's temporary files: ``.tmp-<pid>-``."""
    return f".tmp-{os.getpid()}-"


def touch(*paths: Path) -> None:
    """Mark ``paths`` used now (their modification time); a path that is gone is skipped."""
    for path in paths:
        with contextlib.suppress(OSError):
            os.utime(path)


def evict(folder: Path, *, quota: int, keep: Iterable[str] = ()) -> list[str]:
    """Delete the least recently used entries of ``folder`` until it holds at most ``quota`` bytes.

    An entry is every item whose name, up to its first dot, is the same (``<key>.npy`` and
    ``<key>.json``; or one folder); hidden items are not entries. Its size is what it takes
    on disk, its last use the newest modification time of its items.

    Parameters
    ----------
    folder : Path
    quota : int
        Bytes.
    keep : iterable of str
        Entries never deleted (the one just written).

    Returns
    -------
    list of str
        The entries deleted, oldest first.
    """
    entries = _entries(folder)
    total = sum(size for _, size, _ in entries.values())
    removed, kept = [], set(keep)
    for name, (paths, size, _) in sorted(entries.items(), key=lambda item: item[1][2]):
        if total <= quota:
            break
        if name in kept:
            continue
        for path in paths:
            _delete(path)
        total -= size
        removed.append(name)
    return removed


def sweep_once(folder: Path) -> None:
    """:func:`sweep_orphans` the first time this process uses ``folder``."""
    if str(folder) not in _swept:
        _swept.add(str(folder))
        sweep_orphans(folder)


def sweep_orphans(folder: Path) -> list[str]:
    """Delete the ``.tmp-`` items of ``folder`` left by processes that no longer run, or too old.

    Returns
    -------
    list of str
        The names deleted.
    """
    removed = []
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for path in folder.iterdir():
            found = _TEMP.match(path.name)
            if found is None:
                continue
            pid = found.group(1)
            dead = pid is not None and not process_running(int(pid))
            with contextlib.suppress(FileNotFoundError):
                old = time.time() - path.lstat().st_mtime > ORPHAN_AGE_S
                if dead or old:
                    _delete(path)
                    removed.append(path.name)
    return removed


def process_running(pid: int | None) -> bool:
    """Whether process ``pid`` runs on this machine: it exists and is not a zombie (an exited child).

    Only POSIX can ask without disturbing the process; elsewhere the answer is always True,
    so nothing of a process that may still run is swept.
    """
    if not pid or pid <= 0:
        return False
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except (ProcessLookupError, OverflowError):  # no such process, or no such pid at all
        return False
    except OSError:  # it exists, but belongs to another user
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):  # no /proc (macOS): existing is running
        return True


def _entries(folder: Path) -> dict[str, tuple[list[Path], int, float]]:
    """``name -> (items, bytes on disk, last use)`` for every entry of ``folder``."""
    entries: dict[str, tuple[list[Path], int, float]] = {}
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for path in folder.iterdir():
            if path.name.startswith("."):
                continue
            with contextlib.suppress(FileNotFoundError):  # deleted meanwhile by another process
                name = path.name.split(".", 1)[0]
                paths, size, used = entries.get(name, ([], 0, 0.0))
                entries[name] = ([*paths, path], size + _disk_usage(path), max(used, path.lstat().st_mtime))
    return entries


def _disk_usage(path: Path) -> int:
    """Bytes ``path`` takes on disk, everything under it included; links are not followed."""
    total = _blocks(path.lstat())
    if path.is_dir() and not path.is_symlink():
        for here, folders, files in os.walk(path):
            for name in folders + files:
                with contextlib.suppress(FileNotFoundError):
                    total += _blocks(os.lstat(os.path.join(here, name)))
    return total


def _blocks(stat: os.stat_result) -> int:
    return getattr(stat, "st_blocks", 0) * 512 or stat.st_size


def _delete(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
