"""Probe results: flips, accuracy and AUC against the originals; the framing rule; scoring files."""

import math

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from core.evaluation.probes import probes_by_key
from core.evaluation.stress import (
    FRAMING_FLIP_LIMIT,
    FRAMING_WARNING,
    ORIGINAL,
    StressReport,
    framing_sentence,
    framing_verdict,
    probe_result,
    probe_scores,
    stress_report,
)


def test_probe_result_counts_flips_both_ways():
    # Fakes 0.1, 0.2 and reals 0.9, 0.8 at 0.5; the probe turns the first fake real and the first real fake.
    r = probe_result([0, 0, 1, 1], [0.1, 0.2, 0.9, 0.8], [0.9, 0.2, 0.1, 0.8], threshold=0.5)
    assert (r.flips.count, r.flips.n, r.flipped_to_real, r.flipped_to_fake) == (2, 4, 1, 1)
    assert r.flips.rate == 0.5 and r.flips.ci_low < 0.5 < r.flips.ci_high
    assert (r.accuracy.count, r.accuracy.n) == (2, 4)
    # Reals 0.1 and 0.8 against fakes 0.9 and 0.2: only 0.8 > 0.2 of the four pairs is ordered right.
    assert r.auc.auc == 0.25
    assert (r.key, r.family) == (ORIGINAL, ORIGINAL)


def test_probe_result_at_the_threshold_itself_is_called_fake():
    r = probe_result([1], [0.8], [0.75], threshold=0.75)  # called real when strictly above
    assert (r.flips.count, r.flipped_to_fake, r.accuracy.count) == (1, 1, 0)
    assert math.isnan(r.auc.auc) and "only real images" in r.auc.reason


def _frame(labels, original, **probes) -> pd.DataFrame:
    return pd.DataFrame(
        {"path": [f"{i}.png" for i in range(len(labels))], "label": labels, ORIGINAL: original, **probes}
    )


def _separated(n: int = 20) -> tuple[list[int], np.ndarray]:
    labels = [1] * (n // 2) + [0] * (n // 2)
    return labels, np.array([0.9] * (n // 2) + [0.1] * (n // 2))


def test_stress_report_has_one_row_per_probe_run_originals_first():
    labels, original = _separated()
    report = stress_report(_frame(labels, original, mirror=original, crop_tl_80=original), threshold=0.75)
    table = report.table()
    assert list(table.index) == [ORIGINAL, "crop_tl_80", "mirror"]
    assert table.loc["mirror", "flips"] == 0 and table.loc[ORIGINAL, "auc"] == 1.0
    assert StressReport.from_dict(report.to_dict()) == report


@pytest.mark.parametrize(("flipped", "reacts"), [(1, False), (2, True)])
def test_framing_rule_on_flips(flipped, reacts):
    labels, original = _separated(20)  # 1 flip of 20 is 5%, not above the limit; 2 is 10%
    cropped = original.copy()
    cropped[10 : 10 + flipped] = 0.95  # fakes now called real
    report = stress_report(_frame(labels, original, crop_tl_80=cropped, jpeg_50=original), threshold=0.75)
    verdict = framing_verdict(report)
    assert FRAMING_FLIP_LIMIT == 0.05
    assert verdict.reacts is reacts
    assert verdict.worst.key == "crop_tl_80"


def test_framing_rule_on_a_clear_auc_drop_without_flips():
    rng = np.random.default_rng(0)
    labels = np.array([1] * 200 + [0] * 200)
    original = np.r_[rng.uniform(0.4, 0.7, 200), rng.uniform(0.0, 0.3, 200)]  # all called fake, AUC 1
    shuffled = rng.uniform(0.0, 0.7, 400)  # still all called fake, AUC about 0.5
    report = stress_report(_frame(labels, original, shift_10=shuffled), threshold=0.75)
    verdict = framing_verdict(report)
    assert report.probes[0].flips.count == 0
    assert verdict.reacts and verdict.worst.key == "shift_10"
    assert verdict.auc_drop == pytest.approx(1 - report.probes[0].auc.auc)


def test_degradations_alone_never_raise_the_framing_warning():
    labels, original = _separated()
    report = stress_report(_frame(labels, original, jpeg_50=1 - original), threshold=0.75)
    verdict = framing_verdict(report)
    assert (verdict.reacts, verdict.worst) == (False, None)
    assert framing_sentence(report, data_name="x") == ""


def test_one_class_data_uses_flips_only():
    labels = [0] * 10
    original = np.full(10, 0.1)
    report = stress_report(
        _frame(labels, original, crop_br_60=np.r_[np.full(5, 0.9), np.full(5, 0.1)]), threshold=0.75
    )
    verdict = framing_verdict(report)
    assert verdict.reacts and math.isnan(verdict.auc_drop)
    sentence = framing_sentence(report, data_name="fakes")
    assert sentence.startswith(FRAMING_WARNING.format(detail="")[:60])
    assert "crop to the bottom-right 60% flipped 5 of 10 calls (50.0%; 95% CI" in sentence
    assert "AUC" not in sentence


def test_probe_scores_decodes_each_file_at_its_size_and_skips_unreadable_ones(tmp_path):
    for name, width in (("a.png", 100), ("b.png", 50)):
        Image.new("RGB", (width, 40), (9, 9, 9)).save(tmp_path / name)
    (tmp_path / "broken.png").write_bytes(b"not an image")

    def widths(images: list[np.ndarray]) -> np.ndarray:  # a stand-in model: P(real) = width / 1000
        return np.array([x.shape[1] / 1000 for x in images])

    calls = []
    frame, skipped = probe_scores(
        tmp_path,
        ["a.png", "broken.png", "b.png"],
        score=widths,
        probes=probes_by_key(["crop_tl_80", "pad_10"]),
        progress=lambda done, total: calls.append((done, total)),
    )
    assert list(frame.columns) == ["path", ORIGINAL, "crop_tl_80", "pad_10"]
    assert frame["path"].tolist() == ["a.png", "b.png"]
    assert frame[ORIGINAL].tolist() == [0.1, 0.05]
    assert frame["crop_tl_80"].tolist() == [0.08, 0.04]
    assert frame["pad_10"].tolist() == [0.12, 0.06]
    assert [s.path for s in skipped] == ["broken.png"] and "not an image" in skipped[0].reason
    assert calls == [(3, 3)]
