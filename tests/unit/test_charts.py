"""Tests for core.evaluation.charts: assert on the Vega-Lite spec (data, encodings, rules),
not only that it draws."""

from __future__ import annotations

import json
import re
from typing import Any

import altair as alt
import pandas as pd
import pytest

from core.errors import CHART_COLUMNS, HISTORY_COLUMNS, OUT_OF_RANGE
from core.evaluation.bias import count_by_group, group_table
from core.evaluation.charts import (
    CELL_SELECTION,
    ChartError,
    class_balance,
    confusion_heatmap,
    group_bars,
    group_counts,
    group_score_distributions,
    pr_chart,
    roc_chart,
    score_histogram,
    training_curves,
)
from core.evaluation.checks import MetricsError
from core.evaluation.metrics import threshold_metrics
from core.evaluation.thresholds import pr_points, roc_points

LABELS = [0, 0, 1, 1]
SCORES = [0.1, 0.4, 0.35, 0.8]
GROUP_LABELS = [1, 1, 1, 1, 0] + [1, 1, 1, 1, 0, 0]
GROUP_SCORES = [0.1, 0.2, 0.8, 0.9, 0.9] + [0.1, 0.8, 0.9, 0.95, 0.1, 0.2]
GROUPS = pd.Series(list("AAAAA") + list("BBBBBB"), name="race")


def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    spec = chart.to_dict()
    json.dumps(spec, allow_nan=False)  # what the browser gets must be valid JSON
    return spec


