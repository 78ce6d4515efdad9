import math

import pytest

from core.evaluation.metrics import threshold_metrics
from core.evaluation.rates import Rate
from core.evaluation.report import NO_INTERVAL, ci_text, metric_rows, pct, rate_text, stored_accuracy


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [(0.973, 1, "97.3%"), (1.0, 2, "100.00%"), (None, 1, "n/a"), (math.nan, 1, "n/a"), (0, 0, "0%")],
)
def test_pct_cases(value, digits, expected):
    assert pct(value, digits) == expected


def test_ci_text_undefined_and_defined():
    assert ci_text(None, 0.5) == "n/a"
    assert ci_text(math.nan, math.nan) == "n/a"
    assert ci_text(0.931, 0.989) == "93.1%–98.9%"


def test_rate_text_shows_counts_and_interval():
    rate = Rate.from_counts(1, 2)
    assert rate_text(rate) == f"50.0% (1/2; 95% CI {pct(rate.ci_low)}–{pct(rate.ci_high)})"


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (
            {"accuracy": 0.5, "correct": 1, "n": 2, "accuracy_ci": [0.094531, 0.905469]},
            "50.0% (1/2; 95% CI 9.5%–90.5%)",
        ),
        ({"accuracy": 0.75, "correct": 3, "n": 4}, "75.0% (3/4; 95% CI n/a)"),  # an older run: no interval
        ({"accuracy": None, "n": 0}, "n/a"),
        ({}, "n/a"),
    ],
)
def test_stored_accuracy_cases(stored, expected):
    assert stored_accuracy(stored) == expected


def test_metric_rows_counts_n_and_reasons():
    # reals 0.9, 0.8 (called real at 0.75), 0.2 (flagged); fakes 0.1, 0.76 (passed as real)
    m = threshold_metrics([1, 1, 1, 0, 0], [0.9, 0.8, 0.2, 0.1, 0.76], threshold=0.75)
    rows = metric_rows(m).set_index("metric")
    assert rows.loc["accuracy", "count"] == "3/5"
    assert rows.loc["real faces flagged as fake", "count"] == "1/3"
    assert rows.loc["fakes passed as real", "count"] == "1/2"
    assert rows.loc["precision: called real that are real", "count"] == "2/3"
    assert rows.loc["specificity: fakes called fake", "value"] == "50.0%"
    assert rows.loc["F1", "95% CI"] == "—"
    assert rows.loc["F1", "note"] == NO_INTERVAL
    assert set(rows["n"]) >= {5, 3, 2}


def test_metric_rows_one_class_gives_reasons_not_crashes():
    rows = metric_rows(threshold_metrics([1, 1], [0.9, 0.1])).set_index("metric")
    assert rows.loc["specificity: fakes called fake", "value"] == "n/a"
    assert rows.loc["ROC AUC", "value"] == "n/a"
    assert rows.loc["ROC AUC", "note"] != NO_INTERVAL  # the reason it is undefined
