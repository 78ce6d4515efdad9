"""The Bias page: one bar per group with its interval and n, scored once, re-thresholded at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.app import app, chart_with, data_dir, texts, use_trained_run

import core.model.train
from core.errors import NO_SUCH_FOLDER
from core.evaluation.rates import wilson_interval
from core.evaluation.report import pct
from core.runs import store
from ui.state import _THRESHOLD_WIDGET as THRESHOLD_WIDGET

pytestmark = pytest.mark.slow


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch):
    use_trained_run(monkeypatch)
    return app("bias")


def _bars(at):
    return chart_with(at, "n_label")


def test_demo_one_bar_per_skin_tone_with_n_and_interval(at, monkeypatch: pytest.MonkeyPatch) -> None:
    n_val = len(store.load_run(use_trained_run(monkeypatch)).scores)
    assert at.title[0].value == "Who gets flagged: bias by group"
    bars = _bars(at)
    assert len(bars) == 5 and bars["group"].is_unique
    assert (bars["ci_low"] <= bars["flagged_fake_rate"]).all() and (
        bars["flagged_fake_rate"] <= bars["ci_high"]
    ).all()
    assert list(bars["n_label"]) == [f"n={k}" for k in bars["n_real"]]
    assert at.main.selectbox(key="bias_attribute").value == "skin_tone"
    assert f"{n_val} faces of **synthetic demo data**" in texts(at)  # fewer than 100 of each tone
    assert chart_with(at, "rate")["rate"][0] == 0.15  # the paper's line
    table = next(d.value for d in at.main.dataframe if "group" in d.value.columns).set_index("group")
    assert list(table.index) == [*sorted(bars["group"]), "all groups"]  # the whole beside the parts
    assert list(table.columns) == [
        "real faces",
        "share flagged as fake (95% CI)",
        "fakes",
        "share of fakes passed as real (95% CI)",
    ]
    assert table["share flagged as fake (95% CI)"].str.fullmatch(r"\d+\.\d% \(\d+ of \d+; .+–.+\)").all()
    assert "None" not in table.to_string() and "nan" not in table.to_string()
    assert [b.proto.label for b in at.get("download_button")] == ["Bias table (CSV)"]


def test_note_on_what_n_per_group_can_show_uses_real_intervals(at) -> None:
    low, high = wilson_interval(5, 100)
    assert f"5 flagged (5%) has a 95% interval of {pct(low)} to {pct(high)}" in texts(at)


def test_training_folder_uses_only_the_validation_images(at, monkeypatch: pytest.MonkeyPatch) -> None:
    stored = store.load_run(use_trained_run(monkeypatch)).scores
    said = f"only the run's {len(stored)} validation images are used: the model trained on the rest"
    assert said in texts(at)
    assert sorted(_bars(at)["n"]) == sorted(stored["skin_tone"].value_counts())  # every validation image
    most = int(stored["skin_tone"].value_counts().max())
    per_group = at.main.number_input[0]
    assert (per_group.value, per_group.max) == (most, most)  # N stops at the largest group
    assert "as run " in texts(at) and "scored them when it was validated" in texts(at)


def test_threshold_recomputes_without_scoring_again(
    at, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    copy = shutil.copytree(data_dir() / "demo", tmp_path / "faces")  # not the run's own folder: scored
    at.text_input(key="bias_path").set_value(str(copy)).run()
    assert "500 faces of **synthetic demo data**" in texts(at)  # 100 of each of the 5 tones
    assert "scored once by run" in texts(at)
    calls = []
    real_predict = core.model.train.predict_scores
    monkeypatch.setattr(
        core.model.train, "predict_scores", lambda *a, **k: calls.append(1) or real_predict(*a, **k)
    )
    at.slider(key=THRESHOLD_WIDGET).set_value(1.0).run()
    assert set(_bars(at)["flagged_fake_rate"]) == {1.0}  # nothing scores above 1
    at.slider(key=THRESHOLD_WIDGET).set_value(0.0).run()
    assert _bars(at)["flagged_fake_rate"].max() < 1.0
    assert calls == []


def test_fewer_per_group_gives_smaller_n(at) -> None:
    at.main.number_input[0].set_value(20).run()
    bars = _bars(at)
    assert len(bars) == 5
    assert "100 faces of **synthetic demo data**" in texts(at)
    assert bars["n_real"].sum() < 100


def test_nonexistent_bias_folder_says_so(at, tmp_path: Path) -> None:
    at.text_input(key="bias_path").set_value(str(tmp_path / "UTKFace")).run()
    assert NO_SUCH_FOLDER.format(path=tmp_path / "UTKFace") in [e.value for e in at.main.error]
    assert not at.get("vega_lite_chart")
    assert not at.exception


def test_utkface_five_races_real_faces_only(at, utkface_dir: Path) -> None:
    at.text_input(key="bias_path").set_value(str(utkface_dir)).run()
    assert at.main.selectbox(key="bias_attribute").value == "race"
    bars = _bars(at)
    assert sorted(bars["group"]) == ["Asian", "Black", "Indian", "Others", "White"]
    assert list(bars["n_real"]) == [100] * 5
    assert "only the false-alarm side, real faces flagged as fake, is measured" in texts(at)


def test_run_on_data_without_groups_asks_for_bias_data(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Nothing to check on by default: no silent scoring of the drawn demo faces for a real-data run."""
    from support.app import use_no_runs
    from support.factories import save_run_without_groups

    from ui.bias import NO_GROUPS

    use_no_runs(monkeypatch, tmp_path / "models")
    save_run_without_groups("hard-run", data=tmp_path)
    at = app("bias")
    assert NO_GROUPS.format(run_id="hard-run") in [i.value for i in at.main.info]
    assert not at.get("vega_lite_chart")
    at.button(key="bias_use_demo").click().run()
    assert at.text_input(key="bias_path").value == str(data_dir() / "demo")


def test_the_view_lives_in_the_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Folder, N and seed are in the link, so a copied link reopens the same check."""
    use_trained_run(monkeypatch)
    copy = shutil.copytree(data_dir() / "demo", tmp_path / "faces")
    at = app("bias", bias_path=str(copy), bias_n="20", bias_seed="3")
    assert at.text_input(key="bias_path").value == str(copy)
    assert (at.number_input(key="bias_n").value, at.number_input(key="bias_seed").value) == (20, 3)
    assert "100 faces of **synthetic demo data**" in texts(at) and "seed 3" in texts(at)
    at.number_input(key="bias_n").set_value(
        10
    ).run()  # the browser writes it to the URL (AppTest has no URL bar)
    assert "50 faces of **synthetic demo data**" in texts(at)
