"""Shared set-up for the browser tests (tests/test_browser.py, tests/test_load.py; not a test module).

A real ``streamlit run`` server in its own process, with its own temporary data and models
folders passed in its environment (conftest's per-test folders do not reach another process),
and a real Chromium driven by Playwright. A missing Chromium fails the test with what to do (a
browser test that skips would hide a broken install).

Playwright's own browser download does not work on every machine, so Chromium is launched by
path: ``UNMASK_CHROMIUM`` if set, else ``/usr/bin/chromium``, else ``chromium`` or
``chromium-browser`` on the PATH. Server logs and screenshots go to ``test-artifacts/`` at the
repository root (git ignores it).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from bench import appserver
from bench.appserver import CHROMIUM_ARGS, find_chromium
from core.paths import REPO_ROOT

REPO = REPO_ROOT
ARTIFACTS = REPO / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
#: Generous: the first page to touch the demo set generates 600 images; a model load imports TensorFlow.
SLOW_MS = 90_000
VIEWPORT = {"width": 1400, "height": 900}
THRESHOLD_LABEL = "Threshold: a face is called real when its score P(real) is above it"
#: The slider's step (ui.threshold_slider).
THRESHOLD_STEP = 0.005
#: Elements that mean something went wrong: Streamlit's exception box (a traceback) and st.error.
EXCEPTION = '[data-testid="stException"]'
ERROR = '[data-testid="stAlertContentError"]'
#: True once the script run has ended and no element is still a loading skeleton.
DRAWN_JS = """() => document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState === "notRunning"
    && !document.querySelector('[data-testid="stSkeleton"]')"""


CHROMIUM = find_chromium()
NO_CHROMIUM = (
    "no Chromium found (looked at $UNMASK_CHROMIUM, /usr/bin/chromium, chromium and chromium-browser on the "
    "PATH): the browser tests are part of the suite, so install one (apt-get install chromium), or leave "
    'them out on purpose with -m "not browser"'
)


def require_chromium() -> str:
    """The Chromium to launch; fails the test, saying what to do, when there is none (never skips)."""
    if CHROMIUM is None:
        pytest.fail(NO_CHROMIUM, pytrace=False)
    return CHROMIUM


# --- the server ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Server:
    """A running ``streamlit run`` of the app and the folders it reads."""

    url: str
    data_dir: Path
    models_dir: Path
    log: Path

    @property
    def env(self) -> dict[str, str]:
        """The environment the server runs with (also for CLI commands that must share its folders)."""
        return {
            **os.environ,
            "UNMASK_DATA_DIR": str(self.data_dir),
            "UNMASK_MODELS_DIR": str(self.models_dir),
        }

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:] if self.log.exists() else ""


@contextlib.contextmanager
def streamlit_server(root: Path, *, name: str, startup_s: float = 60) -> Iterator[Server]:
    """Run the app (:func:`bench.appserver.streamlit_server`) with data and models under ``root``.

    The server's output goes to ``test-artifacts/<name>-server.log``.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / f"{name}-server.log"
    server = Server("", root / "data", root / "models", log)
    with appserver.streamlit_server(env=server.env, log=log, startup_s=startup_s) as url:
        yield dataclasses.replace(server, url=url)


def train_run_with_cli(server: Server, *, image_size: int = 32) -> str:
    """Train a tiny run (1 epoch) with the CLI into the server's folders; returns its id."""
    command = [
        sys.executable,
        "-m",
        "core",
        "train",
        "--epochs",
        "1",
        "--image-size",
        str(image_size),
        "--json",
    ]
    done = subprocess.run(
        command, cwd=REPO, env=server.env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return latest_run(server)


def latest_run(server: Server) -> str:
    """The run the app shows by default: the newest finished one, else the newest (ids sort by time)."""
    ids = sorted(p.name for p in server.models_dir.glob("*") if (p / "scores.csv").is_file())
    assert ids, f"no run in {server.models_dir}"
    status = {i: json.loads((server.models_dir / i / "config.json").read_text()).get("status") for i in ids}
    finished = [i for i in ids if status[i] == "finished"]
    return (finished or ids)[-1]


def run_scores(server: Server, run_id: str) -> pd.DataFrame:
    """A run's stored validation scores (label 1 = real, score = P(real))."""
    return pd.read_csv(server.models_dir / run_id / "scores.csv")


def confusion_counts(scores: pd.DataFrame, threshold: float) -> tuple[int, int, int, int]:
    """``(tp, fn, fp, tn)`` at ``threshold``, computed here from the stored scores (real is positive)."""
    real = scores["label"] == 1
    called_real = scores["score"] > threshold  # called real when P(real) is above the threshold
    return (
        int((real & called_real).sum()),
        int((real & ~called_real).sum()),
        int((~real & called_real).sum()),
        int((~real & ~called_real).sum()),
    )


def counts_sentence(scores: pd.DataFrame, threshold: float) -> str:
    """The Confusion page's sentence for ``threshold``, with the counts computed here."""
    tp, fn, fp, tn = confusion_counts(scores, threshold)
    return (
        f"At {threshold:g}: of {tp + fn} real faces, {tp} called real and {fn} flagged as fake; "
        f"of {fp + tn} fakes, {fp} passed as real and {tn} called fake (n = {len(scores)})."
    )


# --- the browser --------------------------------------------------------------------------------
def launch_chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)


def wait_idle(page: Page, timeout_ms: float = SLOW_MS) -> None:
    """Wait until Streamlit has finished the script run and drawn every element.

    The script's end is Streamlit's own marker on the app's root; elements whose code the
    browser loads on first use (charts, tables, some widgets) show a skeleton until drawn.
    """
    page.wait_for_function(DRAWN_JS, timeout=timeout_ms)


def assert_no_crash(page: Page) -> None:
    """No exception box and no traceback text anywhere on the page."""
    expect(page.locator(EXCEPTION)).to_have_count(0)
    expect(page.get_by_text("Traceback")).to_have_count(0)


def open_page(page: Page, title: str, heading: str, timeout_ms: float = SLOW_MS) -> None:
    """Click ``title`` in the sidebar's navigation; wait for the page's ``heading`` and the run's end."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=timeout_ms)
    wait_idle(page, timeout_ms)
    assert_no_crash(page)


def goto(page: Page, url: str, heading: str, timeout_ms: float = SLOW_MS) -> None:
    """Open ``url`` (a new session when it is the context's first page); wait for ``heading``."""
    page.goto(url)
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=timeout_ms)
    wait_idle(page, timeout_ms)
    assert_no_crash(page)


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page to ``test-artifacts/screenshots/<name>.png``.

    Streamlit scrolls its main area, not the document, so the viewport is grown to the main
    area's height for the shot and then put back.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    wait_idle(page)
    size = page.viewport_size or VIEWPORT
    height = page.evaluate(
        "() => Math.max(...['stMain', 'stSidebarContent'].map("
        "id => document.querySelector(`[data-testid=${id}]`)?.scrollHeight || 0))"
    )
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 12_000)})
    page.wait_for_function("() => [...document.images].every(i => i.complete)", timeout=30_000)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size(size)
    return path
