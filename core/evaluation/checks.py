"""Validate labels, scores and thresholds where they enter the evaluation code.

Every metric, curve, chart and group table calls these first, so bad input fails with one
sentence (:class:`MetricsError`) instead of a NumPy or scikit-learn traceback.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.errors import (
    BAD_LABELS,
    LENGTHS_DIFFER,
    NO_IMAGES,
    NOT_FLAT,
    OUT_OF_RANGE,
    SCORES_MISSING,
    SCORES_OUT_OF_RANGE,
    UnmaskError,
)
from core.labels import CLASS_NAMES, FAKE, REAL


class MetricsError(UnmaskError):
    """Labels, scores, groups or an option passed to a metric could not be used."""


def check_labels_scores(labels: Any, scores: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate labels and scores where they enter ``core``; return them as int8 and float64 arrays.

    A column vector of shape (n, 1), as Keras' ``predict`` returns, is accepted as (n,).

    Raises
    ------
    MetricsError
        If lengths differ, there are no images, a label is not 0 or 1, or a score is NaN
        or outside [0, 1].
    """
    y = _as_vector(labels, what="labels")
    s = _as_vector(scores, what="scores")
    if len(y) != len(s):
        raise MetricsError(LENGTHS_DIFFER.format(n_labels=len(y), n_scores=len(s)))
    return check_labels(y), check_scores(s)


def check_scores(scores: Any) -> np.ndarray:
    """Validate scores P(real) (at least one, none NaN, all in [0, 1]); return a float64 array.

    Raises
    ------
    MetricsError
        If there are no scores, one is NaN, or one is outside [0, 1].
    """
    s = _as_vector(scores, what="scores").astype(np.float64, copy=False)
    if len(s) == 0:
        raise MetricsError(NO_IMAGES)
    if np.isnan(s).any():
        raise MetricsError(SCORES_MISSING.format(n=int(np.isnan(s).sum())))
    if s.min() < 0 or s.max() > 1:
        raise MetricsError(SCORES_OUT_OF_RANGE.format(low=float(s.min()), high=float(s.max())))
    return s


def check_labels(labels: Any) -> np.ndarray:
    """Validate labels (1 real, 0 fake, at least one) and return them as an int8 array.

    Raises
    ------
    MetricsError
        If there are no labels, or one is not 0 or 1.
    """
    y = _as_vector(labels, what="labels")
    if len(y) == 0:
        raise MetricsError(NO_IMAGES)
    ok = np.isin(y, (0, 1))
    if not ok.all():
        bad = list(dict.fromkeys(y[~ok].tolist()))[:5]
        raise MetricsError(BAD_LABELS.format(values=", ".join(repr(v) for v in bad)))
    return y.astype(np.int8)


def check_threshold(threshold: float) -> float:
    """Return ``threshold`` as a float, or raise :class:`MetricsError` if it is outside [0, 1]."""
    if not 0 <= threshold <= 1:
        raise MetricsError(OUT_OF_RANGE.format(name="threshold", low=0, high=1, value=threshold))
    return float(threshold)


def only_class(y: np.ndarray) -> str | None:
    """The name of the only class in labels ``y`` ("real" or "fake"), or None when both are present."""
    n_real = int(y.sum())
    if n_real == len(y):
        return CLASS_NAMES[REAL]
    return CLASS_NAMES[FAKE] if n_real == 0 else None


def _as_vector(values: Any, *, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[1] == 1:
        return array[:, 0]
    if array.ndim != 1:
        raise MetricsError(NOT_FLAT.format(what=what, shape=array.shape))
    return array
