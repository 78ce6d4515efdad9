"""core.document: the one-file report is self-contained, complete and escapes what users typed."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from support.factories import save_run_without_groups, save_stand_in_run

from core.document import (
    CAVEAT,
    NO_BIAS_DATA,
    fingerprint,
    gather,
    problem_page,
    to_html,
    write_report,
)
from core.errors import REPORT_BAD_SUFFIX, ConfigError
from core.runs import store


@pytest.fixture
def run_id(tmp_path: Path) -> str:
    """A stand-in run trained on ``tmp_path`` (its scores carry skin tones: the bias check needs no model)."""
    save_stand_in_run("run-1", data=tmp_path)
    return "run-1"


def test_report_is_one_self_contained_page_with_every_part(run_id: str) -> None:
    page = to_html(gather(run_id))
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and not re.search(r"""(src|href)=["']https?:""", page)
    assert "url(http" not in page
    assert page.count('src="data:image/svg+xml;base64,') >= 6  # matrix, ROC, PR, histogram, training, bias
    for part in (
        "The study",
        "The run",
        "data fingerprint",
        "Every metric",
        "95% CI",
        "Calls and mistakes",
        "Who gets flagged: bias by group",
        "all groups",
        "Stress tests",
        "How far these numbers go.",
    ):
        assert part in page, part
    assert CAVEAT.split(":")[0] in page


def test_report_escapes_the_run_name_and_note(run_id: str) -> None:
    store.write_meta(run_id, name="<script>alert(1)</script>", note='<img src="https://evil.example/x">')
    page = to_html(gather(run_id))
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'src="https://evil.example' not in page


def test_report_without_group_attributes_says_why_no_bias(tmp_path: Path) -> None:
    save_run_without_groups("hard", data=tmp_path)
    data = gather("hard")
    assert data.bias is None and data.bias_note == NO_BIAS_DATA.format(run_id="hard", name="Hard")
    assert "No bias check" in to_html(data)


def test_report_shows_the_kept_stress_results(run_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import core.evaluation.stress
    import core.stress_test

    class Report:
        def table(self) -> pd.DataFrame:
            return pd.DataFrame(
                {"probe": ["originals", "JPEG q50"], "n": [4, 4], "accuracy": [1.0, 0.75]}
                | {"accuracy_ci_low": [0.51, 0.3], "accuracy_ci_high": [1.0, 0.95], "flips": [0, 1]}
                | {"flip_rate": [0.0, 0.25], "flip_ci_low": [0.0, 0.05], "flip_ci_high": [0.49, 0.7]}
            )

    kept = [({"data": {"name": "faces"}}, Report(), None)]
    monkeypatch.setattr(core.stress_test, "stored_stress", lambda run_id: kept)
    monkeypatch.setattr(
        core.evaluation.stress, "framing_sentence", lambda r, data_name: f"On {data_name}: fine."
    )
    page = to_html(gather(run_id))
    assert "On faces: fine." in page and "JPEG q50" in page and "1: 25.0% (5.0%–70.0%)" in page
    assert "No stress-test results" not in page


def test_fingerprint_depends_on_the_validation_images_only(run_id: str) -> None:
    run = store.load_run(run_id)
    first = fingerprint(run)
    assert first.startswith("sha256:") and "4 validation images" in first
    assert fingerprint(store.Run(run.info, run.history.iloc[:0], run.scores)) == first


def test_write_report_refuses_other_suffixes(run_id: str, tmp_path: Path) -> None:
    out = tmp_path / "report.txt"
    with pytest.raises(ConfigError, match=re.escape(REPORT_BAD_SUFFIX.format(path=str(out)))):
        write_report(run_id, out)


def test_problem_page_says_why_escaped() -> None:
    page = problem_page("r<1>", "The run is <gone>.")
    assert "r&lt;1&gt;" in page and "The run is &lt;gone&gt;." in page
