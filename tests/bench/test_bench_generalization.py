"""bench/generalization.json and the README's generalization section say the same thing."""

from __future__ import annotations

from bench.generalization import README_END, README_START, readme_block
from core.evaluation.generalization import MEASURED_FILE, measured_findings, read_measured
from core.paths import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_generalization_section_matches_the_json():
    results = read_measured()
    assert results is not None, f"{MEASURED_FILE} is missing: run python -m bench.generalization"
    assert README.count(README_START) == 1 and README.count(README_END) == 1
    assert readme_block(results) in README, "run python -m bench.generalization to refresh the README"


def test_json_holds_every_figure_the_section_cites():
    results = read_measured()
    assert "fast" in [run["preset"] for run in results["runs"]]
    for run in results["runs"]:
        assert all(p["flips"]["n"] == run["n_val"] for p in run["stress"]["probes"])  # the validation images
        assert {"lfw", "yonsei", "amfd", "pollinations"} <= {e["dataset"] for e in run["evaluations"]}
        for e in run["evaluations"]:
            assert e["n"] > 0 and e["ci_low"] <= e["value"] <= e["ci_high"]
        keys = {p["key"] for p in run["stress"]["probes"]}
        assert keys >= {"crop_tl_80", "crop_centre_60", "shift_10", "jpeg_50"}
    assert measured_findings(results) in README
