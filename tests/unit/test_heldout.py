"""Tests for core.evaluation.heldout: a left-out source's figures, whole and per fixed half."""

from __future__ import annotations

import numpy as np
import pandas as pd
from support.factories import HAND_LABELS, HAND_SCORES

from core.evaluation.auc import auc_interval
from core.evaluation.heldout import auc_figures, held_out_parts, held_out_report, source_summary


def test_source_summary_one_class_gives_the_share_called_correctly():
    summary = source_summary([0, 0, 0, 0], [0.1, 0.8, 0.2, 0.75], threshold=0.75)
    assert summary["classes"] == ["fake"]
    assert (summary["fakes_caught"]["count"], summary["fakes_caught"]["n"]) == (
        3,
        4,
    )  # 0.75 is not above 0.75
    assert summary["fakes_caught"]["ci_low"] < 0.75 < summary["fakes_caught"]["ci_high"]
    assert summary["reals_called_real"]["n"] == 0
    assert (
        summary["auc"] is None
        and summary["reason"] == "only fake images: ROC AUC needs both real and fake images"
    )


def test_source_summary_both_classes():
    summary = source_summary(HAND_LABELS, HAND_SCORES, threshold=0.75)
    assert summary["auc"] == 0.75 and summary["classes"] == ["fake", "real"]
    assert summary["auc_ci"] == auc_figures(auc_interval(HAND_LABELS, HAND_SCORES))["auc_ci"]
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


def test_held_out_report_both_classes_has_no_validation_pairing():
    held = pd.DataFrame({"label": HAND_LABELS, "score": HAND_SCORES, "part": ["dev"] * 4})
    report = held_out_report(held, pd.DataFrame({"label": [1], "score": [0.5]}), threshold=0.75)
    assert "vs_validation" not in report and report["test"] is None and report["dev"]["auc"] == 0.75
