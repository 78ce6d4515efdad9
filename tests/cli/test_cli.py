"""python -m core: one JSON object on stdout, progress on stderr, one sentence on bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from support.factories import disk_full, make_tiny_faceset, save_stand_in_run, tamper_run

from core import pipeline
from core.cli import EXIT_BAD_INPUT, main
from core.data import datasets
from core.errors import BIAS_DATA_NEEDED, HOME_UNKNOWN, RUN_DAMAGED, ConfigError
from core.evaluation.generalization import SHARE_CORRECT, generalization_matrix
from core.model import memory
from core.model.config import TrainConfig
from core.paths import REPO_ROOT, models_dir
from core.runs import evaluations, store

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
        (["train", "--preset", "fast", "--patch-size", "64"], "patch_size applies to the patch presets"),
        (["generalize"], "Leave-one-source-out needs at least 2 sources; got 0."),
        (["train", "--data", "~nosuchuser-unmask"], "the home folder of nosuchuser-unmask is not known"),
        (["train", "--data", "/tmp/" + "a" * 300], "cannot be used as a path (File name too long)"),
        (
            ["reproduce", "--data", "~nosuchuser-unmask", "--bias-data", "/tmp"],
            "the home folder of nosuchuser-unmask is not known",
        ),
        (["reproduce", "--bias-data", "/tmp/" + "a" * 300], "cannot be used as a path (File name too long)"),
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


def _trace_folder(root: Path, *, reals: int, fakes: int, seed: int) -> Path:
    """Reals of independent pixels; fakes whose pixels repeat over 2x2 blocks (an up-sampling trace)."""
    rng = np.random.default_rng(seed)
    for i in range(reals):
        (root / "real").mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (36, 40, 3), dtype=np.uint8)).save(root / "real" / f"r{i}.png")
    for i in range(fakes):
        (root / "fake").mkdir(parents=True, exist_ok=True)
        small = rng.integers(0, 256, (18, 20, 3), dtype=np.uint8)
        Image.fromarray(np.repeat(np.repeat(small, 2, axis=0), 2, axis=1)).save(root / "fake" / f"f{i}.png")
    return root


ARTIFACTS_TINY = ["--patch-size", "16", "--patches-per-image", "2", "--batch-size", "16", "--epochs", "1"]


@pytest.mark.slow
def test_main_generalize_leaves_each_source_out(capsys, tmp_path):
    both = _trace_folder(tmp_path / "both", reals=8, fakes=8, seed=0)
    reals = _trace_folder(tmp_path / "reals", reals=8, fakes=0, seed=1)
    fakes = _trace_folder(tmp_path / "fakes", reals=0, fakes=8, seed=2)
    out = tmp_path / "matrix.json"
    data = ["--data", str(both), "--data", str(reals), "--data", str(fakes)]
    result = _run_json(capsys, "generalize", *data, *ARTIFACTS_TINY, "--out", str(out))
    assert result["sources"] == ["both", "reals", "fakes"]
    assert json.loads(out.read_text())["folds"] == result["folds"]
    folds = {f["source"]: f for f in result["folds"]}
    assert folds["both"]["held_out"]["all"]["n"] == 16 and folds["both"]["held_out"]["all"]["auc"] is not None
    assert folds["reals"]["held_out"]["all"]["reals_called_real"]["n"] == 8
    assert folds["fakes"]["held_out"]["all"]["fakes_caught"]["n"] == 8
    assert "vs_validation" in folds["fakes"]["held_out"]
    kept = []
    for fold in result[
        "folds"
    ]:  # each fold is an ordinary run that keeps its evaluation on the left-out folder
        assert fold["source"] not in set(store.load_run(fold["run_id"]).scores["source"])
        kept += evaluations.list_results(fold["run_id"], "evaluations")
    matrix = generalization_matrix(kept)  # the Stress test's generalization matrix, one cell per fold
    assert sorted(matrix["dataset"]) == ["both", "fakes", "reals"]
    cell = matrix.set_index("dataset").loc["reals"]
    assert (cell["measure"], cell["n"]) == (SHARE_CORRECT, 8)
    assert cell["value"] == folds["reals"]["held_out"]["all"]["reals_called_real"]["rate"]
    assert len(store.list_runs()) == 3


def test_leave_one_source_out_skips_a_fold_left_with_one_class(tmp_path):
    from core.data.sources import parse_sources, scan_sources
    from core.errors import GENERALIZE_ONE_CLASS_LEFT
    from core.generalize import leave_one_source_out
    from core.model.config import TrainConfig

    named = parse_sources(
        [
            _trace_folder(tmp_path / "r", reals=2, fakes=0, seed=0),
            _trace_folder(tmp_path / "f", reals=0, fakes=2, seed=1),
        ]
    )
    config = TrainConfig(preset="artifacts")
    result = leave_one_source_out(scan_sources(named), config, sources=named, hold_out=["r"])
    expected = GENERALIZE_ONE_CLASS_LEFT.format(source="r", present="fake", missing="real")
    assert result["folds"] == [{"source": "r", "n": 2, "skipped": expected}]


@pytest.mark.slow
def test_main_train_artifacts_on_demo_set_then_evaluate_stress_and_bias(capsys, tmp_path):
    trained = _run_json(capsys, "train", "--preset", "artifacts", *ARTIFACTS_TINY, "--patch-size", "32")
    assert trained.keys() >= TRAIN_KEYS | {"patch_size", "native_max_side"}
    assert (trained["preset"], trained["patch_size"]) == ("artifacts", 32)
    assert trained["dataset"] == "synthetic demo data"
    info = store.run_info(trained["run_id"])
    assert info.native_max_side == 512 and info.config["dataset"]["native_max_side"] == 512
    other = _trace_folder(tmp_path / "other", reals=3, fakes=3, seed=5)  # 36 x 40 images: never squared
    rescored = _run_json(capsys, "evaluate", "--run", trained["run_id"], "--data", str(other))
    assert (rescored["n"], rescored["n_real"]) == (6, 3)
    stressed = _run_json(capsys, "stress", "--run", trained["run_id"], "--probes", "crop_tl_80", "jpeg_50")
    assert stressed["validation_only"] and stressed["n"] == trained["n_val"]
    bias = _run_json(capsys, "bias", "--per-group", "5")
    assert bias["attribute"] == "skin_tone" and all(g["n"] == 5 for g in bias["groups"])


@pytest.mark.slow
def test_main_train_on_several_folders_keeps_sources(capsys, tmp_path):
    _trace_folder(tmp_path / "both", reals=6, fakes=6, seed=0)
    _trace_folder(tmp_path / "reals", reals=8, fakes=0, seed=1)
    manifest = tmp_path / "sources.csv"
    manifest.write_text("folder,source\nboth,mixed\nreals,camera\n")
    trained = _run_json(capsys, "train", "--data", str(manifest), "--epochs", "1", "--image-size", "16")
    assert trained["n_train"] + trained["n_val"] == 20
    run = store.load_run(trained["run_id"])
    assert set(run.scores["source"]) == {"mixed", "camera"}  # stratified: both sources in validation
    assert run.info.config["dataset"]["sources"] == {
        "mixed": {"n_real": 6, "n_fake": 6},
        "camera": {"n_real": 8, "n_fake": 0},
    }


def test_reproduce_on_a_real_folder_without_bias_data_refuses_to_mix_in_the_demo(capsys, tmp_path):
    """Training on real faces, then checking bias on drawn ones, would compare two unrelated sets."""
    (tmp_path / "faces" / "real").mkdir(parents=True)
    code = main(["reproduce", "--data", str(tmp_path / "faces")])
    assert code == EXIT_BAD_INPUT
    assert capsys.readouterr().err.strip() == f"error: {BIAS_DATA_NEEDED.format(name='faces')}"


def test_tampered_run_is_listed_as_damaged_and_refused_with_a_sentence(capsys, tmp_path):
    good, bad = "20260101-000000-fast-good", "20260102-000000-fast-bad"
    save_stand_in_run(good, data=tmp_path)
    tamper_run(save_stand_in_run(bad, data=tmp_path), "config.json", "threshold", '"abc"')
    listed = _run_json(capsys, "runs")["runs"]
    assert [(r["run_id"], r["status"]) for r in listed] == [(bad, "damaged"), (good, "finished")]
    problem = RUN_DAMAGED.format(
        run_id=bad, problem="config.json: threshold must be between 0.0 and 1.0; got abc"
    )
    assert listed[0]["problem"] == problem
    assert _run_json(capsys, "evaluate")["run_id"] == good  # the latest usable run
    assert main(["evaluate", "--run", bad, "--json"]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err == f"error: {problem}\n"


def test_train_that_cannot_fit_in_memory_is_refused_before_decoding(capsys, tiny_folder, monkeypatch):
    monkeypatch.setattr(memory, "available_bytes", lambda: 8 * 2**30)
    monkeypatch.setattr(datasets, "decode_files", lambda *a, **k: pytest.fail("decoded before refusing"))
    argv = ["train", "--data", str(tiny_folder), "--preset", "paper", "--image-size", "512"]
    assert main([*argv, "--batch-size", "4096", "--json"]) == EXIT_BAD_INPUT
    config = TrainConfig(preset="paper", image_size=512, batch_size=4096)
    with pytest.raises(ConfigError) as refused:
        memory.check_fits(config, n_images=32, available=8 * 2**30)
    assert capsys.readouterr().err == f"error: {refused.value}\n"
    assert str(refused.value).startswith("Training the paper preset at 512 px with batch 4096 on 32 images")


def test_train_on_a_full_disk_is_one_sentence_and_leaves_nothing(capsys, tiny_folder, monkeypatch):
    monkeypatch.setattr(store, "_write_json", disk_full)
    argv = ["train", "--data", str(tiny_folder), "--epochs", "1", "--image-size", "16", "--json"]
    assert main(argv) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    [line] = [x for x in captured.err.splitlines() if x.startswith("error: ")]
    assert "could not be saved" in line and "(No space left on device)" in line
    assert captured.err.splitlines()[-1] == line and "Traceback" not in captured.err
    assert list(models_dir().iterdir()) == []


NO_USER = "~nosuchuser-unmask"


@pytest.mark.parametrize(
    ("argv", "typed"),
    [
        (["stress", "--data", NO_USER], NO_USER),
        (["evaluate", "--data", NO_USER], NO_USER),
        (["evaluate", "--scores-out", f"{NO_USER}/scores.csv"], f"{NO_USER}/scores.csv"),
    ],
)
def test_stress_and_evaluate_paths_of_an_unknown_user_are_a_sentence(capsys, tmp_path, argv, typed):
    save_stand_in_run("run-1", data=tmp_path)
    assert main([*argv, "--run", "run-1"]) == EXIT_BAD_INPUT
    message = HOME_UNKNOWN.format(path=typed, user="nosuchuser-unmask")
    assert capsys.readouterr().err == f"error: {message}\n"
