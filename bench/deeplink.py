"""Deep links: every page opened by a copied link (``/<page>?run=...``) in a new session.

A visitor who pastes a link lands on that page with no session behind it: nothing cached
for them, the page's first computations paid in full. This times each page of
:data:`ui.navigation.PAGES` that way, after the server has served its first page (that
cost is ``app.first_page_seconds``), and reports the slowest as ``deep_link_seconds``.
A page counts as shown when its script run has ended, its heading is there, no element
is still a loading skeleton and every chart has drawn.

``python -m bench.deeplink`` measures this step alone and prints its JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

#: Shown: the run has ended, the heading is there, nothing is a skeleton, every chart has drawn.
SHOWN_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.dataset.testScriptState !== 'notRunning') return false;
  if (!document.querySelector('[data-testid="stMain"] h1')) return false;
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
  return charts.every((c) => c.querySelector('canvas, svg'));
}"""
EXCEPTION_SELECTOR = '[data-testid="stException"]'
TIMEOUT_MS = 90_000


def page_paths() -> list[str]:
    """The URL path of every page, in menu order (the default page answers at ``/``)."""
    from ui.navigation import DEFAULT_PAGE, PAGES

    return ["" if p.name == DEFAULT_PAGE else p.name for p in PAGES]


def deep_links(browser: Any, base: str, run_id: str) -> dict[str, Any]:
    """Seconds to show each page by a deep link in a new session; ``deep_link_seconds`` is the slowest.

    Parameters
    ----------
    browser : playwright Browser
    base : str
        The server's base URL, e.g. ``http://127.0.0.1:8501``.
    run_id : str
        The run the links name.

    Returns
    -------
    dict
        ``deep_link_pages`` (path -> seconds) and ``deep_link_seconds`` (their maximum).
    """
    seconds = {}
    for path in page_paths():
        seconds[path or "overview"] = _open(browser, f"{base}/{path}?run={run_id}")
    return {"deep_link_pages": seconds, "deep_link_seconds": max(seconds.values())}


def _open(browser: Any, url: str) -> float:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        started = time.perf_counter()
        page.goto(url, timeout=TIMEOUT_MS)
        page.wait_for_function(SHOWN_JS, timeout=TIMEOUT_MS, polling="raf")
        elapsed = time.perf_counter() - started
        if page.locator(EXCEPTION_SELECTOR).count():
            raise RuntimeError(
                f"{url} shows an exception: {page.locator(EXCEPTION_SELECTOR).first.inner_text()}"
            )
        return elapsed
    finally:
        context.close()


def main(argv: list[str] | None = None) -> None:
    """Start the app on temporary folders, train a tiny run, print the deep-link figures as JSON."""
    from playwright.sync_api import sync_playwright

    from bench.app import CHROMIUM, CHROMIUM_ARGS, open_page, streamlit_server, train_tiny_run
    from bench.datasource import choose_data
    from core.paths import REPO_ROOT

    parser = argparse.ArgumentParser(prog="python -m bench.deeplink", description=__doc__)
    parser.add_argument("--data", default=None, help="data for the tiny run (default: Hard set, else demo)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="unmask-bench-") as tmp:
        env = {**os.environ, "UNMASK_DATA_DIR": f"{tmp}/data", "UNMASK_MODELS_DIR": f"{tmp}/models"}
        os.environ["UNMASK_DATA_DIR"] = env["UNMASK_DATA_DIR"]
        folder, _ = choose_data(args.data)
        run_id = train_tiny_run(folder, env=env)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            with streamlit_server(REPO_ROOT, env=env, log=Path(tmp, "streamlit.log")) as base:
                out = {"first_page_seconds": open_page(browser, base, '[data-testid="stMain"] h1')}
                out |= deep_links(browser, base, run_id)
            browser.close()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
