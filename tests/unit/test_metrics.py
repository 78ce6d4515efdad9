"""Tests for core.evaluation.metrics: tiny hand-checkable inputs with exact expected values."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from support.factories import HAND_LABELS, HAND_SCORES, raises_metrics_error

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
from core.evaluation.checks import only_class
from core.evaluation.metrics import (
    F1_REASON,
    MCC_REASON,
    NO_CALLED_REAL_REASON,
    NO_FAKES_REASON,
    NO_REALS_REASON,
    ONE_CLASS_REASON,
    strict_thresholds,
    threshold_free_metrics,
    threshold_metrics,
)
from core.evaluation.rates import Rate, wilson_interval
from core.labels import PAPER

# --- wilson_interval and Rate -----------------------------------------------------


@pytest.mark.parametrize(
    ("count", "n", "low", "high"),
    [
        # 0 of n: low is 0, high is z^2 / (n + z^2) = 3.8415 / 13.8415.
        (0, 10, 0.0, 0.277533),
        (10, 10, 0.722467, 1.0),
        (5, 10, 0.236593, 0.763407),
        (1, 2, 0.094531, 0.905469),
        (319, 323, 0.968596, 0.995174),
    ],
)
def test_wilson_interval_known_values(count: int, n: int, low: float, high: float) -> None:
    assert wilson_interval(count, n) == pytest.approx((low, high), abs=1e-6)


def test_wilson_interval_empty_is_nan() -> None:
    low, high = wilson_interval(0, 0)
    assert math.isnan(low) and math.isnan(high)


def test_wilson_interval_wider_at_higher_confidence() -> None:
    low95, high95 = wilson_interval(5, 10)
    low99, high99 = wilson_interval(5, 10, confidence=0.99)
    assert low99 < low95 and high99 > high95


@pytest.mark.parametrize(
    ("count", "n", "confidence", "message"),
    [
        (11, 10, 0.95, OUT_OF_RANGE.format(name="count", low=0, high=10, value=11)),
        (-1, 10, 0.95, OUT_OF_RANGE.format(name="count", low=0, high=10, value=-1)),
        (1, 10, 1.0, OUT_OF_RANGE.format(name="confidence", low=0, high=1, value=1.0)),
        (1, 10, 0.0, OUT_OF_RANGE.format(name="confidence", low=0, high=1, value=0.0)),
    ],
)
def test_wilson_interval_rejects_bad_input(count: int, n: int, confidence: float, message: str) -> None:
    with raises_metrics_error(message):
        wilson_interval(count, n, confidence=confidence)


def test_rate_from_counts_values() -> None:
    rate = Rate.from_counts(1, 2)
    assert (rate.count, rate.n, rate.rate) == (1, 2, 0.5)
    assert (rate.ci_low, rate.ci_high) == pytest.approx((0.094531, 0.905469), abs=1e-6)


def test_rate_to_dict_nan_is_none() -> None:
    assert Rate.from_counts(0, 0).to_dict() == {
        "count": 0,
        "n": 0,
        "rate": None,
        "ci_low": None,
        "ci_high": None,
    }


# --- threshold_metrics ------------------------------------------------------------


def test_threshold_metrics_hand_example() -> None:
    m = threshold_metrics(HAND_LABELS, HAND_SCORES)
    assert (m.n, m.n_real, m.n_fake, m.threshold) == (4, 2, 2, 0.75)
    assert (m.tp, m.fp, m.tn, m.fn) == (1, 0, 2, 1)
    assert (m.accuracy.count, m.accuracy.n, m.accuracy.rate) == (3, 4, 0.75)
    assert (m.precision, m.recall, m.specificity) == (1.0, 0.5, 1.0)
    assert m.f1 == pytest.approx(2 / 3)
    assert m.balanced_accuracy == 0.75
    # (1*2 - 0*1) / sqrt(1 * 2 * 2 * 3)
    assert m.mcc == pytest.approx(2 / math.sqrt(12))
    assert (m.flagged_fake_rate.count, m.flagged_fake_rate.n, m.flagged_fake_rate.rate) == (1, 2, 0.5)
    assert (m.passed_real_rate.count, m.passed_real_rate.n, m.passed_real_rate.rate) == (0, 2, 0.0)
    assert (m.majority_baseline.count, m.majority_baseline.rate) == (2, 0.5)
    # AUC: the real 0.8 beats both fakes, the real 0.35 beats one: 3 of 4 pairs.
    assert m.roc_auc == 0.75
    assert m.average_precision == pytest.approx(0.5 * 2 / 3 + 0.5 * 1.0)
    assert (m.eer, m.eer_threshold) == (0.5, 0.35)
    assert m.undefined == {}


@pytest.mark.parametrize(
    ("threshold", "confusion"),
    [
        (0.0, (2, 2, 0, 0)),
        (0.1, (2, 1, 1, 0)),
        (0.35, (1, 1, 1, 1)),
        (0.4, (1, 0, 2, 1)),
        (0.8, (0, 0, 2, 2)),
        (1.0, (0, 0, 2, 2)),
    ],
)
def test_threshold_metrics_confusion_per_threshold(threshold: float, confusion: tuple[int, ...]) -> None:
    m = threshold_metrics(HAND_LABELS, HAND_SCORES, threshold=threshold)
    assert (m.tp, m.fp, m.tn, m.fn) == confusion


def test_threshold_metrics_score_equal_to_threshold_is_called_fake() -> None:
    m = threshold_metrics([1, 0], [0.75, 0.75], threshold=0.75)
    assert (m.tp, m.fp, m.tn, m.fn) == (0, 0, 1, 1)


def test_threshold_metrics_only_real_images() -> None:
    m = threshold_metrics([1, 1, 1], [0.2, 0.8, 0.9])
    assert (m.tp, m.fn, m.n_fake) == (2, 1, 0)
    assert m.flagged_fake_rate.rate == pytest.approx(1 / 3)
    assert m.f1 == pytest.approx(0.8)
    for name in ("specificity", "balanced_accuracy", "mcc", "roc_auc", "average_precision", "eer"):
        assert math.isnan(getattr(m, name)), name
    assert math.isnan(m.passed_real_rate.rate)
    assert m.undefined == {
        "roc_auc": ONE_CLASS_REASON.format(present="real", metric="ROC AUC"),
        "average_precision": ONE_CLASS_REASON.format(present="real", metric="average precision"),
        "eer": ONE_CLASS_REASON.format(present="real", metric="EER"),
        "eer_threshold": ONE_CLASS_REASON.format(present="real", metric="EER"),
        "specificity": NO_FAKES_REASON.format(metric="specificity"),
        "balanced_accuracy": ONE_CLASS_REASON.format(present="real", metric="balanced accuracy"),
        "mcc": MCC_REASON,
        "passed_real_rate": NO_FAKES_REASON.format(metric="the share of fakes passed as real"),
    }
    assert m.undefined["roc_auc"] == "only real images: ROC AUC needs both real and fake images"


def test_threshold_metrics_only_fake_images_none_called_real() -> None:
    m = threshold_metrics([0, 0], [0.1, 0.2])
    assert (m.tn, m.fp, m.specificity) == (2, 0, 1.0)
    for name in ("precision", "recall", "f1", "balanced_accuracy", "mcc"):
        assert math.isnan(getattr(m, name)), name
    assert m.undefined["precision"] == NO_CALLED_REAL_REASON
    assert m.undefined["recall"] == NO_REALS_REASON.format(metric="recall")
    assert m.undefined["f1"] == F1_REASON
    assert m.undefined["flagged_fake_rate"] == NO_REALS_REASON.format(
        metric="the share of reals flagged as fake"
    )


def test_threshold_metrics_nothing_called_real_gives_f1_zero() -> None:
    m = threshold_metrics([1, 0], [0.3, 0.2])
    assert math.isnan(m.precision)
    assert (m.recall, m.f1) == (0.0, 0.0)
    assert math.isnan(m.mcc)


@pytest.mark.parametrize(("labels", "scores"), [([1, 1], [0.2, 0.9]), ([0, 0], [0.2, 0.9]), ([1], [0.5])])
def test_threshold_metrics_one_class_emits_no_warning(labels: list[int], scores: list[float]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        threshold_metrics(labels, scores)


def test_threshold_metrics_majority_baseline() -> None:
    m = threshold_metrics([1, 0, 0, 0, 0], [0.9, 0.1, 0.1, 0.1, 0.9])
    assert (m.majority_baseline.count, m.majority_baseline.n, m.majority_baseline.rate) == (4, 5, 0.8)


def test_threshold_metrics_paper_counts() -> None:
    # 319 of 323 right, as the paper reports; the 4 mistakes are 2 of each kind.
    labels = np.r_[np.ones(150), np.zeros(173)]
    scores = np.r_[np.full(148, 0.9), [0.5, 0.5], np.full(171, 0.1), [0.9, 0.9]]
    m = threshold_metrics(labels, scores)
    assert (m.accuracy.count, m.accuracy.rate) == (319, PAPER["val_accuracy_from_counts"])
    assert (m.fn, m.fp) == (2, 2)


def test_threshold_metrics_accepts_column_vector_and_series() -> None:
    m = threshold_metrics(pd.Series(HAND_LABELS, index=[7, 8, 9, 10]), np.array(HAND_SCORES).reshape(-1, 1))
    assert (m.tp, m.fp, m.tn, m.fn) == (1, 0, 2, 1)


def test_threshold_metrics_to_dict_is_json() -> None:
    d = threshold_metrics(HAND_LABELS, HAND_SCORES).to_dict()
    assert d["confusion"] == {"tp": 1, "fp": 0, "tn": 2, "fn": 1}
    assert (d["n"], d["correct"], d["accuracy"]) == (4, 3, 0.75)
    assert d["accuracy_ci"] == pytest.approx([0.300642, 0.954413], abs=1e-6)
    assert (d["flagged_fake"], d["flagged_fake_rate"], d["passed_real"], d["passed_real_rate"]) == (
        1,
        0.5,
        0,
        0,
    )
    assert (d["roc_auc"], d["eer"], d["eer_threshold"]) == (0.75, 0.5, 0.35)
    assert json.loads(json.dumps(d, allow_nan=False)) == d


def test_threshold_metrics_to_dict_nan_is_none() -> None:
    d = threshold_metrics([1, 1], [0.2, 0.9]).to_dict()
    assert (d["specificity"], d["roc_auc"], d["passed_real_rate"]) == (None, None, None)
    assert d["passed_real_ci"] == [None, None]
    json.dumps(d, allow_nan=False)


@pytest.mark.parametrize(
    ("labels", "scores", "message"),
    [
        ([0, 1], [0.5], LENGTHS_DIFFER.format(n_labels=2, n_scores=1)),
        ([], [], NO_IMAGES),
        ([0, 2], [0.1, 0.2], BAD_LABELS.format(values="2")),
        ([0, 2, 2, -1], [0.1, 0.2, 0.3, 0.4], BAD_LABELS.format(values="2, -1")),
        (["real", "fake"], [0.1, 0.2], BAD_LABELS.format(values="'real', 'fake'")),
        ([0, 1], [0.1, math.nan], SCORES_MISSING.format(n=1)),
        ([0, 1], [0.1, 1.5], SCORES_OUT_OF_RANGE.format(low=0.1, high=1.5)),
        ([0, 1], [-2.0, 0.5], SCORES_OUT_OF_RANGE.format(low=-2.0, high=0.5)),
        ([[0, 1], [1, 0]], [0.1, 0.2], NOT_FLAT.format(what="labels", shape=(2, 2))),
    ],
)
def test_threshold_metrics_rejects_bad_input(labels: list, scores: list, message: str) -> None:
    with raises_metrics_error(message):
        threshold_metrics(labels, scores)


@pytest.mark.parametrize("threshold", [-0.1, 1.1, math.nan])
def test_threshold_metrics_rejects_bad_threshold(threshold: float) -> None:
    with raises_metrics_error(OUT_OF_RANGE.format(name="threshold", low=0, high=1, value=threshold)):
        threshold_metrics(HAND_LABELS, HAND_SCORES, threshold=threshold)


def test_threshold_metrics_error_is_an_unmask_error() -> None:
    with pytest.raises(UnmaskError):
        threshold_metrics([], [])


# --- threshold_free_metrics -------------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "scores", "expected"),
    [
        (HAND_LABELS, HAND_SCORES, (0.75, 5 / 6, 0.5, 0.35)),
        # Perfect separation: at 0.2 both reals are called real and both fakes fake.
        ([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], (1.0, 1.0, 0.0, 0.2)),
        # Reversed: at the EER point (0.2) every call is wrong. AP: the reals come third
        # and fourth, at precision 1/3 and 2/4, each adding half of the recall.
        ([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9], (0.0, 5 / 12, 1.0, 0.2)),
    ],
)
def test_threshold_free_metrics_values(labels: list, scores: list, expected: tuple[float, ...]) -> None:
    free = threshold_free_metrics(labels, scores)
    assert (free.roc_auc, free.average_precision, free.eer, free.eer_threshold) == pytest.approx(expected)


def test_threshold_free_metrics_eer_threshold_reproduces_the_point() -> None:
    scores = [0.05, 0.3, 0.45, 0.6, 0.2, 0.55, 0.7, 0.9]
    labels = [0, 0, 0, 0, 1, 1, 1, 1]
    free = threshold_free_metrics(labels, scores)
    m = threshold_metrics(labels, scores, threshold=free.eer_threshold)
    assert (m.passed_real_rate.rate + m.flagged_fake_rate.rate) / 2 == pytest.approx(free.eer)
    assert free.eer == 0.25


def test_threshold_free_metrics_returns_a_fresh_undefined_dict() -> None:
    first = threshold_free_metrics([1, 1], [0.1, 0.2])
    first.undefined.clear()
    assert "roc_auc" in threshold_free_metrics([1, 1], [0.1, 0.2]).undefined


# --- shared with core.evaluation.thresholds ----------------------------------------------------


@pytest.mark.parametrize(("labels", "expected"), [([1, 1], "real"), ([0], "fake"), ([0, 1], None)])
def test_only_class_cases(labels: list[int], expected: str | None) -> None:
    assert only_class(np.array(labels)) == expected


def test_strict_thresholds_shift_by_one_distinct_score() -> None:
    # roc_curve's thresholds for scores 0.8, 0.4, 0.1 (score >= t): inf, 0.8, 0.4, 0.1.
    shifted = strict_thresholds(np.array([np.inf, 0.8, 0.4, 0.1]), 0.1)
    assert list(shifted) == [0.8, 0.4, 0.1, 0.0]


def test_strict_thresholds_zero_score_has_none() -> None:
    assert math.isnan(strict_thresholds(np.array([np.inf, 0.5, 0.0]), 0.0)[-1])
