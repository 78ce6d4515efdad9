"""Curves over every threshold, and choosing one: ROC and precision-recall points, thresholds.

:func:`cost_threshold` finds the threshold with the lowest cost of mistakes and
:func:`threshold_for_flag_rate` the highest one that flags at most a share of real faces.

Conventions as in :mod:`core.evaluation.metrics`: real (1) is positive, an image is called real
when its score P(real) is strictly above the threshold. scikit-learn's curves use
``score >= t``; every threshold returned here follows this app's rule instead. The
inputs are checked by :mod:`core.evaluation.metrics`' checks, with its error messages.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from core.errors import COSTS_ALL_ZERO, CURVE_NEEDS_BOTH, FLAG_RATE_UNREACHABLE, NO_REAL_IMAGES, OUT_OF_RANGE
from core.evaluation.checks import MetricsError, check_labels_scores, only_class
from core.evaluation.metrics import strict_thresholds
from core.labels import DEFAULT_THRESHOLD, FAKE, REAL


def roc_points(labels: Any, scores: Any) -> pd.DataFrame:
    """The ROC curve, one row per distinct score, for plotting.

    Returns
    -------
    DataFrame with columns ``fpr`` (share of fakes passed as real), ``tpr`` (share of reals
    called real) and ``threshold``: the threshold that gives the point under this app's rule
    (score > threshold is called real). scikit-learn's first point (nothing called real)
    gets the highest score; the last point (everything called real) gets 0, or NaN when some
    image scores exactly 0 and no threshold in [0, 1] calls it real.

    Raises
    ------
    MetricsError
        If the inputs are invalid or only one class is present.
    """
    from sklearn.metrics import roc_curve  # ~1 s to import: only when a curve is asked for

    y, s = _both_classes(labels, scores, curve="ROC")
    fpr, tpr, thresholds = roc_curve(y, s, drop_intermediate=False)
    return pd.DataFrame({"fpr": fpr, "tpr": tpr, "threshold": strict_thresholds(thresholds, s.min())})


def pr_points(labels: Any, scores: Any) -> pd.DataFrame:
    """The precision-recall curve (real is positive), one row per distinct score, for plotting.

    Returns
    -------
    DataFrame with columns ``recall``, ``precision`` and ``threshold`` under this app's rule
    (score > threshold is called real): the first row (everything called real) gets 0 or
    NaN as in :func:`roc_points`, and the last row, scikit-learn's (recall 0, precision 1)
    end point, gets the highest score.

    Raises
    ------
    MetricsError
        If the inputs are invalid or only one class is present.
    """
    from sklearn.metrics import precision_recall_curve  # ~1 s to import: only when a curve is asked for

    y, s = _both_classes(labels, scores, curve="precision-recall")
    precision, recall, thresholds = precision_recall_curve(y, s)
    first = 0.0 if s.min() > 0 else math.nan
    return pd.DataFrame({"recall": recall, "precision": precision, "threshold": np.r_[first, thresholds]})


def cost_threshold(
    labels: Any, scores: Any, *, cost_fake_passed: float = 1.0, cost_real_flagged: float = 1.0
) -> float:
    """The threshold with the lowest total cost of mistakes on these images.

    Total cost is ``cost_fake_passed * (fakes passed as real) + cost_real_flagged * (reals
    flagged as fake)``. Candidates are 0, 1 and every distinct score; thresholds between two
    neighbouring candidates make the same calls as the lower one. Ties go to the candidate
    closest to the default 0.75, then to the higher one. Works with one class only.

    Raises
    ------
    MetricsError
        If the inputs are invalid, a cost is negative, or both costs are 0.
    """
    y, s = check_labels_scores(labels, scores)
    for name, cost in (("cost_fake_passed", cost_fake_passed), ("cost_real_flagged", cost_real_flagged)):
        if not 0 <= cost < math.inf:
            raise MetricsError(OUT_OF_RANGE.format(name=name, low=0, high="infinity", value=cost))
    if cost_fake_passed == 0 and cost_real_flagged == 0:
        raise MetricsError(COSTS_ALL_ZERO)
    candidates, passed, flagged = _mistakes(y, s)
    cost = cost_fake_passed * passed + cost_real_flagged * flagged
    tied = np.isclose(cost, cost.min(), rtol=1e-12, atol=0)
    distance = np.where(tied, np.abs(candidates - DEFAULT_THRESHOLD), np.inf)
    # Candidates are ascending, so the last one at the least distance is the higher of two.
    best = len(distance) - 1 - int(np.argmin(distance[::-1]))
    return float(candidates[best])


def threshold_for_flag_rate(labels: Any, scores: Any, *, target: float) -> float:
    """The highest threshold that flags at most ``target`` of the real faces as fake.

    A real face is flagged when its score is at or below the threshold, so raising the
    threshold catches more fakes and flags more reals. Candidates are 0, 1 and every
    distinct score (see :func:`cost_threshold`); fakes are ignored, so this works on a
    set of real faces only, such as UTKFace.

    Parameters
    ----------
    target : float
        Largest acceptable share of real faces flagged as fake, in [0, 1]; 1 gives 1.0.

    Raises
    ------
    MetricsError
        If the inputs are invalid, ``target`` is outside [0, 1], there are no real images,
        or more than ``target`` of the reals score exactly 0 (flagged at every threshold).
    """
    y, s = check_labels_scores(labels, scores)
    if not 0 <= target <= 1:
        raise MetricsError(OUT_OF_RANGE.format(name="target", low=0, high=1, value=target))
    n_real = int(y.sum())
    if n_real == 0:
        raise MetricsError(NO_REAL_IMAGES)
    candidates, _, flagged = _mistakes(y, s)
    ok = flagged / n_real <= target
    if not ok.any():
        n_zero = int(((y == REAL) & (s == 0)).sum())
        raise MetricsError(FLAG_RATE_UNREACHABLE.format(target=target, n_zero=n_zero))
    return float(candidates[ok].max())


def _mistakes(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate thresholds with the fakes passed and reals flagged at each.

    Counted here rather than with ``roc_curve`` because the threshold helpers must work
    when one class is missing (UTKFace holds real faces only), where ``roc_curve`` is NaN.
    """
    candidates = np.unique(np.r_[s, 0.0, 1.0])
    fakes, reals = np.sort(s[y == FAKE]), np.sort(s[y == REAL])
    passed = len(fakes) - np.searchsorted(fakes, candidates, side="right")
    flagged = np.searchsorted(reals, candidates, side="right")
    return candidates, passed, flagged


def _both_classes(labels: Any, scores: Any, *, curve: str) -> tuple[np.ndarray, np.ndarray]:
    y, s = check_labels_scores(labels, scores)
    present = only_class(y)
    if present is not None:
        raise MetricsError(CURVE_NEEDS_BOTH.format(curve=curve, present=present))
    return y, s
