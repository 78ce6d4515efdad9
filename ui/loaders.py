"""Cached loaders: data sets, runs, metrics, models and bias scores, each computed once.

Models and decoded face sets go through ``st.cache_resource`` (large, only read); runs,
metrics and scores through ``st.cache_data``. Keys carry the models folder, so tests
that point ``UNMASK_MODELS_DIR`` elsewhere never see another folder's runs. Nothing here
imports TensorFlow at import time: the functions that run a model import
:mod:`core.model.train` when they are called.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image

from core import pipeline
from core.data import datasets
from core.data.datasets import DEMO_NAME
from core.data.faceset import FaceSet
from core.data.images import decode_image
from core.errors import IMAGE_OUTSIDE_FOLDER, ImageError, UnmaskError
from core.evaluation import metrics, thresholds
from core.evaluation.bias import group_table
from core.evaluation.report import bias_summary
from core.paths import inside, models_dir, shown_path
from core.runs import bias_store, store
from ui.state import data_choice

DATA_UNUSABLE = (
    "The data set picked in the sidebar cannot be used yet; the sidebar says why. Fix it there, or pick "
    "another data set: the built-in demo set always works."
)


def folder_error(path: str) -> str | None:
    """Why ``path`` cannot be used as a data folder (or a manifest .csv of several), or None when it can.

    Cached for 30 s.
    """
    return _scan_error(path)


@st.cache_data(ttl=30, show_spinner=False)
def _scan_error(path: str) -> str | None:
    from core.data import sources

    try:
        if sources.is_manifest(path):
            for source in sources.parse_sources([path]):
                datasets.scan(source.folder)
        else:
            datasets.scan(path)
    except UnmaskError as exc:
        return str(exc)
    return None


def demo_folder() -> str:
    """The built-in demo set's folder, generating it the first time."""
    with st.spinner("Generating the synthetic demo data (600 images, once)…"):
        return str(pipeline.data_folder(None))


def data_folder_or_stop() -> tuple[str, str]:
    """``(folder, name)`` of the data set in use; shows the problem and stops the page if unusable.

    The demo set is generated on first use (a few seconds, once).
    """
    choice = data_choice()
    if choice.error:  # the sidebar shows the reason, beside the picker: once is enough
        st.info(DATA_UNUSABLE)
        st.stop()
    if choice.folder is None:
        return demo_folder(), DEMO_NAME
    return choice.folder, choice.name


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
        If the folder cannot be read (see :func:`core.data.datasets.load`).
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


def _decoded_set(folder: str, image_size: int) -> FaceSet:
    """The face set :func:`load_faces` decoded (decoding it now, without a bar, if it has not been)."""
    slot = _face_slot(folder, image_size)
    with slot["lock"]:
        if "faces" not in slot:
            slot["faces"] = pipeline.load_faces(folder, image_size=image_size)
    return slot["faces"]


def class_pictures(folder: str, image_size: int) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per class: its mean image and mean log-power spectrum, ready to show (computed once per set and size).

    The spectra cost seconds at 128 px: a filter change on the Data page must not pay them again.
    """
    return _class_pictures(folder, image_size)


@st.cache_data(max_entries=8, show_spinner="Averaging the images and their spectra…")
def _class_pictures(folder: str, image_size: int) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    from core.data import imagestats

    faces = _decoded_set(folder, image_size)
    means = imagestats.mean_image(faces.images, faces.labels)
    spectra = imagestats.mean_log_spectrum(faces.images, faces.labels)
    return {
        label: (imagestats.to_uint8(means[label]), imagestats.to_uint8(spectra[label], stretch=True))
        for label in means
    }


def leakage(folder: str, image_size: int, val_fraction: float, seed: int) -> tuple[int, int, list]:
    """``(n_train, n_val, identical pairs across the split)`` for one split (computed once per split).

    Raises
    ------
    UnmaskError
        If the set cannot be split so (see :func:`core.data.split.split_indices`).
    """
    return _leakage(folder, image_size, val_fraction, seed)


@st.cache_data(max_entries=32, show_spinner=False)
def _leakage(folder: str, image_size: int, val_fraction: float, seed: int) -> tuple[int, int, list]:
    from core.data.split import leakage_report, split_indices

    faces = _decoded_set(folder, image_size)
    train_idx, val_idx = split_indices(faces.labels, val_fraction=val_fraction, seed=seed)
    return len(train_idx), len(val_idx), list(leakage_report(faces, train_idx, val_idx))


def load_faces_or_stop(folder: str, image_size: int) -> FaceSet:
    """:func:`load_faces`, showing the problem and stopping the page when it fails."""
    try:
        return load_faces(folder, image_size)
    except UnmaskError as exc:
        st.error(str(exc))
        st.info("Fix the folder, or pick another data set in the sidebar.")
        st.stop()


def load_run(run_id: str) -> store.Run:
    """A run's history and per-image scores (cached; no model)."""
    return _load_run(str(models_dir()), run_id)


@st.cache_data(max_entries=16, show_spinner=False)
def _load_run(root: str, run_id: str) -> store.Run:
    return store.load_run(run_id)


def run_or_stop(run_id: str) -> store.Run:
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


