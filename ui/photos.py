"""Photos a visitor uploads to be scored: decoded once per session, by their content.

A Try-page rerun (every threshold move) would otherwise decode every upload again, and a
1.5 kB lossless WebP can hold 39 megapixels that cost about a gigabyte to decode. Each
upload's pixels (or the sentence saying why it cannot be used) are kept in session state
under the SHA-256 of its bytes and the size asked for; only the current uploads' entries
are kept, so the session holds at most one small array per photo on the page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import streamlit as st

from core.data.images import decode_upload
from core.errors import UnmaskError

_DECODED = "_decoded_photos"


def decoded_photos(
    files: Sequence[Any], *, size: int, native_max_side: int = 0
) -> list[tuple[str, np.ndarray | str]]:
    """``(name, pixels)`` for each uploaded file, or ``(name, sentence)`` for one that cannot be used.

    Parameters
    ----------
    files : sequence of UploadedFile
        What ``st.file_uploader`` returned.
    size : int
        Side of the square the model takes.
    native_max_side : int, default 0
        For a run of a patch preset: decode at the image's own size instead (reduced by an
        integer factor when a side is over this), as the run scores images.

    Returns
    -------
    list of (str, ndarray of uint8 (size, size, 3) or (h, w, 3), or str)
    """
    before: dict[tuple[str, int, int], np.ndarray | str] = st.session_state.get(_DECODED, {})
    kept: dict[tuple[str, int, int], np.ndarray | str] = {}
    found = []
    for file in files:
        data = file.getvalue()
        key = (hashlib.sha256(data).hexdigest(), size, native_max_side)
        if key not in kept:
            kept[key] = before[key] if key in before else _decode(data, size, native_max_side)
        found.append((file.name, kept[key]))
    st.session_state[_DECODED] = kept
    return found


def _decode(data: bytes, size: int, native_max_side: int) -> np.ndarray | str:
    try:
        if native_max_side:
            return decode_upload(data, native_max_side=native_max_side)
        return decode_upload(data, size=size)
    except UnmaskError as exc:
        return str(exc)
