"""Streamlit glue shared by the pages: sidebar, session state, URL, cached loaders, widgets.

The engine is :mod:`core`, which never imports Streamlit; this module only wires it to
the screen. Nothing here imports TensorFlow at import time: the functions that run a
model import :mod:`core.train` when they are called.

Session state holds the view (data set, run, threshold) so it survives page switches;
the run and the threshold are also mirrored in the URL (``?run=...&threshold=...``) so
a copied link reopens the same view.
"""

from __future__ import annotations

import contextlib
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from core import bias, datasets, download, metrics, pipeline, runs, uploads
from core.charts import training_curves
from core.config import TrainConfig
from core.errors import ModelError, UnmaskError
from core.faceset import FaceSet
from core.jobs import TrainingJob
from core.labels import DEFAULT_THRESHOLD
from core.paths import models_dir
from core.split import split_indices

# Session-state keys. The underscored ones belong to widgets, which Streamlit forgets on
# pages where they are not drawn; the plain ones are the lasting copies.
RUN, THRESHOLD, DATA, JOB = "run_id", "threshold", "data", "job"
_RUN_WIDGET, _THRESHOLD_WIDGET = "_run_widget", "_threshold_widget"
SOURCES = {
    "demo": "Built-in demo (synthetic demo data)",
    "folder": "A folder on this computer",
    "zip": "Upload a .zip",
    "kaggle": "Download from Kaggle",
}
NO_RUN_YET = "No run has been trained yet, so there is nothing to show here. Train one on the Train page."
BAD_URL_THRESHOLD = "The link's threshold {value!r} is not a number; using the run's threshold instead."
URL_RUN_FALLBACK = "{error} Showing the latest run instead."
ASK_FOR_FOLDER = "Type the path of a folder of face images in the sidebar, or pick another data set."
ASK_FOR_ZIP = "Upload a .zip of a data folder in the sidebar, or pick another data set."
ASK_FOR_DOWNLOAD = "Press Download in the sidebar, or pick another data set."
DEMO_NAME = datasets.DEMO_NAME


@dataclass(frozen=True)
class DataChoice:
    """The data set picked in the sidebar: ``folder`` None means the built-in demo set."""

    folder: str | None
    name: str
    error: str | None = None


# --- formatting -----------------------------------------------------------------------------
def pct(value: float | None, digits: int = 1) -> str:
    """``0.973`` -> ``"97.3%"``; None or NaN -> ``"n/a"``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{100 * value:.{digits}f}%"


def ci_text(low: float | None, high: float | None) -> str:
    """A 95% interval as ``"93.1–98.9%"``."""
    return "n/a" if low is None or high is None or math.isnan(low) else f"{pct(low)}–{pct(high)}"


def rate_text(rate: metrics.Rate) -> str:
    """``"97.3% (146/150; 95% CI 93.1–98.9%)"``."""
    return f"{pct(rate.rate)} ({rate.count}/{rate.n}; 95% CI {ci_text(rate.ci_low, rate.ci_high)})"


def stored_accuracy(m: dict[str, Any]) -> str:
    """A saved run's validation accuracy (from its metrics.json) with counts and interval."""
    if m.get("accuracy") is None:
        return "n/a"
    low, high = m.get("accuracy_ci") or (None, None)
    return f"{pct(m['accuracy'])} ({m.get('correct')}/{m.get('n')}; 95% CI {ci_text(low, high)})"


def metric_table(m: metrics.ThresholdMetrics) -> pd.DataFrame:
    """Every metric at one threshold, one row each: value, 95% interval for shares, counts, n, and why NaN."""
    shares = [
        ("accuracy", "accuracy", m.accuracy),
        ("real faces flagged as fake", "flagged_fake_rate", m.flagged_fake_rate),
        ("fakes passed as real", "passed_real_rate", m.passed_real_rate),
        ("recall: reals called real", "recall", metrics.Rate.from_counts(m.tp, m.n_real)),
        ("specificity: fakes called fake", "specificity", metrics.Rate.from_counts(m.tn, m.n_fake)),
        ("precision: called real that are real", "precision", metrics.Rate.from_counts(m.tp, m.tp + m.fp)),
        ("majority-class baseline", "majority_baseline", m.majority_baseline),
    ]
    rows = [
        (name, pct(r.rate), ci_text(r.ci_low, r.ci_high), f"{r.count}/{r.n}", r.n, m.undefined.get(key, ""))
        for name, key, r in shares
    ]
    for name, key in [
        ("F1", "f1"),
        ("balanced accuracy", "balanced_accuracy"),
        ("MCC", "mcc"),
        ("ROC AUC", "roc_auc"),
        ("average precision", "average_precision"),
        ("equal error rate", "eer"),
    ]:
        value = getattr(m, key)
        shown = "n/a" if math.isnan(value) else f"{value:.3f}"
        note = m.undefined.get(key, "not a simple share: no closed-form interval")
        rows.append((name, shown, "—", "", m.n, note))
    return pd.DataFrame(rows, columns=["metric", "value", "95% CI", "count", "n", "note"])


