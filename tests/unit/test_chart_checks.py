"""ui.presenter's charts: drawn without Altair's schema check on the server (the tests keep it), and
restyled for a projector."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest
from altair.utils import schemapi

from core.evaluation import charts
from core.evaluation.metrics import threshold_metrics
from ui import presenter


def _checked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The schema (its ``$ref``) of every check Altair makes from now on."""
    seen: list[str] = []
    real = schemapi.validate_jsonschema

    def noting(spec, schema, *args, **kwargs):
        seen.append(str(schema.get("$ref", "")))
        return real(spec, schema, *args, **kwargs)

    monkeypatch.setattr(schemapi, "validate_jsonschema", noting)
    return seen


#: The check of a whole layered chart: most of the time the check takes.
WHOLE = "#/definitions/TopLevelLayerSpec"


def _heatmap() -> alt.TopLevelMixin:
    m = threshold_metrics([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], threshold=0.5)
    return charts.confusion_heatmap(m, selectable=True, selected=("real", "real"))


def test_the_server_skips_the_check_and_the_spec_is_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    expected, chart = _heatmap().to_dict(), _heatmap()
    monkeypatch.delenv(presenter.VALIDATE_CHARTS, raising=False)
    seen = _checked(monkeypatch)
    assert presenter.unchecked(chart).to_dict() == expected
    assert WHOLE not in seen


def test_with_the_setting_every_chart_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(presenter.VALIDATE_CHARTS, "1")
    chart = _heatmap()
    seen = _checked(monkeypatch)
    presenter.unchecked(chart).to_dict()
    assert WHOLE in seen


def test_the_tests_check_every_chart(monkeypatch: pytest.MonkeyPatch) -> None:
    """conftest sets the setting, so a chart a page draws with a spec Vega-Lite rejects fails its AppTest."""
    import os

    assert os.environ.get(presenter.VALIDATE_CHARTS) == "1"
    broken = alt.Chart(pd.DataFrame({"a": [1]})).mark_bar().encode(x=alt.X("a:Q", bin="sometimes"))
    with pytest.raises(schemapi.SchemaValidationError):
        presenter.unchecked(broken).to_dict()


def test_presenting_gives_each_category_row_room_for_its_larger_label() -> None:
    """The probe chart's 16 names at 17 px did not fit Vega-Lite's 20 px rows: every other one was dropped."""
    table = pd.DataFrame(
        {"probe": ["a", "b"], "family": ["re-framing", "degradation"], "n": [10, 10], "flips": [1, 2]}
    ).assign(flip_rate=[0.1, 0.2], flip_ci_low=[0.0, 0.05], flip_ci_high=[0.4, 0.5])
    config = presenter.style(charts.probe_flips_chart(table)).to_dict()["config"]
    assert config["view"]["discreteHeight"] == {"step": presenter.DISCRETE_STEP}
    assert presenter.FONTS["label"] * 1.5 <= presenter.DISCRETE_STEP
