"""Deep links: every page opened by a copied link (``/<page>?run=...``) in a new session.

A visitor who pastes a link lands on that page with no session behind it: nothing cached
for them, the page's first computations paid in full. This times each page of
:data:`ui.navigation.PAGES` that way, after the server has served its first page (that
cost is ``app.first_page_seconds``), :data:`REPEATS` times in turn, and reports the slowest
page's median as ``deep_link_seconds`` (every time measured is kept, ``deep_link_samples``).
A page counts as shown when its script run has ended, its heading is there, no element
is still a loading skeleton and every chart has drawn.

``python -m bench.deeplink`` measures this step alone and prints its JSON; with ``--write`` it
also records the figures in ``bench/results.json`` (its ``app`` section, and the targets),
leaving every other figure as the last full ``python -m bench`` measured it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.app import open_page
from core.paths import REPO_ROOT

#: Shown: the run has ended, the heading is there, nothing is a skeleton, every chart that can be seen
#: has drawn (one on a tab not chosen is drawn when its tab is).
SHOWN_JS = """(heading) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.dataset.testScriptState !== 'notRunning') return false;
  if (!document.querySelector(heading)) return false;
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
  return charts.filter((c) => c.checkVisibility()).every((c) => c.querySelector('canvas, svg'));
}"""
MAIN_HEADING = '[data-testid="stMain"] h1'
#: Passes over every page: one pass on this 2-core machine varies by about 0.7 s between runs
#: (2.8 s and 3.5 s for the slowest page, minutes apart), more than the changes it should judge.
REPEATS = 3


def page_paths() -> list[str]:
    """The URL path of every page, in menu order (the default page answers at ``/``)."""
    from ui.navigation import DEFAULT_PAGE, PAGES

    return ["" if p.name == DEFAULT_PAGE else p.name for p in PAGES]


def deep_links(
    browser: Any, base: str, run_id: str, *, env: dict[str, str], repeats: int = REPEATS
) -> dict[str, Any]:
    """Seconds to show each page by a deep link in a new session; ``deep_link_seconds`` is the slowest
    page's median over ``repeats`` passes.

    The demo set is generated first if the server's data folder lacks it: that happens once
    per machine (``data/demo/``), not once per visit, so no page's time should include it.

    Parameters
    ----------
    browser : playwright Browser
    base : str
        The server's base URL, e.g. ``http://127.0.0.1:8501``.
    run_id : str
        The run the links name.
    env : dict
        The server's environment (its ``UNMASK_DATA_DIR``).

    Returns
    -------
    dict
        ``deep_link_pages`` (path -> median seconds of ``repeats`` new sessions), ``deep_link_seconds``
        (the largest median) and ``deep_link_samples`` (path -> every time measured).
    """
    prepare_demo(env)
    samples: dict[str, list[float]] = {}
    for _ in range(repeats):  # whole passes, so a busy moment of the machine falls on every page alike
        for path in page_paths():
            url = f"{base}/{path}?run={run_id}"
            seconds = open_page(browser, url, MAIN_HEADING, shown_js=SHOWN_JS)
            samples.setdefault(path or "overview", []).append(seconds)
    medians = {page: statistics.median(times) for page, times in samples.items()}
    return {
        "deep_link_pages": medians,
        "deep_link_seconds": max(medians.values()),
        "deep_link_samples": samples,
    }


def data_filter_seconds(browser: Any, base: str, *, changes: int = 6) -> dict[str, Any]:
    """Seconds from a new Class filter on the Data page to the grid showing that class (median, max).

    One session opens ``/data?section=Images`` (the demo set's image grid), then switches the
    grid's Class filter between fake and real ``changes`` times; each change is timed until the
    grid's first caption names the new class.
    """
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{base}/data?section=Images")
        page.wait_for_function(SHOWN_JS, arg=MAIN_HEADING, polling="raf")
        times = []
        for i in range(changes):
            wanted = ("fake", "real")[i % 2]
            started = _choose(page, "Class", wanted)
            caption = '[data-testid="stImage"] [data-testid="stImageCaption"]'
            page.wait_for_function(
                "([sel, w]) => { const c = document.querySelector(sel);"
                " return c && c.textContent.startsWith(w + ' ·'); }",
                arg=[caption, wanted],
                polling="raf",
            )
            times.append(time.perf_counter() - started)
        return {
            "data_filter_seconds": statistics.median(times),
            "data_filter_max_seconds": max(times),
            "data_filter_changes": changes,
        }
    finally:
        context.close()


def _choose(page: Any, label: str, option: str, *, tries: int = 3) -> float:
    """Open the selectbox ``label`` and click ``option``; returns ``time.perf_counter()`` just before the
    click on the option that took.

    A rerun of the page that lands while the list is open closes it again: the list is then
    opened anew, up to ``tries`` times (the time counts from the click that took).
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    options = page.get_by_role("option", name=option, exact=True)
    for _ in range(tries - 1):
        page.get_by_test_id("stSelectbox").filter(has_text=label).click()
        started = time.perf_counter()
        try:
            options.click(timeout=5000)
            return started
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    page.get_by_test_id("stSelectbox").filter(has_text=label).click()
    started = time.perf_counter()
    options.click()
    return started


def prepare_demo(env: dict[str, str]) -> None:
    """Generate the demo set into ``env``'s data folder, as a machine's first use of the app does."""
    code = "from core.data.demo import ensure_demo; ensure_demo()"
    subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO_ROOT, check=True, capture_output=True)


def main(argv: list[str] | None = None) -> None:
    """Start the app on temporary folders, train a tiny run, print the deep-link figures as JSON."""
    from playwright.sync_api import sync_playwright

    from bench.app import CHROMIUM, train_tiny_run
    from bench.appserver import CHROMIUM_ARGS, streamlit_server
    from bench.datasource import choose_data
    from bench.report import BENCH_DIR
    from bench.timing import load_average

    parser = argparse.ArgumentParser(prog="python -m bench.deeplink", description=__doc__)
    parser.add_argument("--data", default=None, help="data for the tiny run (default: Hard set, else demo)")
    parser.add_argument("--write", action="store_true", help="record the figures in bench/results.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="unmask-bench-") as tmp:
        env = {**os.environ, "UNMASK_DATA_DIR": f"{tmp}/data", "UNMASK_MODELS_DIR": f"{tmp}/models"}
        os.environ["UNMASK_DATA_DIR"] = env["UNMASK_DATA_DIR"]
        folder, _ = choose_data(args.data)
        run_id = train_tiny_run(folder, env=env)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            with streamlit_server(env=env, log=Path(tmp, "streamlit.log")) as base:
                out = {"first_page_seconds": open_page(browser, base, MAIN_HEADING)}
                out |= deep_links(browser, base, run_id, env=env)
                out |= data_filter_seconds(browser, base)
            browser.close()
    out["deep_link_load_average"] = load_average()
    print(json.dumps(out, indent=2))
    if args.write:
        record(out, BENCH_DIR / "results.json")


def record(figures: dict[str, Any], path: Path) -> None:
    """Put the deep-link ``figures`` into results.json's ``app`` section and check the targets again."""
    from bench.targets import update_results

    keep = ("deep_link_pages", "deep_link_seconds", "deep_link_samples", "deep_link_load_average")
    keep += ("data_filter_seconds", "data_filter_max_seconds", "data_filter_changes")
    measured = {k: figures[k] for k in keep if k in figures}
    update_results(path, lambda r: r.setdefault("app", {}).update(measured))


if __name__ == "__main__":
    main()