# --- the sidebar ------------------------------------------------------------------------------
def sidebar() -> None:
    """Read the URL once per session, draw the data and run pickers, and write the URL back."""
    url_notes = _read_url_once()
    _finish_job_if_done()
    with st.sidebar:
        st.subheader("Data set in use")
        _data_picker()
        st.subheader("Run in use")
        _run_picker()
        _job_status()
    for note in url_notes:
        st.warning(note)
    _write_url()


def _read_url_once() -> list[str]:
    """Take the run and threshold from the link on a session's first run; say what was refused."""
    if "_url_read" in st.session_state:
        return []
    st.session_state["_url_read"] = True
    notes: list[str] = []
    run_id, value = st.query_params.get("run"), st.query_params.get("threshold")
    if run_id:
        try:
            info = runs.run_info(runs.validate_run_id(run_id))
            if info.status == "incomplete":
                raise ModelError(info.problem)
            st.session_state[RUN] = run_id
        except UnmaskError as exc:
            notes.append(URL_RUN_FALLBACK.format(error=exc))
    if value:
        try:
            threshold = float(value)
            if math.isnan(threshold):
                raise ValueError(value)
            st.session_state[THRESHOLD] = min(1.0, max(0.0, threshold))  # clamp to [0, 1]
        except ValueError:
            notes.append(BAD_URL_THRESHOLD.format(value=value))
    return notes


def _write_url() -> None:
    """Mirror the run and threshold in the query string (only when they changed)."""
    wanted = {"threshold": f"{threshold():.6g}"}
    if st.session_state.get(RUN):
        wanted["run"] = st.session_state[RUN]
    elif "run" in st.query_params:
        del st.query_params["run"]
    for key, value in wanted.items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value


def _data_picker() -> None:
    source = st.radio("Where the images come from", list(SOURCES), format_func=SOURCES.get, key="data_source")
    if source == "demo":
        choice = DataChoice(None, DEMO_NAME)
    elif source == "folder":
        path = st.text_input("Folder path", key="data_folder_path", placeholder="/path/to/faces").strip()
        choice = _folder_choice(path) if path else DataChoice(None, "", ASK_FOR_FOLDER)
    elif source == "zip":
        choice = _zip_choice(st.file_uploader("A .zip of a data folder", type=["zip"], key="data_zip"))
    else:
        choice = _kaggle_choice()
    st.session_state[DATA] = choice
    if choice.error:
        st.error(choice.error)
    else:
        st.caption(f"Using **{choice.name}**" + (f" ({choice.folder})" if choice.folder else ""))


def folder_error(path: str) -> str | None:
    """Why ``path`` cannot be used as a data folder, or None when it can (cached for 30 s)."""
    return _scan_error(str(Path(path).expanduser()))


@st.cache_data(ttl=30, show_spinner=False)
def _scan_error(path: str) -> str | None:
    try:
        datasets.scan(path)
    except UnmaskError as exc:
        return str(exc)
    return None


def _folder_choice(path: str) -> DataChoice:
    folder = Path(path).expanduser()
    return DataChoice(str(folder), folder.name, folder_error(str(folder)))


def _zip_choice(uploaded: Any) -> DataChoice:
    if uploaded is None:
        return DataChoice(None, "", ASK_FOR_ZIP)
    cached = st.session_state.get("_zip")
    if cached is None or cached[0] != uploaded.file_id:
        try:
            with st.spinner("Unpacking the archive…"):
                folder = str(uploads.extract_zip(uploaded.getvalue()))
            cached = (uploaded.file_id, DataChoice(folder, uploaded.name, folder_error(folder)))
        except UnmaskError as exc:
            cached = (uploaded.file_id, DataChoice(None, uploaded.name, str(exc)))
        st.session_state["_zip"] = cached
    return cached[1]


