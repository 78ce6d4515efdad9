"""core.evaluation.compare: settings that differ, metrics side by side, curves and histories in long form."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from core.evaluation import charts
from core.evaluation.compare import curves, histories, metrics_table, settings_table
from core.runs.store import Run, RunInfo


def _run(run_id: str, *, seed: int = 0, scores=(0.9, 0.8, 0.2, 0.1), name: str = "") -> Run:
    config = {"preset": "fast", "seed": seed, "image_size": 64, "dataset": {"name": "demo"}}
    info = RunInfo(run_id, Path(run_id), "finished", config, {}, meta={"name": name})
    history = pd.DataFrame({"epoch": [1, 2], "loss": [0.7, 0.5], "val_accuracy": [0.6, 0.8]})
    frame = pd.DataFrame({"path": list("abcd"), "label": [1, 1, 0, 0], "score": list(scores)})
    return Run(info, history, frame)


def test_settings_table_keeps_only_what_differs_unless_asked() -> None:
    a, b = _run("a"), _run("b", seed=3, name="seeded")
    assert settings_table([a.info, b.info]).to_dict(orient="records") == [
        {"setting": "seed", "a": "0", "seeded (b)": "3"}
    ]
    whole = settings_table([a.info, b.info], only_differing=False).set_index("setting")
    assert whole.loc["preset"].tolist() == ["fast", "fast"]
    assert whole.loc["batch size"].tolist() == ["—", "—"]  # missing, said so, never "None"


def test_settings_table_of_identical_runs_is_empty() -> None:
    assert settings_table([_run("a").info, _run("b").info]).empty


def test_metrics_table_shares_with_counts_and_intervals_per_run() -> None:
    perfect, unsure = _run("a"), _run("b", scores=(0.9, 0.3, 0.8, 0.1))
    table = metrics_table([perfect, unsure], threshold=0.5).set_index("metric")
    assert table.loc["accuracy at 0.5", "a"].startswith("100.0% (4/4; ")
    assert table.loc["accuracy at 0.5", "b"].startswith("50.0% (2/4; ")
    assert table.loc["real faces flagged as fake", "b"].startswith("50.0% (1/2; ")
    assert table.loc["ROC AUC", "a"] == "1.000"
    assert table.loc["validation images (n)", "b"] == "4 (2 real, 2 fake)"


def test_histories_long_form_one_row_per_run_epoch_and_column() -> None:
    long = histories([_run("a"), _run("b")])
    assert list(long.columns) == ["run", "epoch", "panel", "split", "measure", "value"]
    assert len(long) == 2 * 2 * 2
    assert set(long["split"]) == {"train", "validation"}
    chart = charts.runs_history_chart(long).to_dict()
    assert len(chart["hconcat"]) == 2


def test_histories_skip_runs_without_known_columns() -> None:
    run = _run("a")
    bare = Run(run.info, pd.DataFrame({"epoch": [1], "auc": [0.5]}), run.scores)
    assert histories([bare]).empty


def test_curves_per_run_and_why_a_run_has_none() -> None:
    one_class = Run(_run("c").info, _run("c").history, _run("c").scores.assign(label=1))
    roc, pr, missing = curves([_run("a"), one_class])
    assert set(roc["run"]) == {"a"} and set(pr["run"]) == {"a"}
    assert len(missing) == 1 and missing[0].startswith("c: The ROC curve needs both real and fake images")
    assert charts.runs_curve_chart(roc, kind="roc").to_dict()["layer"][0]["mark"]["strokeDash"] == [4, 4]
    assert "layer" in charts.runs_curve_chart(pr, kind="pr").to_dict()
