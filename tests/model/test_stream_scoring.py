"""Streamed scoring with real models: the same scores as decoding the whole folder and scoring it at once.

For a run of squares (the fast preset) and for a patch preset scored natively by its grid of patches
(artifacts), through :func:`core.stress_test.evaluate_folder`, the path of ``evaluate --data`` and the
Stress test page.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support.factories import write_tiny_folder

from core import pipeline, stress_test
from core.model.presets import build_model  # noqa: E402
from core.runs import evaluations, store


def _save(run_id: str, preset: str, *, side: int, native_max_side: int = 0) -> str:
    config = {"preset": preset, "status": "finished", "threshold": 0.5, "image_size": side}
    if native_max_side:
        config |= {"patch_size": side, "native_max_side": native_max_side}
    store.save_run(
        model=build_model(preset, image_size=side),
        config={**config, "dataset": {"name": "faces", "root": "/elsewhere"}},
        history=pd.DataFrame({"epoch": [1], "loss": [0.6]}),
        scores=pd.DataFrame({"path": ["real/a.png", "fake/b.png"], "label": [1, 0], "score": [0.9, 0.1]}),
        metrics={"accuracy": 1.0, "n": 2},
        run_id=run_id,
    )
    return run_id


@pytest.mark.parametrize(
    ("preset", "native_max_side"), [("fast", 0), ("artifacts", 64)], ids=["squares", "native patches"]
)
def test_evaluate_folder_streamed_gives_the_scores_of_the_whole_folder_at_once(
    tmp_path, preset, native_max_side
):
    run_id = _save(f"run-{preset}", preset, side=16, native_max_side=native_max_side)
    folder = write_tiny_folder(tmp_path / "faces", n_per_class=10, size=96)  # native: halved to 48
    whole = pipeline.load_for_run(store.run_info(run_id), folder)
    expected = pipeline.score_images(run_id, whole)

    out = tmp_path / "scores.csv"
    summary, scores = stress_test.evaluate_folder(run_id, folder, chunk_size=3, scores_out=out)
    assert list(scores["path"]) == list(whole.paths) and summary["n"] == 20
    np.testing.assert_allclose(scores["score"], expected, atol=1e-6)
    np.testing.assert_allclose(pd.read_csv(out)["score"], expected, atol=1e-6)
    _, stored = evaluations.load_result(run_id, "evaluations", summary["key"])
    np.testing.assert_allclose(stored["score"], expected, atol=1e-6)
