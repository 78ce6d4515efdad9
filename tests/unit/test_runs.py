"""The run store: atomic saves, listing, validation of ids, damaged folders."""

import json
import os
import re

import pandas as pd
import pytest
from support.factories import disk_full

from core.errors import META_TOO_LONG, RUN_INCOMPLETE, RUN_NOT_SAVED, ModelError, RunNotSaved
from core.paths import models_dir
from core.runs import store


class _FakeModel:
    """Stands in for a Keras model: runs only needs ``.save(folder, zipped=False)`` (core.model.saving)."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def save(self, path, *, zipped=True):
        if self.fail:
            raise OSError("disk full")
        path.mkdir()
        (path / "config.json").write_bytes(b"not really a keras file")


def _save(run_id=None, status="finished", model=None):
    return store.save_run(
        model=model or _FakeModel(),
        config={"preset": "fast", "status": status, "threshold": 0.75, "image_size": 32},
        history=pd.DataFrame({"epoch": [1, 2], "loss": [0.7, 0.3]}),
        scores=pd.DataFrame({"path": ["real/a.jpg", "fake/b.jpg"], "label": [1, 0], "score": [0.9, 0.1]}),
        metrics={"accuracy": 1.0, "n": 2, "nan_metric": float("nan")},
        run_id=run_id,
    )


def test_save_run_writes_every_file_and_lists():
    info = _save("run-1")
    assert info.status == "finished"
    assert sorted(p.name for p in info.path.iterdir()) == sorted(store.RUN_FILES)
    assert [r.run_id for r in store.list_runs()] == ["run-1"]
    assert json.loads((info.path / "metrics.json").read_text())["nan_metric"] is None


def test_load_run_reads_history_and_scores():
    _save("run-1")
    run = store.load_run("run-1")
    assert list(run.history["loss"]) == [0.7, 0.3]
    assert list(run.scores["label"]) == [1, 0]
    assert run.info.config["run_id"] == "run-1"


def test_save_run_failure_leaves_no_run_and_no_partial_folder():
    with pytest.raises(RunNotSaved, match="disk full"):
        _save("run-1", model=_FakeModel(fail=True))
    assert store.list_runs() == []
    assert list(models_dir().iterdir()) == []


@pytest.mark.parametrize("writer", ["model", "json", "csv"])
def test_save_run_on_a_full_disk_is_a_sentence_and_can_save_again(writer):
    model = _FakeModel()
    with pytest.MonkeyPatch.context() as full:
        if writer == "model":
            full.setattr(model, "save", disk_full)
        elif writer == "json":
            full.setattr(store, "_write_json", disk_full)
        else:
            full.setattr(pd.DataFrame, "to_csv", disk_full)
        with pytest.raises(RunNotSaved) as refused:
            _save("run-1", model=model)
    expected = RUN_NOT_SAVED.format(run_id="run-1", folder=models_dir(), reason="No space left on device")
    assert str(refused.value) == expected
    assert list(models_dir().iterdir()) == []  # the staging folder is gone too
    info = refused.value.save_again()  # space freed
    assert (info.run_id, info.status) == ("run-1", "finished")
    assert store.load_run("run-1").scores["label"].tolist() == [1, 0]


def test_list_runs_newest_first_and_latest():
    _save("20260101-000000-fast-aaaa")
    _save("20260102-000000-fast-bbbb", status="cancelled")
    assert [r.run_id for r in store.list_runs()] == ["20260102-000000-fast-bbbb", "20260101-000000-fast-aaaa"]
    assert store.latest_run_id() == "20260101-000000-fast-aaaa"  # the newest *finished* one


def test_latest_run_id_takes_a_cancelled_run_only_when_none_finished():
    _save("20260102-000000-fast-bbbb", status="cancelled")
    assert store.latest_run_id() == "20260102-000000-fast-bbbb"


def test_write_meta_names_a_run_and_lists_the_name():
    _save("run-1")
    info = store.write_meta("run-1", name="  baseline ", note="first try")
    assert (info.name, info.note, info.label) == ("baseline", "first try", "baseline (run-1)")
    assert store.list_runs()[0].label == "baseline (run-1)"
    assert not [p for p in info.path.iterdir() if p.name.startswith(".")]  # no staging file left
    assert store.write_meta("run-1", name="").label == "run-1"


def test_write_meta_refuses_a_name_too_long_and_an_unknown_run():
    _save("run-1")
    too_long = "x" * (store.MAX_NAME + 1)
    message = META_TOO_LONG.format(what="name", n=store.MAX_NAME + 1, limit=store.MAX_NAME)
    with pytest.raises(ModelError, match=re.escape(message)):
        store.write_meta("run-1", name=too_long)
    with pytest.raises(ModelError, match="There is no saved run 'run-2'"):
        store.write_meta("run-2", name="x")


def test_run_with_damaged_meta_still_lists_without_a_name():
    info = _save("run-1")
    (info.path / store.META_FILE).write_text("[not an object")
    assert store.run_info("run-1").label == "run-1"


def test_list_runs_ignores_partial_folders():
    _save("run-1")
    (models_dir() / ".partial-run-2-123-abc").mkdir()
    assert [r.run_id for r in store.list_runs()] == ["run-1"]


def test_run_folder_with_files_missing_lists_as_incomplete():
    info = _save("run-1")
    (info.path / "scores.csv").unlink()
    listed = store.list_runs()
    assert [(r.run_id, r.status) for r in listed] == [("run-1", "incomplete")]
    assert "missing scores.csv" in listed[0].problem
    with pytest.raises(ModelError, match=r"Run 'run-1' is incomplete \(missing scores.csv\)"):
        store.load_run("run-1")
    with pytest.raises(ModelError, match="No run has been trained yet"):
        store.latest_run_id()


def test_run_with_unreadable_json_lists_as_incomplete():
    info = _save("run-1")
    (info.path / "config.json").write_text("{ not json")
    assert store.run_info("run-1").status == "incomplete"


@pytest.mark.parametrize(
    ("name", "text"), [("config.json", "[]"), ("metrics.json", "5"), ("config.json", "null")]
)
def test_run_with_json_that_is_not_an_object_lists_as_incomplete(name, text):
    info = _save("run-1")
    (info.path / name).write_text(text)
    listed = store.run_info("run-1")
    assert listed.status == "incomplete"
    assert isinstance(listed.config, dict) and isinstance(listed.metrics, dict)
    assert listed.problem == RUN_INCOMPLETE.format(
        run_id="run-1", missing="readable config.json and metrics.json"
    )


@pytest.mark.parametrize("text", ['{"epoch": 1}', "[1, 2]", "{ not json"])
def test_load_run_history_that_is_not_a_list_of_rows_raises(text):
    info = _save("run-1")
    (info.path / "history.json").write_text(text)
    with pytest.raises(
        ModelError, match=re.escape("Run 'run-1' is incomplete (missing readable history.json)")
    ):
        store.load_run("run-1")


def test_save_and_load_run_keep_non_utf8_paths_byte_for_byte():
    odd = os.fsdecode(b"real/caf\xe9 \xff.jpg")  # a file name that is not UTF-8
    store.save_run(
        model=_FakeModel(),
        config={"preset": "fast", "status": "finished"},
        history=pd.DataFrame({"epoch": [1]}),
        scores=pd.DataFrame(
            {"path": pd.Series([odd, "fake/b.jpg"], dtype=object), "label": [1, 0], "score": [0.9, 0.1]}
        ),
        metrics={"accuracy": 1.0},
        run_id="run-1",
    )
    assert store.load_run("run-1").scores["path"].tolist() == [odd, "fake/b.jpg"]


@pytest.mark.parametrize("bad", ["../etc", "..", "a/b", "/abs", "", "x" * 81, "run id", "..\\x", ".hidden"])
def test_validate_run_id_refuses_paths(bad):
    with pytest.raises(ModelError, match="is not a valid run id"):
        store.validate_run_id(bad)


def test_load_run_unknown_id():
    with pytest.raises(ModelError, match="There is no saved run 'nope'"):
        store.load_run("nope")


def test_delete_run_removes_it():
    _save("run-1")
    store.delete_run("run-1")
    assert store.list_runs() == []


def test_delete_run_refuses_traversal():
    with pytest.raises(ModelError, match="not a valid run id"):
        store.delete_run("../models")


def test_load_model_corrupted_file_is_a_sentence():
    _save("run-1")
    with pytest.raises(ModelError, match="The model file of run 'run-1' could not be read"):
        store.load_model("run-1")


def test_json_safe_replaces_nan_recursively():
    assert store.json_safe({"a": [1.0, float("nan")], "b": {"c": float("inf")}}) == {
        "a": [1.0, None],
        "b": {"c": None},
    }


def test_run_info_image_size_from_config():
    assert _save("run-1").image_size == 32
