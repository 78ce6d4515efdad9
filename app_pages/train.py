"""Train: settings, a live view of the training in progress, and the past runs to compare."""

import streamlit as st

import ui
from core.errors import UnmaskError
from core.evaluation.report import pct, rate_text, runs_table
from core.labels import DEFAULT_THRESHOLD
from core.model.config import PRESET_DEFAULTS, PRESETS, TrainConfig
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
    _settings_form()
    run_id = st.session_state.get(ui.RUN)
    if run_id:
        _run_at_threshold(run_id)
    _past_runs()


def _settings_form() -> None:
    folder, name = ui.data_folder_or_stop()
    st.caption(f"Trains on **{name}**, chosen in the sidebar.")
    with st.form("train_settings"):
        top = st.columns(3)
        top[0].slider("Epochs", 1, 50, 10, key="train_epochs", persist_state="session")
        top[1].slider(
            "Threshold",
            0.0,
            1.0,
            DEFAULT_THRESHOLD,
            step=0.01,
            key="train_threshold",
            persist_state="session",
        )
        top[2].radio(
            "Model preset",
            PRESETS,
            horizontal=True,
            key="train_preset",
            persist_state="session",
            help="fast: 3 small conv blocks, 64 px; paper: the paper's 5 layers, 300 px (slow on a laptop).",
        )
        st.caption(
            "Left empty, image size, batch size and learning rate take the preset's defaults: "
            + "; ".join(
                f"{p}: {d['image_size']} px, batch {d['batch_size']}, rate {d['learning_rate']:g}"
                for p, d in PRESET_DEFAULTS.items()
            )
        )
        middle = st.columns(3)
        default = {"value": None, "placeholder": "preset default"}
        middle[0].number_input(
            "Image size (pixels a side)",
            16,
            512,
            step=16,
            key="train_image_size",
            persist_state="session",
            **default,
        )
        middle[1].number_input(
            "Batch size", 1, 4096, step=8, key="train_batch_size", persist_state="session", **default
        )
        middle[2].number_input(
            "Learning rate", 1e-7, 1.0, format="%.5f", key="train_lr", persist_state="session", **default
        )
        bottom = st.columns(3)
        bottom[0].number_input(
            "Validation share", 0.05, 0.9, 0.25, step=0.05, key="train_val", persist_state="session"
        )
        bottom[1].number_input("Seed", 0, 2**31 - 1, 0, step=1, key="train_seed", persist_state="session")
        bottom[2].checkbox(
            "Augment (flips, brightness, contrast)", key="train_augment", persist_state="session"
        )
        st.form_submit_button(
            "Start training", type="primary", icon=":material/play_arrow:", on_click=_start, args=(folder,)
        )


def _start(folder: str) -> None:
    """Start training with the form's settings (a callback: it runs once per click)."""
    s = st.session_state
    optional = {"image_size": "train_image_size", "batch_size": "train_batch_size"}
    try:
        config = TrainConfig(
            preset=s["train_preset"],
            epochs=int(s["train_epochs"]),
            threshold=float(s["train_threshold"]),
            learning_rate=s["train_lr"],
            val_fraction=float(s["train_val"]),
            seed=int(s["train_seed"]),
            augment=bool(s["train_augment"]),
            **{name: None if s[key] is None else int(s[key]) for name, key in optional.items()},
        )
    except UnmaskError as exc:
        ui.flash("error", str(exc))
    else:
        ui.submit_training(config, folder)


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
    st.dataframe(runs_table(listed), hide_index=True)
    with st.expander("Delete a run"):
        doomed = st.selectbox("Run to delete", [r.run_id for r in listed], key="delete_run")
        sure = st.checkbox(f"Yes, delete {doomed} and its model for good", key="delete_confirm")
        st.button(
            "Delete run", disabled=not sure, key="delete_button", on_click=ui.delete_run, args=(doomed,)
        )
