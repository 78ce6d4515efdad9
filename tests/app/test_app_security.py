"""What a visitor can type, upload or leave behind must end in a sentence on the page, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.app import app, use_no_runs, use_trained_run

from core.errors import HOME_UNKNOWN, PATH_UNUSABLE
from core.paths import shown_path

NO_USER = "~nosuchuser-unmask"
LONG = "/tmp/" + "a" * 300
BAD_PATHS = [
    pytest.param(NO_USER, HOME_UNKNOWN.format(path=NO_USER, user="nosuchuser-unmask"), id="unknown-user"),
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
    assert message in [e.value for e in at.sidebar.error]
    assert message in [e.value for e in at.main.error]


@pytest.mark.parametrize(("path", "message"), BAD_PATHS)
def test_bias_folder_box_bad_path_is_a_sentence(
    path: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_trained_run(monkeypatch)
    at = app("bias")
    at.text_input(key="bias_path").set_value(path).run()
    assert not at.exception, [e.value for e in at.exception]
    assert message in [e.value for e in at.main.error]
