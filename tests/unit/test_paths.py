"""core.paths.user_path: every path a user types becomes a Path or one sentence, never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.errors import HOME_UNKNOWN, PATH_UNUSABLE, DataError
from core.paths import shown_path, user_path

NO_USER = "~nosuchuser-unmask"
LONG = "/tmp/" + "a" * 300


def test_user_path_expands_the_home_folder():
    assert user_path("~") == Path.home()
    assert user_path("~/faces") == Path.home() / "faces"


def test_user_path_keeps_a_missing_path_for_the_caller_to_judge(tmp_path):
    assert user_path(tmp_path / "missing") == tmp_path / "missing"


def test_user_path_unknown_user_is_a_sentence():
    with pytest.raises(
        DataError, match=re.escape(HOME_UNKNOWN.format(path=NO_USER, user="nosuchuser-unmask"))
    ):
        user_path(NO_USER)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (LONG, "File name too long"),
        ("/tmp/a\x00b", "it holds a NUL character"),
    ],
)
def test_user_path_the_file_system_refuses_is_a_sentence(text, reason):
    expected = PATH_UNUSABLE.format(path=shown_path(text), reason=reason)
    with pytest.raises(DataError, match=re.escape(expected)):
        user_path(text)


def test_shown_path_shortens_a_long_path_to_its_ends():
    shown = shown_path(LONG)
    assert len(shown) < 100
    assert shown.startswith("/tmp/aaa") and shown.endswith("aaa") and "…" in shown
    assert shown_path("/short/path") == "/short/path"


def test_user_path_link_loop_is_a_sentence(tmp_path):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    with pytest.raises(DataError, match="cannot be used"):
        user_path(tmp_path / "loop" / "faces")
