"""Conclusions are generated from the figures, and adoption is decided by comparing settings with core."""

from __future__ import annotations

from typing import Any

import pytest
from support.bench_sessions import fast_session, paper_session

from bench.conclusions import (
    adopted,
    adoption_notes,
    differences,
    head_change,
    notes,
    number,
    one_class_notes,
    single_change_notes,
    speed_notes,
)
from bench.variants import preset_settings


def _core_with(**changes: Any):
    """``core``'s settings as if someone had changed ``changes`` in core.model.config."""
    return lambda preset: preset_settings(preset) | changes if preset == "fast" else preset_settings(preset)


def test_adopted_is_the_variant_whose_settings_equal_core() -> None:
    assert adopted(fast_session()) == ["baseline"]
    assert adopted(paper_session()) == ["paper"]


def test_adopted_follows_a_change_in_core() -> None:
    assert adopted(fast_session(), current=_core_with(image_size=48)) == ["size48"]
    assert adopted(fast_session(), current=_core_with(units=64)) == []


def test_adoption_notes_say_when_the_figures_describe_an_earlier_design() -> None:
    (sentence,) = adoption_notes(fast_session(), current=_core_with(units=64))
    assert sentence.startswith("No variant measured in fast_variants has the settings `core` uses today")
    assert (
        "units 32 → 64" in sentence
        and "re-run `python -m bench.experiments --only fast_variants`" in sentence
    )


def test_adoption_notes_name_a_baseline_that_is_no_longer_core() -> None:
    found = adoption_notes(fast_session(), current=_core_with(image_size=48))
    assert found[0].startswith("Adopted, because its settings")
    assert "`size48`: 100.00%–100.00% at 0.75" in found[0]
    assert found[1] == "The baseline here is not what `core` uses today (then → now: image_size 64 → 48)."


def test_speed_notes_from_the_ratios() -> None:
    assert speed_notes(fast_session()) == [
        "Meet the keep rule (under 0.95 x the baseline's wall time and passing every seed): "
        "`size48` (0.50 x) (`experiments.fast_variants.summary.*.relative_wall`).",
        "Faster, but missing on some seed: `units16` (0.64 x).",
        "Slower than 1.05 x the baseline: `xla` (2.00 x).",
    ]


def test_speed_notes_say_when_other_work_loaded_the_machine() -> None:
    session = fast_session()
    session["summary"]["xla"]["load_average_1min"] = [1.0, 7.5]
    assert speed_notes(session)[-1] == (
        "Other work shared the machine: the 1-minute load average ran from 1.0 to 7.5 on 2 cores during "
        "these runs, so each ratio carries that noise."
    )


def test_speed_notes_when_nothing_is_kept() -> None:
    session = fast_session()
    session["summary"]["size48"]["faster_and_passes"] = False
    assert speed_notes(session)[0].startswith("No variant meets the keep rule")


def test_one_class_notes_only_for_a_seed_that_calls_every_image_one_class() -> None:
    (sentence,) = one_class_notes(paper_session())
    assert sentence.startswith("`paper_raw_glorot_lr1e-3` (seed 0) calls every validation image fake: ")
    assert "60/100" in sentence and "loss was 1234" in sentence and "128 of its 128 hidden Dense" in sentence


def test_single_change_notes_compare_only_one_setting_at_the_same_epochs() -> None:
    assert single_change_notes(paper_session()) == [
        "Changing only input_scale 1 → 1/255 (`paper_raw_glorot_lr1e-3` → `paper_glorot_lr1e-3`, "
        "same epochs): 60.00% at 0.75 (60/100), AUC 0.5000 after 2 epochs → "
        "95.00% at 0.75 (95/100), AUC 0.9900 after 2 epochs."
    ]
    assert single_change_notes(fast_session()) == []  # timed: the table sets each beside the baseline


def test_head_change_compares_the_adopted_design_with_the_other_head() -> None:
    sentence = head_change(fast_session())
    assert sentence is not None
    assert sentence.startswith(
        "`fast` with global average pooling instead of Flatten (`global_average`): 70.00%"
    )
    assert head_change(fast_session(), current=_core_with(units=64)) is None


def test_notes_untimed_has_no_keep_rule() -> None:
    assert not any("keep rule" in n or n.startswith("Miss ") for n in notes(paper_session()))
    assert any(n.startswith("Miss 99.5% at 0.75") for n in notes(fast_session()))


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [({"a": 1}, {"a": 1}, {}), ({"a": [8, 16]}, {"a": [16, 32]}, {"a": ([8, 16], [16, 32])})]
    + [({"a": 1}, {}, {"a": (1, None)})],
)
def test_differences(before: dict, after: dict, expected: dict) -> None:
    assert differences(before, after) == expected


@pytest.mark.parametrize(
    ("value", "text"), [(1 / 255, "1/255"), (1e-4, "1e-4"), (3e-3, "3e-3"), (1.0, "1"), (0.5, "0.5")]
)
def test_number(value: float, text: str) -> None:
    assert number(value) == text
