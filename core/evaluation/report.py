"""Summaries of runs and bias tables as plain dicts and text, for the CLI and the app."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from core.evaluation.bias import GroupTable
from core.evaluation.metrics import ThresholdMetrics
from core.evaluation.rates import Rate, wilson_interval
from core.labels import PAPER
from core.runs.store import RunInfo

NO_INTERVAL = "not a simple share: no closed-form interval"


def pct(value: float | None, digits: int = 1) -> str:
    """``0.973`` -> ``"97.3%"``; None or NaN -> ``"n/a"``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{100 * value:.{digits}f}%"


def ci_text(low: float | None, high: float | None, digits: int = 1) -> str:
    """A 95% interval as ``"93.1%–98.9%"``; ``"n/a"`` when undefined."""
    if low is None or high is None or math.isnan(low):
        return "n/a"
    return f"{pct(low, digits)}–{pct(high, digits)}"


def ordinal(n: int) -> str:
    """``1`` -> ``"1st"``, ``2`` -> ``"2nd"``, ``11`` -> ``"11th"``, ``23`` -> ``"23rd"``.

    Examples
    --------
    >>> [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 102)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '102nd']
    """
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rate_text(rate: Rate, digits: int = 1) -> str:
    """``"97.3% (146/150; 95% CI 93.1%–98.9%)"``."""
    interval = ci_text(rate.ci_low, rate.ci_high, digits)
    return f"{pct(rate.rate, digits)} ({rate.count}/{rate.n}; 95% CI {interval})"


def stored_accuracy(m: dict[str, Any]) -> str:
    """A saved run's validation accuracy from its ``metrics.json``, with counts and interval.

    ``{"accuracy": 0.5, "correct": 1, "n": 2, "accuracy_ci": [0.09, 0.91]}`` gives
    ``"50.0% (1/2; 95% CI 9.0%–91.0%)"``; a run without an accuracy gives ``"n/a"``.
    """
    if m.get("accuracy") is None:
        return "n/a"
    low, high = m.get("accuracy_ci") or (None, None)
    return f"{pct(m['accuracy'])} ({m.get('correct')}/{m.get('n')}; 95% CI {ci_text(low, high)})"


def metric_rows(m: ThresholdMetrics) -> pd.DataFrame:
    """Every metric at one threshold, a row each: value, 95% interval for shares, count, n, and why NaN.

    Recall, specificity and precision are shares too (of reals, of fakes, of those
    called real), so they get Wilson intervals like accuracy.
    """
    shares = [
        ("accuracy", "accuracy", m.accuracy),
        ("real faces flagged as fake", "flagged_fake_rate", m.flagged_fake_rate),
        ("fakes passed as real", "passed_real_rate", m.passed_real_rate),
        ("recall: reals called real", "recall", Rate.from_counts(m.tp, m.n_real)),
        ("specificity: fakes called fake", "specificity", Rate.from_counts(m.tn, m.n_fake)),
        ("precision: called real that are real", "precision", Rate.from_counts(m.tp, m.tp + m.fp)),
        ("majority-class baseline", "majority_baseline", m.majority_baseline),
    ]
    rows = [
        (name, pct(r.rate), ci_text(r.ci_low, r.ci_high), f"{r.count}/{r.n}", r.n, m.undefined.get(key, ""))
        for name, key, r in shares
    ]
    scores = [
        ("F1", "f1"),
        ("balanced accuracy", "balanced_accuracy"),
        ("MCC", "mcc"),
        ("ROC AUC", "roc_auc"),
        ("average precision", "average_precision"),
        ("equal error rate", "eer"),
    ]
    for name, key in scores:
        value = getattr(m, key)
        shown = "n/a" if math.isnan(value) else f"{value:.3f}"
        rows.append((name, shown, "—", "", m.n, m.undefined.get(key, NO_INTERVAL)))
    return pd.DataFrame(rows, columns=["metric", "value", "95% CI", "count", "n", "note"])


