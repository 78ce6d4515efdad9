"""Shortcut and robustness probes: score the same images changed in one way, count what changes.

:func:`probe_scores` decodes each original file at its own size, applies every probe of
:mod:`core.evaluation.probes` and hands the changed pixels to a ``score`` function (the run's
normal scoring path, :func:`core.pipeline.score_images`); :func:`stress_report` turns those
scores into numbers. A *flip* is an image whose call at the threshold (real when P(real) is
above it) differs from its call on the unchanged original.

**The framing rule.** A run *reacts to framing* when, on any re-framing probe, more than
:data:`FRAMING_FLIP_LIMIT` (5%) of the calls flip, or the probe's ROC AUC is clearly lower: its
whole 95% interval lies more than :data:`FRAMING_AUC_DROP` (0.02) below the AUC on the
originals. Moving a face by a tenth of the picture does not change how it was made, so a
detector of how it was made keeps nearly every call; 5% leaves room for the borderline scores
any model has (the fast model trained on the Hard set flips at most 1 call in 323 under JPEG
q50, blur or re-scaling). Flips are judged by their share, which is what a user sees change;
the AUC by its interval, because on a hundred images an AUC moves by several hundredths from
sampling alone.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.data.faceset import SkippedFile
from core.data.images import decode_native
from core.errors import ImageError
from core.evaluation.auc import AucEstimate, auc_interval
from core.evaluation.checks import check_labels_scores, check_threshold
from core.evaluation.probes import PROBES, REFRAMING_KEYS, Probe
from core.evaluation.rates import Rate
from core.evaluation.report import ci_text, pct

#: More than this share of calls flipping on any re-framing probe means the run reacts to framing.
FRAMING_FLIP_LIMIT = 0.05
#: An AUC this far below the originals' on any re-framing probe means the same.
FRAMING_AUC_DROP = 0.02
#: The column of the unchanged images' scores in a probe-scores frame.
ORIGINAL = "original"
#: Images decoded and changed at once: bounds memory for large photos (64 at 768 px is 113 MB).
CHUNK = 64

#: What the Overview, the Stress test page and ``stress`` say when a run reacts to framing.
FRAMING_WARNING = "This model reacts to where the face sits in the picture, not to how it was made: {detail}"
FRAMING_STEADY = (
    "Re-framing changes few calls: {detail} (the warning starts above {limit} of calls flipping, or at an "
    "AUC whose interval lies more than {drop} below the originals')."
)

Score = Callable[[list[np.ndarray]], np.ndarray]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ProbeResult:
    """What one probe did to the calls: accuracy, AUC, and flips against the originals, with n.

    ``flipped_to_real`` counts images called fake originally and real under the probe;
    ``flipped_to_fake`` the other way round. For the originals themselves flips are 0.
    """

    key: str
    label: str
    family: str
    accuracy: Rate
    auc: AucEstimate
    flips: Rate
    flipped_to_real: int
    flipped_to_fake: int

    @property
    def n(self) -> int:
        return self.accuracy.n

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, nested: ``accuracy``, ``auc`` and ``flips`` are dicts of their own."""
        out = dataclasses.asdict(self)
        out.update(accuracy=self.accuracy.to_dict(), auc=self.auc.to_dict(), flips=self.flips.to_dict())
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ProbeResult:
        """The inverse of :meth:`to_dict` (``None`` read back as NaN)."""
        return cls(
            key=d["key"],
            label=d["label"],
            family=d["family"],
            accuracy=Rate(**_nan(d["accuracy"])),
            auc=AucEstimate(**_nan(d["auc"])),
            flips=Rate(**_nan(d["flips"])),
            flipped_to_real=int(d["flipped_to_real"]),
            flipped_to_fake=int(d["flipped_to_fake"]),
        )


