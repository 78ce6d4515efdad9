"""Start the dashboard and a Chromium to look at it: one launcher for the benchmark and the browser tests.

``streamlit run streamlit_app.py`` on a free localhost port, headless, with the caller's environment
(its ``UNMASK_DATA_DIR`` / ``UNMASK_MODELS_DIR``), its output in a log file, stopped (its whole process
group) when the block ends; and Debian's Chromium launched by path with the flags this closed machine
needs (Playwright's own browser download does not work offline).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from core.paths import REPO_ROOT

APP_FILE = "streamlit_app.py"
#: Chromium's flags: no sandbox (root), no GPU, and none of the background connections a closed
#: network refuses many at a time.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15


class ServerError(RuntimeError):
    """The server did not start; the message carries the end of its log."""


def find_chromium() -> str | None:
    """The Chromium to launch: ``UNMASK_CHROMIUM``, ``/usr/bin/chromium``, or one on the PATH; else None."""
    candidates = [os.environ.get("UNMASK_CHROMIUM"), "/usr/bin/chromium"]
    candidates += [shutil.which("chromium"), shutil.which("chromium-browser")]
    return next((c for c in candidates if c and Path(c).is_file() and os.access(c, os.X_OK)), None)


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(base_url: str) -> bool:
    """Whether the server at ``base_url`` answers its health check with ``ok``."""
    try:
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as answer:
            return answer.read().decode().strip() == "ok"
    except OSError:
        return False


@contextlib.contextmanager
def streamlit_server(
    *,
    env: dict[str, str],
    log: Path,
    app_root: Path = REPO_ROOT,
    startup_s: float = SERVER_START_TIMEOUT_S,
) -> Iterator[str]:
    """Run the app until the block ends; yields its base URL (``http://127.0.0.1:PORT``) once healthy.

    Raises
    ------
    ServerError
        If the server exits or does not answer within ``startup_s`` seconds.
    """
    port = free_port()
    argv = [sys.executable, "-m", "streamlit", "run", APP_FILE, "--server.headless", "true"]
    argv += [
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
    ]
    base = f"http://127.0.0.1:{port}"
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            argv, cwd=app_root, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + startup_s
            while not healthy(base):
                if process.poll() is not None:
                    raise ServerError(f"streamlit exited with {process.returncode}:\n{_tail(log)}")
                if time.monotonic() > deadline:
                    raise ServerError(f"streamlit did not answer in {startup_s:g} s:\n{_tail(log)}")
                time.sleep(0.05)
            yield base
        finally:
            stop(process)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM the server's process group, then SIGKILL what is still there after a while."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_S)


def _tail(log: Path, chars: int = 3000) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-chars:] if log.exists() else ""
