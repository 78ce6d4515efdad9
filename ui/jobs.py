"""Training jobs on screen: submit to the queue, show every queued and running job live, stop any.

Jobs run in worker processes of their own (:mod:`core.runs.jobs`); this module only reads their
files, so a reload, a second tab or the CLI see the same jobs, and Stop works from anywhere. A
session remembers the jobs it submitted, to select the run and say how it went when one ends.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import pipeline
from core import reproduce as protocol
from core.errors import UnmaskError
from core.evaluation import rates
from core.evaluation.charts import training_curves
from core.evaluation.report import ci_text, ordinal, pct
from core.model.config import TrainConfig
from core.runs import jobs, store
from ui.presenter import chart
from ui.state import data_choice, flash, select_run

#: Session keys: the ids of the jobs this session submitted, and the active ids seen last.
WATCHED, SEEN_ACTIVE = "watched_jobs", "_active_jobs_seen"
UNSAVED_NOTE = (
    "The trained model is kept in memory by its job for up to an hour: free some space on the disk, "
    "then press Save again."
)


def submit_training(config: TrainConfig, folder: str | None) -> None:
    """Queue training ``config`` on ``folder`` (None: the demo set); a button callback."""
    try:
        data = pipeline.check_training_folder(folder, config)  # refuses what cannot fit in memory
        job_id = jobs.submit(jobs.JobSpec("train", config.to_dict(), data))
    except UnmaskError as exc:
        flash("error", str(exc))
        return
    _watch(job_id)


def start_reproduction() -> None:
    """Queue the paper's protocol on the data set in use (a button callback: once per click)."""
    choice = data_choice()
    if choice.error:
        flash("error", f"{choice.error} Pick another data set in the sidebar.")
        return
    bias_folder = st.session_state.get("bias_folder")
    try:
        protocol.check_bias_data(choice.folder, bias_folder)
        config = protocol.protocol_config("fast")
        data = pipeline.check_training_folder(choice.folder, config)
        job_id = jobs.submit(jobs.JobSpec("reproduce", config.to_dict(), data, bias_folder))
    except UnmaskError as exc:
        flash("error", str(exc))
        return
    _watch(job_id)


def active_jobs(kind: str | None = None) -> list[jobs.Job]:
    """Queued and running jobs, oldest first (of one ``kind`` if given)."""
    return [j for j in jobs.list_jobs(include_ended=False) if kind is None or j.spec.kind == kind]


#: Seconds between looks at the job registry while a job is queued or running here, and while none is
#: (then only to notice one started from another tab or the command line). Every fragment run ends with
#: Streamlit collecting unreferenced media, which deletes a just-made download (the report) after two
#: collections: a one-second poll with nothing to show would cancel slow downloads.
POLL_BUSY_S = 1.0
POLL_IDLE_S = 30.0


def jobs_panel(kind: str | None = None) -> None:
    """Every queued and running job (of ``kind``), live; Stop on each.

    Polls the registry every :data:`POLL_BUSY_S` while a job is queued or running, else every
    :data:`POLL_IDLE_S`; a job that starts or ends reruns the whole app, which switches the pace.
    """
    (_panel_busy if active_jobs() else _panel_idle)(kind)


@st.fragment(run_every=POLL_BUSY_S)
def _panel_busy(kind: str | None) -> None:
    _panel(kind)


@st.fragment(run_every=POLL_IDLE_S)
def _panel_idle(kind: str | None) -> None:
    _panel(kind)


def _panel(kind: str | None) -> None:
    active = active_jobs()
    ids = [j.job_id for j in active]
    if st.session_state.get(SEEN_ACTIVE, ids) != ids:
        st.session_state[SEEN_ACTIVE] = ids
        st.rerun()  # a job started or ended: the whole app, so the sidebar lists the new run
    st.session_state[SEEN_ACTIVE] = ids
    for job in active:
        if kind is None or job.spec.kind == kind:
            _job_view(job)


def _job_view(job: jobs.Job) -> None:
    with st.container(border=True):
        what = "Reproduction of the study" if job.spec.kind == "reproduce" else "Training"
        preset = job.spec.config.get("preset")
        st.markdown(f"**{what}** · job `{job.job_id}` · {preset} preset, {job.epochs} epochs")
        st.progress(_fraction(job), text=progress_text(job))
        if job.phase == "unsaved" and not job.stop_requested:
            _unsaved(job)
        elif job.stop_requested:
            st.caption("Stop asked: the job stops within a batch and saves its run as cancelled.")
        else:
            st.button("Stop", key=f"stop-{job.job_id}", on_click=_stop, args=(job.job_id,))
        if job.history:
            history = pd.DataFrame(job.history)
            _live_accuracy(history, job)
            chart(training_curves(history))