def _kaggle_choice() -> DataChoice:
    names = {k: s.title for k, s in download.KAGGLE_SETS.items()}
    which = st.selectbox("Data set", list(names), format_func=names.get, key="kaggle_which")
    done = st.session_state.setdefault("_kaggle", {})
    if st.button("Download", key="kaggle_download"):
        try:
            with st.spinner(f"Downloading {names[which]} from Kaggle (can take minutes)…"):
                folder = str(download.download_kaggle(which))
            done[which] = DataChoice(folder, names[which], folder_error(folder))
        except UnmaskError as exc:
            done[which] = DataChoice(None, names[which], str(exc))
    return done.get(which, DataChoice(None, names[which], ASK_FOR_DOWNLOAD))


def _run_picker() -> None:
    listed = runs.list_runs()
    usable = {r.run_id: r for r in listed if r.status != "incomplete"}
    if not usable:
        st.session_state[RUN] = None
        st.info("No run yet: train one on the Train page.")
    else:
        previous = st.session_state.get(RUN)
        if previous not in usable:  # first visit, or the run was deleted: take the latest
            select_run(next(iter(usable)), keep_threshold=previous is None and THRESHOLD in st.session_state)
        elif THRESHOLD not in st.session_state:
            select_run(previous)
        st.session_state[_RUN_WIDGET] = st.session_state[RUN]
        st.selectbox(
            "Run",
            list(usable),
            key=_RUN_WIDGET,
            format_func=lambda i: f"{i} · {usable[i].status} · acc {pct(usable[i].metrics.get('accuracy'))}",
            on_change=lambda: select_run(st.session_state[_RUN_WIDGET]),
            help="Newest first. The model and its stored validation scores come from this run.",
        )
    broken = [r for r in listed if r.status == "incomplete"]
    if broken:
        with st.expander(f"{len(broken)} incomplete run(s), not selectable"):
            for info in broken:
                st.caption(info.problem)


def select_run(run_id: str, *, keep_threshold: bool = False) -> None:
    """Make ``run_id`` the run in use; the threshold starts at the run's own unless kept."""
    st.session_state[RUN] = run_id
    if not keep_threshold:
        try:
            st.session_state[THRESHOLD] = float(
                runs.run_info(run_id).config.get("threshold", DEFAULT_THRESHOLD)
            )
        except UnmaskError:
            st.session_state[THRESHOLD] = DEFAULT_THRESHOLD


# --- what pages ask for -------------------------------------------------------------------
def data_choice() -> DataChoice:
    """The data set picked in the sidebar."""
    return st.session_state.get(DATA, DataChoice(None, DEMO_NAME))


def data_folder_or_stop() -> tuple[str, str]:
    """``(folder, name)`` of the data set in use; shows the problem and stops the page if unusable.

    The demo set is generated on first use (a few seconds, once).
    """
    choice = data_choice()
    if choice.error:
        st.error(choice.error)
        st.info("Pick another data set in the sidebar; the built-in demo set always works.")
        st.stop()
    if choice.folder is None:
        return demo_folder(), DEMO_NAME
    return choice.folder, choice.name


def demo_folder() -> str:
    """The built-in demo set's folder, generating it the first time."""
    with st.spinner("Generating the synthetic demo data (600 images, once)…"):
        return str(pipeline.data_folder(None))


def run_id_or_stop() -> str:
    """The run in use; with none, says to train one (with a link) and stops the page."""
    run_id = st.session_state.get(RUN)
    if not run_id:
        st.info(NO_RUN_YET)
        st.page_link("app_pages/train.py", label="Go to the Train page", icon=":material/model_training:")
        st.stop()
    return run_id


def threshold() -> float:
    """The threshold in use (shared by every page)."""
    return float(st.session_state.get(THRESHOLD, DEFAULT_THRESHOLD))


def set_threshold(value: float) -> None:
    """Set the shared threshold, clamped to [0, 1] (use from a widget callback)."""
    st.session_state[THRESHOLD] = min(1.0, max(0.0, float(value)))


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