def bias_rows(table: GroupTable) -> pd.DataFrame:
    """A bias table in words, one row per group and one for all groups together, ready to show.

    Counts beside each share, intervals as text, ``"n/a"`` with the reason where a group has no
    images of a class; the raw numbers stay in :meth:`GroupTable.to_records` (and the CSV).

    Examples
    --------
    >>> from core.evaluation.bias import group_table
    >>> rows = bias_rows(group_table([1, 1, 1, 0], [0.9, 0.2, 0.8, 0.1], ["A", "A", "B", "B"]))
    >>> rows["share flagged as fake (95% CI)"].tolist()[0]
    '50.0% (1 of 2; 9.5%–90.5%)'
    >>> rows["group"].tolist()
    ['A', 'B', 'all groups']
    """
    t = table.table
    parts = [(str(g), r["flagged_fake"], r["n_real"], r["passed_real"], r["n_fake"]) for g, r in t.iterrows()]
    parts.append(
        ("all groups", t["flagged_fake"].sum(), t["n_real"].sum(), t["passed_real"].sum(), t["n_fake"].sum())
    )
    rows = []
    for group, flagged, n_real, passed, n_fake in parts:
        rows.append(
            {
                "group": group,
                "real faces": int(n_real),
                "share flagged as fake (95% CI)": _share_text(int(flagged), int(n_real), "no real faces"),
                "fakes": int(n_fake),
                "share of fakes passed as real (95% CI)": _share_text(int(passed), int(n_fake), "no fakes"),
            }
        )
    return pd.DataFrame(rows)


def _share_text(count: int, n: int, none: str) -> str:
    if n == 0:
        return f"n/a: {none}"
    rate = Rate.from_counts(count, n)
    return f"{pct(rate.rate)} ({count} of {n}; {ci_text(rate.ci_low, rate.ci_high)})"


def train_summary(info: RunInfo) -> dict[str, Any]:
    """The keys ``python -m core train --json`` promises, from a saved run."""
    m, c = info.metrics, info.config
    summary = {
        "run_id": info.run_id,
        "status": info.status,
        "preset": c.get("preset"),
        "epochs": c.get("epochs"),
        "epochs_done": m.get("epochs_done"),
        "image_size": info.image_size,
        "dataset": c.get("dataset", {}).get("name"),
        "n_train": m.get("n_train"),
        "n_val": m.get("n_val"),
        "threshold": info.threshold,
        "val_correct": m.get("correct"),
        "val_accuracy": m.get("accuracy"),
        "val_accuracy_ci": m.get("accuracy_ci"),
        "val_auc": m.get("roc_auc"),
        "majority_baseline": m.get("majority_baseline"),
        "train_seconds": m.get("train_seconds"),
    }
    spread = c.get("distribution")
    if isinstance(spread, dict) and spread.get("strategy", "none") != "none":
        summary |= {k: spread.get(k) for k in ("strategy", "replicas", "workers")}
    if c.get("patch_size"):
        summary |= {"patch_size": c["patch_size"], "native_max_side": c.get("native_max_side")}
    if isinstance(m.get("test"), dict):
        test = m["test"]
        summary |= {"n_test": test.get("n"), "test_accuracy": test.get("accuracy")}
        summary |= {"test_accuracy_ci": test.get("accuracy_ci"), "test_auc": test.get("roc_auc")}
    return summary


def runs_table(listed: list[RunInfo]) -> pd.DataFrame:
    """Saved runs as rows to show: name, settings in one cell, validation accuracy with n and interval, AUC.

    Few, short columns, so the table fits a 1400 px screen beside the sidebar; an incomplete
    run's problem, or else the run's note, is in the last column.
    """
    rows = []
    for r in listed:
        c, m = r.config, r.metrics
        auc, seconds = m.get("roc_auc"), m.get("train_seconds")
        rows.append(
            {
                "run": r.label,
                "status": r.status,
                "epochs": f"{m.get('epochs_done', '?')} of {c.get('epochs', '?')}",
                "data": c.get("dataset", {}).get("name", "?"),
                "settings": settings_text(c),
                "validation accuracy (correct/n; 95% CI)": stored_accuracy(m),
                "ROC AUC": "n/a" if auc is None else f"{auc:.3f}",
                "seconds": "n/a" if seconds is None else f"{seconds:.1f}",
                "note": r.problem or r.note,
            }
        )
    return pd.DataFrame(rows)


