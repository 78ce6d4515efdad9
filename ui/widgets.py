"""Widget groups the pages share: the threshold slider, an image gallery, a run's downloads."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import streamlit as st

from core.data import imagestats
from core.data.faceset import FaceSet
from core.errors import UnmaskError
from core.evaluation import thresholds
from core.evaluation.metrics import ThresholdMetrics
from core.evaluation.report import ci_text, pct
from core.labels import CLASS_NAMES, FAKE, PAPER, REAL
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


def headline_metrics(s: dict[str, Any], m: dict[str, Any]) -> None:
    """The Overview's three numbers: the run's validation accuracy, the paper's, the majority baseline.

    ``s`` is :func:`core.evaluation.report.train_summary` (at the shared threshold), ``m`` the run's metrics.
    """
    low, high = s["val_accuracy_ci"] or (None, None)
    base_low, base_high = m.get("majority_baseline_ci") or (None, None)
    left, middle, right = st.columns(3)
    left.metric(f"This run: validation accuracy at {s['threshold']:g}", pct(s["val_accuracy"]))
    left.caption(f"{s['val_correct']} of {s['n_val']} correct · 95% CI {ci_text(low, high)} · {s['dataset']}")
    middle.metric("The paper", pct(PAPER["val_accuracy_reported"], 2))
    middle.caption(
        f"reported; its own count, {PAPER['val_correct_reported']} of {PAPER['n_val']}, is "
        f"{pct(PAPER['val_accuracy_from_counts'], 2)} · no interval given"
    )
    right.metric("Majority-class baseline", pct(s["majority_baseline"]))
    right.caption(
        f"always answering the larger class: {max(m.get('n_real', 0), m.get('n_fake', 0))} of {m.get('n')} "
        f"· 95% CI {ci_text(base_low, base_high)}"
    )


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


def report_downloads(run_id: str) -> None:
    """Download buttons for the run's one-file report, as HTML and as PDF, made when pressed.

    At the threshold in use, with the run's latest saved bias check (else the run's own data,
    when its images carry groups).
    """
    from core.document import to_html, to_pdf

    def page() -> str:  # runs when a button is pressed: a few seconds (charts are drawn as SVG)
        return _report_html(run_id, threshold(), None, to_html)

    columns = st.columns(2)
    columns[0].download_button(
        "Download the report (HTML)",
        page,
        file_name=f"unmask-{run_id}.html",
        mime="text/html",
        on_click="ignore",
        icon=":material/description:",
        key="report_html",
    )
    columns[1].download_button(
        "Download the report (PDF)",
        lambda: to_pdf(page()),
        file_name=f"unmask-{run_id}.pdf",
        mime="application/pdf",
        on_click="ignore",
        icon=":material/picture_as_pdf:",
        key="report_pdf",
    )
    st.caption(
        "One self-contained file: the study, the run's settings and data fingerprint, every metric with n "
        "and 95% interval, the matrix, ROC and PR curves, the bias table and chart, stress tests where "
        "stored, and how far the numbers go. Also: `python -m core report --run ID --out FILE.html`."
    )


def _report_html(run_id: str, at: float, bias_folder: str | None, to_html: Any) -> str:
    from core.document import gather, problem_page

    try:
        return to_html(gather(run_id, threshold=at, bias_data=bias_folder))
    except UnmaskError as exc:  # the file then says what went wrong, in the same sentence the CLI prints
        return problem_page(run_id, str(exc))


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


def cost_threshold_chooser(run: Run) -> None:
    """Suggest the threshold with the lowest cost of mistakes; no threshold move changes it."""
    columns = st.columns(3)
    cost_fake = columns[0].number_input("Cost of a fake passed as real", min_value=0.0, value=1.0, step=0.5)
    cost_real = columns[1].number_input(
        "Cost of a real face flagged as fake", min_value=0.0, value=1.0, step=0.5
    )
    try:
        suggestion = thresholds.cost_threshold(
            run.scores["label"], run.scores["score"], cost_fake_passed=cost_fake, cost_real_flagged=cost_real
        )
    except UnmaskError as exc:
        columns[2].error(str(exc))
        return
    columns[2].button(
        f"Suggest a threshold: {suggestion:.4g}",
        on_click=set_threshold,
        args=(suggestion,),
        key="suggest_threshold",
    )
    st.caption(
        f"The threshold with the lowest total cost on these {len(run.scores)} validation images, at a "
        f"cost ratio of {cost_fake:g} : {cost_real:g}; a threshold tuned on the same images flatters them "
        "a little."
    )


@st.fragment  # a filter change reruns the grid alone
def image_grid(faces: FaceSet, size: int) -> None:
    """Up to 24 images of a face set, drawn at random, filtered by class and group; a filter change
    reruns this grid alone."""
    filters = st.columns(4)
    label = filters[0].selectbox(
        "Class", [None, REAL, FAKE], format_func=lambda v: "all" if v is None else CLASS_NAMES[v]
    )
    attribute = filters[1].selectbox(
        "Group attribute", [None, *faces.attributes], format_func=lambda v: v or "any"
    )
    values = sorted(faces.groups[attribute].unique()) if attribute else []
    group = filters[2].selectbox(
        "Group", [None, *values], format_func=lambda v: v or "any", disabled=not attribute
    )
    seed = filters[3].number_input("Sample seed", min_value=0, max_value=2**31 - 1, value=0, step=1)
    groups = faces.groups[attribute] if attribute else None
    shown = imagestats.pick_positions(
        faces.labels, groups=groups, label=label, group=group, n=24, seed=int(seed)
    )
    if len(shown) == 0:
        st.info("No image matches these filters.")
    else:
        st.caption(
            f"{len(shown)} images drawn at random (seed {seed}), at {size} px as the model would see them."
        )
        captions = [f"{CLASS_NAMES[int(faces.labels[i])]} · {faces.paths[i]}" for i in shown]
        st.image([faces.images[i] for i in shown], caption=captions, width=110)