def _layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Each layer with its own data rows attached as ``values``."""
    datasets = spec.get("datasets", {})
    out = []
    for layer in spec["layer"]:
        name = layer.get("data", spec.get("data", {})).get("name")
        out.append({**layer, "values": datasets.get(name, [])})
    return out


def _mark(layer: dict[str, Any]) -> str:
    mark = layer["mark"]
    return mark if isinstance(mark, str) else mark["type"]


def _by_mark(spec: dict[str, Any], mark: str) -> list[dict[str, Any]]:
    return [layer for layer in _layers(spec) if _mark(layer) == mark]


# --- confusion_heatmap ------------------------------------------------------------


def test_confusion_heatmap_cells_show_count_and_row_share() -> None:
    spec = _spec(confusion_heatmap(threshold_metrics(LABELS, SCORES)))
    rect, text = _layers(spec)
    assert (_mark(rect), _mark(text)) == ("rect", "text")
    cells = {(v["actual"], v["called"]): v["label"] for v in rect["values"]}
    assert cells == {
        ("real", "real"): "1 (50.0%)",
        ("real", "fake"): "1 (50.0%)",
        ("fake", "real"): "0 (0.0%)",
        ("fake", "fake"): "2 (100.0%)",
    }
    assert rect["encoding"]["x"]["field"] == "called"
    assert rect["encoding"]["y"]["field"] == "actual"
    assert rect["encoding"]["y"]["sort"] == ["real", "fake"]
    assert rect["encoding"]["x"]["title"] == "called"  # the threshold is in the caption beside it
    assert text["encoding"]["text"]["field"] == "label"


def test_confusion_heatmap_row_without_images_shows_count_only() -> None:
    spec = _spec(confusion_heatmap(threshold_metrics([1, 1, 1], [0.2, 0.8, 0.9])))
    labels = {(v["actual"], v["called"]): v["label"] for v in _layers(spec)[0]["values"]}
    assert labels[("fake", "real")] == "0"
    assert labels[("real", "fake")] == "1 (33.3%)"


# --- roc_chart and pr_chart -------------------------------------------------------


def test_roc_chart_draws_curve_chance_line_and_current_point() -> None:
    spec = _spec(roc_chart(roc_points(LABELS, SCORES), current=(0.0, 0.5)))
    chance, curve, current = _layers(spec)
    assert [(v["fpr"], v["tpr"]) for v in chance["values"]] == [(0.0, 0.0), (1.0, 1.0)]
    assert chance["mark"]["strokeDash"] == [4, 4]
    assert [(v["fpr"], v["tpr"]) for v in curve["values"]] == [
        (0.0, 0.0),
        (0.0, 0.5),
        (0.5, 0.5),
        (0.5, 1.0),
        (1.0, 1.0),
    ]
    assert curve["encoding"]["order"]["field"] == "step"
    assert curve["encoding"]["x"]["title"] == "fakes passed as real (false positive rate)"
    assert _mark(current) == "point"
    assert (current["values"][0]["fpr"], current["values"][0]["tpr"]) == (0.0, 0.5)


def test_roc_chart_without_current_point() -> None:
    spec = _spec(roc_chart(roc_points(LABELS, SCORES)))
    assert [_mark(layer) for layer in _layers(spec)] == ["line", "line"]


def test_roc_chart_nan_threshold_is_valid_json() -> None:
    spec = _spec(roc_chart(roc_points([0, 1], [0.0, 1.0])))
    assert _layers(spec)[1]["values"][-1]["threshold"] is None


def test_pr_chart_draws_curve_and_current_point() -> None:
    spec = _spec(pr_chart(pr_points(LABELS, SCORES), current=(0.5, 1.0)))
    curve, current = _layers(spec)
    assert [v["recall"] for v in curve["values"]] == [1.0, 1.0, 0.5, 0.5, 0.0]
    assert curve["encoding"]["y"]["field"] == "precision"
    assert (current["values"][0]["recall"], current["values"][0]["precision"]) == (0.5, 1.0)


@pytest.mark.parametrize(
    ("function", "chart", "needed"),
    [
        (roc_chart, "ROC", ["fpr", "tpr", "threshold"]),
        (pr_chart, "precision-recall", ["recall", "precision", "threshold"]),
    ],
)
def test_curve_charts_reject_missing_columns(function, chart: str, needed: list[str]) -> None:
    message = CHART_COLUMNS.format(chart=chart, needed=needed, columns=["x"])
    with pytest.raises(ChartError, match=re.escape(message)):
        function(pd.DataFrame({"x": [1]}))


# --- score_histogram --------------------------------------------------------------


def test_score_histogram_bins_per_class_with_threshold_rule() -> None:
    spec = _spec(score_histogram(LABELS, SCORES, threshold=0.6))
    bars, rule, text = _layers(spec)
    assert [(v["score"], v["class"]) for v in bars["values"]] == [
        (0.1, "fake"),
        (0.4, "fake"),
        (0.35, "real"),
        (0.8, "real"),
    ]
    assert bars["encoding"]["x"]["bin"] == {"extent": [0, 1], "step": 0.05}
    assert bars["encoding"]["y"]["aggregate"] == "count"
    assert bars["encoding"]["color"]["scale"]["domain"] == ["real", "fake"]
    assert _mark(rule) == "rule"
    assert rule["encoding"]["x"]["field"] == "threshold"
    assert rule["values"] == [{"threshold": 0.6, "label": "threshold 0.6: above is called real"}]
    assert text["encoding"]["text"]["field"] == "label"


def test_score_histogram_rejects_bad_threshold() -> None:
    with pytest.raises(
        MetricsError, match=re.escape(OUT_OF_RANGE.format(name="threshold", low=0, high=1, value=2))
    ):
        score_histogram(LABELS, SCORES, threshold=2)


# --- training_curves --------------------------------------------------------------

HISTORY = pd.DataFrame(
    {
        "epoch": [1, 2],
        "loss": [0.7, 0.5],
        "val_loss": [0.8, 0.6],
        "accuracy": [0.6, 0.8],
        "val_accuracy": [0.55, 0.7],
        "accuracy_at_threshold": [0.5, 0.75],
        "val_accuracy_at_threshold": [0.45, 0.65],
        "auc": [0.6, 0.9],
        "val_auc": [0.6, 0.8],
    }
)


def _panel_rows(spec: dict[str, Any], index: int) -> list[dict[str, Any]]:
    panel = spec["hconcat"][index]
    return spec["datasets"][panel["data"]["name"]]


def test_training_curves_two_panels_train_and_validation() -> None:
    spec = _spec(training_curves(HISTORY))
    assert [panel["title"] for panel in spec["hconcat"]] == ["loss", "accuracy"]
    loss = {(r["epoch"], r["split"]): r["value"] for r in _panel_rows(spec, 0)}
    assert loss == {(1, "train"): 0.7, (2, "train"): 0.5, (1, "validation"): 0.8, (2, "validation"): 0.6}
    accuracy = _panel_rows(spec, 1)
    assert len(accuracy) == 8
    assert {r["measure"] for r in accuracy} == {"accuracy", "accuracy at threshold"}
    assert {r["column"] for r in accuracy}.isdisjoint({"auc", "val_auc"})
    encoding = spec["hconcat"][0]["encoding"]
    assert (encoding["color"]["field"], encoding["strokeDash"]["field"]) == ("split", "measure")


def test_training_curves_loss_only_gives_one_panel() -> None:
    spec = _spec(training_curves(HISTORY[["epoch", "loss"]]))
    assert [panel["title"] for panel in spec["hconcat"]] == ["loss"]


@pytest.mark.parametrize("columns", [["loss", "val_loss"], ["epoch", "auc"]])
def test_training_curves_rejects_missing_columns(columns: list[str]) -> None:
    with pytest.raises(ChartError, match=re.escape(HISTORY_COLUMNS.format(columns=columns))):
        training_curves(HISTORY[columns])


# --- group_bars ---------------------------------------------------


def test_group_bars_rates_whiskers_counts_and_paper_rule() -> None:
    spec = _spec(group_bars(group_table(GROUP_LABELS, GROUP_SCORES, GROUPS)))
    bars, whiskers, counts, rule, label = _layers(spec)
    assert [(v["group"], v["flagged_fake_rate"]) for v in bars["values"]] == [("A", 0.5), ("B", 0.25)]
    assert bars["encoding"]["y"]["field"] == "flagged_fake_rate"
    assert bars["encoding"]["x"]["title"] == "race"
    assert (whiskers["encoding"]["y"]["field"], whiskers["encoding"]["y2"]["field"]) == ("ci_low", "ci_high")
    assert [v["n_label"] for v in counts["values"]] == ["n=4", "n=4"]
    assert rule["mark"]["strokeDash"] == [6, 4]
    assert rule["values"] == [{"rate": 0.15, "label": "paper's 15%"}]
    assert label["encoding"]["text"]["field"] == "label"


def test_group_bars_without_reference_rule() -> None:
    spec = _spec(group_bars(group_table(GROUP_LABELS, GROUP_SCORES, GROUPS), reference_rate=None))
    assert [_mark(layer) for layer in _layers(spec)] == ["bar", "rule", "text"]


def test_group_bars_custom_reference_label() -> None:
    table = group_table(GROUP_LABELS, GROUP_SCORES, GROUPS)
    spec = _spec(group_bars(table, reference_rate=0.1, reference_label="our target"))
    assert _by_mark(spec, "rule")[1]["values"] == [{"rate": 0.1, "label": "our target"}]


def test_group_score_distributions_boxes_and_threshold() -> None:
    spec = _spec(group_score_distributions(GROUP_SCORES, GROUPS, threshold=0.75))
    boxes, rule, _ = _layers(spec)
    assert boxes["mark"]["type"] == "boxplot"
    assert boxes["encoding"]["y"] == {"field": "group", "title": "race", "type": "nominal"}
    assert len(boxes["values"]) == 11
    assert rule["values"][0]["threshold"] == 0.75


def test_class_balance_simple_and_by_split() -> None:
    simple = _spec(class_balance(pd.DataFrame({"class": ["real", "fake"], "count": [589, 700]})))
    assert simple["encoding"]["x"]["field"] == "class"
    assert [row["count"] for row in simple["datasets"][simple["data"]["name"]]] == [589, 700]
    by_split = pd.DataFrame(
        {"split": ["train", "train", "val", "val"], "class": ["real", "fake"] * 2, "count": [1, 2, 3, 4]}
    )
    spec = _spec(class_balance(by_split))
    assert (spec["encoding"]["x"]["field"], spec["encoding"]["xOffset"]["field"]) == ("split", "class")


def test_group_counts_stacked_by_class() -> None:
    spec = _spec(group_counts(count_by_group(GROUP_LABELS, GROUPS)))
    rows = spec["datasets"][spec["data"]["name"]]
    assert [(r["group"], r["class"], r["count"]) for r in rows] == [
        ("A", "fake", 1),
        ("A", "real", 4),
        ("B", "fake", 2),
        ("B", "real", 4),
    ]
    assert spec["encoding"]["color"]["field"] == "class"


def test_group_counts_rejects_missing_columns() -> None:
    message = CHART_COLUMNS.format(
        chart="group counts", needed=["group", "class", "count"], columns=["group"]
    )
    with pytest.raises(ChartError, match=re.escape(message)):
        group_counts(pd.DataFrame({"group": ["A"]}))


# --- what a newcomer saw: clipped legends, identical dots, squeezed boxes, vertical labels ----------


def test_training_curves_fit_beside_the_sidebar_with_legends_below_drawn_as_strokes() -> None:
    spec = _spec(training_curves(HISTORY))
    for panel in spec["hconcat"]:
        assert 2 * panel["width"] + 200 <= 1000  # two panels and their axes beside the sidebar at 1400 px
        color, dash = panel["encoding"]["color"]["legend"], panel["encoding"]["strokeDash"]["legend"]
        assert color["orient"] == dash["orient"] == "bottom"  # never clipped at the right edge
        assert color["symbolType"] == dash["symbolType"] == "stroke"  # dashes, not three identical dots
        assert dash["symbolStrokeColor"]  # the dash legend draws its strokes in a colour of its own
        assert panel["encoding"]["x"]["axis"]["format"] == "d"  # whole epochs


def test_score_box_plot_gives_each_group_a_band() -> None:
    chart = group_score_distributions([0.2, 0.9, 0.5], pd.Series(["a", "b", "c"], name="race"), threshold=0.5)
    assert _spec(chart)["height"] == {"step": 44}


@pytest.mark.parametrize(
    ("names", "angle"),
    [(["White", "Black", "Asian", "Indian", "Others"], 0), (["a very long group name"], -40)],
)
def test_group_labels_horizontal_where_they_fit(names: list[str], angle: int) -> None:
    table = group_table([1] * len(names), [0.9] * len(names), pd.Series(names, name="race"))
    bars = _layers(_spec(group_bars(table)))[0]
    assert bars["encoding"]["x"]["axis"]["labelAngle"] == angle


def test_confusion_heatmap_labels_horizontal_and_selectable() -> None:
    m = threshold_metrics(LABELS, SCORES, threshold=0.75)
    spec = _spec(confusion_heatmap(m, selectable=True, selected=("real", "fake")))
    assert spec["params"][0]["name"] == CELL_SELECTION
    assert spec["params"][0]["value"] == [{"actual": "real", "called": "fake"}]
    assert spec["layer"][0]["encoding"]["x"]["axis"]["labelAngle"] == 0
    assert "params" not in _spec(confusion_heatmap(m))
