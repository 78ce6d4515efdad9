"""The generalization matrix: AUC where both classes exist, else the share called correctly, with n."""

import pandas as pd
import pytest
from PIL import Image
from support.factories import save_stand_in_run

from core import stress_test
from core.evaluation import charts
from core.evaluation.generalization import (
    AUC,
    SHARE_CORRECT,
    VALIDATION_SUFFIX,
    generalization_matrix,
    matrix_table,
)
from core.runs import evaluations


def summary(run_id, key, name, *, n_real, n_fake, validation_only=False, auc=0.7, accuracy=0.25):
    return {
        "run_id": run_id,
        "key": key,
        "data": {"name": name},
        "n": n_real + n_fake,
        "n_real": n_real,
        "n_fake": n_fake,
        "threshold": 0.75,
        "validation_only": validation_only,
        "metrics": {"accuracy": accuracy, "accuracy_ci": [0.1, 0.5]},
        "auc": {"auc": auc, "ci_low": 0.6, "ci_high": 0.8},
    }


def test_matrix_cells_use_auc_with_both_classes_else_the_share_correct():
    frame = generalization_matrix(
        [
            summary("r1", "k1", "hard", n_real=175, n_fake=148, validation_only=True, auc=0.997),
            summary("r1", "k2", "lfw", n_real=1000, n_fake=0, accuracy=0.04),
            summary("r2", "k2", "lfw", n_real=1000, n_fake=0, accuracy=0.5),
        ]
    )
    cells = frame.set_index(["run_id", "dataset"])
    hard = cells.loc[("r1", "hard" + VALIDATION_SUFFIX)]
    assert (hard["measure"], hard["value"], hard["n"]) == (AUC, 0.997, 323)
    assert hard["text"] == "AUC 0.997 (95% CI 0.600–0.800), n = 323: 175 real, 148 fake"
    lfw = cells.loc[("r1", "lfw")]
    assert (lfw["measure"], lfw["cell"], lfw["ci_low"], lfw["ci_high"]) == (SHARE_CORRECT, "4%", 0.1, 0.5)
    assert lfw["text"] == "4.0% called correctly (95% CI 10.0%–50.0%), n = 1000: 1000 real"
    assert frame["run_id"].tolist() == ["r2", "r1", "r1"]  # newest run first


def test_two_folders_with_one_name_are_told_apart_by_key():
    frame = generalization_matrix(
        [
            summary("r1", "aaaaaa1", "real", n_real=5, n_fake=0),
            summary("r1", "bbbbbb2", "real", n_real=5, n_fake=0),
        ]
    )
    assert sorted(frame["dataset"]) == ["real [aaaaaa]", "real [bbbbbb]"]


def test_matrix_table_is_runs_by_data_sets_with_gaps_named():
    frame = generalization_matrix(
        [summary("r1", "k1", "a", n_real=5, n_fake=5), summary("r2", "k2", "b", n_real=5, n_fake=0)]
    )
    table = matrix_table(frame)
    assert list(table.index) == ["r2", "r1"] and list(table.columns) == ["a", "b"]
    assert table.loc["r2", "a"] == "not evaluated"
    assert table.loc["r1", "a"].startswith("AUC 0.700")


def test_empty_matrix():
    assert generalization_matrix([]).empty and matrix_table(generalization_matrix([])).empty


def test_heatmap_draws_every_cell_with_its_n():
    frame = generalization_matrix([summary("r1", "k1", "a", n_real=5, n_fake=5)])
    spec = charts.generalization_heatmap(frame).to_dict()
    values = next(iter(spec["datasets"].values()))
    assert values[0]["label"] == "0.700 · n=10"


@pytest.fixture()
def trained_on(tmp_path):
    """A folder of 3 real and 3 fake PNGs and a stand-in run 'trained' on it, validated on 4 of them."""
    for cls in ("real", "fake"):
        (tmp_path / cls).mkdir()
        for i in range(3):
            Image.new("RGB", (16, 16), (200 if cls == "real" else 20, 0, 0)).save(tmp_path / cls / f"{i}.png")
    run = save_stand_in_run("run-1", data=tmp_path)
    scores = pd.DataFrame(
        {"path": ["real/0.png", "real/1.png", "fake/0.png", "fake/1.png"], "label": [1, 1, 0, 0],
         "score": [0.9, 0.8, 0.2, 0.1], "skin_tone": ["a", "b", "a", "b"]}
    )  # fmt: skip
    scores.to_csv(run / "scores.csv", index=False)
    return tmp_path


