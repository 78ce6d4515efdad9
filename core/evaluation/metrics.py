"""How well a detector tells real faces from generated ones, at a threshold and across all of them.

Curves and choosing a threshold (ROC and precision-recall points, the threshold with the
lowest cost) live in :mod:`core.evaluation.thresholds`.

Positive class is *real* (1), as in :mod:`core.labels`; an image is called real when its
score P(real) is strictly above the threshold. So a false positive is a fake passed as
real and a false negative is a real face flagged as fake.

Counts come from scikit-learn and intervals from scipy (:mod:`core.evaluation.rates`); inputs are
checked by :mod:`core.evaluation.checks`. The metrics derived from the
four counts (precision, recall, MCC, ...) are their textbook definitions evaluated on
those counts, because calling one scikit-learn function per metric re-validates the
inputs each time and costs milliseconds on every slider move; ``tests/unit/test_properties.py``
checks them against scikit-learn. Metrics that do not depend on the threshold (ROC AUC,
average precision, EER) are computed once per set of scores and cached.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from core.evaluation.checks import check_labels_scores, check_threshold, only_class
from core.evaluation.rates import Rate, json_float
from core.labels import CLASS_NAMES, DEFAULT_THRESHOLD, FAKE, REAL

#: Why a metric is NaN, in words shown beside it.
ONE_CLASS_REASON = "only {present} images: {metric} needs both real and fake images"
NO_CALLED_REAL_REASON = "no image was called real at this threshold, so precision has nothing to count"
NO_REALS_REASON = "there are no real images, so {metric} has nothing to count"
NO_FAKES_REASON = "there are no fake images, so {metric} has nothing to count"
F1_REASON = "there are no real images and none was called real, so F1 has nothing to count"
MCC_REASON = "MCC needs both classes among the actual labels and among the calls"


def _sk() -> Any:
    """scikit-learn's metrics, imported on first use: it costs about a second, which pages
    that only show stored results (the first page a visitor sees) should not pay."""
    import sklearn.metrics

    return sklearn.metrics


@dataclass(frozen=True)
class ThresholdFreeMetrics:
    """Metrics over all thresholds: NaN, with the reason in ``undefined``, when one class is missing.

    ``eer`` is the equal error rate: the mean of the share of fakes passed as real and the
    share of reals flagged as fake at the ROC point where they are closest. ``eer_threshold``
    reaches that point under this app's rule (score > threshold is called real).
    """

    roc_auc: float
    average_precision: float
    eer: float
    eer_threshold: float
    undefined: dict[str, str]


def threshold_free_metrics(labels: Any, scores: Any) -> ThresholdFreeMetrics:
    """ROC AUC, average precision and equal error rate (cached by the values of the inputs).

    Parameters
    ----------
    labels : array-like of int, shape (n,)
        1 real, 0 fake.
    scores : array-like of float, shape (n,)
        P(real), in [0, 1].

    Returns
    -------
    ThresholdFreeMetrics

    Raises
    ------
    MetricsError
        If the inputs are invalid (see :func:`check_labels_scores`).
    """
    y, s = check_labels_scores(labels, scores)
    cached = _threshold_free(y.tobytes(), s.tobytes())
    return dataclasses.replace(cached, undefined=dict(cached.undefined))


@lru_cache(maxsize=32)
def _threshold_free(label_bytes: bytes, score_bytes: bytes) -> ThresholdFreeMetrics:
    y = np.frombuffer(label_bytes, dtype=np.int8)
    s = np.frombuffer(score_bytes, dtype=np.float64)
    present = only_class(y)
    if present is not None:
        names = {"roc_auc": "ROC AUC", "average_precision": "average precision", "eer": "EER"}
        names["eer_threshold"] = names["eer"]
        undefined = {k: ONE_CLASS_REASON.format(present=present, metric=v) for k, v in names.items()}
        return ThresholdFreeMetrics(math.nan, math.nan, math.nan, math.nan, undefined)
    fpr, tpr, thresholds = _sk().roc_curve(y, s, drop_intermediate=False)
    fnr = 1 - tpr
    best = int(np.argmin(np.abs(fnr - fpr)))
    return ThresholdFreeMetrics(
        roc_auc=float(_sk().roc_auc_score(y, s)),
        average_precision=float(_sk().average_precision_score(y, s)),
        eer=float((fpr[best] + fnr[best]) / 2),
        eer_threshold=float(strict_thresholds(thresholds, s.min())[best]),
        undefined={},
    )


@dataclass(frozen=True)
class ThresholdMetrics:
    """Everything measured at one threshold; NaN metrics carry their reason in ``undefined``.

    Confusion counts treat real as positive: ``fp`` fakes passed as real, ``fn`` reals
    flagged as fake. ``flagged_fake_rate`` is ``fn`` of the real images and
    ``passed_real_rate`` is ``fp`` of the fakes.
    """

    n: int
    n_real: int
    n_fake: int
    threshold: float
    tp: int
    fp: int
    tn: int
    fn: int
    accuracy: Rate
    precision: float
    recall: float
    specificity: float
    f1: float
    balanced_accuracy: float
    mcc: float
    flagged_fake_rate: Rate
    passed_real_rate: Rate
    roc_auc: float
    average_precision: float
    eer: float
    eer_threshold: float
    majority_baseline: Rate
    undefined: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary: NaN becomes ``None``, intervals are ``[low, high]`` lists."""
        out: dict[str, Any] = {"n": self.n, "n_real": self.n_real, "n_fake": self.n_fake}
        out["threshold"] = self.threshold
        out["confusion"] = {"tp": self.tp, "fp": self.fp, "tn": self.tn, "fn": self.fn}
        out["correct"] = self.accuracy.count
        for name in ("accuracy", "flagged_fake_rate", "passed_real_rate", "majority_baseline"):
            rate: Rate = getattr(self, name)
            out[name] = json_float(rate.rate)
            out[name.removesuffix("_rate") + "_ci"] = [json_float(rate.ci_low), json_float(rate.ci_high)]
        out["flagged_fake"], out["passed_real"] = self.fn, self.fp
        for name in ("precision", "recall", "specificity", "f1", "balanced_accuracy", "mcc"):
            out[name] = json_float(getattr(self, name))
        for name in ("roc_auc", "average_precision", "eer", "eer_threshold"):
            out[name] = json_float(getattr(self, name))
        out["undefined"] = dict(self.undefined)
        return out


