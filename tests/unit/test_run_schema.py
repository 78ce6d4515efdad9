"""A tampered run folder: listed as damaged with the reason; nothing that reads it raises anything else."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from support.factories import save_stand_in_run, tamper_run

from core.errors import BAD_RUN_ID, RUN_DAMAGED, ModelError
from core.paths import inside
from core.runs import store
from core.runs.schema import run_problem

GOOD, BAD = "20260101-000000-fast-good", "20260102-000000-fast-bad"
DAMAGED_PREFIX = RUN_DAMAGED.split("(")[0].format(run_id=BAD)

#: (file, key, raw JSON value, what the reason must say): the red team's cases, then more.
TAMPERED = [
    ("config.json", "threshold", '"abc"', "threshold must be between 0.0 and 1.0; got abc"),
    ("config.json", "threshold", "null", "threshold must be between 0.0 and 1.0; got None"),
    ("config.json", "threshold", "5", "threshold must be between 0.0 and 1.0; got 5"),
    ("config.json", "threshold", "NaN", "threshold must be between 0.0 and 1.0; got nan"),
    ("config.json", "image_size", '"big"', "image_size must be between 16 and 512; got big"),
    ("metrics.json", "accuracy", '"x"', "accuracy is 'x', not a share from 0 to 1"),
    ("config.json", "threshold", "true", "threshold must be between 0.0 and 1.0; got True"),
    ("config.json", "epochs", "2.5", "epochs must be between 1 and 500; got 2.5"),
    ("config.json", "status", '"hacked"', "status is 'hacked', not 'finished' or 'cancelled'"),
    ("config.json", "dataset", '"x"', "dataset is 'x', not an object with a name and a folder"),
    ("config.json", "augment", '"yes"', "augment must be true or false; got 'yes'"),
    ("metrics.json", "accuracy_ci", "[0.1]", "accuracy_ci is [0.1], not an interval [low, high] of shares"),
    ("metrics.json", "n", "-3", "n is -3, not a count"),
    ("metrics.json", "roc_auc", "Infinity", "roc_auc is inf, not a share from 0 to 1"),
    ("metrics.json", "train_seconds", '"x"', "train_seconds is 'x', not a number of seconds"),
    ("metrics.json", "mcc", "7", "mcc is 7, not a correlation from -1 to 1"),
]


@pytest.fixture()
def runs(tmp_path: Path) -> Path:
    save_stand_in_run(GOOD, data=tmp_path)
    return save_stand_in_run(BAD, data=tmp_path)


@pytest.mark.parametrize(("file", "key", "raw", "reason"), TAMPERED)
def test_tampered_run_lists_as_damaged_with_the_reason(runs, file, key, raw, reason):
    tamper_run(runs, file, key, raw)
    listed = {r.run_id: r for r in store.list_runs()}
    bad = listed[BAD]
    assert (bad.status, bad.usable, bad.config, bad.metrics) == ("damaged", False, {}, {})
    assert bad.problem.startswith(DAMAGED_PREFIX)
    assert reason in bad.problem, bad.problem
    assert listed[GOOD].usable
    assert store.latest_run_id() == GOOD
    for read in (store.load_run, store.load_model):
        with pytest.raises(ModelError, match=re.escape(bad.problem)):
            read(BAD)


def test_run_problem_of_a_stand_in_run_is_none(runs):
    config = json.loads((runs / "config.json").read_text())
    metrics = json.loads((runs / "metrics.json").read_text())
    assert run_problem(config, metrics) is None


def test_run_problem_names_the_file_and_the_field():
    assert run_problem({"threshold": "abc"}, {}) == (
        "config.json: threshold must be between 0.0 and 1.0; got abc"
    )
    assert run_problem({}, {"accuracy": 2}) == "metrics.json: accuracy is 2, not a share from 0 to 1"


def test_run_problem_shows_a_long_value_shortened():
    problem = run_problem({}, {"accuracy": "x" * 10_000})
    assert problem is not None and len(problem) < 200


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ({"path": ["a.png"], "label": [3], "score": [0.5]}, "scores.csv: label must be 1 or 0"),
        ({"path": ["a.png"], "label": [1], "score": [1.5]}, "scores.csv: score must be from 0 to 1"),
        ({"path": ["a.png"], "label": [1], "score": ["x"]}, "missing readable scores.csv: could not convert"),
        (
            {"label": [1], "path": ["a.png"], "score": [0.5]},
            "scores.csv: its first columns must be path, label",
        ),
    ],
)
def test_tampered_scores_are_damaged(runs, frame, reason):
    pd.DataFrame(frame).to_csv(runs / "scores.csv", index=False)
    with pytest.raises(ModelError, match=re.escape(reason)):
        store.load_run(BAD)


def test_deeply_nested_json_lists_as_incomplete_not_recursion_error(runs):
    (runs / "metrics.json").write_text("[" * 100_000 + "]" * 100_000)
    assert store.run_info(BAD).status == "incomplete"


def test_list_runs_tolerates_a_run_deleted_while_listing(runs, monkeypatch):
    real = store.run_info

    def deleted_first(run_id: str) -> store.RunInfo:
        if run_id == BAD:
            shutil.rmtree(runs)
        return real(run_id)

    monkeypatch.setattr(store, "run_info", deleted_first)
    assert [r.run_id for r in store.list_runs()] == [GOOD]


def test_list_runs_tolerates_the_models_folder_deleted_while_listing(runs, monkeypatch):
    real = Path.iterdir

    def vanished(self: Path):
        if self == runs.parent:
            shutil.rmtree(self)
        return real(self)

    monkeypatch.setattr(Path, "iterdir", vanished)
    assert store.list_runs() == []


@pytest.mark.parametrize("bad", ["run-1\n", "run-1\r\n", "run-1\nrun-2"])
def test_validate_run_id_refuses_a_trailing_newline(bad):
    with pytest.raises(ModelError, match=re.escape(BAD_RUN_ID.format(run_id=bad))):
        store.validate_run_id(bad)


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("real/a.png", True),
        ("/etc/passwd", False),
        ("../outside.png", False),
        ("real/../../outside.png", False),
        ("link.png", False),
    ],
)
def test_inside_keeps_only_paths_in_the_data_folder(tmp_path, path, shown):
    root = tmp_path / "data"
    (root / "real").mkdir(parents=True)
    (root / "real" / "a.png").write_bytes(b"x")
    (root / "link.png").symlink_to(tmp_path / "outside.png")
    found = inside(root, path)
    assert (found is not None) == shown
    if shown:
        assert found == (root / path).resolve()


@pytest.mark.parametrize("key", ["n", "n_real", "train_seconds", "confusion", "undefined"])
def test_metrics_that_are_never_undefined_may_not_be_null(key):
    assert run_problem({}, {key: None}) is not None
    assert run_problem({}, {"accuracy": None, "accuracy_ci": [None, None], "mcc": None}) is None
