import math

import pytest

from core.evaluation.metrics import threshold_metrics
from core.evaluation.rates import Rate
from core.evaluation.report import (
    NO_INTERVAL,
    ci_text,
    metric_rows,
    paper_comparison,
    paper_comparison_table,
    pct,
    rate_text,
    stored_accuracy,
)
from core.labels import PAPER


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


TRAIN = {
    "dataset": "faces",
    "preset": "fast",
    "image_size": 64,
    "n_train": 3,
    "n_val": 2,
    "epochs": 10,
    "epochs_done": 10,
    "threshold": 0.75,
    "val_accuracy": 0.5,
    "val_correct": 1,
    "val_accuracy_ci": [0.0945, 0.9055],
    "val_auc": None,
    "majority_baseline": 0.5,
    "train_seconds": 1.25,
}
BIAS = {
    "groups": [
        {"group": "A", "flagged_fake_rate": 0.1, "flagged_fake": 1, "n_real": 10}
        | {"ci_low": 0.02, "ci_high": 0.4}
    ],
    "max_gap": 0.05,
}


def test_paper_comparison_rows_without_bias():
    frame = paper_comparison(TRAIN)
    assert list(frame.columns) == ["", "paper", "this run"]
    rows = dict(zip(frame[""], frame["this run"], strict=True))
    assert rows["validation accuracy at 0.75"] == "50.00% (1 of 2; 95% CI 9.45%–90.55%)"
    assert rows["ROC AUC"] == "n/a"
    assert rows["training time"] == "1.2 s"
    assert not any(name.startswith("real faces flagged") for name in frame[""])
    assert frame.loc[frame[""] == "data", "paper"].item() == PAPER["dataset"]


def test_paper_comparison_adds_a_row_per_group_and_the_gap():
    frame = paper_comparison(TRAIN, BIAS)
    rows = dict(zip(frame[""], frame["this run"], strict=True))
    assert rows["real faces flagged as fake: A"] == "10.0% (1 of 10; 95% CI 2.0%–40.0%)"
    assert rows["largest gap between groups"] == "5.0%"


def test_paper_comparison_table_is_the_same_rows_as_text():
    text = paper_comparison_table({"train": TRAIN, "bias": BIAS})
    lines = text.splitlines()
    assert len(lines) == 1 + len(paper_comparison(TRAIN, BIAS))
    assert lines[0].split() == ["paper", "this", "run"]
    assert "50.00% (1 of 2; 95% CI 9.45%–90.55%)" in text


def test_runs_table_is_few_humanized_columns_with_name_and_note(tmp_path) -> None:
    from pathlib import Path

    from core.evaluation.report import runs_table
    from core.runs.store import RunInfo

    config = {"preset": "fast", "image_size": 64, "batch_size": 32, "learning_rate": 0.003, "epochs": 35}
    config |= {"threshold": 0.75, "augment": True, "dataset": {"name": "demo"}}
    metrics = {"epochs_done": 2, "accuracy": 0.5, "correct": 1, "n": 2, "accuracy_ci": [0.09, 0.91]}
    named = RunInfo("r1", Path("r1"), "cancelled", config, metrics, meta={"name": "base", "note": "first"})
    broken = RunInfo("r2", Path("r2"), "incomplete", {}, {}, problem="missing model.keras")
    table = runs_table([named, broken])
    assert list(table.columns) == [
        "run",
        "status",
        "epochs",
        "data",
        "settings",
        "validation accuracy (correct/n; 95% CI)",
        "ROC AUC",
        "seconds",
        "note",
    ]
    first = table.iloc[0].to_dict()
    assert first["run"] == "base (r1)" and first["epochs"] == "2 of 35" and first["note"] == "first"
    assert first["settings"] == "fast 64 px · batch 32 · lr 0.003 · threshold 0.75 · augmented"
    assert table.iloc[1]["note"] == "missing model.keras"
    assert "None" not in table.to_string() and "nan" not in table.to_string()
