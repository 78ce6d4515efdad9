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


def make_tiny_faceset(n_per_class: int = 24, size: int = 16, seed: int = 0):
    """A FaceSet a model can learn in two epochs: reals are bright on the left, fakes on the right."""
    import numpy as np
    import pandas as pd

    from core.faceset import FaceSet

    rng = np.random.default_rng(seed)
    images = rng.integers(0, 60, size=(2 * n_per_class, size, size, 3), dtype=np.uint8)
    images[:n_per_class, :, : size // 2] += 150
    images[n_per_class:, :, size // 2 :] += 150
    labels = np.array([1] * n_per_class + [0] * n_per_class, dtype=np.int8)
    tones = np.array(["light", "dark"] * n_per_class)
    return FaceSet(
        name="tiny test set",
        root="/nonexistent/tiny",
        layout="labels_csv",
        paths=tuple(f"{'real' if y else 'fake'}/{i}.png" for i, y in enumerate(labels)),
        labels=labels,
        groups=pd.DataFrame({"skin_tone": tones}),
        images=images,
        image_size=size,
    )


@pytest.fixture()
def tiny_faceset():
    return make_tiny_faceset()
