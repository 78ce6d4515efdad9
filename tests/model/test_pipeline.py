"""Tests for core.pipeline's bias pool: which images a run's bias check may sample from."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image
from support.factories import save_stand_in_run

from core.errors import NO_SUCH_FOLDER, NO_SUCH_RUN, UnmaskError
from core.pipeline import bias_pool, bias_scores


def _save_run(trained_on: Path) -> str:
    """A run 'trained' on ``trained_on`` with four stored validation scores, two tones."""
    return save_stand_in_run("20260101-000000-fast-0001", data=trained_on).name


def _labelled_folder(folder: Path, tones: list[str]) -> Path:
    """A labels_csv folder of tiny grey images, all real, with a ``skin_tone`` column."""
    folder.mkdir()
    rows = []
    for i, tone in enumerate(tones):
        Image.new("RGB", (8, 8), (100, 100, 100)).save(folder / f"{i}.png")
        rows.append({"path": f"{i}.png", "label": 1, "skin_tone": tone})
    pd.DataFrame(rows).to_csv(folder / "labels.csv", index=False)
    return folder


def test_bias_pool_training_folder_is_the_validation_images_only(tmp_path: Path) -> None:
    run_id = _save_run(tmp_path)
    pool = bias_pool(run_id, data=tmp_path)
    assert pool.validation_only
    assert (pool.name, pool.n, pool.attributes) == ("faces", 4, ["skin_tone"])
    assert pool.default_attribute == "skin_tone"
    assert pool.largest_group("skin_tone") == 2


def test_bias_pool_matches_what_bias_scores_samples(tmp_path: Path) -> None:
    run_id = _save_run(tmp_path)
    attribute, frame = bias_scores(run_id, data=tmp_path, per_group=1000)
    assert attribute == "skin_tone"
    assert len(frame) == bias_pool(run_id, data=tmp_path).n  # no model: the stored scores
    assert list(frame["score"]) == [0.9, 0.8, 0.2, 0.1]


def test_bias_pool_other_folder_is_scanned_not_decoded(tmp_path: Path) -> None:
    run_id = _save_run(tmp_path / "elsewhere")
    other = _labelled_folder(tmp_path / "other", ["light", "dark", "dark", "dark"])
    pool = bias_pool(run_id, data=other)
    assert not pool.validation_only
    assert (pool.name, pool.n, pool.attributes) == ("other", 4, ["skin_tone"])
    assert pool.largest_group("skin_tone") == 3


def test_bias_pool_default_attribute_prefers_race(tmp_path: Path) -> None:
    run_id = _save_run(tmp_path / "elsewhere")
    other = _labelled_folder(tmp_path / "other", ["light", "dark"])
    labels = pd.read_csv(other / "labels.csv").assign(race=["White", "Black"])
    labels.to_csv(other / "labels.csv", index=False)
    assert bias_pool(run_id, data=other).default_attribute == "race"


@pytest.mark.parametrize(
    ("run_id", "data", "message"),
    [
        ("missing-run", None, NO_SUCH_RUN.format(run_id="missing-run")),
        (None, "/no/such/folder", NO_SUCH_FOLDER.format(path="/no/such/folder")),
    ],
)
def test_bias_pool_refuses_with_a_sentence(tmp_path: Path, run_id, data, message: str) -> None:
    run_id = run_id or _save_run(tmp_path)
    with pytest.raises(UnmaskError, match=re.escape(message)):
        bias_pool(run_id, data=data)
