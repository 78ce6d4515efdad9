"""The paper's protocol end to end: 75/25 split, 10 epochs, threshold 0.75, 100 reals per group.

One implementation for the CLI (``python -m core reproduce``) and the dashboard's *Reproduce
the study* button, which runs :func:`reproduce` as a training job.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from core import pipeline
from core.data import datasets
from core.errors import BIAS_DATA_NEEDED, DataError
from core.evaluation.report import bias_summary, train_summary
from core.labels import DEFAULT_THRESHOLD, PAPER
from core.model.config import Preset, TrainConfig
from core.runs.store import RunInfo

PROTOCOL_SEED = 0


def protocol_config(preset: Preset = "fast") -> TrainConfig:
    """The paper's training protocol for ``preset``: 10 epochs, 25% validation, threshold 0.75."""
    return TrainConfig(
        preset=preset,
        epochs=PAPER["epochs"],
        val_fraction=0.25,
        threshold=DEFAULT_THRESHOLD,
        seed=PROTOCOL_SEED,
    ).resolved()


def check_bias_data(data: str | os.PathLike[str] | None, bias_data: str | os.PathLike[str] | None) -> None:
    """Refuse to check bias on the synthetic demo faces after training on real data, or on a bad folder.

    Raises
    ------
    DataError
        ``BIAS_DATA_NEEDED`` when ``data`` is a real folder and ``bias_data`` is left to the demo set;
        any of :func:`core.data.datasets.scan`'s when ``bias_data`` cannot be read.
    """
    folder = None if data is None else pipeline.data_folder(data)
    if folder is not None and bias_data is None:
        raise DataError(BIAS_DATA_NEEDED.format(name=folder.name))
    if bias_data is not None:  # a bad bias folder is found now, not after ten epochs of training
        datasets.scan(pipeline.data_folder(bias_data))


def bias_step(
    run_id: str, *, bias_data: str | os.PathLike[str] | None, progress: Any = None
) -> dict[str, Any]:
    """The paper's bias check of a run: 100 seeded real faces per group, at the run's threshold."""
    table = pipeline.bias_table(
        run_id, data=bias_data, per_group=PAPER["bias_per_group"], seed=PROTOCOL_SEED, progress=progress
    )
    return bias_summary(table)


def reproduce(
    *,
    data: str | os.PathLike[str] | None = None,
    bias_data: str | os.PathLike[str] | None = None,
    preset: Preset = "fast",
    config: TrainConfig | None = None,
    decode_progress: Callable[[int, int], None] | None = None,
    on_batch: Callable[[int, int, int], None] | None = None,
    on_epoch: Callable[..., None] | None = None,
    on_phase: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
) -> dict[str, Any]:
    """Train with the paper's protocol, then run its bias check; returns train, bias and paper figures.

    Parameters
    ----------
    data, bias_data : path, optional
        The training folder and the bias folder; both default to the built-in demo set. Training on
        a real folder needs a bias folder too (see :func:`check_bias_data`).
    preset : {"fast", "paper", ...}
        The model preset.
    config : TrainConfig, optional
        Overrides :func:`protocol_config` (tests use a tiny one).
    decode_progress, on_batch, on_epoch, on_phase, cancel
        Progress callbacks and a cancel event, as for :func:`core.pipeline.train_and_save`;
        ``on_phase`` is also told ``"checking bias"`` before the bias check.

    Returns
    -------
    dict
        ``{"train": train_summary, "bias": bias_summary or None, "paper": PAPER}``; ``bias`` is None
        when training was cancelled.
    """
    check_bias_data(data, bias_data)
    config = config or protocol_config(preset)
    faces = pipeline.load_training_faces(data, config, progress=decode_progress)
    info = pipeline.train_and_save(faces, config, on_batch=on_batch, on_epoch=on_epoch, cancel=cancel)
    return protocol_result(info, bias_data=bias_data, progress=decode_progress)


def protocol_result(
    info: RunInfo, *, bias_data: str | os.PathLike[str] | None, progress: Any = None
) -> dict[str, Any]:
    """What :func:`reproduce` returns for a saved run: its summary, its bias check, the paper's figures.

    The bias check is left out (None) when training was cancelled.
    """
    bias = (
        None if info.status == "cancelled" else bias_step(info.run_id, bias_data=bias_data, progress=progress)
    )
    return {"train": train_summary(info), "bias": bias, "paper": dict(PAPER)}
