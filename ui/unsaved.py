"""A run trained but refused by the disk: kept in the session, with a button to save it again.

When saving a finished run fails (a full disk), the training job keeps the model and its
results in memory (:class:`core.errors.RunNotSaved`); the sidebar then offers *Save again*,
so the user can free space and keep the run without training it again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from core.errors import UnmaskError
from ui.state import flash, select_run

#: Session-state key of the unsaved run's ``save_again()``.
UNSAVED = "unsaved_run"
UNSAVED_NOTE = (
    "The run just trained could not be saved, so it is kept in memory until this session ends: "
    "free some space on the disk, then press Save again."
)


def keep_unsaved(save_again: Callable[[], Any] | None) -> None:
    """Keep a run that could not be saved, to offer saving it again (None: nothing to keep)."""
    if save_again is not None:
        st.session_state[UNSAVED] = save_again


def unsaved_panel() -> None:
    """Say that a trained run is waiting to be saved, with Save again and Discard buttons."""
    if UNSAVED not in st.session_state:
        return
    st.warning(UNSAVED_NOTE)
    save, discard = st.columns(2)
    save.button("Save again", key="save_again", on_click=_save_again, type="primary")
    discard.button("Discard", key="discard_unsaved", on_click=_discard)


def _discard() -> None:
    st.session_state.pop(UNSAVED, None)


def _save_again() -> None:
    """Try once more (a button callback); on success the run becomes the run in use."""
    try:
        info = st.session_state[UNSAVED]()
    except UnmaskError as exc:
        flash("error", str(exc))
        return
    del st.session_state[UNSAVED]
    select_run(info.run_id)
    flash("success", f"Run {info.run_id} is saved; it is now the run in use.")
