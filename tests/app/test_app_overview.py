"""The Overview page: the run's numbers beside the paper's, the bias summary, one-click reproduction."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.app import app, run_until, switch_page, texts, use_no_runs, use_trained_run

import core.reproduce
import ui
from core.evaluation.report import ci_text, pct
from core.labels import PAPER
from core.model.config import TrainConfig
from core.runs import store


def test_headline_numbers_with_counts_interval_and_paper(monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = use_trained_run(monkeypatch)
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
    assert "No bias check yet for this run" in shown


def test_bias_summary_appears_after_the_bias_page(monkeypatch: pytest.MonkeyPatch) -> None:
    use_trained_run(monkeypatch)
    at = app("bias")
    switch_page(at, "overview").run()
    table = at.main.dataframe[0].value.set_index("")
    groups = table[table.index.str.startswith("real faces flagged as fake: ")]
    assert len(groups) == 5
    assert groups["this run"].str.fullmatch(r"\d+\.\d% \(\d+ of \d+; 95% CI .+\)").all()
    assert (groups["paper"] == "< 15% (n = 100)").all()
    assert "largest gap between groups" in table.index
    assert "skin_tone on synthetic demo data, threshold 0.75" in texts(at)


@pytest.mark.slow
def test_reproduce_trains_then_checks_bias(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_no_runs(monkeypatch, tmp_path / "models")
    tiny = TrainConfig(epochs=1, image_size=32, val_fraction=0.25, threshold=PAPER["threshold"]).resolved()
    monkeypatch.setattr(core.reproduce, "protocol_config", lambda preset="fast": tiny)  # keep the test fast
    at = app()
    next(b for b in at.button if b.label == "Reproduce the study").click().run()
    assert ui.JOB in at.session_state
    run_until(at, lambda at: ui.JOB not in at.session_state)
    [info] = store.list_runs()
    assert info.status == "finished"
    assert f"Run {info.run_id} finished; it is now the run in use." in [s.value for s in at.success]
    table = at.main.dataframe[0].value.set_index("")
    groups = table[table.index.str.startswith("real faces flagged as fake: ")]
    assert len(groups) == 5 and (groups["paper"] == "< 15% (n = 100)").all()
    assert "Largest gap:" in texts(at)


def test_one_threshold_for_headline_and_bias_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """The headline and the bias rows use the threshold every page shares, never two."""
    from ui.state import _THRESHOLD_WIDGET as THRESHOLD_WIDGET

    run_id = use_trained_run(monkeypatch)
    at = app("bias")
    at.slider(key=THRESHOLD_WIDGET).set_value(0.6).run()
    switch_page(at, "overview").run()
    metrics = {x.label: x.value for x in at.main.metric}
    scores = store.load_run(run_id).scores
    correct = int(((scores["score"] > 0.6) == (scores["label"] == 1)).sum())
    assert metrics["This run: validation accuracy at 0.6"] == pct(correct / len(scores))
    table = at.main.dataframe[0].value.set_index("")
    assert "validation accuracy at 0.6" in table.index
    assert "skin_tone on synthetic demo data, threshold 0.6" in texts(at)
    switch_page(at, "confusion").run()
    at.slider(key=THRESHOLD_WIDGET).set_value(0.3).run()
    switch_page(at, "overview").run()
    assert "This run: validation accuracy at 0.3" in {x.label for x in at.main.metric}
    assert "The last bias check of this run was at threshold 0.6, not the 0.3 in use" in texts(at)


def test_report_buttons_offer_html_and_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    use_trained_run(monkeypatch)
    at = app()
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download the report (HTML)", "Download the report (PDF)"]
    assert "python -m core report --run ID --out FILE.html" in texts(at)


def test_presenter_link_puts_the_headline_first(monkeypatch: pytest.MonkeyPatch) -> None:
    from app_pages.overview import INTRODUCTION
    from ui.presenter import PRESENT

    use_trained_run(monkeypatch)
    at = app(present="1")
    assert at.session_state[PRESENT] is True
    assert at.sidebar.toggle[0].value is True
    opening = INTRODUCTION.strip()[:40]
    intro = [m for m in at.main.markdown if opening in m.value]
    assert len(intro) == 1  # once, and folded away below the numbers
    assert at.main.expander[0].label == "What this is, and how to read the numbers"
    assert opening in at.main.expander[0].markdown[0].value
    at.sidebar.toggle[0].set_value(False).run()
    assert "present" not in at.query_params
    assert INTRODUCTION.strip()[:40] in at.main.markdown[0].value
