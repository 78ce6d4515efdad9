"""The Stress test page: evaluate folders into the generalization matrix, run probes, see the verdict."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from support.app import (
    app,
    chart_with,
    data_dir,
    switch_page,
    texts,
    trained_models_dir,
    use_no_runs,
    use_trained_run,
)

from core.evaluation.generalization import measured_findings
from core.evaluation.stress import FRAMING_STEADY, FRAMING_WARNING, framing_sentence, stress_report
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
    at.multiselect(key="probe_reframing").set_value(["crop_tl_80"])
    at.multiselect(key="probe_degradations").set_value(["mirror"])
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


def test_overview_warns_with_the_numbers_when_a_kept_result_reacts_to_framing(run_id: str) -> None:
    labels = [1] * 10 + [0] * 10
    original = [0.9] * 10 + [0.1] * 10
    cropped = [0.9] * 10 + [0.9] * 4 + [0.1] * 6  # four fakes pass as real once cropped
    frame = pd.DataFrame(
        {
            "path": [f"{i}.jpg" for i in range(20)],
            "label": labels,
            "original": original,
            "crop_tl_80": cropped,
        }
    )
    report = stress_report(frame, threshold=0.75)
    summary = {
        "data": {"name": "hard"},
        "n": 20,
        "report": report.to_dict(),
        "created": "2026-01-01T00:00:00",
    }
    evaluations.save_stress(run_id, "0123456789abcdef0123", scores=frame, summary=summary)
    at = app()
    warning = framing_sentence(report, data_name="hard")
    assert warning.startswith(
        "This model reacts to where the face sits in the picture, not to how it was made"
    )
    assert "crop to the top-left 80% flipped 4 of 20 calls (20.0%; 95% CI" in warning
    assert warning in [w.value for w in at.warning]
    assert "No stress test yet for this run." not in texts(at)


def test_overview_without_a_stress_test_points_to_it(run_id: str) -> None:
    at = app()
    assert any(i.value.startswith("No stress test yet for this run.") for i in at.info)
    assert "Go to the Stress test" in [link.proto.label for link in at.get("page_link")]


def test_overview_shows_what_was_measured_even_without_a_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_no_runs(monkeypatch, tmp_path / "empty")
    at = app()
    assert "What a high validation score does not show" in [h.value for h in at.header]
    findings = measured_findings()
    assert "This model reacts to where the face sits in the picture" in findings  # bench/generalization.json
    assert findings in [m.value for m in at.markdown]
