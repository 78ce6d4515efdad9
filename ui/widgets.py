"""Widget groups the pages share; each returns a plain value."""

from __future__ import annotations

import streamlit as st

from ui.state import _THRESHOLD_WIDGET, set_threshold, threshold


def threshold_slider() -> float:
    """The shared threshold slider: one value, kept in step between pages and the URL."""
    st.session_state[_THRESHOLD_WIDGET] = threshold()
    st.slider(
        "Threshold: a face is called real when its score P(real) is above it",
        min_value=0.0,
        max_value=1.0,
        step=0.005,
        format="%.3f",
        key=_THRESHOLD_WIDGET,
        on_change=lambda: set_threshold(st.session_state[_THRESHOLD_WIDGET]),
        help="Shared by the Confusion, Bias and Try pages. Changing it needs no retraining.",
    )
    return threshold()
