"""Confusion: the run's calls and mistakes at any threshold, every metric with its interval.

Everything that depends on the threshold is drawn in one fragment, so moving the slider
reruns that part alone, not the sidebar and the rest of the app.
"""

import streamlit as st

import ui
from core.data import imagestats
from core.errors import UnmaskError
from core.evaluation import charts, thresholds
from core.evaluation.metrics import ThresholdMetrics
from core.evaluation.report import metric_rows
from core.labels import FAKE, REAL
from core.runs.store import Run

CELLS = {  # name -> (actual, called)
    "real called real": (REAL, REAL),
    "real flagged as fake": (REAL, FAKE),
    "fake passed as real": (FAKE, REAL),
    "fake called fake": (FAKE, FAKE),
}
#: Images shown from one cell.
SHOWN = 24


def page() -> None:
    st.title("Confusion matrix and metrics")
    run_id = ui.run_id_or_stop()
    run = ui.run_or_stop(run_id)
    st.caption(
        f"Run **{run_id}**, scored on its {len(run.scores)} validation images. Moving the threshold "
        "recomputes everything at once from these stored scores: it needs no retraining."
    )
    with st.expander("Choose a threshold by the cost of each mistake"):
        _costs(run)
    _at_threshold(run)


@st.fragment
def _at_threshold(run: Run) -> None:
    """Everything that moves with the threshold: a slider move reruns this part alone."""
    threshold = ui.threshold_slider()
    try:
        m = ui.metrics_at(run.run_id, threshold)
    except UnmaskError as exc:
        st.error(str(exc))
        st.info("The run's stored scores cannot be used: delete it on the Train page and train again.")
        st.stop()
    _calls(m)
    _curves(run, m)
    _cell_images(run, threshold)
    ui.run_downloads(run, m)


def _calls(m: ThresholdMetrics) -> None:
    left, right = st.columns([2, 3])
    left.subheader("Calls at this threshold")
    left.altair_chart(charts.confusion_heatmap(m).properties(height=220), width="stretch")
    left.caption(
        f"At {m.threshold:g}: of {m.n_real} real faces, {m.tp} called real and {m.fn} flagged as fake; "
        f"of {m.n_fake} fakes, {m.fp} passed as real and {m.tn} called fake (n = {m.n}). "
        "Rows are the actual class, columns the call; shares are of the row."
    )
    right.subheader("Every metric")
    right.dataframe(metric_rows(m), hide_index=True)


def _curves(run: Run, m: ThresholdMetrics) -> None:
    st.subheader("Across all thresholds")
    roc_col, pr_col = st.columns(2)
    try:
        roc, pr = ui.curve_points(run.run_id)
    except UnmaskError as exc:
        st.info(str(exc))
    else:
        current = (m.passed_real_rate.rate, m.recall)
        roc_col.altair_chart(charts.roc_chart(roc, current=current), width="stretch")
        roc_col.caption(f"ROC curve; the red point is the current threshold. AUC {m.roc_auc:.3f}, n = {m.n}.")
        pr_col.altair_chart(charts.pr_chart(pr, current=(m.recall, m.precision)), width="stretch")
        pr_col.caption(
            f"Precision-recall curve (real is positive). Average precision {m.average_precision:.3f}, "
            f"n = {m.n}."
        )
    labels, scores = run.scores["label"], run.scores["score"]
    st.altair_chart(charts.score_histogram(labels, scores, threshold=m.threshold), width="stretch")
    st.caption(
        f"Scores per actual class ({m.n_real} real, {m.n_fake} fake); the dashed line is the threshold."
    )


def _costs(run: Run) -> None:
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
        on_click=ui.set_threshold,
        args=(suggestion,),
        key="suggest_threshold",
    )
    st.caption(
        f"The threshold with the lowest total cost on these {len(run.scores)} validation images, at a "
        f"cost ratio of {cost_fake:g} : {cost_real:g}; a threshold tuned on the same images flatters them "
        "a little."
    )


def _cell_images(run: Run, threshold: float) -> None:
    st.subheader("The images in a cell")
    name = st.segmented_control(
        "Cell", list(CELLS), default="real flagged as fake", required=True, key="confusion_cell"
    )
    actual, called = CELLS[name]
    scores = run.scores["score"]
    members = imagestats.images_in_cell(
        run.scores["label"], scores, threshold=threshold, actual=actual, called=called
    )
    if len(members) == 0:
        st.success(f"No image is in this cell at threshold {threshold:g}.")
        return
    shown = members[:SHOWN]
    order = "most confident mistakes first" if actual != called else "most confident first"
    st.caption(f"{len(shown)} of the {len(members)} images in this cell, {order}.")
    root = str(run.info.config.get("dataset", {}).get("root", ""))
    paths = run.scores["path"].iloc[shown]
    ui.image_gallery(
        root, paths, [f"P(real) {s:.3f} · {p}" for p, s in zip(paths, scores.iloc[shown], strict=True)]
    )
