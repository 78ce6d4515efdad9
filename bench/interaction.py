"""What a slider move costs: all threshold metrics, and the per-group table, recomputed.

Scores are drawn, seeded, from two overlapping beta distributions (real faces high): the
cost of these functions depends on n, not on how good the scores are.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np

from bench.timing import load_average
from core.evaluation.bias import group_table
from core.evaluation.metrics import threshold_metrics

GROUPS = ("White", "Black", "Asian", "Indian", "Others")


def synthetic_scores(n: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` labels (1 real, 0 fake, about half each) and P(real) scores."""
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.5).astype(np.int8)
    scores = np.where(labels == 1, rng.beta(8, 2, n), rng.beta(2, 8, n))
    return labels, scores


def slider_ms(compute: Any, *, repeats: int) -> float:
    """Median milliseconds of ``compute(threshold)`` over thresholds swept like a slider."""
    compute(0.75)  # the first call fills the threshold-free cache, as opening the page does
    times = []
    for threshold in np.linspace(0.01, 0.99, repeats):
        start = time.perf_counter()
        compute(float(threshold))
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def interaction_section(*, n_metrics: int = 323, n_groups: int = 2000, repeats: int = 200) -> dict[str, Any]:
    """Milliseconds per recompute: threshold metrics for ``n_metrics`` scores, groups for ``n_groups``."""
    labels, scores = synthetic_scores(n_metrics)
    threshold_ms = slider_ms(lambda t: threshold_metrics(labels, scores, threshold=t), repeats=repeats)
    fresh = [synthetic_scores(n_metrics, seed=seed) for seed in range(1, 21)]
    first_times = []
    for y, s in fresh:  # new scores each time: AUC and EER are computed, not cached
        start = time.perf_counter()
        threshold_metrics(y, s, threshold=0.75)
        first_times.append(time.perf_counter() - start)
    g_labels, g_scores = synthetic_scores(n_groups, seed=99)
    groups = np.random.default_rng(7).choice(GROUPS, size=n_groups)
    groups_ms = slider_ms(
        lambda t: group_table(g_labels, g_scores, groups, threshold=t), repeats=repeats // 4
    )
    return {
        "threshold_ms": threshold_ms,
        "threshold_first_ms": 1000 * statistics.median(first_times),
        "threshold_n": n_metrics,
        "groups_ms": groups_ms,
        "groups_n": n_groups,
        "groups_k": len(GROUPS),
        "repeats": repeats,
        "load_average": load_average(),
    }
