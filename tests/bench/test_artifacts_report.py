"""The artifacts headline's verdicts are counted from its rows; the claim follows the cross-source ones."""

from __future__ import annotations

import pytest

from bench import artifacts_report

IN_DOMAIN = ["Hard set alone: validation AUC", ">= 0.995", "seed 0: 0.99", "**not met**"]


def _rows(*verdicts: str) -> list[list[str]]:
    return [IN_DOMAIN] + [
        [f"Reals of an unseen source called real: {i}", ">= 90%", "x", v] for i, v in enumerate(verdicts)
    ]


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        (
            ("met", "met"),
            "use the **artifacts** preset: on sources it never saw it meets all 2 generalization",
        ),
        (("met", "**not met**", "–"), "misses 1 of the 2 generalization targets measured"),
        ((), "has not been measured on sources it never saw yet"),
        (("–",), "has not been measured on sources it never saw yet"),
    ],
)
def test_the_claim_recommends_artifacts_only_when_every_measured_cross_source_target_is_met(
    monkeypatch: pytest.MonkeyPatch, verdicts: tuple[str, ...], expected: str
) -> None:
    monkeypatch.setattr(artifacts_report, "headline_rows", lambda sessions: _rows(*verdicts))
    claim = artifacts_report.generalization_claim([])
    assert expected in claim
    assert ("No preset here is shown to work" in claim) == (expected.startswith(("misses", "has not")))


def test_headline_markdown_counts_met_and_unmeasured_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(artifacts_report, "headline_rows", lambda sessions: _rows("met", "–"))
    text = artifacts_report.headline_markdown([])
    assert text.startswith("The `artifacts` preset meets 1 of its 2 measured targets (1 not measured yet)")
    assert text.count("\n|") == 5  # header, rule, three rows
    monkeypatch.setattr(artifacts_report, "headline_rows", lambda sessions: [])
    assert artifacts_report.headline_markdown([]) == ""
