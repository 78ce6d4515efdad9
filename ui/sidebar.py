"""The sidebar: the data set and run pickers, and the run and threshold mirrored in the URL.

The run and the threshold are kept in the URL (``?run=...&threshold=...``) so a copied
link reopens the same view; a link's values are read once per session, and refused with
a sentence when they cannot be used.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from core.data import download, uploads
from core.data.datasets import DEMO_NAME
from core.errors import ModelError, UnmaskError
from core.evaluation.report import pct
from core.paths import user_path
from core.runs import store
from ui import presenter
from ui.jobs import collect_ended_jobs, jobs_status
from ui.loaders import folder_error
from ui.state import _RUN_WIDGET, DATA, RUN, THRESHOLD, DataChoice, select_run, url_threshold

SOURCES = {
    "demo": "Built-in demo (synthetic demo data)",
    "folder": "A folder on this computer",
    "zip": "Upload a .zip",
    "kaggle": "Download from Kaggle",
}
BAD_URL_THRESHOLD = "The link's threshold {value!r} is not a number; using the run's threshold instead."
URL_RUN_FALLBACK = "{error} Showing the latest run instead."
ASK_FOR_FOLDER = "Type the path of a folder of face images in the sidebar, or pick another data set."
ASK_FOR_ZIP = "Upload a .zip of a data folder in the sidebar, or pick another data set."
ASK_FOR_DOWNLOAD = "Press Download in the sidebar, or pick another data set."


def sidebar() -> None:
    """Read the URL once per session, draw the data and run pickers, and write the URL back."""
    url_notes = _read_url_once()
    collect_ended_jobs()
    with st.sidebar:
        st.subheader("Data set in use")
        _data_picker()
        st.subheader("Run in use")
        _run_picker()
        jobs_status()
        presenter.toggle()
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
            info = store.run_info(store.validate_run_id(run_id))
            if not info.usable:
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
    wanted = {"threshold": url_threshold()}
    if st.session_state.get(RUN):
        wanted["run"] = st.session_state[RUN]
    elif "run" in st.query_params:
        del st.query_params["run"]
    for key, value in wanted.items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value


def _data_picker() -> None:
    source = st.radio(
        "Where the images come from",
        list(SOURCES),
        format_func=SOURCES.get,
        key="data_source",
        bind="query-params",
    )
    if source == "demo":
        choice = DataChoice(None, DEMO_NAME)
    elif source == "folder":
        path = st.text_input(
            "Folder path",
            key="data_folder_path",
            placeholder="/path/to/faces",
            bind="query-params",
            help="A folder of faces, or a .csv manifest listing several folders (folder,source per line).",
        ).strip()
        choice = _folder_choice(path) if path else DataChoice(None, "", ASK_FOR_FOLDER)
    elif source == "zip":
        archive = st.file_uploader(
            "A .zip of a data folder", type=["zip"], key="data_zip", max_upload_size=uploads.MAX_UPLOAD_MB
        )
        choice = _zip_choice(archive)
    else:
        choice = _kaggle_choice()
    st.session_state[DATA] = choice
    if choice.error:
        st.error(choice.error)
    else:
        st.caption(f"Using **{choice.name}**" + (f" ({choice.folder})" if choice.folder else ""))


def _folder_choice(path: str) -> DataChoice:
    try:
        folder = user_path(path)
    except UnmaskError as exc:
        return DataChoice(None, "", str(exc))
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


def _name_and_note(info: store.RunInfo) -> None:
    """A popover to name the run in use and write a note about it (kept in its folder)."""
    popover = st.popover("Name or note this run", icon=":material/edit:", width="stretch")
    with popover, st.form("run_meta", border=False):
        st.text_input("Name", value=info.name, max_chars=store.MAX_NAME, key=f"run_meta_name_{info.run_id}")
        st.text_area(
            "Note", value=info.note, max_chars=store.MAX_NOTE, key=f"run_meta_note_{info.run_id}", height=100
        )
        st.form_submit_button("Save", on_click=_save_meta, args=(info.run_id,))
    if info.note:
        st.caption(info.note)


def _save_meta(run_id: str) -> None:
    try:
        info = store.write_meta(
            run_id,
            name=st.session_state[f"run_meta_name_{run_id}"],
            note=st.session_state[f"run_meta_note_{run_id}"],
        )
    except UnmaskError as exc:
        st.toast(str(exc), icon=":material/error:")
    else:
        st.toast(f"Saved the name and note of run {info.label}.", icon=":material/check:")


def _run_picker() -> None:
    listed = store.list_runs()
    usable = {r.run_id: r for r in listed if r.usable}
    if not usable:
        st.session_state[RUN] = None
        st.info("No run yet: train one on the Train page.")
    else:
        previous = st.session_state.get(RUN)
        if previous not in usable:  # first visit, or the run was deleted: the newest finished one
            select_run(
                store.latest_run_id(), keep_threshold=previous is None and THRESHOLD in st.session_state
            )
        elif THRESHOLD not in st.session_state:
            select_run(previous)
        st.session_state[_RUN_WIDGET] = st.session_state[RUN]
        st.selectbox(
            "Run",
            list(usable),
            key=_RUN_WIDGET,
            format_func=lambda i: (
                f"{usable[i].label} · {usable[i].status} · acc {pct(usable[i].metrics.get('accuracy'))}"
            ),
            on_change=lambda: select_run(st.session_state[_RUN_WIDGET]),
            help="Newest first. The model and its stored validation scores come from this run.",
        )
        _name_and_note(usable[st.session_state[RUN]])
    broken = [r for r in listed if not r.usable]
    if broken:
        kinds = " or ".join(sorted({r.status for r in broken}, reverse=True))
        with st.expander(f"{len(broken)} {kinds} run(s), not selectable"):
            for info in broken:
                st.caption(info.problem)
