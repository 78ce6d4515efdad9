"""The generalization matrix: every run against every data set it was evaluated on.

Rows are runs, columns are data sets, and each cell is one kept evaluation
(:mod:`core.runs.evaluations`): the ROC AUC where the data set holds both classes, else the
share of its images called correctly (a folder of only fakes, or only real photos), each with
its n and 95% interval. A score is only evidence of *detection* when both classes from the
same source are measured: a high share of fakes caught beside a low share of reals kept is a
model that calls everything fake.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from core.evaluation.report import ci_text, pct
from core.evaluation.stress import FRAMING_FLIP_LIMIT, StressReport, framing_sentence, framing_verdict
from core.paths import REPO_ROOT

AUC = "AUC"
SHARE_CORRECT = "share called correctly"
#: The columns of :func:`generalization_matrix`, one row per (run, data set).
MATRIX_COLUMNS = (
    "run_id", "dataset", "key", "measure", "value", "ci_low", "ci_high", "n", "n_real", "n_fake", "correct",
    "accuracy", "accuracy_ci_low", "accuracy_ci_high", "threshold", "validation_only", "cell", "text",
)  # fmt: skip
VALIDATION_SUFFIX = " (validation images)"


def generalization_matrix(summaries: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """One row per kept evaluation: which run, which data set, the measure with its interval and n.

    Parameters
    ----------
    summaries : iterable of dict
        Evaluation summaries as :func:`core.stress_test.evaluate_folder` keeps them.

    Returns
    -------
    DataFrame
        :data:`MATRIX_COLUMNS`. ``measure`` is :data:`AUC` when the data set holds both classes,
        else :data:`SHARE_CORRECT`; ``cell`` is the value in short, ``text`` with interval and n.
        The accuracy at the threshold (the share called correctly) is there for every cell.
        Data sets are named by folder, with :data:`VALIDATION_SUFFIX` for a run's own training
        folder, and with the start of the key when two different folders share a name.

    Examples
    --------
    >>> s = {"run_id": "r1", "key": "k1", "data": {"name": "lfw"}, "n": 4, "n_real": 4, "n_fake": 0,
    ...      "threshold": 0.75, "validation_only": False, "metrics": {"accuracy": 0.25,
    ...      "accuracy_ci": [0.05, 0.70]}, "auc": {"auc": None, "ci_low": None, "ci_high": None}}
    >>> generalization_matrix([s]).loc[0, ["measure", "cell", "text"]].tolist()
    ['share called correctly', '25%', '25.0% called correctly (95% CI 5.0%–70.0%), n = 4: 4 real']
    """
    rows = [_row(s) for s in summaries]
    frame = pd.DataFrame(rows, columns=list(MATRIX_COLUMNS))
    if frame.empty:
        return frame
    names = frame.groupby("dataset")["key"].transform("nunique")
    frame.loc[names > 1, "dataset"] += " [" + frame["key"].str[:6] + "]"
    return frame.sort_values(["run_id", "dataset"], ascending=[False, True], ignore_index=True)


def matrix_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The matrix as a table to read: runs as rows, data sets as columns, ``text`` in the cells."""
    if frame.empty:
        return pd.DataFrame()
    table = frame.pivot(index="run_id", columns="dataset", values="text").fillna("not evaluated")
    return table.sort_index(ascending=False).rename_axis(index="run", columns=None)


def _row(s: dict[str, Any]) -> dict[str, Any]:
    name = s["data"]["name"] + (VALIDATION_SUFFIX if s.get("validation_only") else "")
    n, n_real, n_fake = int(s["n"]), int(s["n_real"]), int(s["n_fake"])
    counts = f"n = {n}: " + ", ".join(
        f"{c} {k}" for k, c in (("real", n_real), ("fake", n_fake)) if c or not (n_real or n_fake)
    )
    m = s["metrics"]
    if n_real and n_fake:
        measure, value, low, high = AUC, s["auc"]["auc"], s["auc"]["ci_low"], s["auc"]["ci_high"]
        cell, interval = f"{value:.3f}", f"{low:.3f}–{high:.3f}"
        text = f"AUC {cell} (95% CI {interval}), {counts}"
    else:
        measure, value, (low, high) = SHARE_CORRECT, m["accuracy"], m["accuracy_ci"]
        cell = pct(value, 0)
        text = f"{pct(value)} called correctly (95% CI {ci_text(low, high)}), {counts}"
    return {
        "run_id": s["run_id"],
        "dataset": name,
        "key": s["key"],
        "measure": measure,
        "value": value,
        "ci_low": low,
        "ci_high": high,
        "n": n,
        "n_real": n_real,
        "n_fake": n_fake,
        "correct": m.get("correct"),
        "accuracy": m["accuracy"],
        "accuracy_ci_low": m["accuracy_ci"][0],
        "accuracy_ci_high": m["accuracy_ci"][1],
        "threshold": s["threshold"],
        "validation_only": bool(s.get("validation_only")),
        "cell": cell,
        "text": text,
    }


#: Where ``python -m bench.generalization`` writes what it measured (read by the Overview and the README).
MEASURED_FILE = REPO_ROOT / "bench" / "generalization.json"
#: The degradations whose flips the findings sum up.
_DEGRADATION_SUMMARY = ("jpeg_50", "blur_1", "rescale_50")