def settings_text(config: dict[str, Any]) -> str:
    """A run's training settings in one short line.

    Examples
    --------
    >>> settings_text({"preset": "fast", "image_size": 64, "batch_size": 32, "learning_rate": 0.003,
    ...                "augment": False, "threshold": 0.75})
    'fast 64 px · batch 32 · lr 0.003 · threshold 0.75'
    """
    c = config
    parts = [
        f"{c.get('preset', '?')} {c.get('image_size', '?')} px",
        f"batch {c.get('batch_size', '?')}",
        f"lr {c.get('learning_rate', '?'):g}" if isinstance(c.get("learning_rate"), float) else "lr ?",
        f"threshold {c.get('threshold', '?'):g}" if isinstance(c.get("threshold"), float) else "threshold ?",
    ]
    return " · ".join(parts + (["augmented"] if c.get("augment") else []))


def bias_summary(table: GroupTable) -> dict[str, Any]:
    """The keys ``python -m core bias --json`` promises."""
    keep = ("group", "n", "n_real", "flagged_fake", "flagged_fake_rate", "ci_low", "ci_high", "ratio_to_best")
    groups = [{k: row.get(k) for k in keep} for row in table.to_records()]
    return {
        "attribute": table.attribute,
        "threshold": table.threshold,
        "groups": groups,
        "max_gap": table.max_gap,
        "max_gap_groups": list(table.max_gap_groups) if table.max_gap_groups else None,
        "distinguishable": table.distinguishable,
        "p_value": table.p_value,
        "p_value_test": table.p_value_test,
        "notes": list(table.notes),
    }


def sample_size_note(per_group: int = 100, low: int = 5, high: int = 15) -> str:
    """What ``per_group`` faces a group can show: the Wilson intervals of ``low`` and ``high`` flagged.

    Examples
    --------
    >>> sample_size_note().split(", and")[0]
    'With 100 real faces per group, 5 flagged (5%) has a 95% interval of 2.2% to 11.2%'
    """
    (low_from, low_to), (high_from, high_to) = (
        wilson_interval(low, per_group),
        wilson_interval(high, per_group),
    )
    share = pct(low / per_group, 0)
    return (
        f"With {per_group} real faces per group, {low} flagged ({share}) has a 95% interval of "
        f"{pct(low_from)} to {pct(low_to)}, and {high} flagged of {pct(high_from)} to {pct(high_to)}: "
        "two groups must differ by several points before their intervals separate, so this many per "
        "group can reveal a large bias but cannot show that small ones are absent. More faces per "
        "group narrow the intervals."
    )


def gap_sentence(summary: dict[str, Any]) -> str | None:
    """The largest gap between groups of a :func:`bias_summary`, with counts and what it means; None if none.

    Examples
    --------
    >>> text = gap_sentence({"max_gap": 0.05, "max_gap_groups": ["A", "B"], "distinguishable": False,
    ...     "groups": [{"group": "A", "flagged_fake": 6, "n_real": 100},
    ...                {"group": "B", "flagged_fake": 1, "n_real": 100}]})
    >>> text.split(";")[0]
    'Largest gap: **5.0%** between A (6/100) and B (1/100)'
    """
    if not summary.get("max_gap_groups"):
        return None
    counts = {g["group"]: f"{g['flagged_fake']}/{g['n_real']}" for g in summary["groups"]}
    high, low = summary["max_gap_groups"]
    verdict = (
        "their intervals do not overlap, so the difference is larger than chance alone would explain"
        if summary["distinguishable"]
        else "their intervals overlap, so this sample cannot tell the two apart"
    )
    return (
        f"Largest gap: **{pct(summary['max_gap'])}** between {high} ({counts[high]}) "
        f"and {low} ({counts[low]}); {verdict}."
    )


