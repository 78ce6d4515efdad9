"""What a visitor can type, upload or leave behind must end in a sentence on the page, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image
from support.app import app, switch_page, use_no_runs, use_trained_run
from support.factories import save_stand_in_run, tamper_run

from core import pipeline
from core.errors import (
    HOME_UNKNOWN,
    IMAGE_OUTSIDE_FOLDER,
    PATH_UNUSABLE,
    RUN_NOT_SAVED,
    ConfigError,
)
from core.model import memory
from core.model.config import TrainConfig
from core.paths import shown_path
from core.runs import jobs
from ui.jobs import UNSAVED_NOTE
from ui.loaders import DATA_UNUSABLE
from ui.navigation import PAGES
from ui.state import _RUN_WIDGET as RUN_WIDGET

NO_USER = "~nosuchuser-unmask"
LONG = "/tmp/" + "a" * 300
NO_HOME = HOME_UNKNOWN.format(path=NO_USER, user="nosuchuser-unmask")
BAD_PATHS = [
    pytest.param(NO_USER, NO_HOME, id="unknown-user"),
    pytest.param(
        LONG, PATH_UNUSABLE.format(path=shown_path(LONG), reason="File name too long"), id="too-long"
    ),
]


@pytest.mark.parametrize(("path", "message"), BAD_PATHS)
def test_sidebar_folder_box_bad_path_is_a_sentence(
    path: str, message: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_no_runs(monkeypatch, tmp_path / "models")
    at = app("data")
    at.sidebar.radio(key="data_source").set_value("folder").run()
    at.sidebar.text_input(key="data_folder_path").set_value(path).run()
    assert not at.exception, [e.value for e in at.exception]
    assert message in [e.value for e in at.sidebar.error]  # said once, beside the box
    assert DATA_UNUSABLE in [i.value for i in at.main.info]  # the page points there


@pytest.mark.parametrize(("path", "message"), BAD_PATHS)
def test_bias_folder_box_bad_path_is_a_sentence(
    path: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_trained_run(monkeypatch)
    at = app("bias")
    at.text_input(key="bias_path").set_value(path).run()
    assert not at.exception, [e.value for e in at.exception]
    assert message in [e.value for e in at.main.error]


# --- a tampered run folder ---------------------------------------------------------------------
GOOD, BAD = "20260101-000000-fast-good", "20260102-000000-fast-bad"
#: The red team's hand edits of a run's JSON files: (file, key, raw JSON value).
TAMPERED = [
    ("config.json", "threshold", '"abc"'),
    ("config.json", "threshold", "null"),
    ("config.json", "threshold", "5"),
    ("config.json", "threshold", "NaN"),
    ("config.json", "image_size", '"big"'),
    ("metrics.json", "accuracy", '"x"'),
]


def _good_and_tampered(monkeypatch: pytest.MonkeyPatch, models: Path) -> Path:
    """A usable stand-in run on the demo set and a newer one to tamper with; returns the newer's folder."""
    use_no_runs(monkeypatch, models)
    demo = pipeline.data_folder(None)
    save_stand_in_run(GOOD, data=demo)
    return save_stand_in_run(BAD, data=demo)


