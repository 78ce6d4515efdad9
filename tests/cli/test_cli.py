"""python -m core: one JSON object on stdout, progress on stderr, one sentence on bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from support.factories import make_tiny_faceset

from core import pipeline
from core.cli import EXIT_BAD_INPUT, main
from core.errors import BIAS_DATA_NEEDED
from core.paths import REPO_ROOT
from core.runs import store

TRAIN_KEYS = {
    "run_id", "preset", "epochs", "n_train", "n_val", "threshold", "val_correct",
    "val_accuracy", "val_accuracy_ci", "val_auc", "train_seconds",
}  # fmt: skip


@pytest.fixture()
def tiny_folder(tmp_path: Path) -> Path:
    faces = make_tiny_faceset(n_per_class=16, size=16)
    for path, pixels in zip(faces.paths, faces.images, strict=True):
        (tmp_path / path).parent.mkdir(exist_ok=True)
        Image.fromarray(pixels).save(tmp_path / path)
    return tmp_path


def _run_json(capsys, *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # exactly one line: one JSON object
    return json.loads(out)


@pytest.mark.slow
def test_main_train_evaluate_bias_on_a_folder(capsys, tiny_folder):
    trained = _run_json(
        capsys, "train", "--data", str(tiny_folder), "--epochs", "2", "--image-size", "16", "--lr", "0.01"
    )
    assert trained.keys() >= TRAIN_KEYS
    assert trained["n_train"] + trained["n_val"] == 32
    assert trained["val_accuracy_ci"][0] <= trained["val_accuracy"] <= trained["val_accuracy_ci"][1]

    evaluated = _run_json(capsys, "evaluate", "--run", trained["run_id"], "--threshold", "0.5")
    assert evaluated["threshold"] == 0.5
    assert sum(evaluated["confusion"].values()) == trained["n_val"]

    # Its own training folder: only the validation images count, and the result says so.
    rescored = _run_json(capsys, "evaluate", "--run", trained["run_id"], "--data", str(tiny_folder))
    assert (rescored["n"], rescored["validation_only"]) == (trained["n_val"], True)
    assert rescored["n_training_excluded"] == trained["n_train"]

    listed = _run_json(capsys, "runs")
    assert [r["run_id"] for r in listed["runs"]] == [trained["run_id"]]


@pytest.mark.slow
def test_main_bias_on_demo_set(capsys):
    trained = _run_json(capsys, "train", "--epochs", "1", "--image-size", "32")
    assert trained["dataset"] == "synthetic demo data"
    bias = _run_json(capsys, "bias", "--per-group", "20")
    assert bias["attribute"] == "skin_tone"
    assert len(bias["groups"]) == 5
    assert all(g["n"] == 20 for g in bias["groups"])
    for g in bias["groups"]:
        assert g["ci_low"] <= g["flagged_fake_rate"] <= g["ci_high"]
    # On the run's own training folder, only validation images count: the model trained on the rest.
    _, frame = pipeline.bias_scores(trained["run_id"], per_group=1000)
    assert len(frame) == trained["n_val"]
    assert set(frame["path"]) == set(store.load_run(trained["run_id"]).scores["path"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--data", "/no/such/folder"], "The folder /no/such/folder does not exist"),
        (["train", "--epochs", "0"], "epochs must be between 1 and 500; got 0"),
        (["evaluate", "--run", "../etc"], "'../etc' is not a valid run id"),
        (["evaluate", "--run", "missing-run"], "There is no saved run 'missing-run'"),
        (["evaluate"], "No run has been trained yet"),
    ],
)
def test_main_bad_input_is_one_sentence(capsys, argv, message):
    assert main([*argv, "--json"]) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err


def test_cli_subprocess_bad_folder_no_traceback(tmp_path):
    env = {**os.environ, "UNMASK_MODELS_DIR": str(tmp_path / "m"), "UNMASK_DATA_DIR": str(tmp_path / "d")}
    proc = subprocess.run(
        [sys.executable, "-m", "core", "train", "--data", str(tmp_path / "nothing"), "--json"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == EXIT_BAD_INPUT
    assert proc.stdout == ""
    assert proc.stderr.strip().endswith("does not exist; check the path and try again.")
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_reproduce_on_real_data(capsys, hard_set_dir, utkface_dir):
    """The paper's protocol on the real sets: 966/323, >= 99% at 0.75, five races of n = 100."""
    result = _run_json(capsys, "reproduce", "--data", str(hard_set_dir), "--bias-data", str(utkface_dir))
    train, bias = result["train"], result["bias"]
    assert (train["n_train"], train["n_val"], train["threshold"], train["epochs"]) == (966, 323, 0.75, 10)
    assert train["val_accuracy"] >= 0.99
    assert bias["attribute"] == "race"
    assert sorted(g["group"] for g in bias["groups"]) == ["Asian", "Black", "Indian", "Others", "White"]
    assert all(g["n"] == 100 for g in bias["groups"])
    assert result["paper"]["val_accuracy_reported"] == 0.9907


def test_reproduce_on_a_real_folder_without_bias_data_refuses_to_mix_in_the_demo(capsys, tmp_path):
    """Training on real faces, then checking bias on drawn ones, would compare two unrelated sets."""
    (tmp_path / "faces" / "real").mkdir(parents=True)
    code = main(["reproduce", "--data", str(tmp_path / "faces")])
    assert code == EXIT_BAD_INPUT
    assert capsys.readouterr().err.strip() == f"error: {BIAS_DATA_NEEDED.format(name='faces')}"