def curve_points(run_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The run's ROC and precision-recall points, computed once per run: no threshold moves them.

    Raises
    ------
    UnmaskError
        If the run's stored scores hold one class only (see :func:`core.evaluation.thresholds.roc_points`).
    """
    return _curve_points(str(models_dir()), run_id)


@st.cache_data(max_entries=16, show_spinner=False)
def _curve_points(root: str, run_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    scores = _load_run(root, run_id).scores
    labels, values = scores["label"], scores["score"]
    return thresholds.roc_points(labels, values), thresholds.pr_points(labels, values)


def thumbnail(root: str, path: str) -> bytes:
    """The image ``path`` under ``root`` as a 128 x 128 px JPEG, centre-cropped (made once, then cached).

    Encoded bytes, not pixels: ``st.image`` would encode an array again on every rerun.
    ``path`` comes from a run's files, so one that leaves ``root`` is refused, never read.

    Raises
    ------
    UnmaskError
        If the file is outside ``root``, missing or not an image.
    """
    file = inside(root, path)
    if file is None:
        raise ImageError(IMAGE_OUTSIDE_FOLDER.format(path=shown_path(path), root=root))
    return _thumbnail(str(file))


@st.cache_data(max_entries=1024, show_spinner=False)  # about 5 kB each
def _thumbnail(file: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(decode_image(Path(file), size=128)).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def model(run_id: str) -> Any:
    """The run's Keras model, loaded once per run (imports TensorFlow the first time)."""
    with st.spinner("Loading the model (TensorFlow takes a few seconds to start the first time)…"):
        return _model(str(models_dir()), run_id)


@st.cache_resource(max_entries=3, show_spinner=False)
def _model(root: str, run_id: str) -> Any:
    return store.load_model(run_id)


def score(run_id: str, images: Sequence[np.ndarray]) -> np.ndarray:
    """P(real) for each of ``images`` (RGB arrays) by the run's cached model, as the CLI scores."""
    loaded = model(run_id)
    with st.spinner(f"Scoring {len(images)} image(s)…"):
        return pipeline.score_images(run_id, list(images), model=loaded)


def default_bias_folder(run_id: str) -> str | None:
    """:func:`core.pipeline.default_bias_folder` as text (cached: it reads the run's scores)."""
    return _default_bias_folder(str(models_dir()), run_id)


@st.cache_data(max_entries=16, show_spinner=False)
def _default_bias_folder(root: str, run_id: str) -> str | None:
    folder = pipeline.default_bias_folder(run_id)
    return None if folder is None else str(folder)


def bias_pool(run_id: str, folder: str) -> pipeline.BiasPool:
    """What the bias check of ``run_id`` on ``folder`` samples from (cached; nothing decoded).

    Raises
    ------
    UnmaskError
        If the run or the folder cannot be read.
    """
    return _bias_pool(str(models_dir()), run_id, folder)


@st.cache_data(max_entries=16, show_spinner=False)
def _bias_pool(root: str, run_id: str, folder: str) -> pipeline.BiasPool:
    return pipeline.bias_pool(run_id, data=folder)


def bias_scores(run_id: str, folder: str, *, attribute: str, per_group: int, seed: int) -> pd.DataFrame:
    """Scores of up to ``per_group`` seeded images per group (path, label, score, groups).

    :func:`core.pipeline.bias_scores`, as the CLI runs it: on the run's own training
    folder only its validation images, with their stored scores. Scored once per (run,
    folder, attribute, N, seed); a new threshold only recomputes :func:`core.evaluation.bias.group_table`.

    Raises
    ------
    UnmaskError
        If the run, its model or the folder cannot be read.
    """
    return _bias_scores(str(models_dir()), run_id, folder, attribute, per_group, seed)


@st.cache_data(max_entries=32, show_spinner="Reading and scoring the sampled faces…")
def _bias_scores(
    root: str, run_id: str, folder: str, attribute: str, per_group: int, seed: int
) -> pd.DataFrame:
    return pipeline.bias_scores(run_id, data=folder, attribute=attribute, per_group=per_group, seed=seed)[1]


def saved_bias(run_id: str, threshold: float) -> dict[str, Any] | None:
    """The run's latest saved bias check (:mod:`core.runs.bias_store`) as a summary at ``threshold``.

    Any session shows the same check: it is read from the run's folder, not from this session.
    None when no check was saved with the run.
    """
    try:
        folder = store.run_info(run_id).path / bias_store.BIAS_FOLDER
        stamp = max((p.stat().st_mtime_ns for p in folder.glob("*.json")), default=0)
    except (UnmaskError, OSError):
        return None
    return _saved_bias(str(models_dir()), run_id, threshold, stamp)


@st.cache_data(max_entries=64, show_spinner=False)
def _saved_bias(root: str, run_id: str, threshold: float, stamp: int) -> dict[str, Any] | None:
    record = bias_store.latest_bias(run_id)
    if record is None:
        return None
    frame = record.scores
    table = group_table(frame["label"], frame["score"], frame[record.attribute], threshold=threshold)
    details = {"data": record.name, "per_group": record.per_group, "seed": record.seed}
    return {**bias_summary(table), **details}
