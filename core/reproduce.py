"""The paper's protocol end to end: 75/25 split, 10 epochs, threshold 0.75, 100 reals per race."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from core import pipeline
from core.evaluation.report import bias_summary, train_summary
from core.labels import DEFAULT_THRESHOLD, PAPER
from core.model.config import Preset, TrainConfig

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


def reproduce(
    *,
    data: str | os.PathLike[str] | None = None,
    bias_data: str | os.PathLike[str] | None = None,
    preset: Preset = "fast",
    decode_progress: Callable[[int, int], None] | None = None,
    on_batch: Callable[[int, int, int], None] | None = None,
    on_epoch: Callable[..., None] | None = None,
    cancel: Any = None,
) -> dict[str, Any]:
    """Train with the paper's protocol, then run its bias check; returns train, bias and paper figures.

    ``data`` and ``bias_data`` default to the built-in demo set. On UTKFace the bias
    attribute is race; on other sets, the set's first group attribute.
    """
    config = protocol_config(preset)
    faces = pipeline.load_faces(data, image_size=config.image_size, progress=decode_progress)
    info = pipeline.train_and_save(faces, config, on_batch=on_batch, on_epoch=on_epoch, cancel=cancel)
    table = pipeline.bias_table(
        info.run_id,
        data=bias_data,
        per_group=PAPER["bias_per_group"],
        seed=PROTOCOL_SEED,
        progress=decode_progress,
    )
    return {"train": train_summary(info), "bias": bias_summary(table), "paper": dict(PAPER)}
