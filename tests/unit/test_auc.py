"""ROC AUC with a bootstrap interval: exact AUC, sensible interval, NaN with the reason for one class."""

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from support.factories import HAND_LABELS, HAND_SCORES

from core.evaluation.auc import auc_interval
from core.evaluation.metrics import ONE_CLASS_REASON


def test_auc_of_the_hand_example():
    # Reals 0.35 and 0.8 against fakes 0.1 and 0.4: 3 of the 4 pairs are ordered right.
    a = auc_interval(HAND_LABELS, HAND_SCORES)
    assert a.auc == 0.75
    assert (a.n_real, a.n_fake, a.reason) == (2, 2, "")
    assert 0 <= a.ci_low <= a.auc <= a.ci_high <= 1


def test_auc_matches_scikit_learn_with_ties_and_interval_narrows_with_n():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    scores = np.round(np.clip(rng.normal(0.4 + 0.2 * labels, 0.2), 0, 1), 1)  # many ties
    big, small = auc_interval(labels, scores), auc_interval(labels[:60], scores[:60])
    assert big.auc == pytest.approx(roc_auc_score(labels, scores))
    assert big.ci_low < big.auc < big.ci_high
    assert big.ci_high - big.ci_low < small.ci_high - small.ci_low


def test_auc_interval_is_seeded():
    assert auc_interval(HAND_LABELS, HAND_SCORES) == auc_interval(HAND_LABELS, HAND_SCORES)


def test_perfect_separation_gives_a_point_interval():
    a = auc_interval([1, 1, 0, 0], [0.9, 0.8, 0.2, 0.1])
    assert (a.auc, a.ci_low, a.ci_high) == (1.0, 1.0, 1.0)


@pytest.mark.parametrize(("labels", "present"), [([1, 1, 1], "real"), ([0, 0], "fake")])
def test_one_class_is_nan_with_the_reason(labels, present):
    a = auc_interval(labels, [0.5] * len(labels))
    assert math.isnan(a.auc) and math.isnan(a.ci_low) and math.isnan(a.ci_high)
    assert a.reason == ONE_CLASS_REASON.format(present=present, metric="ROC AUC")
    assert a.to_dict()["auc"] is None
