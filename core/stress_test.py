"""The Stress test, end to end: a run evaluated on any folder, and probed for shortcuts.

One implementation for the CLI (``evaluate --data``, ``stress``) and the app's Stress test page.
Results are kept with the run (:mod:`core.runs.evaluations`), keyed by the folder's fingerprint.

**Never the training images.** When the folder is the one the run trained on, only the run's
validation images are used (their paths are in the run's ``scores.csv``) and the result says
so (``validation_only``, ``n_training_excluded``): scoring the images a model learned from
would report memory, not detection. A folder may hold one class only (all real, or all
fake): then the share called correctly is measured, and the AUC is undefined, with the reason.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core import pipeline
from core.data import datasets
from core.data.faceset import FaceSet, SkippedFile
from core.data.fingerprint import folder_fingerprint
from core.errors import NO_STRESS_IMAGES, NO_TRAINING_FOLDER, DataError
from core.evaluation.auc import auc_interval
from core.evaluation.metrics import threshold_metrics
from core.evaluation.probes import probes_by_key
from core.evaluation.streaming import CHUNK_SIZE, StreamedScores, score_stream, write_scores_file
from core.evaluation.stress import (
    FramingVerdict,
    StressReport,
    framing_verdict,
    probe_scores,
    stress_report,
)
from core.runs import evaluations, store

Progress = Callable[[int, int], None]
#: Said wherever a result on a run's own training folder is shown.
VALIDATION_ONLY_NOTE = (
    "{name} is the folder run {run_id} was trained on, so only its {n} validation images were used; "
    "its {excluded} training images were left out (a model is not judged on what it learned from)."
)


@dataclass(frozen=True)
class ImagePool:
    """The images a run is evaluated or probed on, listed but not decoded.

    Attributes
    ----------
    name, root : str
        The data set's name and folder.
    key : str
        The folder's fingerprint: where results on it are kept.
    frame : DataFrame
        One row per image used: ``path`` (relative to ``root``), ``label``, then group columns;
        with ``validation_only`` also the run's stored ``score``.
    validation_only : bool
        True when ``root`` is the run's training folder: only its validation images are used.
    n_training_excluded : int
        The folder's images left out because the run trained on them (0 for other folders).
    skipped : tuple of SkippedFile
        Files the folder's listing could not use, with why.
    listed : FaceSet or None
        The folder's listing (no pixels), to score it from; None with ``validation_only``.
    """

    name: str
    root: str
    key: str
    frame: pd.DataFrame
    validation_only: bool
    n_training_excluded: int
    skipped: tuple[SkippedFile, ...] = ()
    listed: FaceSet | None = None

    def describe(self) -> dict[str, Any]:
        """The pool as results record it."""
        labels = self.frame["label"]
        return {
            "data": {"name": self.name, "root": self.root, "key": self.key},
            "n": len(self.frame),
            "n_real": int((labels == 1).sum()),
            "n_fake": int((labels == 0).sum()),
            "validation_only": self.validation_only,
            "n_training_excluded": self.n_training_excluded,
        }


def image_pool(run_id: str, data: str | os.PathLike[str] | None = None) -> ImagePool:
    """The images of ``data`` (default: the run's own training folder) that ``run_id`` may be judged on.

    Raises
    ------
    UnmaskError
        If the run or the folder cannot be read.
    """
    trained_on = store.run_info(run_id).config.get("dataset", {}).get("root")
    if data is None and not trained_on:
        raise DataError(NO_TRAINING_FOLDER.format(run_id=run_id))
    listed = datasets.scan(data if data is not None else trained_on)  # a typed path: core.paths.user_path
    key = folder_fingerprint(listed.root, listed.paths)
    if pipeline.same_folder(Path(listed.root), trained_on):
        stored = store.load_run(run_id).scores
        excluded = len(listed) - len(stored)
        return ImagePool(listed.name, listed.root, key, stored, True, excluded, listed.skipped)
    frame = pd.concat(
        [
            pd.DataFrame({"path": pd.Series(listed.paths, dtype=object), "label": listed.labels}),
            listed.groups,
        ],
        axis=1,
    )
    return ImagePool(listed.name, listed.root, key, frame, False, 0, listed.skipped, listed)


def evaluate_folder(
    run_id: str,
    data: str | os.PathLike[str] | None = None,
    *,
    threshold: float | None = None,
    progress: Progress | None = None,
    model: Any | None = None,
    scores_out: Path | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Score ``data`` with the run, keep the result with the run, return ``(summary, scores)``.

    On the run's own training folder (also the default) the run's validation images are
    used, with the scores it stored for them; any other folder is scored now as a stream
    (:func:`score_listed`: ``chunk_size`` images decoded at a time, so memory does not grow
    with the folder), by ``model`` when the caller keeps the run's model loaded (the app),
    else loaded here. With ``scores_out`` (a resolved path) the per-image scores are also
    written there as CSV, chunk by chunk (:mod:`core.evaluation.streaming`).

    Returns
    -------
    (dict, DataFrame)
        The summary as stored (metrics at ``threshold``, the run's by default, with intervals;
        the AUC with its bootstrap interval, or NaN and the reason when one class is missing),
        and the per-image scores: ``path``, ``label``, ``score``, group columns.

    Raises
    ------
    UnmaskError
        If the run, its model or the folder cannot be read, or ``scores_out`` cannot be written.
    """
    info = store.run_info(run_id)
    pool = image_pool(run_id, data)
    skipped = list(pool.skipped)
    if pool.listed is None:
        scores = pool.frame
        if scores_out is not None:
            write_scores_file(scores, scores_out)
    else:
        streamed = score_listed(
            run_id, pool.listed, model=model, out=scores_out, progress=progress, chunk_size=chunk_size
        )
        scores, skipped = streamed.scores, list(streamed.skipped)
    t = info.threshold if threshold is None else threshold
    metrics = threshold_metrics(scores["label"], scores["score"], threshold=t).to_dict()
    used = ImagePool(pool.name, pool.root, pool.key, scores, pool.validation_only, pool.n_training_excluded)
    summary = {
        **used.describe(),
        "threshold": t,
        "metrics": metrics,
        "auc": auc_interval(scores["label"], scores["score"]).to_dict(),
        "skipped": _skipped(skipped),
        "created": _now(),
    }
    evaluations.save_evaluation(run_id, pool.key, scores=scores, summary=summary)
    return {**summary, "key": pool.key, "run_id": run_id}, scores


def score_listed(
    run_id: str,
    listed: FaceSet,
    *,
    model: Any | None = None,
    out: Path | None = None,
    progress: Progress | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> StreamedScores:
    """Score a listed folder with the run as a stream, decoded as :func:`core.pipeline.load_for_run` would.

    Squares at the run's image size, or native resolution for a patch preset, each chunk scored
    by :func:`core.pipeline.score_images` (a patch preset's model by its grid of patches).

    Raises
    ------
    UnmaskError
        As :func:`core.evaluation.streaming.score_stream`, or if the run's model cannot be read.
    """
    info = store.run_info(run_id)
    form = datasets.decoded_form(
        image_size=None if info.native_max_side else info.image_size,
        native_max_side=info.native_max_side or None,
    )
    model = store.load_model(run_id) if model is None else model
    return score_stream(
        listed,
        lambda chunk: pipeline.score_images(run_id, chunk, model=model),
        form=form,
        chunk_size=chunk_size,
        out=out,
        progress=progress,
    )


def stress(
    run_id: str,
    data: str | os.PathLike[str] | None = None,
    *,
    probes: Sequence[str] | None = None,
    progress: Progress | None = None,
    model: Any | None = None,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Run the probes on ``data`` (default: the run's validation images); keep and return the result.

    Each original file is decoded at its own size, changed by each probe and scored by
    :func:`core.pipeline.score_images`, at the run's threshold.

    Parameters
    ----------
    run_id : str
    data : path, optional
        A folder; its images (or, for the run's training folder, its validation images).
    probes : sequence of str, optional
        Probe keys (:data:`core.evaluation.probes.PROBE_KEYS`); all by default.
    progress : callable(done, total), optional
    model : keras.Model, optional
        The run's model, when the caller keeps it loaded; else loaded here.

    Returns
    -------
    (dict, DataFrame)
        The summary as stored (``report``: :meth:`StressReport.to_dict`; ``reacts_to_framing``)
        and the per-image scores: ``path``, ``label``, ``original``, one column per probe.

    Raises
    ------
    UnmaskError
        If the run, its model or the folder cannot be read, a probe key is unknown, or no
        image decodes.
    """
    chosen = probes_by_key(probes)
    info = store.run_info(run_id)
    pool = image_pool(run_id, data)
    model = store.load_model(run_id) if model is None else model
    frame, skipped = probe_scores(
        pool.root,
        list(pool.frame["path"]),
        score=lambda images: pipeline.score_images(run_id, images, model=model),
        probes=chosen,
        progress=progress,
    )
    if frame.empty:
        raise DataError(NO_STRESS_IMAGES.format(name=pool.name, n_skipped=len(skipped), path=pool.root))
    labels = pool.frame.set_index("path")["label"]
    frame.insert(1, "label", labels.loc[frame["path"]].to_numpy().astype(np.int8))
    report = stress_report(frame, threshold=info.threshold)
    verdict = framing_verdict(report)
    used = ImagePool(pool.name, pool.root, pool.key, frame, pool.validation_only, pool.n_training_excluded)
    summary = {
        **used.describe(),
        "threshold": info.threshold,
        "report": report.to_dict(),
        "reacts_to_framing": verdict.reacts,
        "skipped": _skipped([*pool.skipped, *skipped]),
        "created": _now(),
    }
    evaluations.save_stress(run_id, pool.key, scores=frame, summary=summary)
    return {**summary, "key": pool.key, "run_id": run_id}, frame


def stored_stress(run_id: str) -> list[tuple[dict[str, Any], StressReport, FramingVerdict]]:
    """The run's kept stress results, newest first: ``(summary, report, verdict)`` each.

    Results that no longer read back (written by another version) are left out.
    """
    found = []
    for summary in evaluations.list_results(run_id, "stress"):
        try:
            report = StressReport.from_dict(summary["report"])
        except (KeyError, TypeError, ValueError):
            continue
        found.append((summary, report, framing_verdict(report)))
    return found


def validation_note(summary: dict[str, Any]) -> str:
    """:data:`VALIDATION_ONLY_NOTE` for a stored result on the run's training folder; "" otherwise."""
    if not summary.get("validation_only"):
        return ""
    return VALIDATION_ONLY_NOTE.format(
        name=summary["data"]["name"],
        run_id=summary["run_id"],
        n=summary["n"],
        excluded=summary["n_training_excluded"],
    )


def _skipped(files: Sequence[SkippedFile]) -> list[dict[str, str]]:
    return [{"path": s.path, "reason": s.reason} for s in files]


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
