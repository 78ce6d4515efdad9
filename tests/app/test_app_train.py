"""The Train page: a tiny run trained from the page, Stop, the runs table and deleting a run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.app import app, run_until, switch_page, texts, trained_models_dir, use_no_runs, use_trained_run

import ui
import ui.jobs
from core.errors import NO_SUCH_FOLDER
from core.evaluation.report import pct
from core.runs import jobs, store
from ui.loaders import DATA_UNUSABLE
from ui.state import _RUN_WIDGET as RUN_WIDGET
from ui.state import _THRESHOLD_WIDGET as THRESHOLD_WIDGET

pytestmark = pytest.mark.slow


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    use_no_runs(monkeypatch, tmp_path / "models")
    return app("train")


def _start(at, *, epochs: int) -> None:
    at.slider(key="train_epochs").set_value(epochs)
    at.number_input(key="train_image_size").set_value(32)
    next(b for b in at.button if b.label == "Start training").click().run()


def _job_collected(at) -> bool:
    return ui.jobs.WATCHED in at.session_state and at.session_state[ui.jobs.WATCHED] == []


def _stop_buttons(at) -> list:
    return [b for b in at.button if b.label == "Stop"]


def _runs_table(at):
    return next(t.value for t in at.main.table if t.value.index.name == "run").reset_index()


def test_settings_have_the_documented_ranges_and_defaults(at) -> None:
    epochs = at.slider(key="train_epochs")
    assert (epochs.value, epochs.min, epochs.max) == (10, 1, 50)
    threshold = at.slider(key="train_threshold")
    assert (threshold.value, threshold.min, threshold.max) == (0.75, 0.0, 1.0)
    assert at.radio(key="train_preset").options == ["fast", "paper", "artifacts"]
    assert at.number_input(key="train_image_size").value is None  # the preset's default
    assert "No run yet: start one above." in [i.value for i in at.main.info]


def test_tiny_run_from_the_page_appears_in_runs_table(at) -> None:
    _start(at, epochs=1)
    [job] = jobs.list_jobs()
    assert at.session_state[ui.jobs.WATCHED] == [job.job_id]
    assert f"job `{job.job_id}`" in texts(at)
    assert len(_stop_buttons(at)) == 1
    run_until(at, _job_collected)
    [info] = store.list_runs()
    assert info.status == "finished" and info.config["image_size"] == 32 and info.config["epochs"] == 1
    assert f"Run {info.run_id} finished; it is now the run in use." in [s.value for s in at.success]
    table = _runs_table(at)
    assert list(table["run"]) == [info.run_id]
    assert table["status"][0] == "finished"
    assert table["epochs"][0] == "1 of 1"
    m = info.metrics
    assert table["validation accuracy (correct/n; 95% CI)"][0].startswith(
        f"{pct(m['accuracy'])} ({m['correct']}/{m['n']}; 95% CI"
    )
    assert at.sidebar.selectbox(key=RUN_WIDGET).value == info.run_id
    assert at.query_params["run"] == info.run_id


def test_stop_saves_the_run_as_cancelled(at) -> None:
    _start(at, epochs=50)
    run_until(at, lambda at: "Epoch" in "".join(p.proto.text for p in at.get("progress")))
    _stop_buttons(at)[0].click().run()
    run_until(at, _job_collected)
    [info] = store.list_runs()
    assert info.status == "cancelled"
    assert info.metrics["epochs_done"] < 50
    assert f"Run {info.run_id} was stopped and saved as cancelled; it is now the run in use." in texts(at)
    assert _runs_table(at)["status"][0] == "cancelled"


def test_delete_needs_confirmation(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    run_id = use_trained_run(monkeypatch)
    shutil.copytree(trained_models_dir(), tmp_path / "models")  # deleting must not touch the shared run
    monkeypatch.setenv("UNMASK_MODELS_DIR", str(tmp_path / "models"))
    at = app("train")
    assert at.button(key="delete_button").disabled
    at.checkbox(key="delete_confirm").check().run()
    at.button(key="delete_button").click().run()
    assert f"Deleted run {run_id}." in [s.value for s in at.success]
    assert store.list_runs() == []
    assert "No run yet: start one above." in [i.value for i in at.main.info]
    assert "No run yet: train one on the Train page." in [i.value for i in at.sidebar.info]


def test_threshold_after_training_needs_no_retraining(monkeypatch: pytest.MonkeyPatch) -> None:
    use_trained_run(monkeypatch)
    at = app("train")
    assert "The threshold needs no retraining" in texts(at)
    before = [m.value for m in at.main.metric]
    at.slider(key=THRESHOLD_WIDGET).set_value(0.0).run()
    assert [m.value for m in at.main.metric] != before
    assert any(c.value.endswith("%)") and "/" in c.value for c in at.main.caption)


def test_unusable_data_set_shows_why_instead_of_the_form(at, tmp_path: Path) -> None:
    at.sidebar.radio(key="data_source").set_value("folder").run()
    at.sidebar.text_input(key="data_folder_path").set_value(str(tmp_path / "nowhere")).run()
    assert NO_SUCH_FOLDER.format(path=tmp_path / "nowhere") in [e.value for e in at.sidebar.error]
    assert DATA_UNUSABLE in [i.value for i in at.main.info]
    assert not any(b.label == "Start training" for b in at.button)
    assert not at.exception


def test_a_reload_and_a_second_tab_see_the_same_job_and_can_stop_it(at, monkeypatch) -> None:
    _start(at, epochs=50)
    [job] = jobs.list_jobs()
    other = app("train")  # a new session: a reload, or another tab
    run_until(other, lambda other: "Epoch" in "".join(p.proto.text for p in other.get("progress")))
    assert f"job `{job.job_id}`" in texts(other)
    _stop_buttons(other)[0].click().run()
    run_until(at, _job_collected)  # the first tab hears how its job ended
    [info] = store.list_runs()
    assert info.status == "cancelled"
    assert f"Run {info.run_id} was stopped and saved as cancelled; it is now the run in use." in texts(at)


def test_a_second_start_waits_its_turn_and_says_so(at) -> None:
    _start(at, epochs=50)
    run_until(at, lambda at: jobs.list_jobs()[0].state == "running")
    _start(at, epochs=1)
    first, second = jobs.list_jobs()
    assert (second.state, second.queue_position) == ("queued", 1)
    shown = "".join(p.proto.text for p in at.get("progress"))
    assert "Waiting: 1st in the queue" in shown
    for job in (second, first):
        jobs.request_stop(job.job_id)
    run_until(at, _job_collected)
    assert sorted(j.state for j in jobs.list_jobs()) == ["cancelled", "cancelled"]


def test_the_form_keeps_its_values_after_training_and_a_page_switch(at) -> None:
    _start(at, epochs=7)
    [job] = jobs.list_jobs()
    jobs.request_stop(job.job_id)
    run_until(at, _job_collected)
    switch_page(at, "data").run()
    switch_page(at, "train").run()
    assert at.slider(key="train_epochs").value == 7
    assert at.number_input(key="train_image_size").value == 32
