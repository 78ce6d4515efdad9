"""Altair charts of numbers computed elsewhere: this module only draws.

Every function takes what :mod:`core.evaluation.metrics`, :mod:`core.evaluation.thresholds` or
:mod:`core.evaluation.bias` computed (or plain labels and scores, which Vega-Lite bins or summarises
itself) and returns an Altair chart; no metric is computed here. Colours for the two classes are the
same everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Literal

import altair as alt
import pandas as pd

from core.errors import CHART_COLUMNS, HISTORY_COLUMNS, UnmaskError
from core.evaluation.bias import GroupTable, group_names
from core.evaluation.checks import check_labels_scores, check_scores, check_threshold
from core.evaluation.metrics import ThresholdMetrics
from core.labels import CLASS_NAMES, FAKE, REAL

CLASS_ORDER = [CLASS_NAMES[REAL], CLASS_NAMES[FAKE]]
CLASS_COLORS = alt.Scale(domain=CLASS_ORDER, range=["#2b7bba", "#d95f02"])
RATE_AXIS = alt.Axis(format="%")
#: Line legends under the chart (a legend at the side is clipped on narrow screens), drawn as
#: strokes so dash patterns show (a point symbol would show every dash style as the same dot).
LINE_LEGEND = alt.Legend(
    orient="bottom", direction="horizontal", symbolType="stroke", symbolStrokeWidth=2, labelLimit=360
)
#: Dash legends get a grey stroke of their own: the colour comes from another channel.
DASH_LEGEND = alt.Legend(
    orient="bottom",
    direction="horizontal",
    symbolType="stroke",
    symbolStrokeWidth=2,
    symbolStrokeColor="#52606d",
)
#: Runs listed one a line under the chart: run labels are long.
RUN_LEGEND = alt.Legend(
    orient="bottom", direction="vertical", symbolType="stroke", symbolStrokeWidth=3, labelLimit=480
)
#: Distinct colours for runs (a theme's sequential blues would make two runs look alike).
RUN_COLORS = alt.Scale(scheme="tableau10")
#: One panel of the training curves: two side by side fit beside the sidebar at 1280 px (a concatenated
#: chart does not stretch to its column, so its panels need a width).
PANEL_SIZE = {"width": 340, "height": 240}
EPOCH_AXIS = alt.Axis(tickMinStep=1, format="d")

#: History columns drawn by :func:`training_curves`: column -> (panel, split, measure).
HISTORY_SERIES: dict[str, tuple[str, str, str]] = {
    "loss": ("loss", "train", "loss"),
    "val_loss": ("loss", "validation", "loss"),
    "accuracy": ("accuracy", "train", "accuracy"),
    "val_accuracy": ("accuracy", "validation", "accuracy"),
    "accuracy_at_threshold": ("accuracy", "train", "accuracy at threshold"),
    "val_accuracy_at_threshold": ("accuracy", "validation", "accuracy at threshold"),
}


class ChartError(UnmaskError):
    """The numbers handed to a chart lack a column it needs."""


#: Name of the click selection of :func:`confusion_heatmap` (``selectable=True``): its value is the
#: clicked cell's ``actual`` and ``called`` class names.
CELL_SELECTION = "cell"


def confusion_heatmap(
    m: ThresholdMetrics, *, selectable: bool = False, selected: tuple[str, str] | None = None
) -> alt.LayerChart:
    """2x2 counts: rows are the actual class, columns the call; each cell shows count and row share.

    With ``selectable``, a click on a cell selects it (point selection :data:`CELL_SELECTION`
    over ``actual`` and ``called``) and outlines it; ``selected`` (actual, called) is outlined
    to begin with.

    The row shares are the metrics' own rates (recall, flagged-as-fake, passed-as-real,
    specificity); a row without images shows its count only. The threshold is in the data
    (the cells), never in the chart's titles, so a new threshold changes the data alone and
    the browser updates the chart in place instead of drawing it anew.
    """
    cells = [
        (REAL, REAL, m.tp, m.recall, "correct"),
        (REAL, FAKE, m.fn, m.flagged_fake_rate.rate, "real flagged as fake"),
        (FAKE, REAL, m.fp, m.passed_real_rate.rate, "fake passed as real"),
        (FAKE, FAKE, m.tn, m.specificity, "correct"),
    ]
    data = pd.DataFrame(
        [
            {
                "actual": CLASS_NAMES[actual],
                "called": CLASS_NAMES[called],
                "count": count,
                "share": None if math.isnan(share) else share,
                "outcome": outcome,
                "label": f"{count}" if math.isnan(share) else f"{count} ({share:.1%})",
            }
            for actual, called, count, share, outcome in cells
        ]
    )
    base = alt.Chart(data).encode(
        x=alt.X("called:N", sort=CLASS_ORDER, title="called", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("actual:N", sort=CLASS_ORDER, title="actual"),
    )
    rect = base.mark_rect(stroke="#d62728", cursor="pointer" if selectable else "default").encode(
        color=alt.Color("count:Q", scale=alt.Scale(scheme="blues"), legend=None),
        tooltip=[
            *_tips("actual:N", "called:N", "outcome:N", "count:Q"),
            alt.Tooltip("share:Q", format=".1%"),
        ],
    )
    if selectable:
        initial = [{"actual": selected[0], "called": selected[1]}] if selected else None
        cell = alt.selection_point(
            name=CELL_SELECTION, fields=["actual", "called"], on="click", clear=False, value=initial
        )
        # A fixed view name: Altair's default is a counter, which would make every rerun's spec new.
        rect = rect.add_params(cell).encode(strokeWidth=alt.condition(cell, alt.value(4), alt.value(0)))
        rect = rect.properties(name="cells")
    text = base.mark_text(fontSize=16).encode(
        text=alt.Text("label:N"),
        color=alt.condition("datum.share > 0.5", alt.value("white"), alt.value("#1f2933")),
    )
    return alt.layer(rect, text)


def roc_chart(points_df: pd.DataFrame, *, current: tuple[float, float] | None = None) -> alt.LayerChart:
    """ROC curve from :func:`~core.evaluation.thresholds.roc_points`, the chance diagonal, the current point.

    Parameters
    ----------
    points_df : DataFrame with columns ``fpr``, ``tpr``, ``threshold``
    current : (fpr, tpr), optional
        Where the chosen threshold sits, e.g. ``(m.passed_real_rate.rate, m.recall)``.
    """
    _need(points_df, ["fpr", "tpr", "threshold"], chart="ROC")
    x = alt.X("fpr:Q", title="fakes passed as real (false positive rate)", scale=alt.Scale(domain=[0, 1]))
    y = alt.Y("tpr:Q", title="reals called real (true positive rate)", scale=alt.Scale(domain=[0, 1]))
    # Order by row: a line sorted by x alone scrambles the vertical steps of the curve.
    curve = (
        alt.Chart(points_df.assign(step=range(len(points_df))))
        .mark_line(point=True)
        .encode(x=x, y=y, order=alt.Order("step:Q"), tooltip=_tooltips(["fpr", "tpr", "threshold"]))
    )
    chance = alt.Chart(pd.DataFrame({"fpr": [0.0, 1.0], "tpr": [0.0, 1.0]})).mark_line(
        strokeDash=[4, 4], color="gray"
    )
    layers = [chance.encode(x=alt.X("fpr:Q"), y=alt.Y("tpr:Q")), curve]
    if current is not None:
        layers.append(_current_point({"fpr": current[0], "tpr": current[1]}, x="fpr", y="tpr"))
    return alt.layer(*layers)


def pr_chart(points_df: pd.DataFrame, *, current: tuple[float, float] | None = None) -> alt.LayerChart:
    """Precision-recall curve from :func:`core.evaluation.thresholds.pr_points`, with the current point.

    Parameters
    ----------
    points_df : DataFrame with columns ``recall``, ``precision``, ``threshold``
    current : (recall, precision), optional
    """
    _need(points_df, ["recall", "precision", "threshold"], chart="precision-recall")
    x = alt.X("recall:Q", title="reals called real (recall)", scale=alt.Scale(domain=[0, 1]))
    y = alt.Y("precision:Q", title="called real that are real (precision)", scale=alt.Scale(domain=[0, 1]))
    curve = (
        alt.Chart(points_df.assign(step=range(len(points_df))))
        .mark_line(point=True)
        .encode(x=x, y=y, order=alt.Order("step:Q"), tooltip=_tooltips(["recall", "precision", "threshold"]))
    )
    layers = [curve]
    if current is not None:
        layers.append(
            _current_point({"recall": current[0], "precision": current[1]}, x="recall", y="precision")
        )
    return alt.layer(*layers)


def score_histogram(labels: Any, scores: Any, *, threshold: float, step: float = 0.05) -> alt.LayerChart:
    """Histogram of scores per actual class, binned by Vega-Lite, with the threshold as a rule.

    Parameters
    ----------
    labels, scores : array-like, shape (n,)
        1 real / 0 fake, and P(real) in [0, 1].
    threshold : float
        Drawn as a dashed rule; scores above it are called real.
    step : float, default 0.05
        Bin width on [0, 1].

    Raises
    ------
    MetricsError
        If labels, scores or threshold are invalid.
    """
    y, s = check_labels_scores(labels, scores)
    threshold = check_threshold(threshold)
    data = pd.DataFrame({"score": s, "class": pd.Series(y).map(CLASS_NAMES)})
    bars = (
        alt.Chart(data)
        .mark_bar(opacity=0.6)
        .encode(
            x=alt.X("score:Q", bin=alt.Bin(extent=[0, 1], step=step), title="score P(real)"),
            y=alt.Y("count():Q", stack=None, title="images"),
            color=alt.Color("class:N", scale=CLASS_COLORS, title="actual"),
        )
    )
    return alt.layer(bars, *_threshold_rule(threshold, axis="x"))


def training_curves(history: pd.DataFrame) -> alt.HConcatChart:
    """Loss and accuracy per epoch, train vs validation, as two panels.

    ``history`` holds Keras' history: ``epoch`` plus any of the columns in
    :data:`HISTORY_SERIES`; colour shows the split and dashes the accuracy measure. Other
    columns (e.g. ``auc``) are ignored.

    Raises
    ------
    ChartError
        If there is no ``epoch`` column or none of ``loss`` and ``accuracy`` columns.
    """
    present = [c for c in HISTORY_SERIES if c in history.columns]
    if "epoch" not in history.columns or not present:
        raise ChartError(HISTORY_COLUMNS.format(columns=list(history.columns)))
    long = history.melt(id_vars="epoch", value_vars=present, var_name="column", value_name="value")
    long[["panel", "split", "measure"]] = [HISTORY_SERIES[c] for c in long["column"]]
    color = alt.Color("split:N", sort=["train", "validation"], legend=LINE_LEGEND)
    dash = alt.StrokeDash("measure:N", legend=DASH_LEGEND)
    return _history_panels(long, color=color, dash=dash, tips=_tips("epoch:Q", "split:N", "measure:N"))


def runs_history_chart(long: pd.DataFrame) -> alt.HConcatChart:
    """Training curves of several runs overlaid, in a loss and an accuracy panel.

    Colour is the run, dashes the split.

    ``long`` is :func:`core.evaluation.compare.histories` (columns ``run``, ``epoch``, ``panel``,
    ``split``, ``measure``, ``value``); only the plain accuracy is drawn, not the one at a threshold.

    Raises
    ------
    ChartError
        If a column is missing.
    """
    _need(long, ["run", "epoch", "panel", "split", "measure", "value"], chart="runs' training curves")
    shown = long[long["measure"] != "accuracy at threshold"]
    color = alt.Color("run:N", legend=RUN_LEGEND, scale=RUN_COLORS)
    dash = alt.StrokeDash("split:N", sort=["train", "validation"], legend=DASH_LEGEND)
    return _history_panels(shown, color=color, dash=dash, tips=_tips("run:N", "epoch:Q", "split:N"))


def _history_panels(
    long: pd.DataFrame, *, color: Any, dash: Any, tips: list[alt.Tooltip]
) -> alt.HConcatChart:
    """A loss and an accuracy panel of long-form history (``epoch``, ``panel``, ``value``, ...)."""
    panels = []
    for panel in ("loss", "accuracy"):
        part = long[long["panel"] == panel]
        if len(part):
            panels.append(
                alt.Chart(part, title=panel)
                .properties(**PANEL_SIZE)
                .mark_line(point=True)
                .encode(
                    x=alt.X("epoch:Q", axis=EPOCH_AXIS),
                    y=alt.Y("value:Q", title=panel, scale=alt.Scale(zero=False)),
                    color=color,
                    strokeDash=dash,
                    tooltip=[*tips, alt.Tooltip("value:Q", format=".4f")],
                )
            )
    return alt.hconcat(*panels)


def runs_curve_chart(points_df: pd.DataFrame, *, kind: Literal["roc", "pr"]) -> alt.LayerChart:
    """ROC or precision-recall curves of several runs in one frame, a colour per run.

    ``points_df`` is :func:`core.evaluation.compare.curves`' ROC or PR frame (a ``run`` column beside
    the points of :func:`core.evaluation.thresholds.roc_points` or ``pr_points``).
    """
    x_col, y_col = ("fpr", "tpr") if kind == "roc" else ("recall", "precision")
    _need(points_df, ["run", x_col, y_col, "threshold"], chart="runs' curves")
    titles = {
        "fpr": "fakes passed as real (false positive rate)",
        "tpr": "reals called real (true positive rate)",
        "recall": "reals called real (recall)",
        "precision": "called real that are real (precision)",
    }
    data = points_df.assign(step=points_df.groupby("run").cumcount())
    lines = (
        alt.Chart(data)
        .mark_line()
        .encode(
            x=alt.X(f"{x_col}:Q", title=titles[x_col], scale=alt.Scale(domain=[0, 1])),
            y=alt.Y(f"{y_col}:Q", title=titles[y_col], scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("run:N", legend=RUN_LEGEND, scale=RUN_COLORS),
            order=alt.Order("step:Q"),
            tooltip=[*_tips("run:N"), *_tooltips([x_col, y_col, "threshold"])],
        )
    )
    if kind == "pr":
        return alt.layer(lines)
    chance = alt.Chart(pd.DataFrame({"fpr": [0.0, 1.0], "tpr": [0.0, 1.0]})).mark_line(
        strokeDash=[4, 4], color="gray"
    )
    return alt.layer(chance.encode(x=alt.X("fpr:Q"), y=alt.Y("tpr:Q")), lines)


def group_bars(
    table: GroupTable, *, reference_rate: float | None = 0.15, reference_label: str | None = None
) -> alt.LayerChart:
    """Share of real faces flagged as fake per group, with Wilson whiskers and n above each bar.

    Parameters
    ----------
    table : GroupTable
    reference_rate : float or None, default 0.15
        Draw a dashed rule there; ``None`` draws none.
    reference_label : str, optional
        Its label; default ``"paper's 15%"`` (the rate as a percentage).
    """
    data = pd.DataFrame(table.to_records())
    data["n_label"] = [f"n={k}" for k in data["n_real"]]
    x = alt.X("group:N", sort=list(data["group"]), title=table.attribute, axis=_nominal_axis(data["group"]))
    base = alt.Chart(data).encode(x=x)
    tooltip = _tips("group:N", "n_real:Q", "flagged_fake:Q") + _tooltips(
        ["flagged_fake_rate", "ci_low", "ci_high"]
    )
    bars = base.mark_bar().encode(
        y=alt.Y("flagged_fake_rate:Q", title="real faces flagged as fake", axis=RATE_AXIS), tooltip=tooltip
    )
    whiskers = base.mark_rule(color="black").encode(y=alt.Y("ci_low:Q"), y2=alt.Y2("ci_high:Q"))
    counts = base.mark_text(dy=-8).encode(y=alt.Y("ci_high:Q"), text=alt.Text("n_label:N"))
    layers = [bars, whiskers, counts]
    if reference_rate is not None:
        label = reference_label if reference_label is not None else f"paper's {reference_rate:.0%}"
        layers += _reference_rule(reference_rate, label)
    return alt.layer(*layers)


def group_score_distributions(scores: Any, groups: Any, *, threshold: float) -> alt.LayerChart:
    """Box plot of scores per group (summarised by Vega-Lite), with the threshold as a rule.

    Raises
    ------
    MetricsError
        If scores or threshold are invalid, or the groups have a different length.
    """
    s = check_scores(scores)
    threshold = check_threshold(threshold)
    data = pd.DataFrame({"score": s, "group": group_names(groups, n=len(s))})
    boxes = (
        alt.Chart(data)
        .mark_boxplot(extent="min-max")
        .encode(
            x=alt.X("score:Q", title="score P(real)", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("group:N", title=getattr(groups, "name", None) or "group"),
        )
    )
    # A band of 44 px per group: Vega-Lite's default height squeezes five boxes into ~100 px.
    return alt.layer(boxes, *_threshold_rule(threshold, axis="x")).properties(height=alt.Step(44))


def class_balance(counts_df: pd.DataFrame) -> alt.Chart:
    """Bars of images per class (columns ``class``, ``count``; optional ``split`` side by side)."""
    _need(counts_df, ["class", "count"], chart="class balance")
    split = "split" in counts_df.columns
    encoding: dict[str, Any] = {
        "x": alt.X("split:N", title="split", axis=_nominal_axis(counts_df["split"]))
        if split
        else alt.X("class:N", sort=CLASS_ORDER, axis=alt.Axis(labelAngle=0)),
        "y": alt.Y("count:Q", title="images"),
        "color": alt.Color("class:N", scale=CLASS_COLORS),
        "tooltip": _tips("split:N", "class:N", "count:Q") if split else _tips("class:N", "count:Q"),
    }
    if split:
        encoding["xOffset"] = alt.XOffset("class:N", sort=CLASS_ORDER)
    return alt.Chart(counts_df).mark_bar().encode(**encoding)


def group_counts(counts_df: pd.DataFrame) -> alt.Chart:
    """Stacked bars of images per group and class, from :func:`core.evaluation.bias.count_by_group`."""
    _need(counts_df, ["group", "class", "count"], chart="group counts")
    return (
        alt.Chart(counts_df)
        .mark_bar()
        .encode(
            x=alt.X("group:N", title="group", axis=_nominal_axis(counts_df["group"])),
            y=alt.Y("count:Q", title="images"),
            color=alt.Color("class:N", scale=CLASS_COLORS),
            tooltip=_tips("group:N", "class:N", "count:Q"),
        )
    )


def _nominal_axis(names: Iterable[Any]) -> alt.Axis:
    """Horizontal labels when they fit (at most 8, none over 14 characters), else slanted, never vertical."""
    values = {str(v) for v in names}
    fits = len(values) <= 8 and max((len(v) for v in values), default=0) <= 14
    return alt.Axis(labelAngle=0 if fits else -40, labelLimit=180)


def _threshold_rule(threshold: float, *, axis: str) -> list[alt.Chart]:
    data = pd.DataFrame(
        {"threshold": [threshold], "label": [f"threshold {threshold:g}: above is called real"]}
    )
    position = {"x": alt.X, "y": alt.Y}[axis]("threshold:Q")
    rule = alt.Chart(data).mark_rule(strokeDash=[6, 4], color="black").encode(**{axis: position})
    text = alt.Chart(data).mark_text(align="left", dx=4, dy=-4, baseline="top")
    return [rule, text.encode(**{axis: position}, text=alt.Text("label:N"))]


def _reference_rule(rate: float, label: str) -> list[alt.Chart]:
    data = pd.DataFrame({"rate": [rate], "label": [label]})
    rule = alt.Chart(data).mark_rule(strokeDash=[6, 4], color="red").encode(y=alt.Y("rate:Q"))
    text = alt.Chart(data).mark_text(align="left", dy=-6, color="red")
    return [rule, text.encode(y=alt.Y("rate:Q"), text=alt.Text("label:N"))]


def _current_point(values: dict[str, float], *, x: str, y: str) -> alt.Chart:
    data = pd.DataFrame({**{k: [v] for k, v in values.items()}, "label": ["current threshold"]})
    return (
        alt.Chart(data)
        .mark_point(color="red", size=120, filled=True)
        .encode(x=alt.X(f"{x}:Q"), y=alt.Y(f"{y}:Q"), tooltip=[*_tips("label:N"), *_tooltips([x, y])])
    )


def _tooltips(columns: Iterable[str]) -> list[alt.Tooltip]:
    return [alt.Tooltip(f"{c}:Q", format=".3f") for c in columns]


def _tips(*shorthands: str) -> list[alt.Tooltip]:
    # Channel objects, not bare "field:type" strings: Altair turns each string into a channel
    # by matching it against its whole schema, which made up a third of a Confusion-page rerun.
    return [alt.Tooltip(s) for s in shorthands]


def _need(frame: pd.DataFrame, needed: list[str], *, chart: str) -> None:
    if not set(needed) <= set(frame.columns):
        raise ChartError(CHART_COLUMNS.format(chart=chart, needed=needed, columns=list(frame.columns)))


def generalization_heatmap(frame: pd.DataFrame) -> alt.LayerChart:
    """Runs (rows) against data sets (columns): the frame of ``generalization_matrix``.

    Each cell is coloured by its value (AUC, or the share called correctly for a one-class set;
    0.5 is white, red below, blue above) and shows the value and n; the tooltip adds the measure
    and the 95% interval.

    Raises
    ------
    ChartError
        If a column the chart needs is missing.
    """
    needed = ["run_id", "dataset", "measure", "value", "ci_low", "ci_high", "n", "cell", "text"]
    _need(frame, needed, chart="generalization matrix")
    data = frame.assign(label=frame["cell"] + " · n=" + frame["n"].astype(str))
    base = alt.Chart(data).encode(
        x=alt.X("dataset:N", title="data set", axis=alt.Axis(labelAngle=-20, labelLimit=240)),
        y=alt.Y("run_id:N", title="run", sort="descending", axis=alt.Axis(labelLimit=320)),
    )
    colour = alt.Color(
        "value:Q", scale=alt.Scale(scheme="redblue", domain=[0, 1], domainMid=0.5), title="value"
    )
    rect = base.mark_rect().encode(
        color=colour,
        tooltip=[
            *_tips("run_id:N", "dataset:N", "measure:N", "n:Q"),
            *_tooltips(["value", "ci_low", "ci_high"]),
            alt.Tooltip("text:N", title="in words"),
        ],
    )
    return alt.layer(rect, base.mark_text(fontSize=13).encode(text=alt.Text("label:N")))


def probe_flips_chart(table: pd.DataFrame) -> alt.LayerChart:
    """Share of calls that flip per probe, with Wilson whiskers, from :meth:`StressReport.table`.

    Bars are coloured by family (re-framing, degradation); the originals' row, which flips
    nothing by definition, is left out.

    Raises
    ------
    ChartError
        If a column the chart needs is missing.
    """
    needed = ["probe", "family", "n", "flips", "flip_rate", "flip_ci_low", "flip_ci_high"]
    _need(table, needed, chart="probe flips")
    data = table[table["family"] != "original"]
    y = alt.Y("probe:N", sort=list(data["probe"]), title=None, axis=alt.Axis(labelLimit=320))
    base = alt.Chart(data).encode(y=y)
    bars = base.mark_bar().encode(
        x=alt.X("flip_rate:Q", title="calls that flip", axis=RATE_AXIS, scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("family:N", title="family"),
        tooltip=[
            *_tips("probe:N", "flips:Q", "n:Q"),
            *_tooltips(["flip_rate", "flip_ci_low", "flip_ci_high"]),
        ],
    )
    whiskers = base.mark_rule(color="black").encode(x=alt.X("flip_ci_low:Q"), x2=alt.X2("flip_ci_high:Q"))
    return alt.layer(bars, whiskers)
