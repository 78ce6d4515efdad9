"""The dashboard in a real Chromium: first page, confusion-matrix page, concurrent sessions.

``python -m bench.app`` measures this step alone and prints its JSON; with ``--write`` it also
records it as results.json's ``app`` section (every other section as the last full run left it);
``python -m bench`` records it with everything else. The app
runs with ``streamlit run streamlit_app.py`` on a free port, headless, with temporary
data and models folders; a tiny run is trained into the models folder first so the
confusion-matrix page has a run to show. Anything that cannot be measured (no app, no
confusion page, a page showing an exception, a failed move in the load test) raises
:class:`AppBenchError` with a sentence: ``python -m bench`` then fails, naming the step.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench import train_overhead
from bench.appserver import CHROMIUM_ARGS, find_chromium, streamlit_server
from bench.timing import load_average
from core.paths import REPO_ROOT

APP_FILE = "streamlit_app.py"
CHROMIUM = find_chromium() or "/usr/bin/chromium"
PAGE_TIMEOUT_MS = 60_000
#: True once the script run that drew the page has finished and ``selector`` is on it.
RENDERED_JS = """(selector) => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app !== null && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelector(selector) !== null;
}"""
EXCEPTION_SELECTOR = '[data-testid="stException"]'
#: The matrix, drawn: a chart's canvas or SVG (the dashboard's heatmap) in the main area. Not any table:
#: the page's table of metrics is drawn before the chart, and would be taken for the matrix.
MATRIX_SELECTOR = '[data-testid="stMain"] [data-testid="stVegaLiteChart"] :is(canvas, svg)'
#: Folders that may hold the pages: st.navigation's (this app's) and Streamlit's old multipage one.
PAGE_FOLDERS = ("app_pages", "pages")


NO_APP = "There is no {app} in {root}, so the dashboard cannot be measured."
NO_CONFUSION_PAGE = "There is no confusion-matrix page ({pattern}) in {root}, so it cannot be measured."
LOAD_ERRORS = "{errors} of {moves} threshold moves failed in the load test, for example: {examples}"


class AppBenchError(RuntimeError):
    """The dashboard could not be measured; the message says what was missing or went wrong."""


@dataclass(frozen=True)
class AppOptions:
    """Where the app is and how to recognise its pages; the defaults fit a Streamlit multipage app."""

    app_root: Path = REPO_ROOT
    main_selector: str = '[data-testid="stMain"] h1'
    confusion_url: str | None = None  # e.g. "/confusion?run={run_id}"; default: found in PAGE_FOLDERS
    matrix_selector: str = MATRIX_SELECTOR
    slider_selector: str = (
        '[data-testid="stMain"] [data-testid="stSlider"] :is(input[type="range"], [role="slider"])'
    )
    sessions: int = 4
    load_seconds: float = 30.0
    train_overhead: bool = True


def app_section(options: AppOptions, *, data: Path) -> dict[str, Any]:
    """All app figures; the load test is left out (and says so) only with ``load_seconds`` 0.

    Raises
    ------
    AppBenchError
        If the app or its confusion-matrix page is missing, or the load test saw errors.
    """
    if not (options.app_root / APP_FILE).is_file():
        raise AppBenchError(NO_APP.format(app=APP_FILE, root=options.app_root))
    with tempfile.TemporaryDirectory(prefix="unmask-bench-app-") as tmp:
        env = {**os.environ, "UNMASK_DATA_DIR": f"{tmp}/data", "UNMASK_MODELS_DIR": f"{tmp}/models"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        path = confusion_path(options)
        run_id = train_tiny_run(data, env=env)
        log = Path(tmp, "streamlit.log")
        out = measure_pages(options, env=env, log=log, confusion=path, run_id=run_id, data=data)
        if "load" not in out:
            out["load_skipped"] = "--load-seconds 0"
        elif out["load"]["errors"]:
            load = out["load"]
            examples = "; ".join(load["error_examples"])
            raise AppBenchError(
                LOAD_ERRORS.format(errors=load["errors"], moves=load["moves"], examples=examples)
            )
        out["load_average"] = load_average()
        return out


def confusion_path(options: AppOptions) -> str:
    """The confusion-matrix page's URL, with ``{run_id}`` to fill.

    Raises
    ------
    AppBenchError
        If no page file matches ``*onfusion*.py`` in :data:`PAGE_FOLDERS`.
    """
    if options.confusion_url:
        return options.confusion_url
    pages = [p for folder in PAGE_FOLDERS for p in sorted((options.app_root / folder).glob("*onfusion*.py"))]
    if not pages:
        pattern = " or ".join(f"{folder}/*confusion*.py" for folder in PAGE_FOLDERS)
        raise AppBenchError(NO_CONFUSION_PAGE.format(pattern=pattern, root=options.app_root))
    name = re.sub(r"^[0-9]*[_ -]*", "", pages[0].stem).replace(" ", "_")
    return f"/{name}?run={{run_id}}"


def train_tiny_run(data: Path, *, env: dict[str, str]) -> str:
    """Train one epoch at 32x32 into ``env``'s models folder with the CLI; returns the run id."""
    argv = [sys.executable, "-m", "core", "train", "--data", str(data), "--epochs", "1", "--image-size", "32"]
    done = subprocess.run([*argv, "--json"], capture_output=True, text=True, env=env, cwd=REPO_ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"training the tiny run failed: {done.stderr[-1000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["run_id"]


def measure_pages(
    options: AppOptions, *, env: dict[str, str], log: Path, confusion: str, run_id: str, data: Path
) -> dict[str, Any]:
    """Start the server, then time the first page, the confusion page, every page by a link and the
    Data page's filter (:mod:`bench.deeplink`), training watched in the browser against the CLI
    (:mod:`bench.train_overhead`), then the load test."""
    from playwright.sync_api import sync_playwright

    from bench.deeplink import data_filter_seconds, deep_links
    from bench.load import load_test

    out: dict[str, Any] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        started = time.perf_counter()  # the browser is up already: its launch is not the app's cost
        with streamlit_server(app_root=options.app_root, env=env, log=log) as base:
            out["server_ready_seconds"] = time.perf_counter() - started
            out["first_page_seconds"] = open_page(browser, base, options.main_selector, since=started)
            out["confusion_url"] = confusion.format(run_id=run_id)
            url = base + out["confusion_url"]
            out["confusion_page_seconds"] = open_page(browser, url, options.matrix_selector)
            out |= deep_links(browser, base, run_id, env=env)  # every page by a copied link (bench.deeplink)
            out |= data_filter_seconds(browser, base)  # the Data page's image grid, filtered by class
            if options.train_overhead:
                detail = train_overhead.measure(browser, base, data=data, env=env)
                out["train_overhead"], out["train_overhead_runs"] = detail["ratio"], detail
            browser.close()
            if options.load_seconds > 0:
                out["load"] = load_test(url, options)
    return out


def open_page(
    browser: Any, url: str, selector: str, *, since: float | None = None, shown_js: str = RENDERED_JS
) -> float:
    """Seconds until ``url`` is rendered in a new session (from ``since``, else from now).

    Rendered: ``shown_js(selector)`` holds (by default, the run has ended and ``selector`` is there).

    Raises
    ------
    AppBenchError
        If the page shows an exception instead.
    """
    start = time.perf_counter() if since is None else since
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(url, timeout=PAGE_TIMEOUT_MS)
        page.wait_for_function(shown_js, arg=selector, timeout=PAGE_TIMEOUT_MS, polling="raf")
        elapsed = time.perf_counter() - start
        if page.locator(EXCEPTION_SELECTOR).count():
            shown = page.locator(EXCEPTION_SELECTOR).first.inner_text()
            raise AppBenchError(f"{url} shows an exception instead of the page: {shown}")
        return elapsed
    finally:
        context.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.app", description=__doc__)
    parser.add_argument("--data", default=None, help="data for the tiny run (default: Hard set, else demo)")
    parser.add_argument("--load-seconds", type=float, default=30.0)
    parser.add_argument("--app-root", type=Path, default=REPO_ROOT)
    parser.add_argument("--confusion-url", default=None, help='e.g. "/confusion?run={run_id}"')
    parser.add_argument("--write", action="store_true", help="record the figures in bench/results.json")
    args = parser.parse_args(argv)
    from bench.datasource import choose_data

    with tempfile.TemporaryDirectory(prefix="unmask-bench-") as tmp:
        os.environ["UNMASK_DATA_DIR"] = tmp
        folder, _ = choose_data(args.data)
        options = AppOptions(app_root=args.app_root.resolve(), load_seconds=args.load_seconds)
        options = replace(options, confusion_url=args.confusion_url)
        out = app_section(options, data=folder)
    print(json.dumps(out, indent=2))
    if args.write:
        from bench.report import BENCH_DIR

        record(out, BENCH_DIR / "results.json")


def record(figures: dict[str, Any], path: Path) -> None:
    """Make ``figures`` results.json's ``app`` section and check the targets again."""
    import datetime

    from bench.targets import update_results

    now = datetime.datetime.now(datetime.UTC).astimezone().isoformat(timespec="seconds")
    app = {**figures, "command": "python -m bench.app --write", "date": now}
    update_results(path, lambda r: r.update(app=app))


if __name__ == "__main__":
    main()
