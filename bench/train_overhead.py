"""What watching training in the browser costs: the same run from the Train page and from the CLI.

A fast-preset, 10-epoch run on the benchmark's data, started from the Train page in Chromium
(the data folder given through the page's URL, the form left at its defaults) and timed from the
click on *Start training* until the page says the run finished; then the same settings with
``python -m core train`` timed from the process's start to its end. The pairs run back to back,
CLI first, :data:`REPEATS` times; ``train_overhead`` is the median app time over the median CLI
time. Both pay TensorFlow's start-up: a job is a process of its own, like the CLI.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from core.paths import REPO_ROOT

#: Pairs of runs measured; the figure is the ratio of the medians.
REPEATS = 3
EPOCHS = 10
RUN_TIMEOUT_S = 600
FINISHED = re.compile(r"^Run \S+ finished; it is now the run in use\.$")
APP_FAILED = "Training from the Train page did not finish in {seconds} s; the page said: {said}"
CLI_FAILED = "python -m core train failed while measuring the browser's overhead: {stderr}"


class OverheadError(RuntimeError):
    """The overhead could not be measured; the message says why."""


def measure(
    browser: Any, base_url: str, *, data: Path, env: dict[str, str], repeats: int = REPEATS
) -> dict[str, Any]:
    """Time ``repeats`` pairs of runs (CLI, then the Train page); returns the figures and the ratio."""
    cli, app = [], []
    for _ in range(repeats):
        cli.append(cli_seconds(data, env=env))
        app.append(app_seconds(browser, base_url, data=data))
    return {
        "epochs": EPOCHS,
        "repeats": repeats,
        "cli_seconds": [round(s, 2) for s in cli],
        "app_seconds": [round(s, 2) for s in app],
        "ratio": ratio(app, cli),
    }


def ratio(app: list[float], cli: list[float]) -> float:
    """Median app time over median CLI time.

    Examples
    --------
    >>> ratio([12.0, 11.0, 30.0], [10.0, 9.0, 11.0])
    1.2
    """
    return round(statistics.median(app) / statistics.median(cli), 3)


def cli_seconds(data: Path, *, env: dict[str, str]) -> float:
    """Wall seconds of ``python -m core train`` with the page's default settings, start to exit."""
    argv = [sys.executable, "-m", "core", "train", "--data", str(data), "--epochs", str(EPOCHS), "--json"]
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=RUN_TIMEOUT_S)
    if done.returncode != 0:
        raise OverheadError(CLI_FAILED.format(stderr=done.stderr.strip()[-500:]))
    return time.perf_counter() - started


def app_seconds(browser: Any, base_url: str, *, data: Path) -> float:
    """Seconds from the click on *Start training* until the Train page says the run finished."""
    query = urlencode({"data_source": "folder", "data_folder_path": str(data)})
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{base_url}/train?{query}", timeout=120_000)
        start = page.get_by_role("button", name="Start training")
        start.wait_for(timeout=120_000)
        page.get_by_role("slider", name="Epochs").wait_for()
        started = time.perf_counter()
        start.click()
        done = page.get_by_text(FINISHED)
        try:
            done.wait_for(timeout=RUN_TIMEOUT_S * 1000)
        except Exception as exc:  # Playwright's TimeoutError: say what the page showed instead
            said = page.get_by_test_id("stMain").inner_text()[:500]
            raise OverheadError(APP_FAILED.format(seconds=RUN_TIMEOUT_S, said=said)) from exc
        return time.perf_counter() - started
    finally:
        context.close()
