"""The view's lasting state: the data set, run and threshold in use, and messages for the next run.

Session state holds the view so it survives page switches. Widgets' own keys (the
underscored ones) are forgotten by Streamlit on pages where the widget is not drawn, so
each widget copies its value to a plain key that lasts.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core.data.datasets import DEMO_NAME
from core.errors import UnmaskError
from core.labels import DEFAULT_THRESHOLD
from core.runs import store
from ui.navigation import link

# Session-state keys. The underscored ones belong to widgets, which Streamlit forgets on
# pages where they are not drawn; the plain ones are the lasting copies.
RUN, THRESHOLD, DATA = "run_id", "threshold", "data"
_RUN_WIDGET, _THRESHOLD_WIDGET = "_run_widget", "_threshold_widget"
NO_RUN_YET = "No run has been trained yet, so there is nothing to show here. Train one on the Train page."


@dataclass(frozen=True)
class DataChoice:
    """The data set picked in the sidebar: ``folder`` None means the built-in demo set."""

    folder: str | None
    name: str
    error: str | None = None


def data_choice() -> DataChoice:
    """The data set picked in the sidebar."""
    return st.session_state.get(DATA, DataChoice(None, DEMO_NAME))


def run_id_or_stop() -> str:
    """The run in use; with none, says to train one (with a link) and stops the page."""
    run_id = st.session_state.get(RUN)
    if not run_id:
        st.info(NO_RUN_YET)
        link("train", "Go to the Train page")
        st.stop()
    return run_id


def threshold() -> float:
    """The threshold in use (shared by every page)."""
    return float(st.session_state.get(THRESHOLD, DEFAULT_THRESHOLD))


def set_threshold(value: float) -> None:
    """Set the shared threshold, clamped to [0, 1], and mirror it in the URL (use from a widget callback).

    The URL is written here, not only by the sidebar, because a callback may be followed
    by a rerun of one fragment alone, which does not draw the sidebar.
    """
    st.session_state[THRESHOLD] = min(1.0, max(0.0, float(value)))
    if st.query_params.get("threshold") != url_threshold():
        st.query_params["threshold"] = url_threshold()


def url_threshold() -> str:
    """The threshold in use as the URL shows it, e.g. ``"0.75"``."""
    return f"{threshold():.6g}"


def select_run(run_id: str, *, keep_threshold: bool = False) -> None:
    """Make ``run_id`` the run in use; the threshold starts at the run's own unless kept."""
    st.session_state[RUN] = run_id
    if not keep_threshold:
        try:
            st.session_state[THRESHOLD] = store.run_info(run_id).threshold
        except UnmaskError:
            st.session_state[THRESHOLD] = DEFAULT_THRESHOLD


def flash(kind: str, text: str) -> None:
    """Keep a message (``kind`` is "success", "warning" or "error") for the next page run."""
    st.session_state["job_message"] = (kind, text)


def show_job_message() -> None:
    """Say once how the last job (or deletion) ended."""
    message = st.session_state.pop("job_message", None)
    if message:
        getattr(st, message[0])(message[1])
