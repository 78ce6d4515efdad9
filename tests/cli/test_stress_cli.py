"""The Stress test on the command line: evaluate any folder (one class is fine), --scores-out, stress."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from support.factories import save_stand_in_run, write_tiny_folder

from core import pipeline
from core.cli import EXIT_BAD_INPUT, main
from core.errors import NO_SUCH_FOLDER, ONE_CLASS
from core.evaluation.metrics import ONE_CLASS_REASON
from core.evaluation.stress import FRAMING_STEADY, FRAMING_WARNING
from core.runs import evaluations, store


def _run_json(capsys, *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    return json.loads(out)


@pytest.fixture()
def fakes_only(tmp_path: Path) -> Path:
    """A folder holding only a fake/ subfolder: eight of the demo set's fakes."""
    demo = pipeline.data_folder(None)
    (tmp_path / "fakes" / "fake").mkdir(parents=True)
    for file in sorted((demo / "fake").iterdir())[:8]:
        shutil.copy(file, tmp_path / "fakes" / "fake" / file.name)
    return tmp_path / "fakes"


def test_train_on_one_class_says_training_needs_both_and_evaluation_does_not(capsys, fakes_only):
    assert main(["train", "--data", str(fakes_only)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == "error: " + ONE_CLASS.format(present="fake", path=fakes_only.resolve())
    assert "training needs both real and fake images" in err and "evaluate --data" in err


@pytest.mark.slow
def test_evaluate_any_folder_keeps_the_result_and_writes_scores(capsys, fakes_only, tmp_path):
    trained = _run_json(capsys, "train", "--epochs", "1", "--image-size", "32")
    run_id = trained["run_id"]

    out = tmp_path / "scores.csv"
    result = _run_json(
        capsys, "evaluate", "--run", run_id, "--data", str(fakes_only), "--scores-out", str(out)
    )
    assert (result["n"], result["n_real"], result["n_fake"], result["validation_only"]) == (8, 0, 8, False)
    assert result["roc_auc"] is None and result["roc_auc_ci"] == [None, None]
    assert result["undefined"]["roc_auc"] == ONE_CLASS_REASON.format(present="fake", metric="ROC AUC")
    low, high = result["accuracy_ci"]
    assert low <= result["accuracy"] <= high and result["correct"] == result["confusion"]["tn"]
    assert result["scores_out"] == str(out.resolve())
    written = pd.read_csv(out)
    assert list(written.columns[:3]) == ["path", "label", "score"] and len(written) == 8
    assert (written["label"] == 0).all() and written["score"].between(0, 1).all()
    assert ((written["score"] <= trained["threshold"]).sum()) == result["correct"]

    [kept] = evaluations.list_results(run_id, "evaluations")
    assert kept["key"] == result["key"] and kept["data"]["name"] == "fakes"
    _, stored = evaluations.load_result(run_id, "evaluations", result["key"])
    assert stored["score"].tolist() == pytest.approx(written["score"].tolist())

    # Without --data: the stored validation scores, written as they are.
    _run_json(capsys, "evaluate", "--run", run_id, "--scores-out", str(out))
    assert len(pd.read_csv(out)) == trained["n_val"]


@pytest.mark.slow
def test_stress_json_on_the_demo_set_probes_the_validation_images(capsys):
    trained = _run_json(capsys, "train", "--epochs", "1", "--image-size", "32")
    result = _run_json(capsys, "stress", "--probes", "crop_tl_80", "jpeg_50")
    assert result["run_id"] == trained["run_id"]
    assert result["validation_only"] and result["n"] == trained["n_val"]
    assert result["n_training_excluded"] == trained["n_train"]
    report = result["report"]
    assert [p["key"] for p in report["probes"]] == ["crop_tl_80", "jpeg_50"]
    for probe in [report["original"], *report["probes"]]:
        assert probe["accuracy"]["n"] == probe["flips"]["n"] == trained["n_val"]
        assert probe["flips"]["count"] == probe["flipped_to_real"] + probe["flipped_to_fake"]
        assert probe["auc"]["ci_low"] <= probe["auc"]["auc"] <= probe["auc"]["ci_high"]
    assert report["original"]["flips"]["count"] == 0
    assert isinstance(result["reacts_to_framing"], bool)
    [kept] = evaluations.list_results(trained["run_id"], "stress")
    assert kept["key"] == result["key"]

    assert main(["stress", "--probes", "crop_tl_80"]) == 0
    text = capsys.readouterr().out
    assert re.search(r"crop to the top-left 80%\s+\d+\.\d% \(", text)
    said = FRAMING_WARNING if result["reacts_to_framing"] else FRAMING_STEADY
    assert said.split("{")[0] in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["stress", "--data", "/no/such/folder"], NO_SUCH_FOLDER.format(path="/no/such/folder")),
        (["evaluate", "--data", "/no/such/folder"], NO_SUCH_FOLDER.format(path="/no/such/folder")),
    ],
)
def test_stress_and_evaluate_refuse_a_missing_folder_with_a_sentence(capsys, argv, message):
    from support.factories import save_stand_in_run

    save_stand_in_run("run-1")
    assert main([*argv, "--run", "run-1"]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err.strip() == f"error: {message}"


def test_evaluate_streams_scores_out_skips_a_bad_file_by_name_and_shows_images_per_second(
    capsys, tmp_path, monkeypatch
):
    """The stream end to end on the command line, with a numpy stand-in for the model (no TensorFlow)."""
    save_stand_in_run("run-1", data=tmp_path / "elsewhere")
    folder = write_tiny_folder(tmp_path / "faces", n_per_class=12)
    (folder / "real" / "5.png").write_bytes(b"not an image")
    monkeypatch.setattr(store, "load_model", lambda run_id: "stand-in model")
    monkeypatch.setattr(
        pipeline, "score_images", lambda run_id, faces, model: faces.images.mean(axis=(1, 2, 3)) / 255
    )
    out = tmp_path / "scores.csv"
    assert main(["evaluate", "--run", "run-1", "--data", str(folder), "--scores-out", str(out)]) == 0
    err = capsys.readouterr().err
    assert re.search(r"scoring 24/24, \d+ images/s, about 0 s left", err)
    assert "skipped real/5.png: " in err
    written = pd.read_csv(out)
    assert len(written) == 23 and "real/5.png" not in set(written["path"])
    [kept] = evaluations.list_results("run-1", "evaluations")
    assert kept["n"] == 23 and kept["skipped"][0]["path"] == "real/5.png"
    _, stored = evaluations.load_result("run-1", "evaluations", kept["key"])
    assert stored["score"].tolist() == pytest.approx(written["score"].tolist())
