"""Confusion: the run's calls and mistakes at any threshold, every metric with its interval."""

import json
from pathlib import Path

import streamlit as st

import ui
from core import charts, imagestats, metrics
from core.errors import UnmaskError
from core.images import decode_image
from core.labels import CLASS_NAMES, FAKE, REAL
from core.runs import json_safe

st.title("Confusion matrix and metrics")
run_id = ui.run_id_or_stop()
run = ui.run_or_stop(run_id)
st.caption(
    f"Run **{run_id}**, scored on its {len(run.scores)} validation images. Moving the threshold recomputes "
    "everything at once from these stored scores: it needs no retraining."
)
threshold = ui.threshold_slider()
try:
    m = ui.metrics_at(run_id, threshold)
except UnmaskError as exc:
    st.error(str(exc))
    st.info("The run's stored scores cannot be used: delete it on the Train page and train again.")
    st.stop()

left, right = st.columns([2, 3])
left.subheader("Calls at this threshold")
left.altair_chart(charts.confusion_heatmap(m).properties(height=220), width="stretch")
left.caption(
    f"At {threshold:g}: of {m.n_real} real faces, {m.tp} called real and {m.fn} flagged as fake; "
    f"of {m.n_fake} fakes, {m.fp} passed as real and {m.tn} called fake (n = {m.n}). "
    "Rows are the actual class, columns the call; shares are of the row."
)
right.subheader("Every metric")
right.dataframe(ui.metric_table(m), hide_index=True)

st.subheader("Across all thresholds")
labels, scores = run.scores["label"], run.scores["score"]
roc_col, pr_col = st.columns(2)
try:
    roc_col.altair_chart(
        charts.roc_chart(metrics.roc_points(labels, scores), current=(m.passed_real_rate.rate, m.recall)),
        width="stretch",
    )
    roc_col.caption(f"ROC curve; the red point is the current threshold. AUC {m.roc_auc:.3f}, n = {m.n}.")
    pr_col.altair_chart(
        charts.pr_chart(metrics.pr_points(labels, scores), current=(m.recall, m.precision)), width="stretch"
    )
    pr_col.caption(
        f"Precision-recall curve (real is positive). Average precision {m.average_precision:.3f}, n = {m.n}."
    )
except UnmaskError as exc:
    st.info(str(exc))
st.altair_chart(charts.score_histogram(labels, scores, threshold=threshold), width="stretch")
st.caption(f"Scores per actual class ({m.n_real} real, {m.n_fake} fake); the dashed line is the threshold.")

st.subheader("Choose a threshold by the cost of each mistake")
costs = st.columns(3)
cost_fake = costs[0].number_input("Cost of a fake passed as real", min_value=0.0, value=1.0, step=0.5)
cost_real = costs[1].number_input("Cost of a real face flagged as fake", min_value=0.0, value=1.0, step=0.5)
try:
    suggestion = metrics.cost_threshold(
        labels, scores, cost_fake_passed=cost_fake, cost_real_flagged=cost_real
    )
except UnmaskError as exc:
    costs[2].error(str(exc))
else:
    costs[2].button(
        f"Suggest a threshold: {suggestion:.4g}",
        on_click=ui.set_threshold,
        args=(suggestion,),
        key="suggest_threshold",
    )
    st.caption(
        f"The threshold with the lowest total cost on these {m.n} validation images, at a cost ratio of "
        f"{cost_fake:g} : {cost_real:g}; a threshold tuned on the same images flatters them a little."
    )

st.subheader("The images in a cell")
cells = {  # name -> (actual, called)
    "real called real": (REAL, REAL),
    "real flagged as fake": (REAL, FAKE),
    "fake passed as real": (FAKE, REAL),
    "fake called fake": (FAKE, FAKE),
}
name = st.segmented_control(
    "Cell", list(cells), default="real flagged as fake", required=True, key="confusion_cell"
)
actual, called = cells[name]
members = imagestats.images_in_cell(labels, scores, threshold=threshold, actual=actual, called=called)
root = Path(run.info.config.get("dataset", {}).get("root", ""))
if len(members) == 0:
    st.success(f"No image is in this cell at threshold {threshold:g}.")
else:
    shown = members[:24]
    order = "most confident mistakes first" if actual != called else "most confident first"
    st.caption(f"{len(shown)} of the {len(members)} images in this cell, {order}.")
    pictures, captions, missing = [], [], []
    for i in shown:
        path, score = run.scores["path"].iloc[i], run.scores["score"].iloc[i]
        try:
            pictures.append(decode_image(root / path, size=128))
            captions.append(f"P(real) {score:.3f} · {path}")
        except UnmaskError as exc:
            missing.append(str(exc))
    if pictures:
        st.image(pictures, caption=captions, width=128)
    if missing:
        st.warning(
            f"{len(missing)} image(s) could not be shown; the run's data folder {root} may have moved. "
            f"First: {missing[0]}"
        )

st.subheader("Downloads")
downloads = st.columns(2)
downloads[0].download_button(
    "Per-image scores (CSV)",
    run.scores.to_csv(index=False),
    file_name=f"{run_id}-scores.csv",
    mime="text/csv",
)
downloads[1].download_button(
    f"Metrics at {threshold:g} (JSON)",
    json.dumps({"run_id": run_id, **json_safe(m.to_dict())}, indent=2),
    file_name=f"{run_id}-metrics.json",
    mime="application/json",
)
st.caption(
    f"CSV with {CLASS_NAMES[REAL]} = 1 and {CLASS_NAMES[FAKE]} = 0 in the label column; score is P(real)."
)
