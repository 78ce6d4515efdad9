"""The whole app: pages on a fresh machine, the sidebar's run picker, the URL, lazy TensorFlow."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support.app import (
    APP,
    REPO,
    app,
    data_dir,
    switch_page,
    texts,
    trained_models_dir,
    use_no_runs,
    use_trained_run,
)

import ui
from core.errors import BAD_RUN_ID, NO_SUCH_RUN, RUN_INCOMPLETE
from ui.state import _RUN_WIDGET as RUN_WIDGET
from ui.state import _THRESHOLD_WIDGET as THRESHOLD_WIDGET

PAGES_NEEDING_A_RUN = ["confusion", "bias", "try_image", "stress"]


@pytest.mark.parametrize("page", PAGES_NEEDING_A_RUN)
def test_page_without_runs_points_to_train(
    page: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_no_runs(monkeypatch, tmp_path / "models")
    at = app(page)
    assert [i.value for i in at.main.info] == [ui.NO_RUN_YET]
    assert at.get("page_link")[0].proto.label == "Go to the Train page"
    assert "No run yet: train one on the Train page." in [i.value for i in at.sidebar.info]


def test_overview_without_runs_explains_and_points_to_train(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_no_runs(monkeypatch, tmp_path / "models")
    at = app()
    assert at.title[0].value == "Unmask: real photo or AI-generated face?"
    assert ui.NO_RUN_YET in [i.value for i in at.info]
    assert "synthetic demo data" in texts(at)
    assert any(b.label == "Reproduce the study" for b in at.button)


def test_sidebar_defaults_to_demo_and_latest_run(monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = use_trained_run(monkeypatch)
    at = app()
    assert at.sidebar.radio(key="data_source").value == "demo"
    assert "Built-in demo (synthetic demo data)" in at.sidebar.radio(key="data_source").options
    assert at.sidebar.selectbox(key=RUN_WIDGET).value == run_id
    assert at.query_params["run"] == run_id
    assert at.query_params["threshold"] == "0.75"


def test_url_reopens_run_and_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = use_trained_run(monkeypatch)
    at = app("confusion", run=run_id, threshold="0.3")
    assert at.slider(key=THRESHOLD_WIDGET).value == pytest.approx(0.3)
    assert "At 0.3:" in texts(at)
    assert at.query_params["threshold"] == "0.3"


@pytest.mark.parametrize(("given", "clamped"), [("7", 1.0), ("-2", 0.0)])
def test_url_threshold_clamped(given: str, clamped: float, monkeypatch: pytest.MonkeyPatch) -> None:
    use_trained_run(monkeypatch)
    at = app("confusion", threshold=given)
    assert at.slider(key=THRESHOLD_WIDGET).value == clamped


def test_url_threshold_not_a_number(monkeypatch: pytest.MonkeyPatch) -> None:
    use_trained_run(monkeypatch)
    at = app(threshold="lots")  # the warning shows on the page the link opens
    assert ui.BAD_URL_THRESHOLD.format(value="lots") in [w.value for w in at.warning]
    switch_page(at, "confusion").run()
    assert at.slider(key=THRESHOLD_WIDGET).value == 0.75


def test_url_bad_run_id_is_refused_with_a_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = use_trained_run(monkeypatch)
    at = app(run="../../etc")
    refusal = ui.URL_RUN_FALLBACK.format(error=BAD_RUN_ID.format(run_id="../../etc"))
    assert refusal in [w.value for w in at.warning]
    assert at.sidebar.selectbox(key=RUN_WIDGET).value == run_id


def test_url_unknown_run_falls_back_to_latest(monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = use_trained_run(monkeypatch)
    at = app(run="20990101-000000-fast-dead")
    refusal = ui.URL_RUN_FALLBACK.format(error=NO_SUCH_RUN.format(run_id="20990101-000000-fast-dead"))
    assert refusal in [w.value for w in at.warning]
    assert at.query_params["run"] == run_id


def test_incomplete_run_listed_with_problem_but_not_selectable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_no_runs(monkeypatch, tmp_path / "models")
    broken = tmp_path / "models" / "20260101-000000-fast-0000"
    broken.mkdir(parents=True)
    (broken / "config.json").write_text("{}")
    at = app()
    assert len(at.sidebar.selectbox) == 0
    missing = "model.keras, history.json, scores.csv, metrics.json"
    problem = RUN_INCOMPLETE.format(run_id=broken.name, missing=missing)
    assert problem in [c.value for c in at.sidebar.caption]
    assert at.sidebar.expander[0].label == "1 incomplete run(s), not selectable"


def test_choices_survive_page_switches(monkeypatch: pytest.MonkeyPatch) -> None:
    use_trained_run(monkeypatch)
    at = app("confusion")
    at.slider(key=THRESHOLD_WIDGET).set_value(0.4).run()
    switch_page(at, "data").run()
    switch_page(at, "confusion").run()
    assert at.slider(key=THRESHOLD_WIDGET).value == pytest.approx(0.4)
    assert at.query_params["threshold"] == "0.4"


_NO_TF_SCRIPT = """
import sys
from streamlit.testing.v1 import AppTest
import core.pipeline, core.runs.store, core.data.datasets, core.evaluation.metrics
import core.evaluation.bias, core.evaluation.charts
import core.runs.jobs, core.data.imagestats, ui
from support.app import switch_page
assert "tensorflow" not in sys.modules, "importing ui or core imported TensorFlow"
at = AppTest.from_file({app!r}, default_timeout=120).run()
for page in ("data", "train", "confusion"):
    switch_page(at, page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "tensorflow" not in sys.modules, f"opening {{page}} imported TensorFlow"
print("ok")
"""


def test_reading_pages_never_import_tensorflow(monkeypatch: pytest.MonkeyPatch) -> None:
    use_trained_run(monkeypatch)
    env = {"UNMASK_DATA_DIR": str(data_dir()), "UNMASK_MODELS_DIR": str(trained_models_dir())}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "tests")])
    script = textwrap.dedent(_NO_TF_SCRIPT).format(app=APP)
    command = [sys.executable, "-c", script]
    done = subprocess.run(
        command, cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")


def test_default_run_is_the_newest_finished_not_a_newer_cancelled_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import json

    from support.factories import save_stand_in_run

    use_no_runs(monkeypatch, tmp_path / "models")
    save_stand_in_run("20260101-000000-fast-aaaa", data=tmp_path)
    stopped = save_stand_in_run("20260102-000000-fast-bbbb", data=tmp_path)  # newer, stopped at 2 of 35
    config = json.loads((stopped / "config.json").read_text()) | {"status": "cancelled", "epochs": 35}
    (stopped / "config.json").write_text(json.dumps(config))
    at = app()
    assert at.sidebar.selectbox(key=RUN_WIDGET).value == "20260101-000000-fast-aaaa"
    assert at.sidebar.selectbox(key=RUN_WIDGET).options[0].startswith("20260102-000000-fast-bbbb · cancelled")