@pytest.mark.parametrize(("file", "key", "raw"), TAMPERED)
def test_tampered_run_breaks_no_page_and_lists_as_damaged(
    file: str, key: str, raw: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    tamper_run(_good_and_tampered(monkeypatch, tmp_path / "models"), file, key, raw)
    at = app()
    for page in PAGES:
        switch_page(at, page.name).run()
        assert not at.exception, (page.name, [e.value for e in at.exception])
        assert at.sidebar.selectbox(key=RUN_WIDGET).value == GOOD
        assert at.sidebar.expander[0].label == "1 damaged run(s), not selectable"
        [problem] = [c.value for c in at.sidebar.caption if c.value.startswith(f"Run '{BAD}' is damaged")]
        assert key in problem


def test_tampered_run_in_the_link_falls_back_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    tamper_run(_good_and_tampered(monkeypatch, tmp_path / "models"), "config.json", "threshold", '"abc"')
    at = app(run=BAD)
    [warning] = [w.value for w in at.warning if "Showing the latest run instead" in w.value]
    assert warning.startswith(f"Run '{BAD}' is damaged (config.json: threshold must be between 0.0 and 1.0")
    assert at.query_params["run"] == GOOD


def test_score_paths_outside_the_data_folder_are_not_shown(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    run = _good_and_tampered(monkeypatch, tmp_path / "models")
    secret = tmp_path / "secret.png"
    Image.new("RGB", (32, 32), (200, 0, 0)).save(secret)
    scores = pd.read_csv(run / "scores.csv")
    scores.loc[0, "path"] = str(secret)  # the first real, 0.9: called real at 0.75
    scores.loc[1, "path"] = "real/real_0.jpg"
    scores.to_csv(run / "scores.csv", index=False)
    at = app("confusion", run=BAD)
    at.segmented_control(key="confusion_cell").set_value("real called real").run()
    [gallery] = at.main.image
    assert gallery.captions == ["P(real) 0.800 · real/real_0.jpg"]
    [warning] = [w.value for w in at.warning if "could not be shown" in w.value]
    assert IMAGE_OUTSIDE_FOLDER.format(path=secret, root=pipeline.data_folder(None)) in warning


# --- the Train form: what cannot fit in memory is neither offered nor started ------------------------
SMALL_MACHINE = 8 * 2**30


def test_train_form_limits_follow_the_memory_and_refuse_what_cannot_fit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(memory, "available_bytes", lambda: SMALL_MACHINE)
    use_no_runs(monkeypatch, tmp_path / "models")
    at = app("train")
    most_size, most_batch = memory.form_limits(600, available=SMALL_MACHINE)
    assert most_size < 512  # the demo set at 512 px cannot fit in 8 GiB with any preset
    assert at.number_input(key="train_image_size").max == most_size
    assert at.number_input(key="train_batch_size").max == most_batch
    at.radio(key="train_preset").set_value("paper")
    at.number_input(key="train_image_size").set_value(most_size)
    at.number_input(key="train_batch_size").set_value(most_batch)
    next(b for b in at.button if b.label == "Start training").click().run()
    assert jobs.list_jobs() == []
    config = TrainConfig(preset="paper", image_size=most_size, batch_size=most_batch)
    with pytest.raises(ConfigError) as refused:
        memory.check_fits(config, n_images=600, available=SMALL_MACHINE)
    assert [e.value for e in at.main.error] == [str(refused.value)]
    assert not at.exception


# --- a full disk while saving: the job keeps the trained run, and the page offers to save it again ---------


def _unsaved_job(models: Path) -> str:
    """A job whose worker trained a run that the disk refused: what core.runs.worker reports."""
    spec = jobs.JobSpec("train", TrainConfig(epochs=1).to_dict(), None)
    job_id = jobs.submit(spec, start=False)
    error = RUN_NOT_SAVED.format(run_id=GOOD, folder=models, reason="No space left on device")
    state = {
        "state": "running",
        "phase": "unsaved",
        "pid": os.getpid(),
        "epoch": 1,
        "epochs": 1,
        "error": error,
    }
    jobs.write_json(jobs.jobs_dir() / job_id / "state.json", state)
    (jobs.jobs_dir() / job_id / "heartbeat").touch()
    return job_id


def test_a_run_the_disk_refused_offers_save_again_and_discard(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    use_no_runs(monkeypatch, tmp_path / "models")
    job_id = _unsaved_job(tmp_path / "models")
    at = app("train")
    job = jobs.get_job(job_id)
    assert job.error in [e.value for e in at.main.error]
    assert UNSAVED_NOTE in [c.value for c in at.main.caption]
    at.button(key=f"save-{job_id}").click().run()
    assert (jobs.jobs_dir() / job_id / "save").exists()  # the worker tries again
    at.button(key=f"discard-{job_id}").click().run()
    assert jobs.get_job(job_id).stop_requested
    assert not at.exception, [e.value for e in at.exception]


def test_stress_page_folders_of_an_unknown_user_are_sentences(monkeypatch: pytest.MonkeyPatch) -> None:
    use_trained_run(monkeypatch)
    at = app("stress")
    at.text_area(key="stress_folders").set_value(NO_USER)
    at.checkbox(key="stress_own").set_value(False)
    at.button(key="stress_evaluate").click().run()
    assert f"{NO_USER}: {NO_HOME}" in [e.value for e in at.main.error]
    at.text_input(key="probe_folder").set_value(NO_USER)
    at.button(key="probe_run").click().run()
    assert NO_HOME in [e.value for e in at.main.error]
    assert not at.exception, [e.value for e in at.exception]
