"""A share with its 95% interval: the one way Unmask reports a rate (count / n, Wilson interval)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.errors import OUT_OF_RANGE
from core.evaluation.checks import MetricsError


@dataclass(frozen=True)
class Rate:
    """A share ``count / n`` with its Wilson 95% interval; rate and interval are NaN when n is 0."""

    count: int
    n: int
    rate: float
    ci_low: float
    ci_high: float

    @classmethod
    def from_counts(cls, count: int, n: int, *, confidence: float = 0.95) -> Rate:
        """The share ``count / n`` with its Wilson interval (see :func:`wilson_interval`)."""
        low, high = wilson_interval(count, n, confidence=confidence)
        rate = count / n if n else math.nan
        return cls(count=int(count), n=int(n), rate=rate, ci_low=low, ci_high=high)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: NaN becomes ``None``."""
        return {k: json_float(v) for k, v in dataclasses.asdict(self).items()}


def wilson_interval(count: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial share, from :func:`scipy.stats.binomtest`.

    Parameters
    ----------
    count : int
        Successes, ``0 <= count <= n``.
    n : int
        Trials.
    confidence : float, default 0.95
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    (low, high) : tuple of float
        ``(nan, nan)`` when ``n == 0``.

    Raises
    ------
    MetricsError
        If ``count`` is outside ``0..n`` or ``confidence`` outside (0, 1).
    """
    if not 0 < confidence < 1:
        raise MetricsError(OUT_OF_RANGE.format(name="confidence", low=0, high=1, value=confidence))
    if not 0 <= count <= n:
        raise MetricsError(OUT_OF_RANGE.format(name="count", low=0, high=n, value=count))
    if n == 0:
        return math.nan, math.nan
    from scipy.stats import binomtest  # scipy.stats costs ~0.6 s to import: only when a rate is asked for

    ci = binomtest(int(count), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def json_float(value: Any) -> Any:
    """A float ready for JSON: NaN becomes ``None``; anything else is returned as it is."""
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    return value
