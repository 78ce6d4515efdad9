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


def test_shortfall_evidence_compares_the_threshold_with_the_best_one_on_the_stored_scores() -> None:
    run = {
        "seed": 0,
        "val_paths": ["real/a.jpg", "real/b.jpg", "fake/c.jpg", "fake/d.jpg"],
        "val_scores": [0.74, 0.9, 0.2, 0.3],  # at 0.75, real/a is called fake: 75%; at 0.3: all right
        "val": {"accuracy": {"rate": 0.75}, "auc": 1.0},
        "train_seconds": 320,
        "load_average": [[3.5, 3.0, 2.0], [3.0, 3.0, 2.0]],
        "config": {"threshold": 0.75},
    }
    session = {"mode": "hard", "purpose": "headline", "runs": [run]}
    lines = artifacts_report.shortfall_evidence([session]).splitlines()
    assert lines[0] == (
        "- Seed 0: 75.0% at the threshold 0.75, 100.0% at the best threshold for these scores (0.300), "
        "AUC 1.0000."
    )
    assert lines[1].startswith("- Over 300 s: seed 0 320 s at load 3.5")


def test_readme_artifacts_block_is_what_the_committed_sessions_render() -> None:
    from bench import artifacts
    from core.paths import REPO_ROOT

    block = artifacts_report.readme_block(artifacts.read_sessions(artifacts.OUT_FILE))
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert block in readme, "the README's artifacts block is stale: run python -m bench.report"


def test_loso_evidence_sets_each_folds_own_validation_beside_the_left_out_source() -> None:
    def held(classes: list[str], **test: object) -> dict:
        empty = {"n": 0, "rate": None}
        report = {"n": 10, "auc": None, "fakes_caught": empty, "reals_called_real": empty, **test}
        return {"all": {"classes": classes}, "test": report}

    folds = [
        {"source": "mixed", "n_val": 50, "val_auc": 0.99, "held_out": held(["real", "fake"], auc=0.41)},
        {
            "source": "diffusion",
            "n_val": 40,
            "val_auc": 0.95,
            "held_out": held(["fake"], fakes_caught={"n": 10, "rate": 0.0}),
        },
        {"source": "studio", "n_val": 45, "val_auc": 0.97, "held_out": held(["real"])},
    ]
    session = {"mode": "loso", "purpose": "headline", "runs": [{"seed": 0, "folds": folds}]}
    lines = artifacts_report.shortfall_evidence([session]).splitlines()
    assert lines[0].endswith("AUC 0.41 on mixed (n=10); its fakes came from diffusion only.")
    assert "validation AUC 0.9500 on the 40 held-back images" in lines[1]
    assert lines[1].endswith("0.0% of its fakes caught on diffusion (n=10); its fakes came from mixed only.")


def test_leave_one_source_out_seeds_from_several_sessions_are_joined_the_latest_per_seed() -> None:
    def session(purpose: str, *seeds: int, tag: str = "") -> dict:
        runs = [{"seed": s, "tag": tag} for s in seeds]
        return {"mode": "loso", "purpose": purpose, "runs": runs}

    joined = artifacts_report._by_seed(
        [session("headline", 0, tag="old"), session("selection", 1), session("headline", 2, 0, tag="new")],
        "loso",
    )
    assert [(r["seed"], r["tag"]) for r in joined["runs"]] == [(0, "new"), (2, "new")]
    assert artifacts_report._by_seed([session("selection", 0)], "loso") is None
