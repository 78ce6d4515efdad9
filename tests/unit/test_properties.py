"""Property tests: core.evaluation.metrics and core.evaluation.bias agree with scikit-learn
and fairlearn on random inputs."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    matthews_corrcoef,
    precision_score,
    recall_score,
    roc_auc_score,
)

from core.evaluation.bias import group_names, group_table
from core.evaluation.metrics import threshold_metrics
from core.evaluation.thresholds import cost_threshold, roc_points, threshold_for_flag_rate

# A coarse grid makes ties between scores and the threshold common, where off-by-one
# errors in "strictly above" hide.
SCORE = st.one_of(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), st.floats(0, 1))
THRESHOLD = st.one_of(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), st.floats(0, 1))
FEW = settings(max_examples=50, deadline=None)


@st.composite
def scored(draw: st.DrawFn, *, min_size: int = 1) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(min_size, 30))
    labels = np.array(draw(st.lists(st.sampled_from([0, 1]), min_size=n, max_size=n)))
    scores = np.array(draw(st.lists(SCORE, min_size=n, max_size=n)))
    return labels, scores


def _same(ours: float, theirs: float) -> bool:
    return (math.isnan(ours) and math.isnan(theirs)) or math.isclose(ours, theirs, abs_tol=1e-12)


@FEW
@given(data=scored(), threshold=THRESHOLD)
def test_threshold_metrics_agrees_with_sklearn(data: tuple[np.ndarray, np.ndarray], threshold: float) -> None:
    labels, scores = data
    called = (scores > threshold).astype(int)
    m = threshold_metrics(labels, scores, threshold=threshold)
    tn, fp, fn, tp = confusion_matrix(labels, called, labels=[0, 1]).ravel()
    assert (m.tp, m.fp, m.tn, m.fn) == (tp, fp, tn, fn)
    assert m.accuracy.rate == accuracy_score(labels, called)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn warns where our value is NaN with a reason
        assert _same(m.precision, precision_score(labels, called, zero_division=np.nan))
        assert _same(m.recall, recall_score(labels, called, zero_division=np.nan))
        assert _same(m.specificity, recall_score(labels, called, pos_label=0, zero_division=np.nan))
        assert _same(m.f1, f1_score(labels, called, zero_division=np.nan))
        if math.isnan(m.mcc):
            # scikit-learn reports 0 where MCC's denominator is 0.
            assert matthews_corrcoef(labels, called) == 0
        else:
            assert _same(m.mcc, matthews_corrcoef(labels, called))
        if m.n_real and m.n_fake:
            assert _same(m.balanced_accuracy, balanced_accuracy_score(labels, called))
            assert _same(m.roc_auc, roc_auc_score(labels, scores))
    assert set(m.undefined) == {k for k, v in _floats(m).items() if math.isnan(v)}


def _floats(m) -> dict[str, float]:
    names = ("precision", "recall", "specificity", "f1", "balanced_accuracy", "mcc", "roc_auc")
    values = {name: getattr(m, name) for name in names}
    values.update(average_precision=m.average_precision, eer=m.eer, eer_threshold=m.eer_threshold)
    values.update(flagged_fake_rate=m.flagged_fake_rate.rate, passed_real_rate=m.passed_real_rate.rate)
    return values


@FEW
@given(data=scored(), threshold=THRESHOLD)
def test_threshold_metrics_rates_lie_in_their_intervals(
    data: tuple[np.ndarray, np.ndarray], threshold: float
) -> None:
    m = threshold_metrics(*data, threshold=threshold)
    assert m.tp + m.fp + m.tn + m.fn == m.n
    for rate in (m.accuracy, m.flagged_fake_rate, m.passed_real_rate, m.majority_baseline):
        if rate.n:
            assert 0 <= rate.ci_low <= rate.rate <= rate.ci_high <= 1
        else:
            assert math.isnan(rate.rate)


@FEW
@given(data=scored(), threshold=THRESHOLD, group_codes=st.data())
def test_group_table_agrees_with_fairlearn(
    data: tuple[np.ndarray, np.ndarray], threshold: float, group_codes: st.DataObject
) -> None:
    labels, scores = data
    choices = st.sampled_from(["A", "B", "C", None])
    groups = pd.Series(group_codes.draw(st.lists(choices, min_size=len(labels), max_size=len(labels))))
    result = group_table(labels, scores, groups, threshold=threshold)
    table = result.table

    def share_flagged(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        reals = y_true == 1
        return float(np.mean(y_pred[reals] == 0)) if reals.any() else math.nan

    frame = MetricFrame(
        metrics=share_flagged,
        y_true=labels,
        y_pred=(scores > threshold).astype(int),
        sensitive_features=pd.Series(group_names(groups), name="group"),
    )
    expected = frame.by_group.reindex(table.index)
    assert all(_same(a, b) for a, b in zip(table["flagged_fake_rate"], expected, strict=True))
    assert table["n"].sum() == len(labels)
    assert (table["n_real"] + table["n_fake"] == table["n"]).all()
    assert table["flagged_fake"].sum() == threshold_metrics(labels, scores, threshold=threshold).fn
    rated = table[table["n_real"] > 0]
    assert ((rated["ci_low"] >= 0) & (rated["ci_low"] <= rated["flagged_fake_rate"])).all()
    assert ((rated["flagged_fake_rate"] <= rated["ci_high"]) & (rated["ci_high"] <= 1)).all()
    if len(rated) > 1:
        assert result.max_gap == rated["flagged_fake_rate"].max() - rated["flagged_fake_rate"].min()


@FEW
@given(data=scored())
def test_cost_threshold_is_never_beaten_by_a_score(data: tuple[np.ndarray, np.ndarray]) -> None:
    labels, scores = data
    best = threshold_metrics(labels, scores, threshold=cost_threshold(labels, scores))
    for threshold in np.unique(np.r_[scores, 0.0, 1.0]):
        m = threshold_metrics(labels, scores, threshold=threshold)
        assert best.fp + best.fn <= m.fp + m.fn


@FEW
@given(data=scored(), target=st.floats(0, 1))
def test_threshold_for_flag_rate_meets_target_and_is_highest(
    data: tuple[np.ndarray, np.ndarray], target: float
) -> None:
    labels, scores = data
    if labels.sum() == 0 or ((labels == 1) & (scores == 0)).sum() / labels.sum() > target:
        return  # these raise, and have their own tests
    threshold = threshold_for_flag_rate(labels, scores, target=target)
    assert threshold_metrics(labels, scores, threshold=threshold).flagged_fake_rate.rate <= target
    higher = [c for c in np.unique(np.r_[scores, 1.0]) if c > threshold]
    if higher:
        assert threshold_metrics(labels, scores, threshold=min(higher)).flagged_fake_rate.rate > target


@FEW
@given(data=scored(min_size=2))
def test_roc_points_thresholds_reproduce_each_point(data: tuple[np.ndarray, np.ndarray]) -> None:
    labels, scores = data
    if labels.min() == labels.max():
        return
    for row in roc_points(labels, scores).dropna().itertuples():
        m = threshold_metrics(labels, scores, threshold=row.threshold)
        assert (m.passed_real_rate.rate, m.recall) == (row.fpr, row.tpr)