def read_measured(path: Path = MEASURED_FILE) -> dict[str, Any] | None:
    """The measured results, or None when the file is missing or unreadable."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def measured_findings(results: dict[str, Any] | None = None) -> str:
    """What each measured preset learns, as Markdown generated from the numbers; "" when none were measured.

    ``results`` is what ``python -m bench.generalization`` writes (read from :data:`MEASURED_FILE`
    by default): per preset, its evaluations (as :func:`generalization_matrix` rows), the
    cross-source AUCs, and its stress report on its own validation images.
    """
    results = read_measured() if results is None else results
    if not results or not results.get("runs"):
        return ""
    return "\n\n".join(_run_findings(run) for run in results["runs"])


def _run_findings(run: dict[str, Any]) -> str:
    report = StressReport.from_dict(run["stress"])
    own = next(e for e in run["evaluations"] if e["validation_only"])
    accuracy = f"{pct(own['accuracy'])}, 95% CI {ci_text(own['accuracy_ci_low'], own['accuracy_ci_high'])}"
    auc = f"AUC {own['value']:.3f}, 95% CI {_interval(own)}"
    if own["ci_low"] == own["ci_high"] == 1:
        auc += ": no real image scored below a fake, so the bootstrap interval has no width"
    correct = f"{int(own['correct'])} of its {own['n']} validation images"
    parts = [
        f"**The `{run['preset']}` preset**, trained on {run['train_data']} ({run['n_train']} images, "
        f"{run['epochs']} epochs, seed {run['seed']}), calls {correct} correctly at threshold "
        f"{run['threshold']:g} ({accuracy}; {auc}).",
        _sources_sentence(run),
        framing_sentence(report, data_name="its validation images"),
        _degradations_sentence(report),
    ]
    if framing_verdict(report).reacts:
        parts.append(
            f"So its validation score measures how the faces of {run['train_data']} are framed, not how they "
            "were made: on faces from other sources its calls are not evidence of detection."
        )
    return "\n\n".join([" ".join(p for p in parts if p), _sources_table(run), _probes_table(report)])


def _sources_sentence(run: dict[str, Any]) -> str:
    said = []
    for e in run["evaluations"]:
        if e["validation_only"] or e["measure"] != SHARE_CORRECT:
            continue
        wrong, interval = pct(1 - e["value"]), ci_text(1 - e["ci_high"], 1 - e["ci_low"])
        what = f"real photos of {e['dataset']} fake" if e["n_real"] else f"AI faces of {e['dataset']} real"
        said.append(f"calls {wrong} of the {e['n']} {what} (95% CI {interval})")
    return f"On faces from sources it never saw, it {'; '.join(said)}." if said else ""


def _degradations_sentence(report: StressReport) -> str:
    shown = [p for p in report.probes if p.key in _DEGRADATION_SUMMARY]
    if not shown:
        return ""
    worst = max(shown, key=lambda p: p.flips.count)
    how = "barely change" if worst.flips.rate <= FRAMING_FLIP_LIMIT else "change"
    names = ", ".join(p.label for p in shown)
    most = f"at most {worst.flips.count}" if worst.flips.count else "none"
    return f"Degradations {how} its calls: {names} flip {most} of its {worst.flips.n} calls."


def _sources_table(run: dict[str, Any]) -> str:
    rows = [
        f"| {e['dataset']} | {e['measure']} | {_value(e)} ({_interval(e)}) | {_counts(e)} |"
        for e in run["evaluations"]
    ]
    rows += [
        f"| {c['real']} real vs {c['fake']} fake (two sources) | {AUC} | {c['auc']:.3f} "
        f"({c['ci_low']:.3f}–{c['ci_high']:.3f}) | {c['n_real']} real, {c['n_fake']} fake |"
        for c in run.get("cross_source", [])
    ]
    return "\n".join(["| data set | measure | value (95% CI) | n |", "|---|---|---|---|", *rows])


def _probes_table(report: StressReport) -> str:
    rows = []
    for r in (report.original, *report.probes):
        auc = "n/a" if r.auc.reason else f"{r.auc.auc:.3f} ({r.auc.ci_low:.3f}–{r.auc.ci_high:.3f})"
        accuracy = f"{pct(r.accuracy.rate)} ({ci_text(r.accuracy.ci_low, r.accuracy.ci_high)})"
        flips = f"{r.flips.count} ({pct(r.flips.rate)}; {ci_text(r.flips.ci_low, r.flips.ci_high)})"
        rows.append(f"| {r.label} | {r.family} | {r.n} | {accuracy} | {auc} | {flips} |")
    header = "| probe | family | n | accuracy (95% CI) | AUC (95% CI) | calls that flip (95% CI) |"
    return "\n".join([header, "|---|---|---|---|---|---|", *rows])


def _value(e: dict[str, Any]) -> str:
    return f"{e['value']:.3f}" if e["measure"] == AUC else pct(e["value"])


def _interval(e: dict[str, Any]) -> str:
    if e["measure"] == AUC:
        return f"{e['ci_low']:.3f}–{e['ci_high']:.3f}"
    return ci_text(e["ci_low"], e["ci_high"])


def _counts(e: dict[str, Any]) -> str:
    return e["text"].rsplit("n = ", 1)[-1]
