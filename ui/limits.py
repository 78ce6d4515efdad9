"""The Train form's limits and its memory check, for the data set in use on this machine now.

Both come from :mod:`core.model.memory` (pure arithmetic): the form offers no image size or
batch that cannot fit with any preset, and a combination that cannot fit is refused with
a sentence that says what fits, before anything is decoded.
"""

from __future__ import annotations

import streamlit as st

from core.data import datasets
from core.errors import ConfigError, UnmaskError
from core.model import memory
from core.model.config import TrainConfig


def train_limits(folder: str) -> tuple[int, int]:
    """The largest image size and batch the Train form offers for the data set in ``folder``."""
    return memory.form_limits(_image_count(folder), available=memory.available_bytes())


def memory_problem(config: TrainConfig, folder: str) -> str | None:
    """Why training ``config`` on ``folder`` cannot fit in memory (a sentence), or None when it can."""
    try:
        memory.check_fits(config, n_images=_image_count(folder), available=memory.available_bytes())
    except ConfigError as exc:
        return str(exc)
    return None


@st.cache_data(ttl=30, show_spinner=False)
def _image_count(folder: str) -> int:
    """Images listed in ``folder`` (no pixels decoded); 0 when it cannot be read (training says why)."""
    try:
        return len(datasets.scan(folder))
    except UnmaskError:
        return 0
