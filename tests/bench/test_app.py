"""The app step fails, with a sentence, when there is nothing to measure; it never skips on its own."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from bench.app import NO_APP, AppBenchError, AppOptions, app_section, confusion_path, record


def test_app_section_without_the_app_fails(tmp_path: Path) -> None:
    with pytest.raises(AppBenchError, match="There is no streamlit_app.py in"):
        app_section(AppOptions(app_root=tmp_path), data=tmp_path)
    assert NO_APP.startswith("There is no {app}")


def test_confusion_path_without_the_page_fails(tmp_path: Path) -> None:
    with pytest.raises(AppBenchError, match="There is no confusion-matrix page"):
        confusion_path(AppOptions(app_root=tmp_path))


def test_confusion_path_from_the_page_file(tmp_path: Path) -> None:
    (tmp_path / "app_pages").mkdir()
    (tmp_path / "app_pages" / "3_confusion.py").write_text("", encoding="utf-8")
    assert confusion_path(AppOptions(app_root=tmp_path)) == "/confusion?run={run_id}"


def test_record_replaces_the_app_section_keeps_the_rest_and_checks_the_targets(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    old_app = {"first_page_seconds": 9.0, "deep_link_seconds": 9.0, "stale": 1}
    path.write_text(json.dumps({"fast": {"train_seconds": 10.0}, "app": old_app}), encoding="utf-8")
    record({"first_page_seconds": 2.5, "deep_link_seconds": 3.5}, path)
    results = json.loads(path.read_text(encoding="utf-8"))
    assert results["fast"] == {"train_seconds": 10.0}
    app = results["app"]
    assert app.pop("command") == "python -m bench.app --write"
    assert datetime.datetime.fromisoformat(app.pop("date")).tzinfo is not None  # when, with its time zone
    assert app == {"first_page_seconds": 2.5, "deep_link_seconds": 3.5}  # nothing stale kept
    verdicts = {t["key"]: t["met"] for t in results["targets"]}
    assert verdicts["app.first_page_seconds"] is True
    assert verdicts["app.deep_link_seconds"] is False
