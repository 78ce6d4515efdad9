"""Compare runs: metrics side by side with intervals, the settings that differ, curves overlaid."""

import streamlit as st

import ui
from core.evaluation import charts, compare
from core.runs import store
from ui.navigation import link

NEED_TWO = "Comparing needs at least two saved runs: train another one on the Train page."


def page() -> None:
    st.title("Compare runs")
    usable = {r.run_id: r for r in store.list_runs() if r.status != "incomplete"}
    if len(usable) < 2:
        st.info(NEED_TWO)
        link("train", "Go to the Train page")
        st.stop()
    picked = st.multiselect(
        "Runs to compare (newest first; name them in the sidebar)",
        list(usable),
        default=_default(list(usable)),
        format_func=lambda i: f"{usable[i].label} · {usable[i].status}",
        key="compare_runs",
    )
    if len(picked) < 2:
        st.info("Pick at least two runs to compare.")
        st.stop()
    runs = [ui.run_or_stop(run_id) for run_id in picked]
    threshold = ui.threshold_slider()
    st.subheader("Metrics side by side")
    st.dataframe(compare.metrics_table(runs, threshold=threshold), hide_index=True)
    st.caption(
        f"Each run on its own validation images, all at threshold {threshold:g}: shares with count/n and "
        "95% interval. Runs validated on different images (another data set, split or seed) are not a "
        "like-for-like comparison; overlapping intervals mean the runs cannot be told apart."
    )
    _settings(runs)
    _notes(runs)
    _curves(runs)


def _default(ids: list[str]) -> list[str]:
    """The run in use and the newest other finished run (else the newest other)."""
    current = st.session_state.get(ui.RUN) if st.session_state.get(ui.RUN) in ids else ids[0]
    others = [i for i in ids if i != current]
    finished = [i for i in others if store.run_info(i).status == "finished"]
    return [current, (finished or others)[0]]


def _settings(runs: list[store.Run]) -> None:
    st.subheader("Settings that differ")
    table = compare.settings_table([r.info for r in runs])
    if table.empty:
        st.success("The runs share every setting compared (data, preset, sizes, rates, split, seed).")
    else:
        st.dataframe(table, hide_index=True)


def _notes(runs: list[store.Run]) -> None:
    noted = [r.info for r in runs if r.info.note]
    for info in noted:
        st.caption(f"**{info.label}**: {info.note}")


def _curves(runs: list[store.Run]) -> None:
    st.subheader("Training curves")
    long = compare.histories(runs)
    if long.empty:
        st.info("None of these runs kept a training history.")
    else:
        ui.chart(charts.runs_history_chart(long))
        st.caption("Colour: the run; solid: training, dashed: validation. Cancelled runs stop early.")
    st.subheader("ROC and precision-recall curves")
    roc, pr, missing = compare.curves(runs)
    left, right = st.columns(2)
    if not roc.empty:
        ui.chart(charts.runs_curve_chart(roc, kind="roc"), where=left)
        ui.chart(charts.runs_curve_chart(pr, kind="pr"), where=right)
    for problem in missing:
        st.caption(f"No curve for {problem}")