@dataclass(frozen=True)
class StressReport:
    """Every probe's result at one threshold, beside the originals'."""

    threshold: float
    original: ProbeResult
    probes: tuple[ProbeResult, ...]

    def table(self) -> pd.DataFrame:
        """One row per probe (the originals first): n, accuracy, AUC and flips, each with its interval."""
        rows = []
        for r in (self.original, *self.probes):
            rows.append(
                {
                    "probe": r.label,
                    "family": r.family,
                    "n": r.n,
                    "accuracy": r.accuracy.rate,
                    "accuracy_ci_low": r.accuracy.ci_low,
                    "accuracy_ci_high": r.accuracy.ci_high,
                    "auc": r.auc.auc,
                    "auc_ci_low": r.auc.ci_low,
                    "auc_ci_high": r.auc.ci_high,
                    "flips": r.flips.count,
                    "flip_rate": r.flips.rate,
                    "flip_ci_low": r.flips.ci_low,
                    "flip_ci_high": r.flips.ci_high,
                    "to_real": r.flipped_to_real,
                    "to_fake": r.flipped_to_fake,
                }
            )
        return pd.DataFrame(rows, index=pd.Index([r.key for r in (self.original, *self.probes)], name="key"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "original": self.original.to_dict(),
            "probes": [p.to_dict() for p in self.probes],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StressReport:
        probes = tuple(ProbeResult.from_dict(p) for p in d["probes"])
        return cls(float(d["threshold"]), ProbeResult.from_dict(d["original"]), probes)


@dataclass(frozen=True)
class FramingVerdict:
    """Whether a run reacts to framing (see the module docstring), and the probe that shows it most.

    ``worst`` is the re-framing probe that shows it most (``None`` when none was run);
    ``auc_drop`` is the largest fall in AUC below the originals' over the re-framing probes
    (NaN when the AUC is undefined, one class only).
    """

    reacts: bool
    worst: ProbeResult | None
    auc_drop: float


def probe_result(
    labels: Any, original: Any, scores: Any, *, threshold: float, probe: Probe | None = None
) -> ProbeResult:
    """Accuracy, AUC and flips of ``scores`` against the ``original`` scores of the same images.

    Parameters
    ----------
    labels : array-like of int, shape (n,)
        1 real, 0 fake.
    original, scores : array-like of float, shape (n,)
        P(real) of the unchanged images and of the changed ones, in the same order.
    threshold : float
        Called real when the score is above it.
    probe : Probe, optional
        Names the result; ``None`` means these are the originals.

    Examples
    --------
    Two fakes and two reals; the probe turns the first fake's call to real, the first real's to fake:

    >>> r = probe_result([0, 0, 1, 1], [0.1, 0.2, 0.9, 0.8], [0.9, 0.2, 0.1, 0.8], threshold=0.5)
    >>> r.flips.count, r.flipped_to_real, r.flipped_to_fake, r.accuracy.count
    (2, 1, 1, 2)
    """
    y, base = check_labels_scores(labels, original)
    _, s = check_labels_scores(labels, scores)
    t = check_threshold(threshold)
    was_real, now_real = base > t, s > t
    correct = int((now_real == (y == 1)).sum())
    return ProbeResult(
        key=probe.key if probe else ORIGINAL,
        label=probe.label if probe else "original images",
        family=probe.family if probe else ORIGINAL,
        accuracy=Rate.from_counts(correct, len(y)),
        auc=auc_interval(y, s),
        flips=Rate.from_counts(int((was_real != now_real).sum()), len(y)),
        flipped_to_real=int((~was_real & now_real).sum()),
        flipped_to_fake=int((was_real & ~now_real).sum()),
    )


def stress_report(frame: pd.DataFrame, *, threshold: float) -> StressReport:
    """Each probe's :class:`ProbeResult` from a :func:`probe_scores` frame with a ``label`` column."""
    labels, original = frame["label"], frame[ORIGINAL]
    ran = [p for p in PROBES if p.key in frame.columns]
    results = tuple(probe_result(labels, original, frame[p.key], threshold=threshold, probe=p) for p in ran)
    return StressReport(threshold, probe_result(labels, original, original, threshold=threshold), results)


def framing_verdict(report: StressReport) -> FramingVerdict:
    """Apply the framing rule (:data:`FRAMING_FLIP_LIMIT`, :data:`FRAMING_AUC_DROP`) to ``report``.

    ``worst`` is the re-framing probe that breaks the rule most plainly: the one with the most
    flips when flips break it, else the one whose AUC fell furthest, else the one with the most flips.
    """
    framing = [p for p in report.probes if p.key in REFRAMING_KEYS]
    if not framing:
        return FramingVerdict(False, None, math.nan)
    most_flips = max(framing, key=lambda p: p.flips.count)
    base = report.original.auc.auc
    if math.isnan(base):
        return FramingVerdict(bool(most_flips.flips.rate > FRAMING_FLIP_LIMIT), most_flips, math.nan)
    lowest = min(framing, key=lambda p: p.auc.auc)
    if most_flips.flips.rate > FRAMING_FLIP_LIMIT:
        return FramingVerdict(True, most_flips, base - lowest.auc.auc)
    fell = lowest.auc.ci_high < base - FRAMING_AUC_DROP
    return FramingVerdict(bool(fell), lowest if fell else most_flips, base - lowest.auc.auc)


def framing_sentence(report: StressReport, *, data_name: str) -> str:
    """The framing verdict in words, with the worst re-framing probe's numbers; "" when none was run."""
    verdict = framing_verdict(report)
    worst = verdict.worst
    if worst is None:
        return ""
    flips = worst.flips
    detail = (
        f"on {data_name} (n = {flips.n}), {worst.label} flipped {flips.count} of {flips.n} calls "
        f"({pct(flips.rate)}; 95% CI {ci_text(flips.ci_low, flips.ci_high)})"
    )
    before, after = report.original.auc, worst.auc
    if not math.isnan(before.auc):
        detail += (
            f", and the AUC went from {before.auc:.3f} to {after.auc:.3f} "
            f"(95% CI {after.ci_low:.3f}–{after.ci_high:.3f})"
        )
    if verdict.reacts:
        return FRAMING_WARNING.format(detail=detail + ".")
    return FRAMING_STEADY.format(detail=detail, limit=pct(FRAMING_FLIP_LIMIT, 0), drop=FRAMING_AUC_DROP)


def probe_scores(
    root: str | os.PathLike[str],
    paths: Sequence[str],
    *,
    score: Score,
    probes: Sequence[Probe] = PROBES,
    progress: Progress | None = None,
) -> tuple[pd.DataFrame, list[SkippedFile]]:
    """Score each image of ``paths`` (under ``root``) as it is and under each probe.

    Parameters
    ----------
    root : path
        The data folder.
    paths : sequence of str
        The images, relative to ``root``.
    score : callable
        P(real) for a list of RGB arrays at their own sizes; the run's normal scoring path.
    probes : sequence of Probe, default all of :data:`~core.evaluation.probes.PROBES`
    progress : callable(done, total), optional
        Called after each chunk of images.

    Returns
    -------
    (DataFrame, list of SkippedFile)
        One row per image that decoded, in the order of ``paths``: ``path``, ``original``,
        then one column per probe key; and the files that could not be decoded, with why.
    """
    rows: list[pd.DataFrame] = []
    skipped: list[SkippedFile] = []
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for start in range(0, len(paths), CHUNK):
            chunk = list(paths[start : start + CHUNK])
            decoded = list(pool.map(lambda p: _decode(Path(root, p)), chunk))
            skipped += [SkippedFile(p, d) for p, d in zip(chunk, decoded, strict=True) if isinstance(d, str)]
            kept = [(p, d) for p, d in zip(chunk, decoded, strict=True) if not isinstance(d, str)]
            pixels = [d for _, d in kept]
            columns = {"path": [p for p, _ in kept], ORIGINAL: score(pixels) if pixels else []}
            for probe in probes:
                changed = list(pool.map(probe.transform, pixels))
                columns[probe.key] = score(changed) if changed else []
            rows.append(pd.DataFrame(columns))
            if progress is not None:
                progress(min(start + CHUNK, len(paths)), len(paths))
    frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["path", ORIGINAL])
    return frame.astype({"path": object}), skipped


def _decode(file: Path) -> np.ndarray | str:
    try:
        return decode_native(file)
    except ImageError as error:
        return str(error)


def _nan(d: dict[str, Any]) -> dict[str, Any]:
    return {k: math.nan if v is None else v for k, v in d.items()}
