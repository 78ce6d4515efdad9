"""The Train page's form: the settings of a training run, kept for the session, within what fits in memory."""

from __future__ import annotations

import streamlit as st

from core.errors import UnmaskError
from core.labels import DEFAULT_THRESHOLD
from core.model.config import PRESET_DEFAULTS, PRESETS, TrainConfig
from ui.jobs import submit_training
from ui.limits import train_limits
from ui.loaders import data_folder_or_stop
from ui.state import flash


def training_form() -> None:
    """The training settings of the data set in use; *Start training* queues a job (see :mod:`ui.jobs`)."""
    folder, name = data_folder_or_stop()
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
            help=(
                "fast: 3 small conv blocks, 64 px (live demos); paper: the paper's 5 layers, 300 px (slow "
                "on a laptop); artifacts: built to learn generator traces from native-resolution patches "
                "(minutes); the Overview says what it has been shown to do on faces from other sources."
            ),
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
        most_size, most_batch = train_limits(folder)  # what fits in this machine's memory
        middle[0].number_input(
            "Image size (pixels a side)",
            16,
            most_size,
            step=16,
            key="train_image_size",
            persist_state="session",
            **default,
        )
        middle[1].number_input(
            "Batch size", 1, most_batch, step=8, key="train_batch_size", persist_state="session", **default
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
        flash("error", str(exc))
    else:
        submit_training(config, folder)
