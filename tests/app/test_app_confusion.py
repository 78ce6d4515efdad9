"""The Confusion page: the threshold drives the matrix, every metric has its n and interval."""

from __future__ import annotations

import pytest
from support.app import app, chart_with, markdown_tables, switch_page, texts, use_trained_run

import ui
from app_pages import confusion
from core.evaluation import metrics, thresholds
from core.evaluation.report import NO_INTERVAL, ci_text
from core.runs import store
from ui.state import _THRESHOLD_WIDGET as THRESHOLD_WIDGET


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch):
    use_trained_run(monkeypatch)
    return app("confusion")


def _scores(run_id: str):
    scores = store.load_run(run_id).scores
    return scores["label"], scores["score"]


def _cells(at) -> dict[tuple[str, str], int]:
    frame = chart_with(at, "outcome")
    return {(a, c): int(n) for a, c, n in zip(frame["actual"], frame["called"], frame["count"], strict=True)}


def test_shows_run_and_matrix_with_n(at, monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = use_trained_run(monkeypatch)
    assert at.title[0].value == "Confusion matrix and metrics"
    n = len(store.load_run(run_id).scores)
    assert f"Run **{run_id}**, scored on its {n} validation images" in texts(at)
    assert "it needs no retraining" in texts(at)
    cells = _cells(at)
    assert sum(cells.values()) == n
    m = metrics.threshold_metrics(*_scores(run_id), threshold=0.75)
    assert cells == {
        ("real", "real"): m.tp,
        ("real", "fake"): m.fn,
        ("fake", "real"): m.fp,
        ("fake", "fake"): m.tn,
    }
    assert f"of {m.n_real} real faces, {m.tp} called real and {m.fn} flagged as fake" in texts(at)


def test_moving_threshold_changes_matrix_counts(at) -> None:
    at.slider(key=THRESHOLD_WIDGET).set_value(1.0).run()
    high = _cells(at)
    assert high[("real", "real")] == 0 and high[("fake", "real")] == 0  # nothing is above 1
    at.slider(key=THRESHOLD_WIDGET).set_value(0.0).run()
    low = _cells(at)
    assert low != high
    assert low[("real", "fake")] + low[("fake", "fake")] < high[("real", "fake")] + high[("fake", "fake")]
    assert "At 0:" in texts(at)


def test_every_metric_has_value_interval_and_n(at, monkeypatch: pytest.MonkeyPatch) -> None:
    m = metrics.threshold_metrics(*_scores(use_trained_run(monkeypatch)), threshold=0.75)
    table = markdown_tables(at.main)[0].set_index("metric")
    assert list(table.columns) == ["value", "95% CI", "count", "n", "note"]
    for name in ["accuracy", "real faces flagged as fake", "fakes passed as real", "F1", "MCC", "ROC AUC"]:
        assert name in table.index
    assert ((table["n"] > 0) | (table["note"] != "")).all()  # n = 0 only with the reason beside it
    shares = table[table["95% CI"] != "—"]
    assert len(shares) == 7
    assert (shares["95% CI"].str.contains("%–") | (shares["n"] == 0)).all()
    accuracy = table.loc["accuracy"]
    assert (accuracy["count"], accuracy["n"]) == (f"{m.accuracy.count}/{m.n}", m.n)
    assert accuracy["95% CI"] == ci_text(m.accuracy.ci_low, m.accuracy.ci_high)
    flagged = table.loc["real faces flagged as fake"]
    assert (flagged["count"], flagged["n"]) == (f"{m.fn}/{m.n_real}", m.n_real)


def test_curves_and_histogram_drawn_one_tab_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the chosen tab's chart is made: a new visitor's browser draws one of the three at first sight.
    The choice is in the link (``?curve=ROC+curve``), so a copied link opens the same curve."""
    use_trained_run(monkeypatch)
    expected = {"Scores by class": ("score", "Scores per actual class"), "ROC curve": ("fpr", "AUC")}
    expected["Precision-recall curve"] = ("recall", "Average precision")
    for chosen, (column, words) in expected.items():
        at = app("confusion", curve=chosen)
        tabs = {tab.label: tab for tab in at.main.tabs}
        assert list(tabs) == ["Scores by class", "ROC curve", "Precision-recall curve"]
        assert len(tabs[chosen].get("vega_lite_chart")) == 1, chosen
        assert words in tabs[chosen].caption[0].value, chosen
        assert all(len(tab.get("vega_lite_chart")) == 0 for label, tab in tabs.items() if label != chosen)
        assert len(chart_with(at, column)) > 1
    at = app("confusion")
    assert len(at.main.tabs[0].get("vega_lite_chart")) == 1  # no choice in the link: the histogram
    assert set(chart_with(at, "score")["class"]) <= {"real", "fake"}


def test_metrics_without_an_interval_are_named_once_below_the_table(at) -> None:
    table = markdown_tables(at.main)[0].set_index("metric")
    assert NO_INTERVAL not in table["note"].tolist()
    named = "F1, balanced accuracy, ROC AUC, average precision, equal error rate: not simple shares"
    assert named in texts(at)


def test_suggest_threshold_moves_the_shared_threshold(at, monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = use_trained_run(monkeypatch)
    expected = thresholds.cost_threshold(*_scores(run_id), cost_fake_passed=1.0, cost_real_flagged=5.0)
    at.number_input[1].set_value(5.0).run()
    at.button(key="suggest_threshold").click().run()
    assert at.slider(key=THRESHOLD_WIDGET).value == pytest.approx(expected)
    assert at.session_state[ui.THRESHOLD] == pytest.approx(expected)


def test_cell_shows_its_images_most_confident_mistake_first(at, monkeypatch: pytest.MonkeyPatch) -> None:
    labels, scores = _scores(use_trained_run(monkeypatch))
    # The fakes' median score: half the fakes are called fake, whatever the tiny run learned.
    threshold = round(float(scores[labels == 0].median()), 3)
    at.slider(key=THRESHOLD_WIDGET).set_value(threshold).run()
    at.button_group(key="confusion_cell").set_value("fake called fake").run()
    captions = at.main.image[0].captions
    assert 0 < len(captions) <= 24
    shown = [float(c.split()[1]) for c in captions]
    assert shown == sorted(shown)  # called fake: lowest P(real) (most confident) first
    assert all(s <= threshold for s in shown)


def test_downloads_scores_and_metrics(at) -> None:
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Per-image scores (CSV)", "Metrics at 0.75 (JSON)"]


def test_threshold_kept_in_step_with_bias_page(at) -> None:
    at.slider(key=THRESHOLD_WIDGET).set_value(0.6).run()
    switch_page(at, "bias").run()
    assert at.slider(key=THRESHOLD_WIDGET).value == pytest.approx(0.6)
    at.slider(key=THRESHOLD_WIDGET).set_value(0.35).run()
    switch_page(at, "confusion").run()
    assert at.slider(key=THRESHOLD_WIDGET).value == pytest.approx(0.35)
    assert "At 0.35:" in texts(at)


def test_clicking_a_matrix_cell_shows_that_cells_images(at) -> None:
    """A click selects the cell (the chart's selection state, as the browser sends it); the images follow."""
    assert at.button_group(key="confusion_cell").value == "real flagged as fake"
    click = {"selection": {"cell": [{"actual": "fake", "called": "fake"}]}}
    at.session_state["confusion_click-real flagged as fake"] = click  # the chart's key while that cell shows
    at.run()
    assert at.button_group(key="confusion_cell").value == "fake called fake"
    assert "Click a cell to see its images below." in texts(at)
    captions = at.main.image[0].captions
    assert captions and all(c.split(" · ")[1].startswith("fake/") for c in captions)
    # The picker still works after a click, and the same click later does not undo the pick.
    at.button_group(key="confusion_cell").set_value("real called real").run()
    assert at.button_group(key="confusion_cell").value == "real called real"


def test_heat_maps_of_a_cells_images(at) -> None:
    at.toggle(key="confusion_heat_maps").set_value(True).run()
    assert "Grad-CAM (HiResCAM) on conv_3: red marks the regions" in texts(at)
    assert all(c.startswith("P(real) ") for c in at.main.image[0].captions)


@pytest.mark.parametrize("state", [None, "no such cell"])
def test_an_empty_or_unknown_cell_choice_shows_the_default_cell(at, state) -> None:
    """Seen in the load test: the picker's state was None in one run in several hundred (KeyError: None)."""
    at.session_state[confusion.CELL] = state
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state[confusion.CELL] == confusion.DEFAULT_CELL
    assert at.segmented_control(key=confusion.CELL).value == confusion.DEFAULT_CELL
