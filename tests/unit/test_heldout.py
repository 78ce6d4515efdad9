"""Tests for core.evaluation.heldout: AUC intervals, held-out sources and halves, re-framing probes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from support.factories import HAND_LABELS, HAND_SCORES

from core.evaluation.heldout import (
    REFRAMINGS,
    Reframing,
    auc_interval,
    held_out_parts,
    held_out_report,
    reframe,
    reframing_summary,
    source_summary,
)


def test_auc_interval_hand_example_hanley_mcneil():
    result = auc_interval(HAND_LABELS, HAND_SCORES)
    # AUC 3/4; Q1 = 0.6, Q2 = 9/14; var = (3/16 + (0.6 - 9/16) + (9/14 - 9/16)) / 4
    variance = (3 / 16 + (0.6 - 9 / 16) + (9 / 14 - 9 / 16)) / 4
    assert result.auc == 0.75
    assert result.ci_low == pytest.approx(0.75 - 1.959964 * math.sqrt(variance), abs=1e-6)
    assert result.ci_high == 1.0  # clipped
    assert (result.n_real, result.n_fake, result.reason) == (2, 2, "")


def test_auc_interval_one_class_is_nan_with_the_reason():
    result = auc_interval([1, 1], [0.2, 0.9])
    assert math.isnan(result.auc) and math.isnan(result.ci_low)
    assert result.reason == "only real images: ROC AUC needs both real and fake images"
    assert result.to_dict()["auc"] is None


def test_source_summary_one_class_gives_the_share_called_correctly():
    summary = source_summary([0, 0, 0, 0], [0.1, 0.8, 0.2, 0.75], threshold=0.75)
    assert summary["classes"] == ["fake"]
    assert (summary["fakes_caught"]["count"], summary["fakes_caught"]["n"]) == (
        3,
        4,
    )  # 0.75 is not above 0.75
    assert summary["fakes_caught"]["ci_low"] < 0.75 < summary["fakes_caught"]["ci_high"]
    assert summary["reals_called_real"]["n"] == 0 and summary["auc"] is None


def test_source_summary_both_classes():
    summary = source_summary(HAND_LABELS, HAND_SCORES, threshold=0.75)
    assert summary["auc"] == 0.75 and summary["classes"] == ["fake", "real"]
    assert summary["reals_called_real"]["count"] == 1 and summary["fakes_caught"]["count"] == 2
    assert summary["accuracy"]["count"] == 3


def test_held_out_parts_are_halves_fixed_by_file_name():
    names = [f"src/real/{i}.jpg" for i in range(400)]
    parts = held_out_parts(names)
    assert set(parts) == {"dev", "test"} and 150 < (parts == "test").sum() < 250
    np.testing.assert_array_equal(held_out_parts([f"other/prefix/{i}.jpg" for i in range(400)]), parts)


def test_held_out_report_one_class_adds_auc_against_validation_of_the_other_class():
    held = pd.DataFrame({"label": [1, 1, 1, 1], "score": [0.9, 0.8, 0.3, 0.95], "part": ["dev", "test"] * 2})
    validation = pd.DataFrame({"label": [1, 0, 0], "score": [0.99, 0.1, 0.5]})
    report = held_out_report(held, validation, threshold=0.75, name="lfw")
    assert report["source"] == "lfw"
    assert report["all"]["reals_called_real"]["count"] == 3
    assert report["dev"]["n"] == 2 and report["test"]["n"] == 2
    # 4 held-out reals against the 2 validation fakes: 7 of 8 pairs ranked right.
    assert report["vs_validation"]["auc"] == 7 / 8
    assert (report["vs_validation"]["n_real"], report["vs_validation"]["n_fake"]) == (4, 2)


def test_reframe_crops_at_native_resolution():
    image = np.arange(20 * 10).reshape(20, 10, 1)
    assert reframe(image, REFRAMINGS[0]).shape == (16, 8, 1)
    assert reframe(image, REFRAMINGS[0])[0, 0, 0] == 0
    assert reframe(image, REFRAMINGS[1])[-1, -1, 0] == image[-1, -1, 0]
    centre = reframe(image, Reframing("c", 0.5, "centre"))
    assert centre.shape == (10, 5, 1) and centre[0, 0, 0] == image[5, 2, 0]


def test_reframing_summary_counts_flips_and_fakes_newly_passed():
    labels = [0, 0, 1, 1]
    summary = reframing_summary(labels, [0.1, 0.9, 0.8, 0.2], [0.8, 0.95, 0.7, 0.9], threshold=0.75)
    assert (summary["flipped"]["count"], summary["flipped"]["n"]) == (3, 4)
    assert (summary["fakes_newly_passed"]["count"], summary["fakes_newly_passed"]["n"]) == (1, 2)
    assert summary["auc"] == 0.25
