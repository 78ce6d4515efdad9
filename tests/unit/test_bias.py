"""Tests for core.evaluation.bias: per-group shares of real faces flagged as fake."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest

from core.errors import BAD_LABELS, GROUPS_LENGTH_DIFFER, OUT_OF_RANGE, SAMPLE_SIZE
from core.evaluation.bias import (
    CHI_SQUARE,
    FISHER,
    NOTE_APPROXIMATE,
    NOTE_BEST_ZERO,
    NOTE_NO_FAKES,
    NOTE_NO_REALS,
    NOTE_ONE_GROUP,
    NOTE_SAME_RATE,
    UNKNOWN_GROUP,
    count_by_group,
    group_names,
    group_table,
    sample_per_group,
)
from core.evaluation.checks import MetricsError

# Group A: reals 0.1, 0.2, 0.8, 0.9 (2 of 4 flagged at 0.75), one fake 0.9 (passed).
# Group B: reals 0.1, 0.8, 0.9, 0.95 (1 of 4 flagged), fakes 0.1, 0.2 (none passed).
LABELS = [1, 1, 1, 1, 0] + [1, 1, 1, 1, 0, 0]
SCORES = [0.1, 0.2, 0.8, 0.9, 0.9] + [0.1, 0.8, 0.9, 0.95, 0.1, 0.2]
GROUPS = pd.Series(list("AAAAA") + list("BBBBBB"), name="race")


def _raises(message: str) -> pytest.RaisesExc:
    return pytest.raises(MetricsError, match=re.escape(message))


# --- group_table ------------------------------------------------------------------


def test_group_table_hand_example() -> None:
    result = group_table(LABELS, SCORES, GROUPS)
    table = result.table
    assert list(table.index) == ["A", "B"]
    assert table.index.name == "group"
    assert table[["n", "n_real", "n_fake", "flagged_fake", "passed_real"]].to_dict("list") == {
        "n": [5, 6],
        "n_real": [4, 4],
        "n_fake": [1, 2],
        "flagged_fake": [2, 1],
        "passed_real": [1, 0],
    }
    assert list(table["flagged_fake_rate"]) == [0.5, 0.25]
    assert list(table["passed_real_rate"]) == [1.0, 0.0]
    # Wilson 95% for 2 of 4 and 1 of 4.
    assert list(table["ci_low"]) == pytest.approx([0.150039, 0.045587], abs=1e-6)
    assert list(table["ci_high"]) == pytest.approx([0.849961, 0.699358], abs=1e-6)
    assert list(table["ratio_to_best"]) == [2.0, 1.0]
    assert list(table["overlaps_best"]) == [True, True]
    assert (result.attribute, result.threshold) == ("race", 0.75)
    assert (result.max_gap, result.max_gap_groups, result.distinguishable) == (0.25, ("A", "B"), False)
    # Fisher's exact test on [[2, 2], [1, 3]]: every table as extreme, so p = 1.
    assert (result.p_value, result.p_value_test) == (pytest.approx(1.0), FISHER)
    assert result.notes == ()


def test_group_table_threshold_changes_the_calls() -> None:
    table = group_table(LABELS, SCORES, GROUPS, threshold=0.15).table
    assert list(table["flagged_fake"]) == [1, 1]
    assert list(table["passed_real"]) == [1, 1]


def test_group_table_only_real_images() -> None:
    # The UTKFace case: every image is real, so no group has fakes.
    labels, scores = [1] * 6, [0.1, 0.9, 0.9, 0.1, 0.1, 0.9]
    result = group_table(labels, scores, pd.Series(list("XXXYYY"), name="race"))
    assert list(result.table["flagged_fake_rate"]) == pytest.approx([1 / 3, 2 / 3])
    for column in ("passed_real_rate", "passed_ci_low", "passed_ci_high"):
        assert result.table[column].isna().all(), column
    assert result.notes[0] == NOTE_NO_FAKES.format(groups="X, Y")
    assert result.max_gap_groups == ("Y", "X")


def test_group_table_missing_values_are_unknown() -> None:
    groups = pd.Series(["A", None, math.nan, "", "A"])
    table = group_table([1, 1, 1, 1, 1], [0.9, 0.1, 0.9, 0.9, 0.9], groups).table
    assert list(table.index) == ["A", UNKNOWN_GROUP]
    assert list(table["n"]) == [2, 3]
    assert list(table["flagged_fake"]) == [0, 1]


def test_group_table_best_group_flags_none() -> None:
    result = group_table([1, 1, 1, 1], [0.9, 0.9, 0.1, 0.9], pd.Series(list("AABB")))
    assert result.table["ratio_to_best"].isna().all()
    assert NOTE_BEST_ZERO.format(group="A") in result.notes
    assert (result.max_gap, result.max_gap_groups) == (0.5, ("B", "A"))


def test_group_table_distinguishable_groups() -> None:
    labels = [1] * 200
    scores = [0.9] * 100 + [0.1] * 50 + [0.9] * 50
    result = group_table(labels, scores, pd.Series(["A"] * 100 + ["B"] * 100))
    # 0 of 100 is at most 3.7%, 50 of 100 at least 40.4%.
    assert result.distinguishable is True
    assert list(result.table["overlaps_best"]) == [True, False]
    assert result.p_value < 1e-15


def test_group_table_three_groups_use_chi_square() -> None:
    # Each group flags 1 of its 2 reals: the rates are equal, so chi-square is 0 and p is 1.
    result = group_table([1] * 6, [0.1, 0.9] * 3, pd.Series(list("AABBCC")))
    assert (result.p_value, result.p_value_test) == (pytest.approx(1.0), CHI_SQUARE)
    assert NOTE_APPROXIMATE in result.notes
    assert (result.max_gap, result.distinguishable) == (0.0, False)


def test_group_table_group_without_reals() -> None:
    result = group_table([1, 1, 0], [0.1, 0.9, 0.9], pd.Series(list("AAC")))
    table = result.table
    assert math.isnan(table.loc["C", "flagged_fake_rate"])
    assert table.loc["C", "overlaps_best"] is pd.NA
    assert table.loc["C", "passed_real_rate"] == 1.0
    assert result.notes == (
        NOTE_NO_REALS.format(groups="C"),
        NOTE_NO_FAKES.format(groups="A"),
        NOTE_ONE_GROUP,
    )
    assert math.isnan(result.max_gap) and result.max_gap_groups is None
    assert math.isnan(result.p_value) and result.p_value_test == ""


@pytest.mark.parametrize(
    ("scores", "which"),
    [([0.9, 0.9, 0.9, 0.9], "called real"), ([0.1, 0.1, 0.1, 0.1], "flagged as fake")],
)
def test_group_table_same_rate_everywhere_has_no_p_value(scores: list[float], which: str) -> None:
    result = group_table([1, 1, 1, 1], scores, pd.Series(list("AABB")))
    assert math.isnan(result.p_value)
    assert NOTE_SAME_RATE.format(which=which) in result.notes


def test_group_table_tied_rates_name_two_different_groups() -> None:
    result = group_table([1] * 6, [0.1] * 6, pd.Series(list("AABBCC")))
    assert (result.max_gap, result.max_gap_groups) == (0.0, ("B", "A"))


def test_group_table_uses_positions_not_index() -> None:
    groups = pd.Series(list("AABB"), index=[40, 30, 20, 10])
    table = group_table([1, 1, 1, 1], [0.1, 0.9, 0.9, 0.9], groups).table
    assert list(table["flagged_fake"]) == [1, 0]


def test_group_table_attribute_defaults_to_group() -> None:
    assert group_table([1, 1], [0.1, 0.9], ["A", "B"]).attribute == "group"


def test_group_table_to_records_is_json() -> None:
    records = group_table([1, 1, 0], [0.1, 0.9, 0.9], pd.Series(list("AAC"))).to_records()
    assert json.loads(json.dumps(records, allow_nan=False)) == records
    first = records[0]
    assert {k: first[k] for k in ("group", "n", "flagged_fake", "flagged_fake_rate")} == {
        "group": "A",
        "n": 2,
        "flagged_fake": 1,
        "flagged_fake_rate": 0.5,
    }
    assert (first["ci_low"], first["ci_high"]) == pytest.approx((0.094531, 0.905469), abs=1e-6)
    assert (records[1]["flagged_fake_rate"], records[1]["overlaps_best"]) == (None, None)


@pytest.mark.parametrize(
    ("labels", "scores", "groups", "threshold", "message"),
    [
        ([1, 0], [0.2, 0.8], ["A"], 0.75, GROUPS_LENGTH_DIFFER.format(n_groups=1, n=2)),
        ([1, 3], [0.2, 0.8], ["A", "B"], 0.75, BAD_LABELS.format(values="3")),
        (
            [1, 0],
            [0.2, 0.8],
            ["A", "B"],
            2.0,
            OUT_OF_RANGE.format(name="threshold", low=0, high=1, value=2.0),
        ),
    ],
)
def test_group_table_rejects_bad_input(
    labels: list, scores: list, groups: list, threshold: float, message: str
) -> None:
    with _raises(message):
        group_table(labels, scores, groups, threshold=threshold)


# --- sample_per_group -------------------------------------------------------------


def test_sample_per_group_takes_up_to_n_per_group() -> None:
    groups = pd.Series(list("AAAABBC"))
    picked = sample_per_group(groups, 2)
    assert list(groups.iloc[picked].value_counts().sort_index()) == [2, 2, 1]
    assert list(picked[-3:]) == [4, 5, 6]  # B and C are taken whole
    assert list(picked) == sorted(picked)


def test_sample_per_group_is_deterministic_and_seeded() -> None:
    groups = pd.Series(["A"] * 50 + ["B"] * 50)
    first = sample_per_group(groups, 10, seed=3)
    assert np.array_equal(first, sample_per_group(groups, 10, seed=3))
    assert not np.array_equal(first, sample_per_group(groups, 10, seed=4))
    assert len(np.unique(first)) == 20


def test_sample_per_group_missing_values_form_one_group() -> None:
    picked = sample_per_group(pd.Series(["A", None, math.nan, "A"]), 1)
    assert len(picked) == 2


def test_sample_per_group_empty_input() -> None:
    assert sample_per_group(pd.Series([], dtype=object), 5).tolist() == []


@pytest.mark.parametrize("n", [0, -3])
def test_sample_per_group_rejects_n_below_one(n: int) -> None:
    with _raises(SAMPLE_SIZE.format(n=n)):
        sample_per_group(pd.Series(list("AB")), n)


@pytest.mark.parametrize("seed", [-1, 2**31])
def test_sample_per_group_rejects_seed_out_of_range(seed: int) -> None:
    with _raises(OUT_OF_RANGE.format(name="seed", low=0, high=2**31 - 1, value=seed)):
        sample_per_group(pd.Series(list("AB")), 1, seed=seed)


# --- group_names and count_by_group -----------------------------------------------


def test_group_names_strings_and_unknown() -> None:
    assert list(group_names([3, None, " ", "x"])) == ["3", UNKNOWN_GROUP, UNKNOWN_GROUP, "x"]


def test_count_by_group_values() -> None:
    counts = count_by_group([1, 0, 1, 1], ["A", "A", "B", None])
    assert counts.to_dict("list") == {
        "group": ["A", "A", "B", UNKNOWN_GROUP],
        "class": ["fake", "real", "real", "real"],
        "count": [1, 1, 1, 1],
    }


def test_count_by_group_rejects_length_mismatch() -> None:
    with _raises(GROUPS_LENGTH_DIFFER.format(n_groups=1, n=2)):
        count_by_group([1, 0], ["A"])
