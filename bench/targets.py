"""The targets the benchmark checks, as data, and whether a result meets them."""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Comparison = Literal["<=", "<", ">="]
_COMPARE = {"<=": operator.le, "<": operator.lt, ">=": operator.ge}


@dataclass(frozen=True)
class Target:
    """``key`` (dotted path into results.json) must be ``comparison`` ``value``."""

    key: str
    what: str
    comparison: Comparison
    value: float
    unit: str = ""


#: Targets for the ``fast`` preset on this project's 2-core CPU.
TARGETS: tuple[Target, ...] = (
    Target("fast.train_seconds", "fast: 10 epochs, wall incl. cached data load", "<=", 20, "s"),
    Target("fast.val_accuracy_mean", "fast: validation accuracy at 0.75, mean of 3 seeds", ">=", 0.995),
    Target("fast.auc_mean", "fast: AUC, mean of 3 seeds", ">=", 0.999),
    Target("speedup", "paper ÷ fast wall time", ">=", 50, "x"),
    Target("fast.flops_fraction", "fast: training FLOP rate ÷ numpy float32 matmul rate", ">=", 0.20),
    Target("metrics.threshold_ms", "all threshold metrics, 323 scores", "<=", 20, "ms"),
    Target("metrics.groups_ms", "per-group table, 2,000 scores", "<=", 50, "ms"),
    Target("app.first_page_seconds", "first page rendered in Chromium", "<=", 3, "s"),
    Target("app.deep_link_seconds", "slowest page opened by a link in a new session", "<=", 3, "s"),
    Target("app.load.p95_seconds", "4 sessions moving the threshold: p95 response", "<", 1, "s"),
    Target(
        "throughput.by_size.64.images_per_second",
        "streamed evaluate, 6,000 JPEGs at 64 px: images/s incl. decode",
        ">=",
        400,
        "images/s",
    ),
    Target(
        "throughput.by_size.256.peak_rss_mb",
        "streamed evaluate, 6,000 JPEGs at 256 px: peak RSS (2.5 GB)",
        "<=",
        2560,
        "MiB",
    ),
    Target(
        "throughput.training.by_preset.paper.peak_rss_mb",
        "paper at 300 px, 1 epoch on 10,000 JPEGs (streamed from disk): peak RSS (2.5 GB)",
        "<=",
        2560,
        "MiB",
    ),
    Target(
        "app.train_overhead",
        "fast, 10 epochs watched on the Train page ÷ the same from the CLI",
        "<=",
        1.25,
        "x",
    ),
)


def target(key: str) -> Target:
    """The target on ``key``.

    Raises
    ------
    KeyError
        If no target is set on ``key``.
    """
    for t in TARGETS:
        if t.key == key:
            return t
    raise KeyError(f"No benchmark target is set on {key!r}; the targets are on {[t.key for t in TARGETS]}.")


def lookup(results: dict[str, Any], key: str) -> Any:
    """The value at dotted ``key`` (``"fast.train_seconds"``), or None where any part is missing."""
    value: Any = results
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def check(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per target: the measured value and ``met`` (True, False, or None when not measured)."""
    rows = []
    for target in TARGETS:
        measured = lookup(results, target.key)
        number = isinstance(measured, int | float) and not math.isnan(measured)
        met = bool(_COMPARE[target.comparison](measured, target.value)) if number else None
        rows.append(
            {
                "key": target.key,
                "what": target.what,
                "target": f"{target.comparison} {target.value:g}",
                "unit": target.unit,
                "measured": measured if number else None,
                "met": met,
            }
        )
    return rows


def update_results(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Apply ``change`` to the results.json at ``path``, check the targets again and write it back.

    How ``python -m bench.throughput``, ``bench.deeplink`` and ``bench.app`` record their own
    sections with ``--write``, leaving every other figure as it was.
    """
    results = json.loads(path.read_text(encoding="utf-8"))
    change(results)
    results["targets"] = check(results)
    path.write_text(json.dumps(results, indent=1, allow_nan=False) + "\n", encoding="utf-8")
