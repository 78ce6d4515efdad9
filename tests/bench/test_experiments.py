"""The experiments' arithmetic and their store: ratios to the baseline, the keep rule, run order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.bench_sessions import fast_session, paper_session, run_row

from bench import experiments
from bench.experiments import (
    EXPERIMENTS,
    Experiment,
    read_store,
    relative_to_baseline,
    run_order,
    speed_verdict,
    summarise,
    write_store,
)
from bench.training import WorkerError
from bench.variants import VARIANTS


def _experiment(*, timed: bool) -> Experiment:
    return Experiment(
        "t", "?", "baseline", ("baseline", "a", "b", "c", "d"), seeds=(0, 1), epochs=1, timed=timed
    )


def test_run_order_timed_baseline_first_and_middle_others_rotated() -> None:
    timed = _experiment(timed=True)
    assert run_order(timed, 0) == ["baseline", "a", "b", "baseline", "c", "d"]
    assert run_order(timed, 1) == ["baseline", "b", "c", "baseline", "d", "a"]


def test_run_order_untimed_each_variant_once_in_order() -> None:
    assert run_order(_experiment(timed=False), 1) == ["baseline", "a", "b", "c", "d"]


def test_relative_to_baseline_is_the_median_over_rounds_of_the_same_rounds_mean() -> None:
    baseline = {0: [{"t": 10.0}, {"t": 12.0}], 1: [{"t": 20.0}], 2: [{"t": 4.0}]}
    rows = [{"round": 0, "t": 5.5}, {"round": 1, "t": 8.0}, {"round": 2, "t": 4.0}]
    assert relative_to_baseline(rows, baseline, "t") == pytest.approx(0.5)  # median of 0.5, 0.4, 1.0


def test_relative_to_baseline_without_a_baseline_round_is_none() -> None:
    assert relative_to_baseline([{"round": 3, "t": 1.0}], {0: [{"t": 1.0}]}, "t") is None


@pytest.mark.parametrize(
    ("relative", "is_baseline", "faster", "slower"),
    [(0.94, False, True, False), (0.95, False, False, False), (1.05, False, False, False)]
    + [(1.06, False, False, True), (0.5, True, False, False), (None, False, False, False)],
)
def test_speed_verdict(relative: float | None, is_baseline: bool, faster: bool, slower: bool) -> None:
    assert speed_verdict(relative, is_baseline=is_baseline) == {"faster": faster, "slower": slower}


def test_summarise_timed_session_by_hand() -> None:
    summary = fast_session()["summary"]
    assert summary["size48"]["relative_wall"] == pytest.approx(0.5)  # 5.5 / mean(10, 12) each round
    assert summary["xla"]["relative_wall"] == pytest.approx(2.0)
    assert summary["size48"]["faster_and_passes"] is True
    assert summary["units16"]["faster"] is True and summary["units16"]["passes_all_seeds"] is False
    assert summary["units16"]["faster_and_passes"] is False
    assert summary["xla"]["slower"] is True
    assert summary["baseline"]["faster"] is False and summary["baseline"]["slower"] is False
    # 1e6 FLOPs x 1000 images/s = 1 GFLOP/s, of a 10 GFLOP/s matmul rate
    assert summary["baseline"]["flops_share"] == pytest.approx(0.1)
    assert summary["global_average"]["val_accuracy_min"] == 0.70
    assert summary["global_average"]["val_accuracy_mean"] == pytest.approx(0.705)


def test_summarise_untimed_session_has_no_ratios() -> None:
    summary = paper_session()["summary"]
    assert summary["paper"]["relative_wall"] is None
    assert summary["paper"]["seconds_per_epoch_mean"] == pytest.approx(45.0)  # 0.9 x 500 s / 10
    assert summary["paper_raw_glorot_lr1e-3"]["epochs"] == 2


def test_summarise_passes_at_the_limits_and_fails_just_under() -> None:
    at_limit = [run_row("baseline", correct=100, auc=0.999), run_row("size48", correct=99, auc=1.0)]
    record = {"runs": at_limit, "matmul_gflops": 1.0, "baseline": "baseline", "timed": False}
    record["runs"][1]["val_accuracy"] = 0.995  # exactly the rule
    summary = summarise(record)
    assert summary["baseline"]["passes_all_seeds"] is True
    assert summary["size48"]["passes_all_seeds"] is True
    record["runs"][1]["val_accuracy"] = 0.9949
    assert summarise(record)["size48"]["passes_all_seeds"] is False


def test_every_experiment_names_known_variants_of_one_preset() -> None:
    for experiment in EXPERIMENTS.values():
        assert experiment.baseline in experiment.variants
        assert {VARIANTS[v].preset for v in experiment.variants} == {VARIANTS[experiment.baseline].preset}


def test_paper_trials_train_the_trials_two_epochs_and_the_preset_ten() -> None:
    trials = EXPERIMENTS["paper_trials"]
    assert [trials.epochs_of(v) for v in trials.variants] == [2, 2, 10]


def test_write_store_keeps_other_experiments_and_their_order(tmp_path: Path) -> None:
    out = tmp_path / "experiments.json"
    write_store(out, {"paper_trials": {"n": 1}})
    write_store(out, read_store(out) | {"fast_variants": {"n": 2}})
    stored = json.loads(out.read_text(encoding="utf-8"))
    assert stored["schema"] == experiments.SCHEMA
    assert list(stored["experiments"]) == ["fast_variants", "paper_trials"]
    assert read_store(tmp_path / "none.json") == {}


def test_main_failed_run_exits_1_with_a_sentence_and_keeps_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "experiments.json"
    write_store(out, {"paper_trials": {"kept": True}})

    def fail(*args: object, **kwargs: object) -> None:
        raise WorkerError("worker --variant paper failed (137): Killed")

    monkeypatch.setattr(experiments, "_fill_cache", lambda folder, chosen: None)
    monkeypatch.setattr(experiments, "run_experiment", fail)
    code = experiments.main(["--only", "paper_trials", "--data", str(tmp_path), "--out", str(out)])
    assert code == 1
    expected = experiments.EXPERIMENT_FAILED.format(
        name="paper_trials", reason="worker --variant paper failed"
    )
    assert expected in capsys.readouterr().err
    assert read_store(out) == {"paper_trials": {"kept": True}}
