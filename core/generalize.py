"""Leave-one-source-out: for each source, train on all the others and judge on the one left out.

Each fold is an ordinary saved run (it lists in the run store and the dashboard), trained
on the other sources with the usual split stratified by source and class. The left-out
source's folder is then evaluated with the fold's run exactly as ``evaluate --data`` does
(:func:`core.stress_test.evaluate_folder`), so the result is kept with the run and fills the
generalization matrix (:mod:`core.evaluation.generalization`): the AUC where the source has
both classes, else the share of its one class called correctly, each with n and interval.
:func:`leave_one_source_out` also returns, per fold, :func:`core.evaluation.heldout.held_out_report`:
the same figures for the source's fixed ``dev`` and ``test`` halves.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from core import pipeline, stress_test
from core.data.faceset import FaceSet
from core.data.sources import Source, source_names
from core.data.split import SOURCE_COLUMN
from core.errors import GENERALIZE_FEW_SOURCES, GENERALIZE_ONE_CLASS_LEFT, UNKNOWN_SOURCE, DataError
from core.evaluation.heldout import held_out_parts, held_out_report
from core.labels import CLASS_NAMES, FAKE, REAL
from core.model.config import TrainConfig
from core.runs import store


def require_sources(data: pipeline.Data) -> list[Source]:
    """The sources ``data`` names; fails fast, before anything is decoded, unless there are at least 2.

    Raises
    ------
    DataError
        ``GENERALIZE_FEW_SOURCES``, or as :func:`core.data.sources.parse_sources`.
    """
    named = pipeline.data_sources(data)
    if named is None or len(named) < 2:
        n = len(named) if named is not None else (0 if not data else 1)
        raise DataError(GENERALIZE_FEW_SOURCES.format(n=n))
    return named


def leave_one_source_out(
    faceset: FaceSet,
    config: TrainConfig,
    *,
    sources: Sequence[Source],
    hold_out: Sequence[str] | None = None,
    on_fold: Callable[[str, int, int], None] | None = None,
    on_batch: Callable[[int, int, int], None] | None = None,
) -> dict[str, Any]:
    """Train one run per left-out source and report each on the source it never saw.

    Parameters
    ----------
    faceset : FaceSet
        Read from ``sources`` (it has a ``source`` column; see :mod:`core.data.sources`).
    config : TrainConfig
        The settings of every fold.
    sources : sequence of Source
        The folders ``faceset`` was read from: each left-out one is evaluated as a folder.
    hold_out : sequence of str, optional
        Leave out only these sources, one per fold (default: each in turn).
    on_fold : callable, optional
        Called as ``on_fold(source, fold, n_folds)`` (1-based) before each fold trains.
    on_batch : callable, optional
        Passed to training, as for :func:`core.pipeline.train_and_save`.

    Returns
    -------
    dict
        ``sources``, ``config``, and ``folds``: per left-out source its ``run_id``,
        ``n_train``, the run's validation AUC, the key its evaluation is kept under, and
        its ``held_out`` report; a fold that cannot train (the others hold one class
        only) has ``skipped`` with the reason instead.

    Raises
    ------
    DataError
        ``GENERALIZE_FEW_SOURCES`` with fewer than 2 sources, ``UNKNOWN_SOURCE`` for a
        ``hold_out`` name the set does not have.
    """
    names = source_names(faceset)
    if len(names) < 2:
        raise DataError(GENERALIZE_FEW_SOURCES.format(n=len(names)))
    chosen = list(hold_out) if hold_out else names
    for name in chosen:
        if name not in names:
            raise DataError(UNKNOWN_SOURCE.format(source=name, available=", ".join(names)))
    config = config.resolved()
    column = faceset.groups[SOURCE_COLUMN].to_numpy()
    folders = {s.name: s.folder for s in sources}
    folds = []
    for number, name in enumerate(chosen, 1):
        if on_fold is not None:
            on_fold(name, number, len(chosen))
        folds.append(_fold(faceset, column == name, name, folders[name], config, on_batch))
    return {"sources": names, "config": config.to_dict(), "dataset": faceset.name, "folds": folds}


def _fold(
    faceset: FaceSet, left_out: np.ndarray, name: str, folder: Any, config: TrainConfig, on_batch: Any
) -> dict[str, Any]:
    rest = faceset.subset(np.flatnonzero(~left_out))
    if rest.n_real == 0 or rest.n_fake == 0:
        present, missing = (REAL, FAKE) if rest.n_real else (FAKE, REAL)
        reason = GENERALIZE_ONE_CLASS_LEFT.format(
            source=name, present=CLASS_NAMES[present], missing=CLASS_NAMES[missing]
        )
        return {"source": name, "n": int(left_out.sum()), "skipped": reason}
    started = time.perf_counter()
    info = pipeline.train_and_save(rest, config, on_batch=on_batch)
    summary, scores = stress_test.evaluate_folder(info.run_id, folder)
    scores = scores.assign(part=held_out_parts(scores["path"]))
    validation = store.load_run(info.run_id).scores
    report = held_out_report(scores, validation, threshold=info.threshold, name=name)
    return {
        "source": name,
        "run_id": info.run_id,
        "status": info.status,
        "n_train": info.metrics.get("n_train"),
        "n_val": info.metrics.get("n_val"),
        "val_auc": info.metrics.get("roc_auc"),
        "val_accuracy": info.metrics.get("accuracy"),
        "seconds": round(time.perf_counter() - started, 1),
        "evaluation_key": summary["key"],
        "held_out": report,
    }


def matrix_rows(result: dict[str, Any], *, part: str = "all") -> list[dict[str, Any]]:
    """One flat row per fold for a table: n, AUC and the shares called correctly, with intervals.

    ``part`` is ``"all"``, ``"dev"`` or ``"test"`` (see :func:`core.evaluation.heldout.held_out_parts`).
    """
    rows = []
    for fold in result["folds"]:
        if "skipped" in fold:
            rows.append({"source": fold["source"], "n": fold["n"], "note": fold["skipped"]})
            continue
        report = fold["held_out"][part] or {}
        row = {"source": fold["source"], "n": report.get("n"), "classes": "+".join(report.get("classes", []))}
        row["auc"], row["auc_ci"] = report.get("auc"), report.get("auc_ci")
        for key in ("reals_called_real", "fakes_caught"):
            rate = report.get(key) or {}
            if rate.get("n"):
                row[key] = rate["rate"]
                row[f"{key}_ci"] = [rate["ci_low"], rate["ci_high"]]
                row[f"{key}_n"] = rate["n"]
        rows.append(row)
    return rows