# --- cached loaders -----------------------------------------------------------------------------
@st.cache_resource(max_entries=4, show_spinner=False)
def _face_slot(folder: str, image_size: int) -> dict[str, Any]:
    """One decoded face set per (folder, image_size), filled by :func:`load_faces`.

    st.cache_resource, not st.cache_data: a decoded set is a large array (600 images at
    128 px is 29 MB, UTKFace far more) that pages only read, and cache_data would pickle
    and copy it on every rerun. The slot is filled outside the cached function so the
    decoding progress bar can be drawn (a cached function cannot draw into the page).
    """
    return {"lock": threading.Lock()}


def load_faces(folder: str, image_size: int) -> FaceSet:
    """The decoded face set, decoded once per (folder, image_size) with a progress bar.

    Raises
    ------
    UnmaskError
        If the folder cannot be read (see :func:`core.datasets.load`).
    """
    slot = _face_slot(folder, image_size)
    with slot["lock"]:
        if "faces" not in slot:
            bar = st.progress(0.0, text="Decoding images…")

            def progress(done: int, total: int) -> None:
                bar.progress(done / max(total, 1), text=f"Decoding images: {done} of {total}")

            try:
                slot["faces"] = pipeline.load_faces(folder, image_size=image_size, progress=progress)
            finally:
                bar.empty()
    return slot["faces"]


def load_faces_or_stop(folder: str, image_size: int) -> FaceSet:
    """:func:`load_faces`, showing the problem and stopping the page when it fails."""
    try:
        return load_faces(folder, image_size)
    except UnmaskError as exc:
        st.error(str(exc))
        st.info("Fix the folder, or pick another data set in the sidebar.")
        st.stop()


def load_run(run_id: str) -> runs.Run:
    """A run's history and per-image scores (cached; no model)."""
    return _load_run(str(models_dir()), run_id)


@st.cache_data(max_entries=16, show_spinner=False)
def _load_run(root: str, run_id: str) -> runs.Run:
    return runs.load_run(run_id)


def run_or_stop(run_id: str) -> runs.Run:
    """:func:`load_run`, showing the problem and stopping the page when it fails."""
    try:
        return load_run(run_id)
    except UnmaskError as exc:
        st.error(str(exc))
        st.info("Pick another run in the sidebar, or delete this one on the Train page and train again.")
        st.stop()


def metrics_at(run_id: str, value: float) -> metrics.ThresholdMetrics:
    """Every metric of the run's stored validation scores at threshold ``value`` (cached)."""
    return _metrics_at(str(models_dir()), run_id, value)


@st.cache_data(max_entries=256, show_spinner=False)
def _metrics_at(root: str, run_id: str, value: float) -> metrics.ThresholdMetrics:
    scores = _load_run(root, run_id).scores
    return metrics.threshold_metrics(scores["label"], scores["score"], threshold=value)


def model(run_id: str) -> Any:
    """The run's Keras model, loaded once per run (imports TensorFlow the first time)."""
    with st.spinner("Loading the model (TensorFlow takes a few seconds to start the first time)…"):
        return _model(str(models_dir()), run_id)


@st.cache_resource(max_entries=3, show_spinner=False)
def _model(root: str, run_id: str) -> Any:
    return runs.load_model(run_id)


def score(run_id: str, images: np.ndarray) -> np.ndarray:
    """P(real) for each of ``images`` (n, s, s, 3) with the run's model."""
    from core.train import predict_scores  # TensorFlow: only when a model runs

    loaded = model(run_id)
    with st.spinner(f"Scoring {len(images)} image(s)…"):
        return predict_scores(loaded, images)


def bias_scores(
    run_id: str, folder: str, faces: FaceSet, *, attribute: str, per_group: int, seed: int
) -> pd.DataFrame:
    """Scores of up to ``per_group`` seeded images per group (path, label, score, groups).

    Scored once per (run, folder, image size, attribute, N, seed); a new threshold only
    recomputes :func:`core.bias.group_table` from these.
    """
    loaded = model(run_id)
    args = (str(models_dir()), run_id, folder, faces.image_size, attribute, per_group, seed)
    return _bias_scores(*args, _faces=faces, _model=loaded)


