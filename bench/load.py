"""Concurrent sessions moving the threshold slider on the confusion-matrix page.

Each session opens the page in its own browser context and, until the time is up,
presses an arrow key on the slider (bouncing between its ends) and waits until the
script run that the change starts has finished and the page has painted: that wait is
the response time. A run's end is read from the app's own messages (Streamlit's
``ForwardMsg.script_finished`` on the websocket), because the page's DOM may not change
at all when two state changes fall in one React render. A move counts as an error when
no run finishes within :data:`MOVE_TIMEOUT_S`, when the page shows an exception, or
when the page raises a JavaScript error.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from typing import Any

import numpy as np

from bench.app import CHROMIUM, EXCEPTION_SELECTOR, PAGE_TIMEOUT_MS, RENDERED_JS
from bench.appserver import CHROMIUM_ARGS

MOVE_TIMEOUT_S = 10.0
#: [value, min, max] of a range input (Streamlit's slider) or of an ARIA slider thumb.
SLIDER_VALUES_JS = """(e) => e.tagName === 'INPUT'
  ? [Number(e.value), Number(e.min), Number(e.max)]
  : ['aria-valuenow', 'aria-valuemin', 'aria-valuemax'].map((a) => Number(e.getAttribute(a)))"""
#: Resolves after the next two animation frames: what the last message changed is painted.
PAINTED_JS = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


def load_test(url: str, options: Any) -> dict[str, Any]:
    """``options.sessions`` sessions for ``options.load_seconds``: moves, errors, p50 and p95 seconds.

    Runs in its own thread so its asyncio loop never meets a synchronous Playwright's.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _load(url, options)).result()


async def _load(url: str, options: Any) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            results = await asyncio.gather(
                *[_Session(options).run(browser, url) for _ in range(options.sessions)]
            )
        finally:
            await browser.close()
    latencies = [t for r in results for t in r.latencies]
    errors = [e for r in results for e in r.errors]
    return {
        "sessions": options.sessions,
        "seconds": options.load_seconds,
        "moves": len(latencies) + len(errors),
        "errors": len(errors),
        "error_examples": errors[:5],
        "p50_seconds": float(np.percentile(latencies, 50)) if latencies else None,
        "p95_seconds": float(np.percentile(latencies, 95)) if latencies else None,
        "max_seconds": max(latencies) if latencies else None,
    }


class _Session:
    """One browser session: counts finished script runs from the websocket and times moves."""

    def __init__(self, options: Any) -> None:
        self.options = options
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.finished_runs = 0
        self.going_left = False

    async def run(self, browser: Any, url: str) -> _Session:
        context = await browser.new_context()
        page = await context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"javascript: {error}"))
        page.on("websocket", lambda ws: ws.on("framereceived", self._on_frame))
        try:
            await page.goto(url, timeout=PAGE_TIMEOUT_MS)
            await page.wait_for_function(
                RENDERED_JS, arg=self.options.matrix_selector, timeout=PAGE_TIMEOUT_MS
            )
            slider = page.locator(self.options.slider_selector).first
            deadline = time.perf_counter() + self.options.load_seconds
            while time.perf_counter() < deadline:
                await self._move(page, slider)
        except Exception as exc:  # a session that cannot go on counts as one more error
            self.errors.append(f"session: {type(exc).__name__}: {str(exc)[:200]}")
        finally:
            await context.close()
        return self

    def _on_frame(self, payload: str | bytes) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if isinstance(payload, bytes):
            message = ForwardMsg()
            message.ParseFromString(payload)
            if message.WhichOneof("type") == "script_finished":
                self.finished_runs += 1

    async def _move(self, page: Any, slider: Any) -> None:
        """Press an arrow key on the slider and record the seconds until the rerun is painted."""
        key = await self._next_key(slider)
        before = self.finished_runs
        start = time.perf_counter()
        await slider.press(key)
        while self.finished_runs == before:
            if time.perf_counter() - start > MOVE_TIMEOUT_S:
                self._error(f"no rerun finished within {MOVE_TIMEOUT_S:.0f} s after {key}")
                return
            await asyncio.sleep(0.002)
        await page.evaluate(PAINTED_JS)
        latency = time.perf_counter() - start
        if await page.locator(EXCEPTION_SELECTOR).count():
            self._error("the page shows an exception")
        else:
            self.latencies.append(latency)

    async def _next_key(self, slider: Any) -> str:
        """ArrowRight until the slider's maximum, then ArrowLeft until its minimum."""
        now, low, high = await slider.evaluate(SLIDER_VALUES_JS)
        if now >= high:
            self.going_left = True
        elif now <= low:
            self.going_left = False
        return "ArrowLeft" if self.going_left else "ArrowRight"

    def _error(self, what: str) -> None:
        self.errors.append(f"move {len(self.latencies) + len(self.errors) + 1}: {what}")
