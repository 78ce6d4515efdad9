"""Figures for data a model never trained on: AUC with an interval, held-out sources, re-framing.

- :func:`auc_interval`: ROC AUC with the Hanley and McNeil (1982) 95% interval, NaN with
  the reason when one class is missing.
- :func:`source_summary`: what can be said about a held-out source: AUC and accuracy where
  it has both classes, else the share of its one class called correctly (Wilson interval);
  :func:`held_out_report` says it for the whole source and for each of its two fixed
  halves (:func:`held_out_parts`): ``dev``, which may be looked at while choosing a
  design, and ``test``, which the headline figures come from.
- :data:`REFRAMINGS` and :func:`reframe`: crops of an image at its own resolution (no
  resize), to ask whether a model's call depends on how the face is framed;
  :func:`reframing_summary` counts the calls that flip and the AUC on each crop.

Pure numpy; no TensorFlow.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from core.evaluation.checks import check_labels_scores, check_threshold, only_class
from core.evaluation.metrics import ONE_CLASS_REASON, threshold_metrics
from core.evaluation.rates import Rate, json_float
from core.labels import CLASS_NAMES, FAKE, REAL

Z95 = 1.959963984540054
Anchor = Literal["top-left", "centre", "bottom-right", "top-right", "bottom-left"]


@dataclass(frozen=True)
class Auc:
    """ROC AUC with its 95% interval and the counts behind it; NaN with ``reason`` when undefined."""

    auc: float
    ci_low: float
    ci_high: float
    n_real: int
    n_fake: int
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = {"auc": json_float(self.auc), "auc_ci": [json_float(self.ci_low), json_float(self.ci_high)]}
        return out | {"n_real": self.n_real, "n_fake": self.n_fake, "reason": self.reason}


def auc_interval(labels: Any, scores: Any) -> Auc:
    """ROC AUC (real as positive) with the Hanley and McNeil (1982) 95% interval, clipped to [0, 1].

    The standard error uses the exponential approximation of the two Q terms, which is
    what the paper recommends when the score distributions are unknown.

    Examples
    --------
    >>> a = auc_interval([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> round(a.auc, 2), round(a.ci_low, 3), round(a.ci_high, 3)
    (0.75, 0.208, 1.0)
    """
    from sklearn.metrics import roc_auc_score

    y, s = check_labels_scores(labels, scores)
    n_real, n_fake = int((y == REAL).sum()), int((y == FAKE).sum())
    present = only_class(y)
    if present is not None:
        return Auc(
            math.nan,
            math.nan,
            math.nan,
            n_real,
            n_fake,
            ONE_CLASS_REASON.format(present=present, metric="ROC AUC"),
        )
    auc = float(roc_auc_score(y, s))
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (auc * (1 - auc) + (n_real - 1) * (q1 - auc**2) + (n_fake - 1) * (q2 - auc**2)) / (
        n_real * n_fake
    )
    half = Z95 * math.sqrt(max(variance, 0.0))
    return Auc(auc, max(0.0, auc - half), min(1.0, auc + half), n_real, n_fake)


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
    out: dict[str, Any] = {"n": len(y), "threshold": threshold, **auc_interval(y, s).to_dict()}
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
    out: dict[str, Any] = {
        "source": name,
        "all": source_summary(held_out["label"], held_out["score"], threshold=threshold),
    }
    for part in ("dev", "test"):
        rows = held_out[held_out["part"] == part]
        out[part] = source_summary(rows["label"], rows["score"], threshold=threshold) if len(rows) else None
    classes = set(np.asarray(held_out["label"]).tolist())
    if len(classes) == 1:
        other = validation[validation["label"] != next(iter(classes))]
        labels = np.r_[np.asarray(held_out["label"]), np.asarray(other["label"])]
        scores = np.r_[np.asarray(held_out["score"]), np.asarray(other["score"])]
        out["vs_validation"] = auc_interval(labels, scores).to_dict()
    return out


@dataclass(frozen=True)
class Reframing:
    """A crop keeping ``fraction`` of each side, anchored at ``anchor``; never resized."""

    name: str
    fraction: float
    anchor: Anchor


#: The crops the re-framing probe scores: the one that fooled the fast model (top-left 80%) and its kin.
REFRAMINGS: tuple[Reframing, ...] = (
    Reframing("top-left 80%", 0.8, "top-left"),
    Reframing("bottom-right 80%", 0.8, "bottom-right"),
    Reframing("centre 80%", 0.8, "centre"),
    Reframing("centre 60%", 0.6, "centre"),
)


def reframe(image: np.ndarray, reframing: Reframing) -> np.ndarray:
    """The crop of one ``(h, w, 3)`` image that ``reframing`` names, at native resolution.

    Examples
    --------
    >>> image = np.arange(100).reshape(10, 10, 1)
    >>> int(reframe(image, Reframing("x", 0.8, "bottom-right"))[0, 0, 0]), reframe(image, REFRAMINGS[3]).shape
    (22, (6, 6, 1))
    """
    height, width = image.shape[:2]
    h, w = max(1, round(height * reframing.fraction)), max(1, round(width * reframing.fraction))
    top = {"top": 0, "centre": (height - h) // 2, "bottom": height - h}[_vertical(reframing.anchor)]
    left = {"left": 0, "centre": (width - w) // 2, "right": width - w}[_horizontal(reframing.anchor)]
    return image[top : top + h, left : left + w]


def reframing_summary(labels: Any, original: Any, cropped: Any, *, threshold: float) -> dict[str, Any]:
    """How one crop changes the calls: share of calls that flip, fakes newly passed, the crop's AUC.

    Parameters
    ----------
    labels : array-like of int, shape (n,)
    original, cropped : array-like of float, shape (n,)
        P(real) of the whole images and of their crops.
    threshold : float
        Called real above it.
    """
    y, before = check_labels_scores(labels, original)
    _, after = check_labels_scores(labels, cropped)
    threshold = check_threshold(threshold)
    flipped = (before > threshold) != (after > threshold)
    passed = (after > threshold) & (before <= threshold) & (y == FAKE)
    return {
        "n": len(y),
        "flipped": Rate.from_counts(int(flipped.sum()), len(y)).to_dict(),
        "fakes_newly_passed": Rate.from_counts(int(passed.sum()), int((y == FAKE).sum())).to_dict(),
        **auc_interval(y, after).to_dict(),
    }


def _vertical(anchor: str) -> str:
    return "centre" if anchor == "centre" else anchor.split("-")[0]


def _horizontal(anchor: str) -> str:
    return "centre" if anchor == "centre" else anchor.split("-")[1]
