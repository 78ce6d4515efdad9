"""Train: settings, a live view of the training in progress, and the past runs to compare."""

import streamlit as st

import ui
from core.errors import UnmaskError
from core.evaluation.report import pct, rate_text, runs_table
from core.runs import store


def page() -> None:
    st.title("Train")
    ui.show_job_message()
    st.subheader("Queued and running")
    st.caption(
        "Each job trains in a process of its own, one at a time (later ones wait their turn): you can use "
        "other pages, reload, or open another tab, and Stop works from any of them."
    )
    if not ui.active_jobs():
        st.caption("No job is queued or running.")
    ui.jobs_panel()
    ui.training_form()
    run_id = st.session_state.get(ui.RUN)
    if run_id:
        _run_at_threshold(run_id)
    _past_runs()


def _run_at_threshold(run_id: str) -> None:
    st.header("The run in use at another threshold")
    st.caption(
        "The threshold needs no retraining: the run stores every validation image's score, "
        "so moving it recomputes the numbers at once."
    )
    value = ui.threshold_slider()
    try:
        m = ui.metrics_at(run_id, value)
    except UnmaskError as exc:
        st.error(str(exc))
        return
    cols = st.columns(3)
    for col, label, rate in (
        (cols[0], f"Accuracy at {value:g}", m.accuracy),
        (cols[1], "Real faces flagged as fake", m.flagged_fake_rate),
        (cols[2], "Fakes passed as real", m.passed_real_rate),
    ):
        col.metric(label, pct(rate.rate))
        col.caption(rate_text(rate))


def _past_runs() -> None:
    st.header("Past runs")
    listed = store.list_runs()
    if not listed:
        st.info("No run yet: start one above.")
        return
    # A static table: its cells wrap, so every column fits beside the sidebar without scrolling.
    st.table(runs_table(listed).set_index("run"))
    with st.expander("Delete a run"):
        doomed = st.selectbox("Run to delete", [r.run_id for r in listed], key="delete_run")
        sure = st.checkbox(f"Yes, delete {doomed} and its model for good", key="delete_confirm")
        st.button(
            "Delete run", disabled=not sure, key="delete_button", on_click=ui.delete_run, args=(doomed,)
        )