def test_evaluating_the_training_folder_uses_the_validation_images_only(trained_on):
    summary_, scores = stress_test.evaluate_folder("run-1", trained_on)
    assert summary_["validation_only"] and summary_["n_training_excluded"] == 2
    assert summary_["n"] == 4 and len(scores) == 4
    assert summary_["metrics"]["correct"] == 4  # the stored scores, not a model: no TensorFlow here
    assert summary_["auc"]["auc"] == 1.0
    assert stress_test.validation_note(summary_) == stress_test.VALIDATION_ONLY_NOTE.format(
        name=trained_on.name, run_id="run-1", n=4, excluded=2
    )
    [kept] = evaluations.list_results("run-1", "evaluations")
    assert kept["key"] == summary_["key"] == stress_test.image_pool("run-1").key
    [cell] = generalization_matrix(evaluations.all_evaluations()).to_dict("records")
    assert cell["dataset"] == trained_on.name + VALIDATION_SUFFIX and cell["measure"] == AUC


def _measured(reframed_scores) -> dict:
    """A results file as python -m bench.generalization writes it, from hand-made numbers."""
    import numpy as np

    from core.evaluation.stress import stress_report

    labels = [1] * 10 + [0] * 10
    original = np.r_[np.full(10, 0.9), np.full(10, 0.1)]
    frame = pd.DataFrame(
        {"path": [f"{i}.jpg" for i in range(20)], "label": labels, "original": original,
         "crop_tl_80": reframed_scores, "jpeg_50": original}
    )  # fmt: skip
    own = summary("r1", "k1", "hard", n_real=10, n_fake=10, validation_only=True, auc=0.99, accuracy=0.95)
    own["metrics"]["correct"] = 19
    lfw = summary("r1", "k2", "lfw", n_real=100, n_fake=0, accuracy=0.25)
    rows = generalization_matrix([own, lfw]).drop(columns=["run_id", "key"]).to_dict(orient="records")
    return {
        "runs": [
            {"preset": "fast", "epochs": 10, "seed": 0, "threshold": 0.75, "train_data": "hard",
             "n_train": 60, "n_val": 20, "train_seconds": 5.0, "evaluations": rows, "cross_source": [],
             "stress": stress_report(frame, threshold=0.75).to_dict()}
        ]
    }  # fmt: skip


def test_measured_findings_are_written_from_the_numbers():
    import numpy as np

    from core.evaluation.generalization import measured_findings

    flipped = np.r_[np.full(10, 0.1), np.full(10, 0.1)]  # every real called fake once re-framed
    text = measured_findings(_measured(flipped))
    assert (
        "calls 19 of its 20 validation images correctly at threshold 0.75 (95.0%, 95% CI 10.0%–50.0%" in text
    )
    assert "calls 75.0% of the 100 real photos of lfw fake (95% CI 50.0%–90.0%)" in text
    assert "This model reacts to where the face sits in the picture" in text
    assert "crop to the top-left 80% flipped 10 of 20 calls (50.0%; 95% CI" in text
    assert "Degradations barely change its calls: JPEG quality 50 flip none of its 20 calls." in text
    assert "So its validation score measures how the faces of hard are framed" in text
    assert "| lfw | share called correctly | 25.0% (10.0%–50.0%) | 100: 100 real |" in text
    assert "| crop to the top-left 80% | re-framing | 20 | 50.0% (" in text


def test_measured_findings_of_a_steady_model_draw_no_framing_conclusion():
    import numpy as np

    from core.evaluation.generalization import measured_findings

    steady = np.r_[np.full(10, 0.9), np.full(10, 0.1)]
    text = measured_findings(_measured(steady))
    assert "Re-framing changes few calls" in text and "So its validation score" not in text
    assert measured_findings({"runs": []}) == ""
