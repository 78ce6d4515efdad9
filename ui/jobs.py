"""Training in the background: start and stop a session's job, show it live, collect it when done.

A job runs in a thread owned by the session (:class:`core.runs.jobs.TrainingJob`); the page
polls it once a second in a fragment, and the sidebar collects it on the first run after
it ends: it selects the new run and, for a reproduction, runs the paper's bias check.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pandas as pd
import streamlit as st

from core import pipeline
from core.data.faceset import FaceSet
from core.data.split import split_indices
from core.errors import UnmaskError
from core.evaluation import rates
from core.evaluation.charts import training_curves
from core.evaluation.report import ci_text, pct
from core.model.config import TrainConfig
from core.runs import store
from core.runs.jobs import TrainingJob
from ui.loaders import bias_pool, demo_folder
from ui.state import JOB, data_choice, flash, remember_bias, select_run
from ui.unsaved import keep_unsaved


def job() -> TrainingJob | None:
    """The session's training job, if one is running or has not been collected yet."""
    return st.session_state.get(JOB)


def start_job(
    config: TrainConfig, folder: str, *, kind: str = "train", bias_folder: str | None = None
) -> None:
    """Start training ``config`` on ``folder`` in a background thread owned by this session.

    ``kind="reproduce"`` also runs the paper's bias check when training ends.
    """
    current = job()
    if current is not None and not current.snapshot().done:
        flash("warning", "A training run is already in progress: stop it before starting another.")
        return
    extra: dict[str, Any] = {"kind": kind, "n_val": None, "bias_folder": bias_folder}

    def load(progress: Any) -> FaceSet:  # runs in the job's thread: no Streamlit here
        faces = pipeline.load_training_faces(folder, config, progress=progress)
        with contextlib.suppress(UnmaskError):  # training raises the same error with its own message
            extra["n_val"] = len(
                split_indices(faces.labels, val_fraction=config.val_fraction, seed=config.seed)[1]
            )
        return faces

    st.session_state[JOB] = TrainingJob(config=config, load=load).start()
    st.session_state["job_extra"] = extra


def start_reproduction() -> None:
    """Start the paper's protocol on the data set in use (a button callback: once per click)."""
    from core import reproduce

    choice = data_choice()
    if choice.error:
        flash("error", f"{choice.error} Pick another data set in the sidebar.")
        return
    bias_folder = st.session_state.get("bias_folder")
    try:
        reproduce.check_bias_data(choice.folder, bias_folder)
    except UnmaskError as exc:
        flash("error", str(exc))
        return
    folder = choice.folder or str(pipeline.data_folder(None))
    start_job(reproduce.protocol_config("fast"), folder, kind="reproduce", bias_folder=bias_folder)


@st.fragment(run_every=1.0)
def job_panel() -> None:
    """Live progress of the session's job, polled every second; Stop cancels it."""
    current = job()
    if current is None:
        return
    snap = current.snapshot()
    if snap.done:
        st.rerun()  # the whole app: the sidebar collects the finished run
    if snap.state in ("starting", "decoding"):
        done, total = snap.decoded
        st.progress(done / total if total else 0.0, text=f"Decoding images: {done} of {total}")
    else:
        left = (
            "estimating time left" if snap.seconds_left is None else f"about {snap.seconds_left:.0f} s left"
        )
        text = f"Epoch {snap.epoch} of {snap.epochs}, batch {snap.batch} of {snap.n_batches} · {left}"
        st.progress(
            snap.fraction,
            text=("Stopping: saving the run as cancelled… · " if snap.state == "saving" else "") + text,
        )
    st.button("Stop", key="stop_training", on_click=current.cancel, type="secondary")
    if snap.history:
        history = pd.DataFrame(snap.history)
        _live_accuracy(history)
        st.altair_chart(training_curves(history), width="stretch")


def _live_accuracy(history: pd.DataFrame) -> None:
    n_val = st.session_state.get("job_extra", {}).get("n_val")
    last = history.iloc[-1]
    if "val_accuracy_at_threshold" not in history.columns or not n_val:
        return
    rate = rates.Rate.from_counts(round(float(last["val_accuracy_at_threshold"]) * n_val), n_val)
    st.metric(f"Validation accuracy at the training threshold, epoch {int(last['epoch'])}", pct(rate.rate))
    st.caption(f"{rate.count} of {rate.n} validation images · 95% CI {ci_text(rate.ci_low, rate.ci_high)}")


def finish_job_if_done() -> None:
    """Collect a finished job: select its run, run the bias check of a reproduction, say how it went."""
    current = job()
    if current is None or not current.snapshot().done:
        return
    snap = current.snapshot()
    extra = st.session_state.pop("job_extra", {})
    del st.session_state[JOB]
    if snap.state == "failed":
        flash("error", snap.error or "Training failed.")
        keep_unsaved(snap.save_again)  # trained, but the disk refused it: offer to save again
        return
    select_run(snap.run_id)
    words = "finished" if snap.state == "finished" else "was stopped and saved as cancelled"
    flash("success", f"Run {snap.run_id} {words}; it is now the run in use.")
    if extra.get("kind") == "reproduce":
        _reproduce_bias(snap.run_id, extra.get("bias_folder"))


def _reproduce_bias(run_id: str, bias_folder: str | None) -> None:
    """The paper's bias step after a reproduction (:func:`core.reproduce.bias_step`, as the CLI runs it)."""
    from core.reproduce import bias_step

    try:
        folder = bias_folder or demo_folder()
        summary = bias_step(run_id, bias_data=folder)
        remember_bias(run_id, {**summary, "data": bias_pool(run_id, folder).name})
    except UnmaskError as exc:
        flash("warning", f"The run was saved, but the bias check failed: {exc}")


def delete_run(run_id: str) -> None:
    """Delete a run (a button callback, after the user confirmed) and say how it went."""
    try:
        store.delete_run(run_id)
    except (UnmaskError, OSError) as exc:
        flash("error", f"Could not delete {run_id}: {exc}")
    else:
        flash("success", f"Deleted run {run_id}.")
    st.session_state["delete_confirm"] = False


def job_status() -> None:
    current = job()
    if current is not None:
        snap = current.snapshot()
        st.caption(f"A training run is in progress ({snap.epochs} epochs); the Train page shows it live.")
