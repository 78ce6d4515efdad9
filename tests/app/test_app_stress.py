"""The Stress test page: evaluate folders into the generalization matrix, run probes, see the verdict."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.app import app, chart_with, data_dir, switch_page, texts, trained_models_dir, use_trained_run

from core.evaluation.stress import FRAMING_STEADY, FRAMING_WARNING
from core.runs import evaluations
from core.stress_test import VALIDATION_ONLY_NOTE

TITLE = "Stress test: does it detect how a face was made?"


@pytest.fixture()
def run_id(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The shared tiny run, copied to a models folder of this test's own (results are written into it)."""
    run_id = use_trained_run(monkeypatch)
    shutil.copytree(trained_models_dir(), tmp_path / "models")
    monkeypatch.setenv("UNMASK_MODELS_DIR", str(tmp_path / "models"))
    return run_id


@pytest.fixture()
def fakes(tmp_path: Path) -> Path:
    """A one-class folder: six of the demo set's fakes under fake/."""
    folder = tmp_path / "fakes" / "fake"
    folder.mkdir(parents=True)
    for file in sorted((data_dir() / "demo" / "fake").iterdir())[:6]:
        shutil.copy(file, folder / file.name)
    return folder.parent


def test_empty_page_says_what_to_do(run_id: str) -> None:
    at = app("stress")
    assert at.title[0].value == TITLE
    infos = [i.value for i in at.main.info]
    assert "No evaluation kept yet: evaluate the run on a folder above." in infos
    assert "No probes have been run on this run yet." in infos


def test_evaluate_fills_the_generalization_matrix(run_id: str, fakes: Path) -> None:
    at = app("stress")
    at.text_area(key="stress_folders").set_value(f"{fakes}\n/no/such/folder")
    at.button(key="stress_evaluate").click().run()
    assert not at.exception
    successes = [s.value for s in at.success]
    assert f"synthetic demo data: 150 images scored; kept with run {run_id}." in successes
    assert f"fakes: 6 images scored; kept with run {run_id}." in successes
    assert VALIDATION_ONLY_NOTE.format(name="synthetic demo data", run_id=run_id, n=150, excluded=450) in [
        i.value for i in at.info
    ]
    assert any(
        e.value.startswith("/no/such/folder: The folder /no/such/folder does not exist") for e in at.error
    )

    table = at.main.dataframe[0].value
    assert list(table.index) == [run_id]
    assert list(table.columns) == ["fakes", "synthetic demo data (validation images)"]
    assert " called correctly (95% CI " in table.loc[run_id, "fakes"]
    assert table.loc[run_id, "fakes"].endswith("n = 6: 6 fake")
    assert table.loc[run_id, "synthetic demo data (validation images)"].startswith("AUC ")
    cells = chart_with(at, "label")
    assert sorted(cells["n"]) == [6, 150]
    assert len(evaluations.list_results(run_id, "evaluations")) == 2


def test_probes_show_flips_and_the_verdict_and_reach_the_overview(run_id: str) -> None:
    at = app("stress")
    at.multiselect(key="probe_keys").set_value(["crop_tl_80", "mirror"])
    at.button(key="probe_run").click().run()
    assert not at.exception
    verdicts = [w.value for w in at.warning] + [s.value for s in at.success]
    said = [v for v in verdicts if v.startswith((FRAMING_WARNING[:40], FRAMING_STEADY[:30]))]
    assert len(said) == 1 and "crop to the top-left 80% flipped" in said[0] and "of 150 calls" in said[0]
    table = at.main.dataframe[-1].value
    assert table["probe"].tolist() == ["original images", "crop to the top-left 80%", "horizontal flip"]
    assert (table["n"] == 150).all() and table.loc[0, "flips"] == 0
    assert (table["flip_ci_low"] <= table["flip_rate"]).all() and (
        table["flip_rate"] <= table["flip_ci_high"]
    ).all()
    assert set(chart_with(at, "flip_rate")["probe"]) == {"crop to the top-left 80%", "horizontal flip"}
    [kept] = evaluations.list_results(run_id, "stress")
    assert kept["n"] == 150

    switch_page(at, "overview").run()
    assert said[0] in texts(at)