@st.cache_data(max_entries=32, show_spinner="Scoring the sampled faces…")
def _bias_scores(
    root: str,
    run_id: str,
    folder: str,
    size: int,
    attribute: str,
    per_group: int,
    seed: int,
    *,
    _faces: FaceSet,
    _model: Any,
) -> pd.DataFrame:
    from core.train import predict_scores  # TensorFlow: only when a model runs

    sample = _faces.subset(bias.sample_per_group(_faces.groups[attribute], per_group, seed=seed))
    return pipeline.scores_frame(sample, np.arange(len(sample)), predict_scores(_model, sample.images))


def remember_bias(run_id: str, summary: dict[str, Any]) -> None:
    """Keep the latest bias summary of a run for the Overview page."""
    st.session_state.setdefault("bias_summaries", {})[run_id] = summary


def bias_summary(run_id: str) -> dict[str, Any] | None:
    """The latest bias summary computed for ``run_id`` in this session, if any."""
    return st.session_state.get("bias_summaries", {}).get(run_id)


# --- training in the background -----------------------------------------------------------------
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
    size = config.resolved().image_size
    extra: dict[str, Any] = {"kind": kind, "n_val": None, "bias_folder": bias_folder}

    def load(progress: Any) -> FaceSet:  # runs in the job's thread: no Streamlit here
        faces = pipeline.load_faces(folder, image_size=size, progress=progress)
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
    folder = choice.folder or str(pipeline.data_folder(None))
    start_job(
        reproduce.protocol_config("fast"),
        folder,
        kind="reproduce",
        bias_folder=st.session_state.get("bias_folder"),
    )


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
    rate = metrics.Rate.from_counts(round(float(last["val_accuracy_at_threshold"]) * n_val), n_val)
    st.metric(f"Validation accuracy at the training threshold, epoch {int(last['epoch'])}", pct(rate.rate))
    st.caption(f"{rate.count} of {rate.n} validation images · 95% CI {ci_text(rate.ci_low, rate.ci_high)}")


def _finish_job_if_done() -> None:
    """Collect a finished job: select its run, run the bias check of a reproduction, say how it went."""
    current = job()
    if current is None or not current.snapshot().done:
        return
    snap = current.snapshot()
    extra = st.session_state.pop("job_extra", {})
    del st.session_state[JOB]
    if snap.state == "failed":
        flash("error", snap.error or "Training failed.")
        return
    select_run(snap.run_id)
    words = "finished" if snap.state == "finished" else "was stopped and saved as cancelled"
    flash("success", f"Run {snap.run_id} {words}; it is now the run in use.")
    if extra.get("kind") == "reproduce":
        _reproduce_bias(snap.run_id, extra.get("bias_folder"))


def _reproduce_bias(run_id: str, bias_folder: str | None) -> None:
    """The paper's bias step after a reproduction: 100 seeded faces per group of the bias data."""
    from core.labels import PAPER
    from core.report import bias_summary as summarise
    from core.reproduce import PROTOCOL_SEED

    try:
        folder = bias_folder or demo_folder()
        faces = load_faces(folder, int(runs.run_info(run_id).config["image_size"]))
        attribute = pipeline.choose_attribute(faces, None)
        frame = bias_scores(
            run_id, folder, faces, attribute=attribute, per_group=PAPER["bias_per_group"], seed=PROTOCOL_SEED
        )
        table = bias.group_table(frame["label"], frame["score"], frame[attribute], threshold=threshold())
        remember_bias(run_id, {**summarise(table), "data": faces.name})
    except UnmaskError as exc:
        flash("warning", f"The run was saved, but the bias check failed: {exc}")


def flash(kind: str, text: str) -> None:
    """Keep a message (``kind`` is "success", "warning" or "error") for the next page run."""
    st.session_state["job_message"] = (kind, text)


def show_job_message() -> None:
    """Say once how the last job (or deletion) ended."""
    message = st.session_state.pop("job_message", None)
    if message:
        getattr(st, message[0])(message[1])


def delete_run(run_id: str) -> None:
    """Delete a run (a button callback, after the user confirmed) and say how it went."""
    try:
        runs.delete_run(run_id)
    except (UnmaskError, OSError) as exc:
        flash("error", f"Could not delete {run_id}: {exc}")
    else:
        flash("success", f"Deleted run {run_id}.")
    st.session_state["delete_confirm"] = False


def _job_status() -> None:
    current = job()
    if current is not None:
        snap = current.snapshot()
        st.caption(f"A training run is in progress ({snap.epochs} epochs); the Train page shows it live.")
