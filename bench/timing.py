"""Small timing helpers shared by the benchmark's modules."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any


def seconds(run: Callable[[], Any]) -> tuple[float, Any]:
    """Wall seconds one call of ``run`` took, and what it returned."""
    start = time.perf_counter()
    value = run()
    return time.perf_counter() - start, value


def repeat_seconds(run: Callable[[], Any], *, times: int) -> list[float]:
    """Wall seconds of ``times`` calls of ``run``, in order."""
    return [seconds(run)[0] for _ in range(times)]


def median_ms(run: Callable[[], Any], *, times: int) -> float:
    """Median milliseconds of ``times`` calls (after one untimed warm-up call)."""
    run()
    return 1000 * statistics.median(repeat_seconds(run, times=times))


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages, rounded, so a noisy figure can be told apart."""
    return [round(v, 2) for v in os.getloadavg()]
