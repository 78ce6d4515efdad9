"""Shared set-up for the dashboard's AppTests (imported by tests/test_app_*.py; not a test module).

Generating the demo set and training a model cost seconds, so one demo data folder and one
tiny run (1 epoch at 32 px, trained by the CLI in a subprocess so this process does not
import TensorFlow for it) are made once per test session and reused. Tests point
``UNMASK_DATA_DIR`` / ``UNMASK_MODELS_DIR`` at them with ``monkeypatch`` after conftest's
autouse fixture, so the later setting wins; tests that add or delete runs get an empty
models folder of their own.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from core.paths import REPO_ROOT

REPO = REPO_ROOT
APP = str(REPO / "streamlit_app.py")
#: AppTest's per-run timeout: the first model load imports TensorFlow (~5 s, more on a busy machine).
TIMEOUT = 120


@functools.cache
def _root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="unmask-apptest-"))
    atexit.register(shutil.rmtree, root, True)
    return root


def data_dir() -> Path:
    """The session's data folder (the demo set and decode caches land here)."""
    return _root() / "data"


@functools.cache
def trained_models_dir() -> Path:
    """A models folder with one tiny run trained on the demo set: 1 epoch at 32 px."""
    models = _root() / "models-trained"
    env = {**os.environ, "UNMASK_DATA_DIR": str(data_dir()), "UNMASK_MODELS_DIR": str(models)}
    command = [sys.executable, "-m", "core", "train", "--epochs", "1", "--image-size", "32", "--json"]
    done = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return models


def use_trained_run(monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the app at the shared trained run; returns its id."""
    monkeypatch.setenv("UNMASK_DATA_DIR", str(data_dir()))
    monkeypatch.setenv("UNMASK_MODELS_DIR", str(trained_models_dir()))
    return next(p.name for p in trained_models_dir().iterdir() if not p.name.startswith("."))


def use_copy_of_trained_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Point the app at a private copy of the shared trained run, as trained (without the bias checks
    other tests saved with it); returns its id."""
    run_id = use_trained_run(monkeypatch)
    shutil.copytree(trained_models_dir(), tmp_path / "models", ignore=shutil.ignore_patterns("bias"))
    monkeypatch.setenv("UNMASK_MODELS_DIR", str(tmp_path / "models"))
    return run_id


def use_no_runs(monkeypatch: pytest.MonkeyPatch, models: Path) -> None:
    """Point the app at the shared data and an empty models folder of the test's own."""
    monkeypatch.setenv("UNMASK_DATA_DIR", str(data_dir()))
    monkeypatch.setenv("UNMASK_MODELS_DIR", str(models))


def app(page: str | None = None, **query: str) -> AppTest:
    """The whole app, run once (with ``query`` as the URL's query string), then on ``page``."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if page is not None:
        switch_page(at, page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def switch_page(at: AppTest, name: str) -> AppTest:
    """Go to page ``name`` (its URL path, e.g. ``"confusion"``) on the next ``run()``.

    The pages are functions (``st.Page(callable, url_path=name)``), which ``AppTest.switch_page``
    cannot find by file name, so this picks the page the router registered under that URL path:
    what a browser does when it opens ``/name``. The default page is registered with an empty path.
    """
    from ui.navigation import DEFAULT_PAGE

    wanted = "" if name == DEFAULT_PAGE else name
    found = [h for h, info in at._registered_pages.items() if info.get("url_pathname") == wanted]
    assert found, f"no page {name!r}; the router registered {list(at._registered_pages.values())}"
    at._page_hash = found[0]  # AppTest has no public way to open a callable page
    return at


def texts(at: AppTest) -> str:
    """Everything written as text on the page and in the sidebar, one item a line."""
    parts = [
        e.value for kind in ("title", "header", "subheader", "markdown", "caption") for e in getattr(at, kind)
    ]
    parts += [e.value for kind in ("error", "warning", "info", "success") for e in getattr(at, kind)]
    parts += [f"{m.label}: {m.value}" for m in at.metric]
    return "\n".join(str(p) for p in parts)


#: A backslash before ASCII punctuation (how ui.tables escapes a cell), and a cell border not escaped.
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
_BORDER = re.compile(r"(?<!\\)\|")
_RULE = re.compile(r"\|(:?-+:?\|)+")


def markdown_tables(at: AppTest | object) -> list[pd.DataFrame]:
    """The Markdown tables (ui.table) under ``at`` (an AppTest, its ``main``, a tab), read back into frames.

    Cells are unescaped; a column whose every cell reads as a number becomes numeric.
    """
    frames = []
    for element in at.markdown:
        lines = str(element.value).splitlines()
        if len(lines) < 2 or not lines[0].startswith("| ") or not _RULE.fullmatch(lines[1]):
            continue
        rows = [[_ESCAPED.sub(r"\1", c.strip()) for c in _BORDER.split(line)[1:-1]] for line in lines]
        frame = pd.DataFrame(rows[2:], columns=rows[0])
        for column in frame.columns:
            with contextlib.suppress(ValueError, TypeError):
                frame[column] = pd.to_numeric(frame[column])
        frames.append(frame)
    return frames


def chart_frames(at: AppTest) -> list[pd.DataFrame]:
    """The data sets of every Altair chart shown, decoded from Streamlit's Arrow messages."""
    frames = []
    for chart in at.get("vega_lite_chart"):
        for named in chart.proto.datasets:
            frames.append(pa.ipc.open_stream(io.BytesIO(named.data.data)).read_pandas())
    return frames


def chart_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first chart data set that has ``column``."""
    matches = [f for f in chart_frames(at) if column in f.columns]
    assert matches, f"no chart has a {column!r} column"
    return matches[0]


def run_until(
    at: AppTest, done: Callable[[AppTest], bool], *, timeout: float = 240, pause: float = 0.5
) -> None:
    """Rerun the app (as the page's polling fragment would) until ``done(at)``, for at most ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(pause)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        if done(at):
            return
    raise AssertionError(f"gave up after {timeout} s; the page said:\n{texts(at)}")


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
