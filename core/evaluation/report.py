"""Summaries of runs and bias tables as plain dicts and text, for the CLI and the app."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from core.evaluation.bias import GroupTable
from core.evaluation.metrics import ThresholdMetrics
from core.evaluation.rates import Rate
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


def train_summary(info: RunInfo) -> dict[str, Any]:
    """The keys ``python -m core train --json`` promises, from a saved run."""
    m, c = info.metrics, info.config
    summary = {
        "run_id": info.run_id,
        "status": info.status,
        "preset": c.get("preset"),
        "epochs": c.get("epochs"),
        "epochs_done": m.get("epochs_done"),
        "image_size": c.get("image_size"),
        "dataset": c.get("dataset", {}).get("name"),
        "n_train": m.get("n_train"),
        "n_val": m.get("n_val"),
        "threshold": c.get("threshold"),
        "val_correct": m.get("correct"),
        "val_accuracy": m.get("accuracy"),
        "val_accuracy_ci": m.get("accuracy_ci"),
        "val_auc": m.get("roc_auc"),
        "majority_baseline": m.get("majority_baseline"),
        "train_seconds": m.get("train_seconds"),
    }
    if c.get("patch_size"):
        summary |= {"patch_size": c["patch_size"], "native_max_side": c.get("native_max_side")}
    if isinstance(m.get("test"), dict):
        test = m["test"]
        summary |= {"n_test": test.get("n"), "test_accuracy": test.get("accuracy")}
        summary |= {"test_accuracy_ci": test.get("accuracy_ci"), "test_auc": test.get("roc_auc")}
    return summary


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


def _pct(value: float | None) -> str:
    return pct(value, 2)


def paper_comparison_table(result: dict[str, Any]) -> str:
    """Our reproduction beside the paper's figures, as fixed-width text."""
    t, b = result["train"], result["bias"]
    low, high = t["val_accuracy_ci"]
    rows = [
        ("", "paper", "this run"),
        ("data", "Hard set 589+700", f"{t['dataset']}"),
        ("model", "paper CNN", f"{t['preset']} preset, {t['image_size']}px"),
        ("train / validation", f"{PAPER['n_train']} / {PAPER['n_val']}", f"{t['n_train']} / {t['n_val']}"),
        ("epochs", str(PAPER["epochs"]), str(t["epochs_done"])),
        (
            "val. accuracy at 0.75",
            f"{_pct(PAPER['val_accuracy_reported'])} (319/323 = {_pct(PAPER['val_accuracy_from_counts'])})",
            f"{_pct(t['val_accuracy'])} ({t['val_correct']}/{t['n_val']}; 95% CI {_pct(low)}-{_pct(high)})",
        ),
        ("majority baseline", "not reported", _pct(t["majority_baseline"])),
        ("training time", "not reported", f"{t['train_seconds']:.1f} s"),
    ]
    for g in b["groups"]:
        rows.append(
            (
                f"flagged fake: {g['group']}",
                f"< {_pct(PAPER['bias_flagged_fake_rate_below'])} (n=100)",
                f"{_pct(g['flagged_fake_rate'])} ({g['flagged_fake']}/{g['n_real']}; "
                f"CI {_pct(g['ci_low'])}-{_pct(g['ci_high'])})",
            )
        )
    rows.append(("largest gap", "not reported", _pct(b["max_gap"])))
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, width, strict=True)) for r in rows)


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
