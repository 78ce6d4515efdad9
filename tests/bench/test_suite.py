"""A failed step stops the benchmark with a sentence naming it, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

import bench.__main__
import bench.suite
from bench.suite import STEP_FAILED, StepFailed, step


def test_step_returns_what_the_step_returns() -> None:
    assert step("data", lambda: 42) == 42


def test_step_names_the_failed_step() -> None:
    def broken() -> None:
        raise OSError("disk full")

    expected = STEP_FAILED.format(step="data", reason="OSError: disk full")
    with pytest.raises(StepFailed, match=expected) as raised:
        step("data", broken)
    assert isinstance(raised.value.__cause__, OSError)


def test_main_exits_1_on_a_failed_step_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(bench.suite, "data_section", broken)
    monkeypatch.setattr(bench.suite.machine, "matmul_gflops", lambda: 1.0)
    assert bench.__main__.main(["--quick", "--out", str(tmp_path)]) == 1
    assert STEP_FAILED.format(step="data", reason="OSError: disk full") in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_app_left_out_only_when_asked() -> None:
    quick = bench.suite.quick_plan()
    assert bench.suite._app(quick, Path("."), print) == {"skipped": "skipped in quick mode"}
    asked = bench.suite.full_plan(skip=frozenset({"app"}))
    assert bench.suite._app(asked, Path("."), print) == {"skipped": "skipped with --skip app"}


def test_app_failure_is_a_failed_step(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("streamlit did not answer within 60 s")

    monkeypatch.setattr(bench.suite, "app_section", broken)
    with pytest.raises(StepFailed, match="The benchmark step 'app' failed"):
        bench.suite._app(bench.suite.full_plan(), Path("."), print)


def test_train_overhead_ratio_is_median_over_median():
    from bench.train_overhead import ratio

    assert ratio([12.0, 11.0, 30.0], [10.0, 9.0, 11.0]) == 1.2  # 12 / 10: one slow app run does not count
    assert ratio([5.0], [4.0]) == 1.25