def paper_comparison(train: dict[str, Any], bias: dict[str, Any] | None = None) -> pd.DataFrame:
    """The paper's figures beside a run's, one row per figure: columns ``""``, ``"paper"``, ``"this run"``.

    Parameters
    ----------
    train : dict
        :func:`train_summary` of the run.
    bias : dict, optional
        :func:`bias_summary` of its bias check; adds a row per group and the largest gap.

    Returns
    -------
    DataFrame
        Text cells, ready to show (the CLI prints it with :func:`paper_comparison_table`).
    """
    t = train
    low, high = t.get("val_accuracy_ci") or (None, None)
    auc, seconds = t.get("val_auc"), t.get("train_seconds")
    rows = [
        ("data", PAPER["dataset"], str(t["dataset"])),
        ("model", PAPER["model"], f"{t['preset']} preset, {t['image_size']} px"),
        (
            "training / validation images",
            f"{PAPER['n_train']} / {PAPER['n_val']}",
            f"{t['n_train']} / {t['n_val']}",
        ),
        ("epochs", str(PAPER["epochs"]), f"{t['epochs_done']} of {t['epochs']}"),
        (
            f"validation accuracy at {t['threshold']:g}",
            f"{pct(PAPER['val_accuracy_reported'], 2)} (its own count, {PAPER['val_correct_reported']} of "
            f"{PAPER['n_val']}, is {pct(PAPER['val_accuracy_from_counts'], 2)}; no interval)",
            f"{pct(t['val_accuracy'], 2)} ({t['val_correct']} of {t['n_val']}; "
            f"95% CI {ci_text(low, high, 2)})",
        ),
        ("ROC AUC", "not reported", "n/a" if auc is None else f"{auc:.3f} (n = {t['n_val']})"),
        ("majority-class baseline", "not reported", pct(t["majority_baseline"], 2)),
        ("training time", "not reported", "n/a" if seconds is None else f"{seconds:.1f} s"),
    ]
    for g in (bias or {}).get("groups", []):
        rows.append(
            (
                f"real faces flagged as fake: {g['group']}",
                f"< {pct(PAPER['bias_flagged_fake_rate_below'], 0)} (n = {PAPER['bias_per_group']})",
                f"{pct(g['flagged_fake_rate'])} ({g['flagged_fake']} of {g['n_real']}; "
                f"95% CI {ci_text(g['ci_low'], g['ci_high'])})",
            )
        )
    if bias is not None:
        rows.append(("largest gap between groups", "not reported", pct(bias["max_gap"])))
    return pd.DataFrame(rows, columns=["", "paper", "this run"])


def paper_comparison_table(result: dict[str, Any]) -> str:
    """:func:`paper_comparison` of ``{"train": ..., "bias": ...}`` as fixed-width text."""
    frame = paper_comparison(result["train"], result.get("bias"))
    rows = [list(frame.columns), *frame.astype(str).values.tolist()]
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r, width, strict=True)).rstrip() for r in rows
    )


def matrix_text(rows: list[dict[str, Any]]) -> str:
    """The generalization matrix (:func:`core.generalize.matrix_rows`) as plain-text lines."""
    lines = []
    for row in rows:
        if "note" in row:
            lines.append(f"{row['source']:>20}  n={row['n']}  {row['note']}")
            continue
        parts = [f"{row['source']:>20}  n={row['n']}  {row['classes']}"]
        if row.get("auc") is not None:
            low, high = row["auc_ci"]
            parts.append(f"AUC {row['auc']:.3f} [{low:.3f}, {high:.3f}]")
        for key, words in (("reals_called_real", "reals called real"), ("fakes_caught", "fakes caught")):
            if key in row:
                low, high = row[f"{key}_ci"]
                parts.append(f"{words} {pct(row[key])} [{pct(low)}, {pct(high)}] of {row[f'{key}_n']}")
        lines.append("  ".join(parts))
    return "\n".join(lines)
