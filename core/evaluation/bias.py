"""Who gets flagged: the share of real faces called fake, per group, with its uncertainty.

The paper's bias check takes up to 100 real faces per race group and reports the share
the detector calls fake. :func:`group_table` does that for any group attribute, with a
Wilson interval per group so two groups are only called different when their intervals
do not overlap, and a test of equal rates across all groups.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.errors import GROUPS_LENGTH_DIFFER, OUT_OF_RANGE, SAMPLE_SIZE
from core.evaluation.checks import MetricsError, check_labels, check_labels_scores, check_threshold
from core.evaluation.rates import Rate
from core.labels import CLASS_NAMES, DEFAULT_THRESHOLD, REAL

#: What a missing group value is called.
UNKNOWN_GROUP = "unknown"
#: Largest seed :func:`sample_per_group` takes (the same range as training's seed).
MAX_SEED = 2**31 - 1

NOTE_NO_REALS = "{groups}: no real images, so the share flagged as fake is undefined there"
NOTE_NO_FAKES = "{groups}: no fake images, so the share of fakes passed as real is undefined there"
NOTE_BEST_ZERO = "the best group ({group}) flags no real face, so ratios to it are undefined"
NOTE_ONE_GROUP = "only one group has real images, so there is nothing to compare"
NOTE_SAME_RATE = "every group's real faces were all {which}, so there is no difference to test"
NOTE_APPROXIMATE = "the chi-square p-value is approximate: some groups expect fewer than 5 in a cell"

FLAGGED_COLUMNS = ("flagged_fake", "flagged_fake_rate", "ci_low", "ci_high")
PASSED_COLUMNS = ("passed_real", "passed_real_rate", "passed_ci_low", "passed_ci_high")

FISHER = "Fisher's exact test"
CHI_SQUARE = "chi-square test"


@dataclass(frozen=True)
class GroupTable:
    """Per-group shares of real faces flagged as fake (and fakes passed as real).

    Attributes
    ----------
    attribute : str
        The group attribute, e.g. ``"race"``.
    threshold : float
        Scores above it were called real.
    table : DataFrame indexed by group name (index name ``"group"``)
        Columns ``n``, ``n_real``, ``n_fake``, ``flagged_fake``, ``flagged_fake_rate``,
        ``ci_low``, ``ci_high`` (Wilson 95% over the group's reals), ``passed_real``,
        ``passed_real_rate``, ``passed_ci_low``, ``passed_ci_high`` (over its fakes),
        ``ratio_to_best`` (its flagged rate over the lowest group's) and ``overlaps_best``
        (nullable bool: its interval overlaps the lowest group's). Rates are NaN, and
        ``overlaps_best`` is NA, where a group has no images of that class.
    max_gap : float
        Highest minus lowest flagged rate; NaN with fewer than two groups with reals.
    max_gap_groups : tuple of (str, str) or None
        The (highest, lowest) groups.
    distinguishable : bool
        True when those two groups' intervals do not overlap.
    p_value : float
        Test of equal flagged rates across groups with reals (see ``p_value_test``); NaN
        when undefined.
    p_value_test : str
        :data:`FISHER` for two groups, :data:`CHI_SQUARE` for more, ``""`` when none ran.
    notes : tuple of str
        Plain-words reasons for every NaN, and caveats.
    """

    attribute: str
    threshold: float
    table: pd.DataFrame
    max_gap: float
    max_gap_groups: tuple[str, str] | None
    distinguishable: bool
    p_value: float
    p_value_test: str
    notes: tuple[str, ...]

    def to_records(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per group (``group`` first); NaN and NA become ``None``."""
        frame = self.table.reset_index().astype(object)
        frame = frame.where(frame.notna(), None)
        return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def group_names(groups: Any, *, n: int | None = None) -> np.ndarray:
    """Group values as strings, one per image; missing or blank ones become ``"unknown"``.

    Raises
    ------
    MetricsError
        If ``n`` is given and the number of group values differs from it.
    """
    values = pd.Series(groups, dtype=object).reset_index(drop=True)
    if n is not None and len(values) != n:
        raise MetricsError(GROUPS_LENGTH_DIFFER.format(n_groups=len(values), n=n))
    names = values.map(lambda v: UNKNOWN_GROUP if pd.isna(v) or not str(v).strip() else str(v))
    return names.to_numpy(dtype=object)


def sample_per_group(groups: pd.Series, n: int, *, seed: int = 0) -> np.ndarray:
    """Positions of up to ``n`` images per group, drawn without replacement, sorted.

    Groups with ``n`` images or fewer are taken whole (their size shows as ``n`` in
    :func:`group_table`). The draw uses ``numpy.random.default_rng(seed)`` over groups in
    sorted order, so the same inputs and seed always give the same positions.

    Parameters
    ----------
    groups : Series, length N
        One group value per image; positions, not the index, are returned.
    n : int
        Images per group, at least 1.
    seed : int, default 0

    Returns
    -------
    ndarray of int, sorted ascending

    Raises
    ------
    MetricsError
        If ``n`` is below 1, or ``seed`` is not between 0 and :data:`MAX_SEED`.
    """
    if n < 1:
        raise MetricsError(SAMPLE_SIZE.format(n=n))
    if not 0 <= seed <= MAX_SEED:  # numpy refuses negative seeds with a bare ValueError
        raise MetricsError(OUT_OF_RANGE.format(name="seed", low=0, high=MAX_SEED, value=seed))
    names = group_names(groups)
    rng = np.random.default_rng(seed)
    picks = [np.empty(0, dtype=np.int64)]
    for name in sorted(set(names)):
        positions = np.flatnonzero(names == name)
        picks.append(positions if len(positions) <= n else rng.choice(positions, size=n, replace=False))
    return np.sort(np.concatenate(picks))


def count_by_group(labels: Any, groups: Any) -> pd.DataFrame:
    """Images per group and class, for bar charts: columns ``group``, ``class``, ``count``.

    Raises
    ------
    MetricsError
        If the labels are invalid or the number of group values differs.
    """
    y = check_labels(labels)
    frame = pd.DataFrame({"group": group_names(groups, n=len(y)), "class": pd.Series(y).map(CLASS_NAMES)})
    counts = frame.groupby(["group", "class"]).size().rename("count").reset_index()
    return counts.sort_values(["group", "class"], ignore_index=True)


def group_table(labels: Any, scores: Any, groups: Any, *, threshold: float = DEFAULT_THRESHOLD) -> GroupTable:
    """Share of real faces flagged as fake (score <= threshold) per group, with intervals.

    Parameters
    ----------
    labels : array-like of int, shape (n,)
        1 real, 0 fake.
    scores : array-like of float, shape (n,)
        P(real), in [0, 1].
    groups : Series or array-like, shape (n,)
        Group value per image (by position); missing values are grouped as ``"unknown"``.
        The Series name, if any, becomes ``attribute``.
    threshold : float, default 0.75

    Returns
    -------
    GroupTable

    Raises
    ------
    MetricsError
        If labels or scores are invalid, the threshold is outside [0, 1], or the number of
        group values differs from the number of images.
    """
    y, s = check_labels_scores(labels, scores)
    threshold = check_threshold(threshold)
    codes, names = pd.factorize(group_names(groups, n=len(y)), sort=True)
    real = y == REAL
    count = _counter(codes, len(names))
    table = pd.DataFrame(
        {"n": count(np.ones_like(real)), "n_real": count(real), "n_fake": count(~real)},
        index=pd.Index(names, name="group", dtype=object),
    )
    flagged = _rate_columns(count(real & (s <= threshold)), table["n_real"], FLAGGED_COLUMNS)
    passed = _rate_columns(count(~real & (s > threshold)), table["n_fake"], PASSED_COLUMNS)
    table = table.join(flagged).join(passed)
    notes = _class_notes(table)
    return _compare(table, attribute=_attribute(groups), threshold=threshold, notes=notes)


def _compare(table: pd.DataFrame, *, attribute: str, threshold: float, notes: list[str]) -> GroupTable:
    """Add ratio and overlap columns, the largest gap and the test of equal rates."""
    valid = table[table["n_real"] > 0]
    table["ratio_to_best"] = math.nan
    table["overlaps_best"] = pd.Series(pd.NA, index=table.index, dtype="boolean")
    gap, gap_groups, distinguishable = math.nan, None, False
    if len(valid):
        best = valid["flagged_fake_rate"].idxmin()
        best_rate = valid.at[best, "flagged_fake_rate"]
        if best_rate > 0:
            table["ratio_to_best"] = valid["flagged_fake_rate"] / best_rate
        else:
            notes.append(NOTE_BEST_ZERO.format(group=best))
        overlaps = (valid["ci_low"] <= valid.at[best, "ci_high"]) & (
            valid.at[best, "ci_low"] <= valid["ci_high"]
        )
        table.loc[valid.index, "overlaps_best"] = overlaps
    if len(valid) > 1:
        worst = valid["flagged_fake_rate"].drop(best).idxmax()  # on a tie, still two different groups
        gap = float(valid.at[worst, "flagged_fake_rate"] - best_rate)
        gap_groups = (str(worst), str(best))
        distinguishable = bool(
            valid.at[worst, "ci_low"] > valid.at[best, "ci_high"]
            or valid.at[best, "ci_low"] > valid.at[worst, "ci_high"]
        )
    elif len(valid) == 1:
        notes.append(NOTE_ONE_GROUP)
    p_value, test = _equal_rates_test(valid, notes)
    return GroupTable(
        attribute=attribute,
        threshold=threshold,
        table=table,
        max_gap=gap,
        max_gap_groups=gap_groups,
        distinguishable=distinguishable,
        p_value=p_value,
        p_value_test=test,
        notes=tuple(notes),
    )


def _equal_rates_test(valid: pd.DataFrame, notes: list[str]) -> tuple[float, str]:
    """p-value that all groups flag the same share of reals: Fisher for 2 groups, chi-square above."""
    from scipy.stats import chi2_contingency, fisher_exact  # slow to import; needed only here

    if len(valid) < 2:
        return math.nan, ""
    flagged = valid["flagged_fake"].to_numpy()
    contingency = np.column_stack([flagged, valid["n_real"].to_numpy() - flagged])
    if (contingency.sum(axis=0) == 0).any():
        which = "called real" if flagged.sum() == 0 else "flagged as fake"
        notes.append(NOTE_SAME_RATE.format(which=which))
        return math.nan, ""
    if len(valid) == 2:
        return float(fisher_exact(contingency).pvalue), FISHER
    result = chi2_contingency(contingency)
    if (result.expected_freq < 5).any():
        notes.append(NOTE_APPROXIMATE)
    return float(result.pvalue), CHI_SQUARE


def _rate_columns(counts: np.ndarray, totals: pd.Series, columns: tuple[str, ...]) -> pd.DataFrame:
    """Count, rate and Wilson interval per group, as four columns named ``columns``."""
    rates = [Rate.from_counts(k, m) for k, m in zip(counts, totals, strict=True)]
    values = [(r.count, r.rate, r.ci_low, r.ci_high) for r in rates]
    return pd.DataFrame(values, index=totals.index, columns=list(columns))


def _class_notes(table: pd.DataFrame) -> list[str]:
    notes = []
    for column, note in (("n_real", NOTE_NO_REALS), ("n_fake", NOTE_NO_FAKES)):
        empty = table.index[table[column] == 0]
        if len(empty):
            notes.append(note.format(groups=", ".join(map(str, empty))))
    return notes


def _counter(codes: np.ndarray, k: int) -> Any:
    """A function counting, per group, the images where a boolean mask is true."""
    return lambda mask: np.bincount(codes, weights=mask, minlength=k).astype(np.int64)


def _attribute(groups: Any) -> str:
    name = getattr(groups, "name", None)
    return str(name) if name is not None else "group"


def _plain(value: Any) -> Any:
    """Numpy scalars as Python ones, NaN as None, so ``json.dumps`` takes the result."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
