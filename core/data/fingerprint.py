"""A folder's fingerprint: one short key that changes whenever the images in it change.

Results computed on a folder (a run's evaluation on it, its stress probes) are stored under
this key, so a folder seen again is found again, and a folder whose files were added,
removed, replaced or touched gets a new key instead of stale numbers. The decode cache
(:func:`core.data.cache.cache_key`) keys pixels at one size; this keys the folder itself.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

#: Hex digits kept: 80 bits, far beyond any number of folders one machine sees.
FINGERPRINT_LENGTH = 20
_FINGERPRINT = re.compile(rf"^[0-9a-f]{{{FINGERPRINT_LENGTH}}}$")


def folder_fingerprint(root: str | os.PathLike[str], paths: Sequence[str]) -> str:
    """A hex key of ``root``'s resolved path and each of ``paths``' name, size and modification time.

    Parameters
    ----------
    root : path
        The data folder.
    paths : sequence of str
        The image files in it, relative to ``root`` (as :attr:`FaceSet.paths`); order does
        not matter.

    Returns
    -------
    str
        :data:`FINGERPRINT_LENGTH` lowercase hex digits.

    Raises
    ------
    OSError
        If one of the files cannot be examined (``os.stat``).
    """
    folder = Path(root).expanduser().resolve()
    digest = hashlib.sha256(os.fsencode(str(folder)) + b"\0\n")
    for path in sorted(paths):
        stat = os.stat(folder / path)
        digest.update(os.fsencode(path) + f"\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:FINGERPRINT_LENGTH]


def is_fingerprint(key: str) -> bool:
    """Whether ``key`` looks like a :func:`folder_fingerprint` (safe to use as a file name).

    Examples
    --------
    >>> is_fingerprint("0123456789abcdef0123"), is_fingerprint("../../etc")
    (True, False)
    """
    return isinstance(key, str) and bool(_FINGERPRINT.match(key))
