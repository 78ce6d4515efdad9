"""bench/RESULTS.md is exactly what bench/report.py renders from the committed JSON files."""

from __future__ import annotations

import json

from bench import artifacts
from bench.experiments import EXPERIMENTS, read_store, summarise
from bench.report import BENCH_DIR, render


def test_results_md_matches_the_json_files() -> None:
    results = json.loads((BENCH_DIR / "results.json").read_text(encoding="utf-8"))
    committed = (BENCH_DIR / "RESULTS.md").read_text(encoding="utf-8")
    sessions = artifacts.read_sessions(artifacts.OUT_FILE)
    expected = render(results, read_store(), sessions)
    assert committed == expected, "bench/RESULTS.md is stale: run python -m bench.report"


def test_committed_experiments_are_complete_and_their_summaries_recomputable() -> None:
    stored = read_store()
    assert set(stored) == set(EXPERIMENTS), "run python -m bench.experiments for the missing ones"
    for name, session in stored.items():
        assert session["summary"] == summarise(session), f"{name}: summary differs from its runs"
        measured = {r["variant"] for r in session["runs"]}
        assert measured == set(EXPERIMENTS[name].variants), f"{name}: not every variant was measured"
