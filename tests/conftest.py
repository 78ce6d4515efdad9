"""Shared fixtures and markers.

Every test writes under its own tmp folder, never the repo's data/ or models/. Each test is
marked with the kind of its folder (``unit``, ``model``, ``cli``, ``app``, ``browser``,
``faults``, ``bench``), so ``-m unit`` runs one kind; browser tests are also ``slow``. The fast
inner loop is ``python -m pytest -m "not slow and not browser"``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.factories import make_tiny_faceset

from core.paths import shared_datasets_dir

TESTS_DIR = Path(__file__).resolve().parent
KINDS = ("unit", "model", "cli", "app", "browser", "faults", "bench")
#: Kinds that are slow as a whole: each test trains a model, or drives the app (AppTest or a browser).
SLOW_KINDS = ("browser", "app", "model")
HARD_SET = "hardfakevsrealfaces"
UTKFACE = "utkface"


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point data/ and models/ at a per-test temporary folder; check every chart drawn (ui.presenter)."""
    root = tmp_path_factory.mktemp("unmask")
    monkeypatch.setenv("UNMASK_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("UNMASK_MODELS_DIR", str(root / "models"))
    monkeypatch.setenv("UNMASK_VALIDATE_CHARTS", "1")  # every chart a page draws: checked against the schema


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


@pytest.fixture()
def tiny_faceset():
    return make_tiny_faceset()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its folder's kind (and ``slow`` for the slow kinds)."""
    for item in items:
        parts = Path(str(item.path)).resolve().relative_to(TESTS_DIR).parts
        kind = parts[0] if len(parts) > 1 and parts[0] in KINDS else None
        if kind is None:
            continue
        item.add_marker(kind)
        if kind in SLOW_KINDS:
            item.add_marker("slow")
