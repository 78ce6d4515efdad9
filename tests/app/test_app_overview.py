"""The Overview page: the run's numbers beside the paper's, the bias summary, one-click reproduction."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.app import app, run_until, switch_page, texts, use_copy_of_trained_run, use_no_runs

import core.reproduce
import ui
import ui.jobs
from core.evaluation.report import ci_text, pct
from core.labels import PAPER
from core.model.config import TrainConfig
from core.runs import jobs, store


def test_headline_numbers_with_counts_interval_and_paper(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    run_id = use_copy_of_trained_run(monkeypatch, tmp_path)
    at = app()
    m = store.run_info(run_id).metrics
    metrics = {x.label: x.value for x in at.main.metric}
    assert metrics["This run: validation accuracy at 0.75"] == pct(m["accuracy"])
    assert metrics["The paper"] == "99.07%"
    assert metrics["Majority-class baseline"] == pct(m["majority_baseline"])
    shown = texts(at)
    low, high = m["accuracy_ci"]
    assert f"{m['correct']} of {m['n']} correct · 95% CI {ci_text(low, high)} · synthetic demo data" in shown
    assert "its own count, 319 of 323, is 98.76%" in shown
    table = at.main.dataframe[0].value
    assert list(table.columns) == ["", "paper", "this run"]
    assert table.set_index("")["this run"]["training / validation images"] == f"{m['n_train']} / {m['n_val']}"
    assert "No bias check saved with this run yet" in shown


def test_bias_check_is_saved_with_the_run_and_shown_in_a_new_session(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_copy_of_trained_run(monkeypatch, tmp_path)
    at = app("bias")
    switch_page(at, "overview").run()
    table = at.main.dataframe[0].value.set_index("")
    groups = table[table.index.str.startswith("real faces flagged as fake: ")]
    assert len(groups) == 5
    assert groups["this run"].str.fullmatch(r"\d+\.\d% \(\d+ of \d+; 95% CI .+\)").all()
    assert (groups["paper"] == "< 15% (n = 100)").all()
    assert "largest gap between groups" in table.index
    # The demo set is the run's own data: N per group stops at its largest validation group.
    n = ui.bias_pool(store.list_runs()[0].run_id, ui.demo_folder()).largest_group("skin_tone")
    assert f"skin_tone on synthetic demo data ({n} per group, seed 0), at threshold 0.75" in texts(at)
    fresh = app()  # another session, or a deep link: the check was saved with the run
    assert fresh.main.dataframe[0].value.set_index("").index.str.startswith("real faces flagged").sum() == 5


@pytest.mark.slow
def test_reproduce_trains_then_checks_bias(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_no_runs(monkeypatch, tmp_path / "models")
    tiny = TrainConfig(epochs=1, image_size=32, val_fraction=0.25, threshold=PAPER["threshold"]).resolved()
    monkeypatch.setattr(core.reproduce, "protocol_config", lambda preset="fast": tiny)  # keep the test fast
    at = app()
    next(b for b in at.button if b.label == "Reproduce the study").click().run()
    [job] = jobs.list_jobs()
    assert job.spec.kind == "reproduce"
    run_until(at, lambda at: at.session_state[ui.jobs.WATCHED] == [])
    [info] = store.list_runs()
    assert info.status == "finished"
    assert f"Run {info.run_id} finished; it is now the run in use." in [s.value for s in at.success]
    table = at.main.dataframe[0].value.set_index("")
    groups = table[table.index.str.startswith("real faces flagged as fake: ")]
    assert len(groups) == 5 and (groups["paper"] == "< 15% (n = 100)").all()
    assert "Largest gap:" in texts(at)


def test_one_threshold_for_headline_and_bias_rows(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The headline and the bias rows use the threshold every page shares, never two."""
    from ui.state import _THRESHOLD_WIDGET as THRESHOLD_WIDGET

    run_id = use_copy_of_trained_run(monkeypatch, tmp_path)
    at = app("bias")
    at.slider(key=THRESHOLD_WIDGET).set_value(0.6).run()
    switch_page(at, "overview").run()
    metrics = {x.label: x.value for x in at.main.metric}
    scores = store.load_run(run_id).scores
    correct = int(((scores["score"] > 0.6) == (scores["label"] == 1)).sum())
    assert metrics["This run: validation accuracy at 0.6"] == pct(correct / len(scores))
    table = at.main.dataframe[0].value.set_index("")
    assert "validation accuracy at 0.6" in table.index
    assert "at threshold 0.6." in texts(at)  # the saved bias check, recomputed at the same threshold
    switch_page(at, "confusion").run()
    at.slider(key=THRESHOLD_WIDGET).set_value(0.3).run()
    switch_page(at, "overview").run()
    assert "This run: validation accuracy at 0.3" in {x.label for x in at.main.metric}
    assert "at threshold 0.3." in texts(at) and "at threshold 0.6." not in texts(at)


def test_report_buttons_offer_html_and_pdf(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_copy_of_trained_run(monkeypatch, tmp_path)
    at = app()
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download the report (HTML)", "Download the report (PDF)"]
    assert "python -m core report --run ID --out FILE.html" in texts(at)


def test_presenter_link_puts_the_headline_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from app_pages.overview import INTRODUCTION
    from ui.presenter import PRESENT

    use_copy_of_trained_run(monkeypatch, tmp_path)
    at = app(present="1")
    assert at.session_state[PRESENT] is True
    assert at.sidebar.toggle[0].value is True
    opening = INTRODUCTION.strip()[:40]
    intro = [m for m in at.main.markdown if opening in m.value]
    assert len(intro) == 1  # once, and folded away below the numbers
    [folded] = [e for e in at.main.expander if e.label == "What this is, and how to read the numbers"]
    assert opening in folded.markdown[0].value
    at.sidebar.toggle[0].set_value(False).run()
    assert "present" not in at.query_params
    assert INTRODUCTION.strip()[:40] in at.main.markdown[0].value


def test_what_may_be_claimed_about_other_sources_is_the_benchmarks_verdict(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bench import artifacts
    from bench.artifacts_report import generalization_claim

    use_no_runs(monkeypatch, tmp_path / "models")
    sessions = artifacts.read_sessions(artifacts.OUT_FILE)
    if not any(s["purpose"] == "headline" for s in sessions):
        pytest.skip("bench/artifacts.json holds no headline session, so the Overview has no claim to show")
    assert generalization_claim(sessions) in texts(app())
