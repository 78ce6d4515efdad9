"""The Compare page: two or more runs, metrics side by side with intervals, what differs, curves overlaid."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.app import app, chart_frames, texts, use_no_runs
from support.factories import save_stand_in_run

from app_pages.compare import NEED_TWO
from core.runs import store

pytestmark = pytest.mark.slow


@pytest.fixture
def two_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    use_no_runs(monkeypatch, tmp_path / "models")
    save_stand_in_run("20260101-000000-fast-aaaa", data=tmp_path)
    newer = save_stand_in_run("20260102-000000-fast-bbbb", data=tmp_path)
    config = store.run_info(newer.name).config | {"seed": 7}
    (newer / "config.json").write_text(__import__("json").dumps(config), encoding="utf-8")
    store.write_meta(newer.name, name="seed 7", note="another seed")
    return ["20260101-000000-fast-aaaa", newer.name]


def test_one_run_is_not_enough(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_no_runs(monkeypatch, tmp_path / "models")
    save_stand_in_run("only-run", data=tmp_path)
    at = app("compare")
    assert NEED_TWO in [i.value for i in at.main.info]
    assert at.get("page_link")[0].proto.label == "Go to the Train page"


def test_compares_the_two_newest_with_intervals_and_what_differs(two_runs: list[str]) -> None:
    old, new = two_runs
    at = app("compare")
    assert at.title[0].value == "Compare runs"
    picker = at.multiselect(key="compare_runs")
    assert picker.value == [new, old]  # the run in use (the newest finished) and the next one
    metrics, settings = (d.value for d in at.main.dataframe[:2])
    assert list(metrics.columns) == ["metric", f"seed 7 ({new})", old]
    accuracy = metrics.set_index("metric").loc["accuracy at 0.75"]
    assert accuracy.tolist() == [accuracy.iloc[0]] * 2 and accuracy.iloc[0].startswith("100.0% (4/4; ")
    assert settings.to_dict(orient="records") == [{"setting": "seed", f"seed 7 ({new})": "7", old: "—"}]
    assert f"**seed 7 ({new})**: another seed" in texts(at)
    runs_in_charts = [set(f["run"]) for f in chart_frames(at) if "run" in f.columns]
    assert len(runs_in_charts) == 3 and all(r == {f"seed 7 ({new})", old} for r in runs_in_charts)


def test_picking_one_run_asks_for_another(two_runs: list[str]) -> None:
    at = app("compare")
    at.multiselect(key="compare_runs").set_value([two_runs[0]]).run()
    assert "Pick at least two runs to compare." in [i.value for i in at.main.info]
    assert not at.get("vega_lite_chart")