def progress_text(job: jobs.Job) -> str:
    """What the job is doing, in words: its place in the queue, or its phase with numbers."""
    if job.state == "queued":
        ahead = job.queue_position - 1
        return f"Waiting: {ordinal(job.queue_position)} in the queue" + (
            f" ({ahead} job{'s' if ahead > 1 else ''} before it, after the running one)" if ahead else ""
        )
    if job.phase in ("queued", "starting"):
        return "Starting: loading TensorFlow (a few seconds)…"
    if job.phase == "decoding":
        done, total = job.decoded
        return f"Reading images: {done} of {total}"
    if job.phase == "unsaved":
        return "Trained, but not saved: the disk refused the run"
    if job.phase in ("saving", "checking bias"):
        return {"saving": "Saving the run…", "checking bias": "Checking bias on the bias data…"}[job.phase]
    left = "estimating time left" if job.seconds_left is None else f"about {job.seconds_left:.0f} s left"
    if job.phase == "validating":
        return f"Epoch {job.epoch} of {job.epochs}: scoring the validation images · {left}"
    return f"Epoch {job.epoch} of {job.epochs}, batch {job.batch} of {job.n_batches} · {left}"


def _fraction(job: jobs.Job) -> float:
    if job.phase == "decoding" and job.decoded[1]:
        return job.decoded[0] / job.decoded[1]
    return job.fraction


def _live_accuracy(history: pd.DataFrame, job: jobs.Job) -> None:
    last = history.iloc[-1]
    n_val = job.n_val
    if "val_accuracy_at_threshold" not in history.columns:
        return
    label = f"Validation accuracy at the training threshold, epoch {int(last['epoch'])}"
    if not n_val:
        st.metric(label, pct(float(last["val_accuracy_at_threshold"])))
        return
    rate = rates.Rate.from_counts(round(float(last["val_accuracy_at_threshold"]) * n_val), n_val)
    st.metric(label, pct(rate.rate))
    st.caption(f"{rate.count} of {rate.n} validation images · 95% CI {ci_text(rate.ci_low, rate.ci_high)}")


def _unsaved(job: jobs.Job) -> None:
    """A run the disk refused: why, and Save again (once space is freed) or Discard."""
    st.error(job.error or "The run could not be saved.")
    st.caption(UNSAVED_NOTE)
    save, discard = st.columns(2)
    save.button(
        "Save again", key=f"save-{job.job_id}", on_click=_save_again, args=(job.job_id,), type="primary"
    )
    discard.button("Discard the run", key=f"discard-{job.job_id}", on_click=_stop, args=(job.job_id,))


def _save_again(job_id: str) -> None:
    try:
        jobs.request_save(job_id)
    except (UnmaskError, OSError) as exc:
        flash("error", str(exc))


def _stop(job_id: str) -> None:
    try:
        jobs.request_stop(job_id)
    except UnmaskError as exc:
        flash("warning", str(exc))


def _watch(job_id: str) -> None:
    st.session_state.setdefault(WATCHED, []).append(job_id)


def collect_ended_jobs() -> None:
    """Say how this session's jobs ended, once each; a finished one's run becomes the run in use.

    Called by the sidebar on every full run, which also notes the active jobs it has seen: the
    live panel reruns the whole app only when they change between full runs.
    """
    st.session_state[SEEN_ACTIVE] = [j.job_id for j in active_jobs()]
    watched = st.session_state.get(WATCHED, [])
    if not watched:
        return
    ended = {j.job_id: j for j in jobs.list_jobs() if j.job_id in watched and j.done}
    for job_id, job in ended.items():
        watched.remove(job_id)
        if job.state == "failed":
            flash("error", job.error or "Training failed.")
        elif job.run_id:
            select_run(job.run_id)
            words = "finished" if job.state == "finished" else "was stopped and saved as cancelled"
            flash("success", f"Run {job.run_id} {words}; it is now the run in use.")
        else:
            flash("info", f"Job {job_id} was stopped before it started.")


def jobs_status() -> None:
    """A line in the sidebar when jobs are queued or running."""
    active = active_jobs()
    if active:
        running = sum(j.state == "running" for j in active)
        queued = len(active) - running
        st.caption(f"Training: {running} running, {queued} queued; the Train page shows them live.")


def delete_run(run_id: str) -> None:
    """Delete a run (a button callback, after the user confirmed) and say how it went."""
    try:
        store.delete_run(run_id)
    except (UnmaskError, OSError) as exc:
        flash("error", f"Could not delete {run_id}: {exc}")
    else:
        flash("success", f"Deleted run {run_id}.")
    st.session_state["delete_confirm"] = False
