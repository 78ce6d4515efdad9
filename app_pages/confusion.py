"""Confusion: the run's calls and mistakes at any threshold, every metric with its interval.

Everything that depends on the threshold is drawn in one fragment, so moving the slider
reruns that part alone, not the sidebar and the rest of the app.
"""

import streamlit as st

import ui
from core.data import imagestats
from core.errors import UnmaskError
from core.evaluation import charts
from core.evaluation.metrics import ThresholdMetrics
from core.evaluation.report import NO_INTERVAL, metric_rows
from core.labels import CLASS_NAMES, FAKE, REAL
from core.runs.store import Run

CELLS = {  # name -> (actual, called)
    "real called real": (REAL, REAL),
    "real flagged as fake": (REAL, FAKE),
    "fake passed as real": (FAKE, REAL),
    "fake called fake": (FAKE, FAKE),
}
DEFAULT_CELL = "real flagged as fake"
#: Session keys: the cell shown (the picker's) and the matrix's click selection.
CELL, CLICK = "confusion_cell", "confusion_click"
#: Images shown from one cell.
SHOWN = 24
#: The curves' tabs, and their key (also the link's query parameter: ``?curve=ROC+curve``).
CURVE_TABS = ["Scores by class", "ROC curve", "Precision-recall curve"]
CURVE = "curve"


def page() -> None:
    st.title("Confusion matrix and metrics")
    run_id = ui.run_id_or_stop()
    run = ui.run_or_stop(run_id)
    st.caption(
        f"Run **{run_id}**, scored on its {len(run.scores)} validation images. Moving the threshold "
        "recomputes everything at once from these stored scores: it needs no retraining."
    )
    with st.expander("Choose a threshold by the cost of each mistake"):
        ui.cost_threshold_chooser(run)
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
    _cell_images(run, threshold)
    _curves(run, m)
    ui.run_downloads(run, m)


def _calls(m: ThresholdMetrics) -> None:
    left, right = st.columns([2, 3])
    left.subheader("Calls at this threshold")
    cell = _follow_click()
    actual, called = CELLS[cell]
    chart = charts.confusion_heatmap(m, selectable=True, selected=(CLASS_NAMES[actual], CLASS_NAMES[called]))
    # One key per cell shown: when the picker changes the cell, a new chart starts with that cell
    # selected, instead of the browser keeping the old click.
    ui.chart(chart.properties(height=220), on_select="rerun", key=f"{CLICK}-{cell}", where=left)
    left.caption("Click a cell to see its images below.")
    left.caption(
        f"At {m.threshold:g}: of {m.n_real} real faces, {m.tp} called real and {m.fn} flagged as fake; "
        f"of {m.n_fake} fakes, {m.fp} passed as real and {m.tn} called fake (n = {m.n}). "
        "Rows are the actual class, columns the call; shares are of the row."
    )
    right.subheader("Every metric")
    rows = metric_rows(m)
    scores = rows["note"] == NO_INTERVAL  # said once below the table, not on five rows
    rows.loc[scores, "note"] = ""
    ui.table(rows if rows["note"].astype(bool).any() else rows.drop(columns="note"), where=right)
    if scores.any():
        right.caption(
            f"{', '.join(rows.loc[scores, 'metric'])}: not simple shares, so no closed-form interval (—)."
        )


def _curves(run: Run, m: ThresholdMetrics) -> None:
    """The scores' histogram, ROC and precision-recall curves, a tab each. Only the chosen tab's chart
    is made and sent (choosing another reruns the page), so a new visitor's browser draws one chart here,
    not three; the chosen tab is kept in the link (``?curve=ROC+curve``)."""
    st.subheader("Across all thresholds")
    scores_tab, roc_tab, pr_tab = st.tabs(CURVE_TABS, key=CURVE, on_change="rerun", bind="query-params")
    if scores_tab.open:
        labels, scores = run.scores["label"], run.scores["score"]
        ui.chart(charts.score_histogram(labels, scores, threshold=m.threshold), where=scores_tab)
        scores_tab.caption(
            f"Scores per actual class ({m.n_real} real, {m.n_fake} fake); the dashed line is the threshold."
        )
        return
    try:
        roc, pr = ui.curve_points(run.run_id)
    except UnmaskError as exc:
        (roc_tab if roc_tab.open else pr_tab).info(str(exc))
        return
    if roc_tab.open:
        current = (m.passed_real_rate.rate, m.recall)
        ui.chart(charts.roc_chart(roc, current=current), where=roc_tab)
        roc_tab.caption(f"ROC curve; the red point is the current threshold. AUC {m.roc_auc:.3f}, n = {m.n}.")
    if pr_tab.open:
        ui.chart(charts.pr_chart(pr, current=(m.recall, m.precision)), where=pr_tab)
        pr_tab.caption(
            f"Precision-recall curve (real is positive). Average precision {m.average_precision:.3f}, "
            f"n = {m.n}."
        )


def _follow_click() -> str:
    """The cell to show: the one clicked in the matrix, if a click chose another; else the picker's.

    The picker's state can be empty (None) for a run: under quick threshold moves, one run in
    several hundred found it so in the load test. The default cell is shown then.
    """
    shown = st.session_state.get(CELL)
    if shown not in CELLS:
        shown = st.session_state[CELL] = DEFAULT_CELL
    click = st.session_state.get(f"{CLICK}-{shown}") or {}
    picked = click.get("selection", {}).get(charts.CELL_SELECTION) or []
    if picked:
        names = {(CLASS_NAMES[a], CLASS_NAMES[c]): name for name, (a, c) in CELLS.items()}
        st.session_state[CELL] = names.get((picked[0].get("actual"), picked[0].get("called")), shown)
    return st.session_state[CELL]


def _cell_images(run: Run, threshold: float) -> None:
    st.subheader("The images in a cell")
    name = st.segmented_control("Cell (or click one in the matrix)", list(CELLS), required=True, key=CELL)
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
    captions = [f"P(real) {s:.3f} · {p}" for p, s in zip(paths, scores.iloc[shown], strict=True)]
    if st.toggle("Show where the model looks (heat maps)", key="confusion_heat_maps"):
        ui.heat_maps_of_files(
            run.run_id,
            root,
            paths,
            size=run.info.image_size,
            threshold=threshold,
            native_max_side=run.info.native_max_side,
        )
    else:
        ui.image_gallery(root, paths, captions)
