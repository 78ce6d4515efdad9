"""ROC AUC with a 95% interval, or NaN with the reason when one class is missing.

The interval is a stratified percentile bootstrap from :func:`scipy.stats.bootstrap`: real and
fake scores are resampled separately (two independent samples), so every resample holds both
classes and as many of each as the data, and the AUC of a resample is the Mann-Whitney U of
reals over fakes divided by ``n_real * n_fake`` (:func:`scipy.stats.mannwhitneyu`), which is
exactly scikit-learn's ``roc_auc_score`` with ties counted half. Seeded, so the same scores
always give the same interval. A perfect separation (AUC 1) gives the interval [1, 1]: no
resample can do worse, which says the classes never overlapped, not that the AUC is known exactly.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.evaluation.checks import check_labels_scores, only_class
from core.evaluation.metrics import ONE_CLASS_REASON
from core.evaluation.rates import json_float
from core.labels import FAKE, REAL

#: Bootstrap resamples: the interval's ends move by about 0.002 between seeds at n = 300.
N_RESAMPLES = 1000
#: Scores in the bootstrap resamples drawn at once (as float64: 16 MB), so memory does not grow
#: with n: up to 2,000 scores all :data:`N_RESAMPLES` resamples are drawn together, as they always were.
RESAMPLED_VALUES = 2_000_000


@dataclass(frozen=True)
class AucEstimate:
    """ROC AUC (P(real) of a real face above that of a fake) with its interval and counts.

    ``auc``, ``ci_low`` and ``ci_high`` are NaN when one class is missing; ``reason`` then says why.
    """

    auc: float
    ci_low: float
    ci_high: float
    n_real: int
    n_fake: int
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: NaN becomes ``None``."""
        return {k: json_float(v) for k, v in dataclasses.asdict(self).items()}


def auc_interval(
    labels: Any, scores: Any, *, confidence: float = 0.95, n_resamples: int = N_RESAMPLES, seed: int = 0
) -> AucEstimate:
    """ROC AUC of ``scores`` for ``labels`` with a stratified bootstrap interval.

    Parameters
    ----------
    labels : array-like of int, shape (n,)
        1 real, 0 fake.
    scores : array-like of float, shape (n,)
        P(real), in [0, 1].
    confidence : float, default 0.95
        Level of the interval.
    n_resamples : int, default :data:`N_RESAMPLES`
    seed : int, default 0
        Seeds the resampling.

    Returns
    -------
    AucEstimate
        NaN with ``reason`` when the labels hold one class only.

    Raises
    ------
    MetricsError
        If the inputs are invalid (see :func:`core.evaluation.checks.check_labels_scores`).

    Examples
    --------
    >>> a = auc_interval([1, 1, 0, 0], [0.9, 0.4, 0.5, 0.1])
    >>> a.auc, a.n_real, a.n_fake
    (0.75, 2, 2)
    >>> auc_interval([1, 1], [0.9, 0.4]).reason
    'only real images: ROC AUC needs both real and fake images'
    """
    y, s = check_labels_scores(labels, scores)
    reals, fakes = s[y == REAL], s[y == FAKE]
    present = only_class(y)
    if present is not None:
        reason = ONE_CLASS_REASON.format(present=present, metric="ROC AUC")
        return AucEstimate(math.nan, math.nan, math.nan, len(reals), len(fakes), reason)
    from scipy import stats  # costs ~0.6 s to import: only when an AUC is asked for

    result = stats.bootstrap(
        (reals, fakes),
        _auc,
        n_resamples=n_resamples,
        confidence_level=confidence,
        method="percentile",
        vectorized=True,
        random_state=np.random.default_rng(seed),
        batch=_resample_batch(len(y), n_resamples),
    )
    low, high = result.confidence_interval
    return AucEstimate(float(_auc(reals, fakes)), float(low), float(high), len(reals), len(fakes))


def _resample_batch(n: int, n_resamples: int) -> int | None:
    """Resamples per batch so each holds at most :data:`RESAMPLED_VALUES` scores; None: all at once.

    Examples
    --------
    >>> _resample_batch(1289, 1000) is None, _resample_batch(6000, 1000), _resample_batch(10**7, 1000)
    (True, 333, 1)
    """
    batch = max(1, RESAMPLED_VALUES // max(n, 1))
    return None if batch >= n_resamples else batch


def _auc(reals: np.ndarray, fakes: np.ndarray, axis: int = -1) -> np.ndarray:
    from scipy import stats

    u = stats.mannwhitneyu(reals, fakes, axis=axis).statistic
    return u / (reals.shape[axis] * fakes.shape[axis])
