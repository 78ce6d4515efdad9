"""The Train form's limits for the data set in use, on this machine now.

They come from :mod:`core.model.memory` (pure arithmetic): the form offers no image size or
batch that cannot fit with any preset. A combination within them that still cannot fit is
refused when it is submitted (:func:`core.pipeline.check_training_folder`), with a sentence
that says what fits.
"""

from __future__ import annotations

import streamlit as st

from core.data import datasets
from core.errors import UnmaskError
from core.model import memory


def train_limits(folder: str) -> tuple[int, int]:
    """The largest image size and batch the Train form offers for the data set in ``folder``."""
    return memory.form_limits(_image_count(folder), available=memory.available_bytes())


@st.cache_data(ttl=30, show_spinner=False)
def _image_count(folder: str) -> int:
    """Images listed in ``folder`` (no pixels decoded); 0 when it cannot be read (training says why)."""
    try:
        return len(datasets.scan(folder))
    except UnmaskError:
        return 0
