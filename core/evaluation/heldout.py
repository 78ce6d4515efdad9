"""What a left-out source's scores say, whole and per fixed half, with n and intervals.

- :func:`source_summary`: the AUC (bootstrap interval, :func:`core.evaluation.auc.auc_interval`)
  and accuracy where the source has both classes, else the share of its one class called
  correctly (Wilson interval).
- :func:`held_out_parts` splits a source into two fixed halves by file name: ``dev``, which
  may be looked at while choosing a design, and ``test``, which headline figures come from;
  :func:`held_out_report` says :func:`source_summary` for the whole source and each half.

Pure numpy and pandas; no TensorFlow.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import numpy as np

from core.evaluation.auc import AucEstimate, auc_interval
from core.evaluation.checks import check_labels_scores, check_threshold, only_class
from core.evaluation.metrics import threshold_metrics
from core.evaluation.rates import Rate
from core.labels import CLASS_NAMES, FAKE, REAL


def auc_figures(estimate: AucEstimate) -> dict[str, Any]:
    """An AUC estimate as the held-out reports keep it: ``auc``, ``auc_ci``, counts and reason."""
    values = estimate.to_dict()
    return {
        "auc": values["auc"],
        "auc_ci": [values["ci_low"], values["ci_high"]],
        "n_real": estimate.n_real,
        "n_fake": estimate.n_fake,
        "reason": estimate.reason,
    }


def source_summary(labels: Any, scores: Any, *, threshold: float) -> dict[str, Any]:
    """What a held-out source's scores say, with n and intervals.

    Both classes: AUC (with interval), accuracy, the share of reals called real and the
    share of fakes caught. One class: the share of it called correctly (reals called
    real, or fakes caught), with its Wilson interval; AUC is NaN with the reason.
    """
    y, s = check_labels_scores(labels, scores)
    threshold = check_threshold(threshold)
    called_real = s > threshold
    reals = Rate.from_counts(int(called_real[y == REAL].sum()), int((y == REAL).sum()))
    fakes = Rate.from_counts(int((~called_real[y == FAKE]).sum()), int((y == FAKE).sum()))
    out: dict[str, Any] = {"n": len(y), "threshold": threshold, **auc_figures(auc_interval(y, s))}
    out["reals_called_real"] = reals.to_dict()
    out["fakes_caught"] = fakes.to_dict()
    out["accuracy"] = threshold_metrics(y, s, threshold=threshold).accuracy.to_dict()
    present = only_class(y)
    out["classes"] = [present] if present else [CLASS_NAMES[FAKE], CLASS_NAMES[REAL]]
    return out


def held_out_parts(paths: Iterable[str]) -> np.ndarray:
    """``"dev"`` or ``"test"`` per image, from a hash of its file name: the same halves in every run and seed.

    The file name alone, so the halves do not depend on which other folders a set was
    read with (that changes the paths' common prefix).

    Examples
    --------
    >>> held_out_parts(["lfw/real/a.jpg", "other/lfw/real/a.jpg", "lfw/real/d.jpg"]).tolist()
    ['dev', 'dev', 'test']
    """
    names = (p.rsplit("/", 1)[-1] for p in paths)
    parts = [
        "test" if hashlib.sha256(n.encode("utf-8", "surrogateescape")).digest()[0] % 2 else "dev"
        for n in names
    ]
    return np.array(parts, dtype=object)


def held_out_report(held_out: Any, validation: Any, *, threshold: float, name: str = "") -> dict[str, Any]:
    """Everything :func:`source_summary` says about a held-out source, whole and per half.

    Parameters
    ----------
    held_out : DataFrame
        Its scores: ``label``, ``score`` and ``part`` columns (see :func:`held_out_parts`).
    validation : DataFrame
        The run's validation scores (``label``, ``score``) on the sources it trained on.
        For a one-class held-out source, ``vs_validation`` is the AUC of its images
        against the validation images *of the other class*: whether the model ranks the
        unseen source on the right side of the seen one, not a detection figure of the
        unseen source alone.
    threshold : float
    name : str
        The source's name, recorded as ``source``.
    """
    labels, scores = np.asarray(held_out["label"]), np.asarray(held_out["score"])
    out: dict[str, Any] = {"source": name, "all": source_summary(labels, scores, threshold=threshold)}
    for part in ("dev", "test"):
        rows = np.asarray(held_out["part"]) == part
        out[part] = source_summary(labels[rows], scores[rows], threshold=threshold) if rows.any() else None
    classes = set(labels.tolist())
    if len(classes) == 1:
        other = validation[validation["label"] != next(iter(classes))]
        both = np.r_[labels, np.asarray(other["label"])]
        out["vs_validation"] = auc_figures(auc_interval(both, np.r_[scores, np.asarray(other["score"])]))
    return out
