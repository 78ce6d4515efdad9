"""Presenter mode: the dashboard readable on a projector at 1280 x 720.

On with ``?present=1`` in the link or the sidebar's toggle (kept in the URL, so a copied
link presents too). It makes chart fonts and labels larger (:func:`chart`, an Altair
``configure`` per chart, so other sessions keep theirs), text and numbers larger, hides the
Deploy button and the toolbar, and the router opens with the sidebar collapsed; pages put
their headline numbers first (:func:`presenting`).
"""

from __future__ import annotations

import functools
import os
from typing import Any

import streamlit as st

#: Set to 1 (the tests do) to have Altair check every chart drawn against the Vega-Lite schema.
VALIDATE_CHARTS = "UNMASK_VALIDATE_CHARTS"
#: The query parameter and the session key.
PRESENT = "present"
_TOGGLE = "_present_toggle"
#: Chart fonts in presenter mode, in pixels (Vega-Lite's defaults are 10 to 13).
FONTS = {"label": 17, "title": 19, "legend": 17, "heading": 22}
#: Pixels a row of a chart with categories down its side (a probe, a group), presenting.
DISCRETE_STEP = 28
CSS = """
<style>
[data-testid="stAppDeployButton"], [data-testid="stToolbarActions"], [data-testid="stMainMenu"] {
  display: none !important;
}
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stCaptionContainer"] { font-size: 1.2rem; }
[data-testid="stImageCaption"], [data-testid="stImageCaption"] * { font-size: 0.875rem !important; }
[data-testid="stMain"] [data-testid="stMarkdownContainer"] table { font-size: 1.1rem; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 3rem !important; }
[data-testid="stMetricLabel"] p { font-size: 1.25rem !important; }
[data-testid="stMain"] h1 { font-size: 2.6rem; }
[data-testid="stMain"] .block-container { padding-top: 2.5rem; max-width: 100%; }
</style>
"""


def from_url() -> bool:
    """Whether the link asks for presenter mode (``?present=1``, ``true`` or ``yes``)."""
    return str(st.query_params.get(PRESENT, "")).lower() in ("1", "true", "yes")


def presenting() -> bool:
    """Whether this session is in presenter mode."""
    return bool(st.session_state.get(PRESENT, False))


def toggle() -> None:
    """The sidebar's switch; the first run of a session takes its value from the link."""
    if PRESENT not in st.session_state:
        st.session_state[PRESENT] = from_url()
    st.session_state[_TOGGLE] = st.session_state[PRESENT]
    st.toggle(
        "Presenter mode",
        key=_TOGGLE,
        on_change=lambda: st.session_state.update({PRESENT: st.session_state[_TOGGLE]}),
        help="Larger charts and numbers, headline first, no toolbar: for a projector. Link: ?present=1",
    )
    if presenting():
        st.query_params[PRESENT] = "1"
    elif PRESENT in st.query_params:
        del st.query_params[PRESENT]


def apply() -> None:
    """Add the presenter styles to the page when presenting."""
    if presenting():
        st.html(CSS)


def chart(figure: Any, **options: Any) -> Any:
    """``st.altair_chart(figure, width="stretch", **options)``, larger and plainer when presenting.

    Returns what ``st.altair_chart`` returns (the selection, with ``on_select``).
    """
    options.setdefault("width", "stretch")
    target = options.pop("where", st)
    return target.altair_chart(unchecked(style(figure) if presenting() else figure), **options)


def unchecked(figure: Any) -> Any:
    """``figure``, whose spec Streamlit will make without Altair's JSON-schema check.

    The check was half of a threshold move's time on the server (two charts a move). The charts
    are fixed code, not user input: the tests check every chart the pages draw (they set
    :data:`VALIDATE_CHARTS`), and the server skips it.
    """
    if os.environ.get(VALIDATE_CHARTS) == "1":
        return figure
    # Streamlit calls figure.to_dict(); Altair's objects keep attributes in their spec, so set it directly.
    object.__setattr__(figure, "to_dict", functools.partial(type(figure).to_dict, figure, validate=False))
    return figure


def style(figure: Any) -> Any:
    """``figure`` configured for a projector: larger fonts, horizontal axis labels where they fit."""
    return (
        figure.configure_axis(labelFontSize=FONTS["label"], titleFontSize=FONTS["title"], labelLimit=260)
        .configure_axisX(labelAngle=0, labelOverlap="greedy")
        .configure_legend(labelFontSize=FONTS["legend"], titleFontSize=FONTS["legend"], symbolSize=180)
        .configure_title(fontSize=FONTS["heading"])
        .configure_text(fontSize=FONTS["label"])
        # a row per category tall enough for the larger labels (Vega-Lite's 20 px would drop every other)
        .configure_view(discreteHeight={"step": DISCRETE_STEP})
    )
