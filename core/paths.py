"""Paths anchored at the repository root. Nothing is created at import time."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT: Path = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Where caches, the demo set and uploads live (``UNMASK_DATA_DIR`` overrides)."""
    return Path(os.environ.get("UNMASK_DATA_DIR", REPO_ROOT / "data"))


def models_dir() -> Path:
    """Where training runs are stored (``UNMASK_MODELS_DIR`` overrides)."""
    return Path(os.environ.get("UNMASK_MODELS_DIR", REPO_ROOT / "models"))


def shared_datasets_dir() -> Path:
    """The real data sets beside the checkout, if present (``UNMASK_SHARED_DIR`` overrides)."""
    return Path(os.environ.get("UNMASK_SHARED_DIR", REPO_ROOT.parent / "shared" / "datasets"))
