"""The app step fails, with a sentence, when there is nothing to measure; it never skips on its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.app import NO_APP, AppBenchError, AppOptions, app_section, confusion_path


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