def threshold_metrics(labels: Any, scores: Any, *, threshold: float = DEFAULT_THRESHOLD) -> ThresholdMetrics:
    """All metrics at ``threshold``: confusion counts, rates with Wilson intervals, AUC and EER.

    Parameters
    ----------
    labels : array-like of int, shape (n,)
        1 real, 0 fake.
    scores : array-like of float, shape (n,)
        P(real), in [0, 1]; called real when ``score > threshold``.
    threshold : float, default 0.75
        In [0, 1].

    Returns
    -------
    ThresholdMetrics
        A metric that is undefined for these inputs (e.g. specificity without fakes) is
        NaN, never a warning or an error, and ``undefined`` says why.

    Raises
    ------
    MetricsError
        If the inputs are invalid (see :func:`check_labels_scores`) or ``threshold`` is
        outside [0, 1].
    """
    y, s = check_labels_scores(labels, scores)
    threshold = check_threshold(threshold)
    free = threshold_free_metrics(y, s)
    tn, fp, fn, tp = (int(v) for v in _sk().confusion_matrix(y, s > threshold, labels=[FAKE, REAL]).ravel())
    n, n_real, n_fake = len(y), tp + fn, tn + fp
    undefined = dict(free.undefined)
    precision = _ratio(tp, tp + fp, "precision", NO_CALLED_REAL_REASON, undefined)
    recall = _ratio(tp, n_real, "recall", NO_REALS_REASON.format(metric="recall"), undefined)
    specificity = _ratio(tn, n_fake, "specificity", NO_FAKES_REASON.format(metric="specificity"), undefined)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn, "f1", F1_REASON, undefined)
    balanced = (recall + specificity) / 2
    if math.isnan(balanced):
        present = CLASS_NAMES[REAL] if n_real else CLASS_NAMES[FAKE]
        undefined["balanced_accuracy"] = ONE_CLASS_REASON.format(present=present, metric="balanced accuracy")
    # Python ints: the product of four counts overflows int64 from about 55,000 images.
    denominator = (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)
    mcc = _ratio(tp * tn - fp * fn, math.sqrt(denominator), "mcc", MCC_REASON, undefined)
    flagged = Rate.from_counts(fn, n_real)
    passed = Rate.from_counts(fp, n_fake)
    if not n_real:
        undefined["flagged_fake_rate"] = NO_REALS_REASON.format(metric="the share of reals flagged as fake")
    if not n_fake:
        undefined["passed_real_rate"] = NO_FAKES_REASON.format(metric="the share of fakes passed as real")
    return ThresholdMetrics(
        n=n,
        n_real=n_real,
        n_fake=n_fake,
        threshold=threshold,
        tp=tp,
        fp=fp,
        tn=tn,
        fn=fn,
        accuracy=Rate.from_counts(tp + tn, n),
        precision=precision,
        recall=recall,
        specificity=specificity,
        f1=f1,
        balanced_accuracy=balanced,
        mcc=mcc,
        flagged_fake_rate=flagged,
        passed_real_rate=passed,
        roc_auc=free.roc_auc,
        average_precision=free.average_precision,
        eer=free.eer,
        eer_threshold=free.eer_threshold,
        majority_baseline=Rate.from_counts(max(n_real, n_fake), n),
        undefined=undefined,
    )


def strict_thresholds(sklearn_thresholds: np.ndarray, min_score: float) -> np.ndarray:
    """Map ``roc_curve`` thresholds (score >= t, from ``drop_intermediate=False``) to score > t.

    Point i calls real the scores at or above the i-th distinct score, which is the same as
    the scores above the next lower distinct score, i.e. ``thresholds[i + 1]``. The last
    point (everything called real) gets 0, or NaN when ``min_score`` is 0: no threshold in
    [0, 1] calls a score of exactly 0 real.

    Parameters
    ----------
    sklearn_thresholds : ndarray, shape (k,)
        From :func:`sklearn.metrics.roc_curve`, descending.
    min_score : float
        The lowest score.

    Returns
    -------
    ndarray, shape (k,)
    """
    return np.r_[sklearn_thresholds[1:], 0.0 if min_score > 0 else math.nan]


def _ratio(num: float, den: float, name: str, reason: str, undefined: dict[str, str]) -> float:
    if den == 0:
        undefined[name] = reason
        return math.nan
    return num / den
