"""Which data set the benchmark runs on: the real Hard set beside the checkout, else the demo set."""

from __future__ import annotations

import os
from pathlib import Path

from core import pipeline
from core.paths import shared_datasets_dir

HARD_SET = "hardfakevsrealfaces"


def choose_data(data: str | os.PathLike[str] | None = None) -> tuple[Path, str]:
    """The folder to measure on and how to call it.

    ``data`` wins when given; else the Kaggle Hard set at
    ``core.paths.shared_datasets_dir()/hardfakevsrealfaces``; else the built-in demo set
    (generated under ``UNMASK_DATA_DIR`` on first use).
    """
    if data is not None:
        return Path(data).expanduser().resolve(), f"the folder {data}"
    hard = shared_datasets_dir() / HARD_SET
    if hard.is_dir():
        return hard.resolve(), "the real Kaggle Hard set (hardfakevsrealfaces)"
    return pipeline.data_folder(None), f"the synthetic demo set ({hard} not found)"
