"""Runs side by side: settings that differ, metrics with intervals, curves in one frame per kind.

Every function takes saved runs (:class:`core.runs.store.Run`) and returns a DataFrame; the
Compare page shows them and :mod:`core.evaluation.charts` draws the long ones (a ``run``
column tells the runs apart, named by :attr:`core.runs.store.RunInfo.label`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from core.errors import UnmaskError
from core.evaluation import thresholds
from core.evaluation.charts import HISTORY_SERIES
from core.evaluation.metrics import threshold_metrics
from core.evaluation.report import ci_text, pct
from core.runs.store import Run, RunInfo

#: The settings compared, in order: (label, how to read it from a run's config).
SETTINGS: tuple[tuple[str, Any], ...] = (
    ("data", lambda c: c.get("dataset", {}).get("name")),
    ("data folder", lambda c: c.get("dataset", {}).get("root")),
    ("preset", lambda c: c.get("preset")),
    ("image size", lambda c: c.get("image_size")),
    ("epochs asked", lambda c: c.get("epochs")),
    ("batch size", lambda c: c.get("batch_size")),
    ("learning rate", lambda c: c.get("learning_rate")),
    ("validation share", lambda c: c.get("val_fraction")),
    ("seed", lambda c: c.get("seed")),
    ("augmentation", lambda c: "on" if c.get("augment") else "off"),
    ("training threshold", lambda c: c.get("threshold")),
    ("status", lambda c: c.get("status")),
)


def settings_table(infos: Sequence[RunInfo], *, only_differing: bool = True) -> pd.DataFrame:
    """One row per setting, one column per run; by default only the settings that differ.

    Examples
    --------
    >>> from pathlib import Path
    >>> a = RunInfo("a", Path("a"), "finished", {"preset": "fast", "seed": 0}, {})
    >>> b = RunInfo("b", Path("b"), "finished", {"preset": "fast", "seed": 1}, {})
    >>> settings_table([a, b]).to_dict(orient="records")
    [{'setting': 'seed', 'a': '0', 'b': '1'}]
    """
    rows = []
    for name, read in SETTINGS:
        values = ["—" if read(i.config) is None else str(read(i.config)) for i in infos]
        if not only_differing or len(set(values)) > 1:
            rows.append({"setting": name, **dict(zip(_labels(infos), values, strict=True))})
    return pd.DataFrame(rows, columns=["setting", *_labels(infos)])


def metrics_table(runs: Sequence[Run], *, threshold: float) -> pd.DataFrame:
    """Each run's headline metrics at one ``threshold``, shares with count, n and 95% interval.

    Rows: accuracy, real faces flagged as fake, fakes passed as real, ROC AUC, average
    precision, validation images; columns: ``metric`` then one per run.
    """
    columns: dict[str, list[str]] = {}
    for run in runs:
        m = threshold_metrics(run.scores["label"], run.scores["score"], threshold=threshold)
        columns[run.info.label] = [
            _share(m.accuracy),
            _share(m.flagged_fake_rate),
            _share(m.passed_real_rate),
            "n/a" if m.roc_auc != m.roc_auc else f"{m.roc_auc:.3f}",
            "n/a" if m.average_precision != m.average_precision else f"{m.average_precision:.3f}",
            f"{m.n} ({m.n_real} real, {m.n_fake} fake)",
        ]
    names = [
        f"accuracy at {threshold:g}",
        "real faces flagged as fake",
        "fakes passed as real",
        "ROC AUC",
        "average precision",
        "validation images (n)",
    ]
    return pd.DataFrame({"metric": names, **columns})


def histories(runs: Sequence[Run]) -> pd.DataFrame:
    """Every run's training history in long form.

    Columns ``run``, ``epoch``, ``panel``, ``split``, ``measure``, ``value``.

    Runs whose history has no known column (see :data:`core.evaluation.charts.HISTORY_SERIES`)
    add no rows.
    """
    parts = []
    for run in runs:
        present = [c for c in HISTORY_SERIES if c in run.history.columns]
        if "epoch" not in run.history.columns or not present:
            continue
        long = run.history.melt(id_vars="epoch", value_vars=present, var_name="column", value_name="value")
        long[["panel", "split", "measure"]] = [HISTORY_SERIES[c] for c in long["column"]]
        parts.append(long.assign(run=run.info.label).drop(columns="column"))
    columns = ["run", "epoch", "panel", "split", "measure", "value"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def curves(runs: Sequence[Run]) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """ROC and precision-recall points of every run, with a ``run`` column; and why any run has none."""
    roc, pr, missing = [], [], []
    for run in runs:
        labels, scores = run.scores["label"], run.scores["score"]
        try:
            roc.append(thresholds.roc_points(labels, scores).assign(run=run.info.label))
            pr.append(thresholds.pr_points(labels, scores).assign(run=run.info.label))
        except UnmaskError as exc:
            missing.append(f"{run.info.label}: {exc}")
    frame = lambda parts: pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()  # noqa: E731
    return frame(roc), frame(pr), missing


def _share(rate: Any) -> str:
    return f"{pct(rate.rate)} ({rate.count}/{rate.n}; {ci_text(rate.ci_low, rate.ci_high)})"


def _labels(infos: Sequence[RunInfo]) -> list[str]:
    return [i.label for i in infos]
