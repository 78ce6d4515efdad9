"""The benchmark harness: its quick mode runs end to end and writes every key, as numbers; targets.

Timings are never checked against targets here: speed belongs in ``bench/`` (STYLE.md 16). The
arithmetic behind the figures is tested exactly in the files beside this one.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from bench.markdown import table
from bench.targets import TARGETS, check, lookup, target
from core.paths import REPO_ROOT

NUMBER_KEYS = (
    "fast.train_seconds",
    "fast.val_accuracy_mean",
    "fast.auc_mean",
    "fast.flops_fraction",
    "fast.peak_rss_mb",
    "paper.train_seconds",
    "paper.peak_rss_mb",
    "speedup",
    "data.cold_seconds",
    "data.warm_seconds",
    "metrics.threshold_ms",
    "metrics.groups_ms",
    "machine.cores",
    "machine.numpy_matmul_gflops",
)


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("bench")
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out, json.loads((out / "results.json").read_text(encoding="utf-8"))


@pytest.mark.slow
@pytest.mark.parametrize("key", NUMBER_KEYS)
def test_quick_mode_writes_key_as_number(quick_results: tuple[Path, dict], key: str) -> None:
    value = lookup(quick_results[1], key)
    assert isinstance(value, int | float) and not isinstance(value, bool), f"{key} = {value!r}"
    assert math.isfinite(value)


@pytest.mark.slow
def test_quick_mode_writes_report_and_says_what_it_skipped(quick_results: tuple[Path, dict]) -> None:
    out, results = quick_results
    report = (out / "RESULTS.md").read_text(encoding="utf-8")
    assert results["mode"] == "quick"
    assert "Quick mode" in report and "## Headline" in report
    assert results["app"]["skipped"]
    assert results["dataset"]["n"] == results["data"]["n"] > 0
    assert len(results["targets"]) == len(TARGETS)


def test_quick_mode_without_out_refuses_to_overwrite_committed_results() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "--quick needs --out" in done.stderr


@pytest.mark.parametrize(
    ("value", "met"),
    [(19.9, True), (20, True), (20.1, False), (None, None), (float("nan"), None)],
)
def test_check_fast_train_seconds(value: float | None, met: bool | None) -> None:
    row = next(r for r in check({"fast": {"train_seconds": value}}) if r["key"] == "fast.train_seconds")
    assert row["met"] is met


def test_check_strict_target_fails_at_the_limit() -> None:
    row = next(
        r for r in check({"app": {"load": {"p95_seconds": 1.0}}}) if r["key"] == "app.load.p95_seconds"
    )
    assert row["met"] is False


def test_target_by_key() -> None:
    assert target("fast.auc_mean").value == 0.999
    with pytest.raises(KeyError, match="No benchmark target is set on 'fast.nothing'"):
        target("fast.nothing")


def test_lookup_missing_part_is_none() -> None:
    assert lookup({"app": {"skipped": "no app"}}, "app.first_page_seconds") is None


def test_table_markdown() -> None:
    assert table(["a", "b"], [[1, "x"]]) == "| a | b |\n|---|---|\n| 1 | x |"


def test_a_full_run_keeps_what_separate_commands_measured(tmp_path) -> None:
    import json

    from bench.__main__ import keep_separate_measurements

    previous = tmp_path / "results.json"
    previous.write_text(
        json.dumps(
            {
                "throughput": {"by_size": {"64": {"images_per_second": 1021}}},
                "app": {"deep_link_seconds": 2.5, "first_page_seconds": 9.0},
            }
        ),
        encoding="utf-8",
    )
    merged = keep_separate_measurements({"app": {"first_page_seconds": 1.5}}, previous)
    assert merged["throughput"] == {"by_size": {"64": {"images_per_second": 1021}}}
    assert merged["app"] == {"deep_link_seconds": 2.5, "first_page_seconds": 1.5}  # the new run's own wins
    rows = {t["key"]: t for t in merged["targets"]}
    assert rows["throughput.by_size.64.images_per_second"]["met"] is True
