"""Shared fixtures: every test writes under its own tmp folder, never the repo's data/ or models/."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.paths import shared_datasets_dir

HARD_SET = "hardfakevsrealfaces"
UTKFACE = "utkface"


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point data/ and models/ at a per-test temporary folder."""
    root = tmp_path_factory.mktemp("unmask")
    monkeypatch.setenv("UNMASK_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("UNMASK_MODELS_DIR", str(root / "models"))


def _shared(name: str) -> Path:
    path = shared_datasets_dir() / name
    if not path.is_dir():
        pytest.skip(f"real data set not found at {path} (it sits beside the checkout in CI)")
    return path


@pytest.fixture(scope="session")
def hard_set_dir() -> Path:
    """The real Kaggle Hard set, or skip with the reason."""
    return _shared(HARD_SET)


@pytest.fixture(scope="session")
def utkface_dir() -> Path:
    """The UTKFace sample, or skip with the reason."""
    return _shared(UTKFACE)
