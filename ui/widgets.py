"""Widget groups the pages share: the threshold slider, an image gallery, a run's downloads."""

from __future__ import annotations

import json
from collections.abc import Sequence

import streamlit as st

from core.errors import UnmaskError
from core.evaluation.metrics import ThresholdMetrics
from core.labels import CLASS_NAMES, FAKE, REAL
from core.runs.store import Run, json_safe
from ui.loaders import thumbnail
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


def image_gallery(root: str, paths: Sequence[str], captions: Sequence[str], *, width: int = 128) -> None:
    """Thumbnails of ``paths`` (relative to ``root``) with captions; says how many could not be shown."""
    pictures, shown_captions, missing = [], [], []
    for path, caption in zip(paths, captions, strict=True):
        try:
            pictures.append(thumbnail(root, path))
            shown_captions.append(caption)
        except UnmaskError as exc:
            missing.append(str(exc))
    if pictures:
        st.image(pictures, caption=shown_captions, width=width)
    if missing:
        st.warning(
            f"{len(missing)} image(s) could not be shown; the run's data folder {root} may have moved. "
            f"First: {missing[0]}"
        )


def run_downloads(run: Run, m: ThresholdMetrics) -> None:
    """Download buttons for a run's per-image scores and its metrics at the current threshold."""
    st.subheader("Downloads")
    columns = st.columns(2)
    # Callables: each file is made when its button is pressed, not on every threshold move.
    columns[0].download_button(
        "Per-image scores (CSV)",
        lambda: run.scores.to_csv(index=False),
        file_name=f"{run.run_id}-scores.csv",
        mime="text/csv",
        on_click="ignore",
    )
    columns[1].download_button(
        f"Metrics at {m.threshold:g} (JSON)",
        lambda: json.dumps({"run_id": run.run_id, **json_safe(m.to_dict())}, indent=2),
        file_name=f"{run.run_id}-metrics.json",
        mime="application/json",
        on_click="ignore",
    )
    st.caption(
        f"CSV with {CLASS_NAMES[REAL]} = 1 and {CLASS_NAMES[FAKE]} = 0 in the label column; score is P(real)."
    )
