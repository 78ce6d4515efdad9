"""What a saved run's files must hold, checked whenever a run is read: types and ranges, field by field.

A run folder is plain JSON and CSV that anyone who can write to ``models/`` may edit, so
nothing from it reaches a page or a command before it passes these checks. A run that
fails lists as damaged with the first problem found (:data:`core.errors.RUN_DAMAGED`);
keys a check does not know are never shown, so they are let through.

``config.json`` is checked by building its :class:`~core.model.config.TrainConfig` (the
same ranges as training), plus its status and data set; ``metrics.json`` by the kind of
each known field; ``scores.csv`` by its columns and values (:func:`scores_problem`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from core.errors import ConfigError
from core.labels import FAKE, REAL
from core.model.config import TrainConfig

STATUSES = ("finished", "cancelled")
#: The first columns of scores.csv, in this order; group columns follow.
SCORE_COLUMNS = ("path", "label", "score")
#: Longest value quoted in a problem.
SHOWN_CHARS = 40


def _number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _share(value: Any) -> bool:
    return _number(value) and 0 <= value <= 1


def _correlation(value: Any) -> bool:
    return _number(value) and -1 <= value <= 1


def _count(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0


def _seconds(value: Any) -> bool:
    return _number(value) and value >= 0


def _interval(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(v is None or _share(v) for v in value)


def _confusion(value: Any) -> bool:
    return isinstance(value, dict) and all(_count(v) for v in value.values())


def _notes(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


_KINDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "share": (_share, "a share from 0 to 1"),
    "correlation": (_correlation, "a correlation from -1 to 1"),
    "count": (_count, "a count"),
    "seconds": (_seconds, "a number of seconds"),
    "interval": (_interval, "an interval [low, high] of shares"),
    "confusion": (_confusion, "counts of each call"),
    "notes": (_notes, "notes in words"),
}
_SHARES = (
    "accuracy", "flagged_fake_rate", "passed_real_rate", "majority_baseline", "precision", "recall",
    "specificity", "f1", "balanced_accuracy", "roc_auc", "average_precision", "eer", "eer_threshold",
    "threshold",
)  # fmt: skip
_COUNTS = (
    "n", "n_real", "n_fake", "correct", "flagged_fake", "passed_real", "n_train", "n_val", "epochs_done",
)  # fmt: skip
_INTERVALS = ("accuracy_ci", "flagged_fake_ci", "passed_real_ci", "majority_baseline_ci")
#: Kinds that may be None: JSON has no NaN, so an undefined share is stored as null.
_NULLABLE = ("share", "correlation", "interval")
#: The kind of every metrics.json field a page or command shows.
METRIC_KINDS: dict[str, str] = {
    **dict.fromkeys(_SHARES, "share"),
    **dict.fromkeys(_COUNTS, "count"),
    **dict.fromkeys(_INTERVALS, "interval"),
    "mcc": "correlation",
    "train_seconds": "seconds",
    "confusion": "confusion",
    "undefined": "notes",
}


def run_problem(config: dict[str, Any], metrics: dict[str, Any]) -> str | None:
    """What is wrong with a run's ``config.json`` and ``metrics.json``, or None when both pass.

    Examples
    --------
    >>> run_problem({"threshold": 0.5}, {"accuracy": 0.9, "n": 10}) is None
    True
    >>> run_problem({}, {"n": -1})
    'metrics.json: n is -1, not a count'
    """
    return _config_problem(config) or _metrics_problem(metrics)


def scores_problem(scores: pd.DataFrame) -> str | None:
    """What is wrong with a run's per-image scores, or None: columns, labels 1 or 0, scores in [0, 1]."""
    found = tuple(scores.columns[:3])
    if found != SCORE_COLUMNS:
        return f"scores.csv: its first columns must be {', '.join(SCORE_COLUMNS)}; they are {_shown(found)}"
    labels = pd.to_numeric(scores["label"], errors="coerce")
    if not labels.isin([REAL, FAKE]).all():
        return "scores.csv: label must be 1 or 0 on every row"
    values = pd.to_numeric(scores["score"], errors="coerce").to_numpy(dtype=float)
    if not (np.isfinite(values) & (values >= 0) & (values <= 1)).all():
        return "scores.csv: score must be from 0 to 1 on every row"
    return None


def _config_problem(config: dict[str, Any]) -> str | None:
    try:
        TrainConfig.from_dict(config)
    except ConfigError as error:
        return f"config.json: {str(error).rstrip('.')}"
    status = config.get("status", STATUSES[0])
    if status not in STATUSES:
        return f"config.json: status is {_shown(status)}, not 'finished' or 'cancelled'"
    dataset = config.get("dataset", {})
    named = isinstance(dataset, dict) and all(isinstance(dataset.get(k, ""), str) for k in ("name", "root"))
    if not named:
        return f"config.json: dataset is {_shown(dataset)}, not an object with a name and a folder"
    return None


def _metrics_problem(metrics: dict[str, Any]) -> str | None:
    for key, value in metrics.items():
        kind = METRIC_KINDS.get(key)
        if kind is None or (value is None and kind in _NULLABLE):
            continue
        check, words = _KINDS[kind]
        if not check(value):
            return f"metrics.json: {key} is {_shown(value)}, not {words}"
    return None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"
