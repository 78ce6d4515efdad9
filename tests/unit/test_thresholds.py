"""Tests for core.evaluation.thresholds: curve points and choosing a threshold, on hand-checkable inputs."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from support.factories import HAND_LABELS, HAND_SCORES, raises_metrics_error

from core.errors import (
    COSTS_ALL_ZERO,
    CURVE_NEEDS_BOTH,
    FLAG_RATE_UNREACHABLE,
    NO_REAL_IMAGES,
    OUT_OF_RANGE,
)
from core.evaluation.metrics import threshold_metrics
from core.evaluation.thresholds import cost_threshold, pr_points, roc_points, threshold_for_flag_rate

# --- curves -----------------------------------------------------------------------


def test_roc_points_hand_example() -> None:
    expected = pd.DataFrame(
        {
            "fpr": [0.0, 0.0, 0.5, 0.5, 1.0],
            "tpr": [0.0, 0.5, 0.5, 1.0, 1.0],
            "threshold": [0.8, 0.4, 0.35, 0.1, 0.0],
        }
    )
    pd.testing.assert_frame_equal(roc_points(HAND_LABELS, HAND_SCORES), expected)


def test_roc_points_thresholds_reproduce_each_point() -> None:
    points = roc_points(HAND_LABELS, HAND_SCORES)
    for row in points.itertuples():
        m = threshold_metrics(HAND_LABELS, HAND_SCORES, threshold=row.threshold)
        assert (m.passed_real_rate.rate, m.recall) == (row.fpr, row.tpr)


def test_roc_points_zero_score_has_no_threshold_calling_it_real() -> None:
    points = roc_points([0, 1], [0.0, 1.0])
    assert math.isnan(points["threshold"].iloc[-1])
    assert list(points["threshold"].iloc[:-1]) == [1.0, 0.0]


def test_pr_points_hand_example() -> None:
    expected = pd.DataFrame(
        {
            "recall": [1.0, 1.0, 0.5, 0.5, 0.0],
            "precision": [0.5, 2 / 3, 0.5, 1.0, 1.0],
            "threshold": [0.0, 0.1, 0.35, 0.4, 0.8],
        }
    )
    pd.testing.assert_frame_equal(pr_points(HAND_LABELS, HAND_SCORES), expected)


def test_pr_points_thresholds_reproduce_each_point() -> None:
    points = pr_points(HAND_LABELS, HAND_SCORES)
    # The last row is scikit-learn's (recall 0, precision 1) end point, where nothing is called real.
    for row in points.iloc[:-1].itertuples():
        m = threshold_metrics(HAND_LABELS, HAND_SCORES, threshold=row.threshold)
        assert (m.recall, m.precision) == pytest.approx((row.recall, row.precision))


@pytest.mark.parametrize(
    ("function", "curve", "labels", "present"),
    [
        (roc_points, "ROC", [1, 1], "real"),
        (roc_points, "ROC", [0, 0], "fake"),
        (pr_points, "precision-recall", [1, 1], "real"),
    ],
)
def test_curve_points_need_both_classes(function, curve: str, labels: list[int], present: str) -> None:
    with raises_metrics_error(CURVE_NEEDS_BOTH.format(curve=curve, present=present)):
        function(labels, [0.2, 0.6])


# --- cost_threshold ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("cost_fake_passed", "cost_real_flagged", "expected"),
    [
        # Candidates 0, 0.1, 0.35, 0.4, 0.8, 1 make 2, 1, 2, 1, 2, 2 mistakes: 0.1 and 0.4
        # tie, and 0.4 is closer to 0.75.
        (1.0, 1.0, 0.4),
        (3.0, 1.0, 0.4),
        # Flagging a real costs 3: at 0.1 one fake passes (cost 1), at 0.4 one real is flagged (3).
        (1.0, 3.0, 0.1),
        (0.0, 1.0, 0.1),
        # Only passed fakes cost: 0.4, 0.8 and 1 pass none, and 0.8 is closest to 0.75.
        (1.0, 0.0, 0.8),
    ],
)
def test_cost_threshold_hand_example(
    cost_fake_passed: float, cost_real_flagged: float, expected: float
) -> None:
    found = cost_threshold(
        HAND_LABELS, HAND_SCORES, cost_fake_passed=cost_fake_passed, cost_real_flagged=cost_real_flagged
    )
    assert found == expected


def test_cost_threshold_equal_distance_tie_goes_higher() -> None:
    # 0.7, 0.8 and 1 each cost one mistake; 0.7 and 0.8 are both 0.05 from 0.75.
    assert cost_threshold([0, 1, 0], [0.7, 0.8, 0.8]) == 0.8


def test_cost_threshold_only_real_images() -> None:
    assert cost_threshold([1, 1], [0.3, 0.6]) == 0.0


@pytest.mark.parametrize(
    ("costs", "message"),
    [
        (
            {"cost_fake_passed": -1.0},
            OUT_OF_RANGE.format(name="cost_fake_passed", low=0, high="infinity", value=-1.0),
        ),
        (
            {"cost_real_flagged": math.inf},
            OUT_OF_RANGE.format(name="cost_real_flagged", low=0, high="infinity", value=math.inf),
        ),
        ({"cost_fake_passed": 0.0, "cost_real_flagged": 0.0}, COSTS_ALL_ZERO),
    ],
)
def test_cost_threshold_rejects_bad_costs(costs: dict[str, float], message: str) -> None:
    with raises_metrics_error(message):
        cost_threshold(HAND_LABELS, HAND_SCORES, **costs)


# --- threshold_for_flag_rate ------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (0.0, 0.1),  # 0.1 is the highest candidate below the lowest real (0.35)
        (0.49, 0.1),
        (0.5, 0.4),  # flags the real 0.35 only: 1 of 2
        (0.99, 0.4),
        (1.0, 1.0),
    ],
)
def test_threshold_for_flag_rate_hand_example(target: float, expected: float) -> None:
    assert threshold_for_flag_rate(HAND_LABELS, HAND_SCORES, target=target) == expected


def test_threshold_for_flag_rate_only_real_images() -> None:
    # One of four may be flagged: 0.2 flags one, 0.4 would flag two.
    assert threshold_for_flag_rate([1, 1, 1, 1], [0.2, 0.4, 0.6, 0.8], target=0.25) == 0.2


def test_threshold_for_flag_rate_result_meets_the_target() -> None:
    labels, scores = [1] * 20, [i / 20 for i in range(1, 21)]
    threshold = threshold_for_flag_rate(labels, scores, target=0.15)
    assert threshold == 0.15
    assert threshold_metrics(labels, scores, threshold=threshold).flagged_fake_rate.rate == 0.15


@pytest.mark.parametrize(
    ("labels", "scores", "target", "message"),
    [
        ([1, 1], [0.0, 0.5], 0.0, FLAG_RATE_UNREACHABLE.format(target=0.0, n_zero=1)),
        ([0, 0], [0.2, 0.5], 0.1, NO_REAL_IMAGES),
        ([1, 0], [0.2, 0.5], 1.5, OUT_OF_RANGE.format(name="target", low=0, high=1, value=1.5)),
        ([1, 0], [0.2, 0.5], -0.1, OUT_OF_RANGE.format(name="target", low=0, high=1, value=-0.1)),
    ],
)
def test_threshold_for_flag_rate_rejects(labels: list, scores: list, target: float, message: str) -> None:
    with raises_metrics_error(message):
        threshold_for_flag_rate(labels, scores, target=target)
