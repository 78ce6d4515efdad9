"""The README's generated blocks: today's settings, measured weights, and notes that follow the data."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.bench_sessions import fast_session, paper_session

from bench.readme import markers, presets, readme_blocks, speed_notes, update_readme
from bench.variants import preset_settings


def _results(*, share: float, met: bool) -> dict:
    target = {"key": "fast.flops_fraction", "what": "fast: FLOPs share", "target": ">= 0.2", "unit": ""}
    return {
        "targets": [target | {"measured": share, "met": met}],
        "machine": {"numpy_matmul_gflops": 40.0},
        "paper": {
            "fit_seconds_measured": 60.0,
            "measured_epochs": 1,
            "per_seed": [{"load_average": [[2.5]]}],
        },
    }


def _experiments() -> dict:
    return {"fast_variants": fast_session(), "paper_trials": paper_session()}


def test_presets_table_shows_todays_settings_and_the_measured_weights() -> None:
    text = presets(_experiments())
    assert (
        "| `paper` | Conv2D(32, 3×3, ReLU) → MaxPool(2) → Flatten → Dense(128, ReLU) → Dense(1, sigmoid) |"
        in text
    )
    assert "| 300×300 | 1 k | Adam 1e-4, He-normal init |" in text
    assert (
        "with 8/16/32 filters → Flatten → Dense(32, ReLU) → Dense(1, sigmoid) | 64×64 | 1 k | Adam 3e-3"
        in text
    )
    assert "`experiments.paper_trials.summary.paper.params`" in text
    assert "\n\n`fast` with global average pooling instead of Flatten (`global_average`): 70.00%" in text


def test_presets_weights_unmeasured_when_core_changed() -> None:
    changed = lambda preset: preset_settings(preset) | {"units": 64}  # noqa: E731
    text = presets(_experiments(), current=changed)
    assert text.count("not measured with today's settings") == 2
    assert "Dense(64, ReLU)" in text
    assert "No variant measured in paper_trials has the settings `core` uses today" in text


def test_presets_trials_table_marks_todays_preset() -> None:
    text = presets(_experiments())
    adopted_row = "| **rescaled to 0–1, He-normal init, Adam 1e-4 (`paper`): today's `paper` preset** | 10 |"
    assert f"{adopted_row} **99.00% (99/100)** | 0.9999 |" in text
    assert (
        "| raw 0–255 pixels (no rescaling), Glorot init, Adam 1e-3 (`paper_raw_glorot_lr1e-3`) | 2 |" in text
    )


def test_speed_notes_unmet_share_with_the_experiments_behind_it() -> None:
    text = speed_notes(_results(share=0.1, met=False), _experiments())
    assert "**Not met: fast: FLOPs share** (`fast.flops_fraction`): 0.1000 against >= 0.2." in text
    assert (
        "numpy matmul rate, 10 GFLOP/s, against 40 in `python -m bench`), the baseline's share was 10%"
        in text
    )
    assert "and no variant's was higher" in text
    assert "A `paper` epoch took 60 s in `python -m bench`" in text
    assert "45 s on average over 10 epochs" in text and "load average 1.0)" in text


def test_speed_notes_all_met() -> None:
    text = speed_notes(_results(share=0.3, met=True), {})
    assert text == "Every target above is met."


def test_update_readme_rewrites_only_between_the_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    start, end = markers("presets")
    readme.write_text(f"before\n<!-- bench:presets:start -->\nold\n{end}\nafter\n", encoding="utf-8")
    update_readme(readme, {"presets": f"{start}\nnew\n{end}"})
    assert readme.read_text(encoding="utf-8") == f"before\n{start}\nnew\n{end}\nafter\n"


def test_update_readme_without_markers_says_what_to_do(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("no blocks here\n", encoding="utf-8")
    with pytest.raises(ValueError, match="has no presets block: put back the lines"):
        update_readme(readme, {"presets": "x"})


def test_readme_blocks_are_wrapped_in_their_markers() -> None:
    results = _results(share=0.1, met=False) | {
        "fast": {"val_n": 323, "seeds": [0]},
        "command": "python -m bench",
        "date": "2026-12-01T00:00:00",
        "machine": {
            "cores": 2,
            "numpy_matmul_gflops": 40.0,
            "load_average_start": [1.5],
            "load_average_end": [3.0],
        },
        "dataset": {"description": "the test set", "n": 10},
    }
    results["paper"] |= {"epochs": 10}
    blocks = readme_blocks(results, _experiments())
    assert "The 1-minute load average was 1.5 at the start and 3.0 at the end" in blocks["headline"]
    for name, block in blocks.items():
        start, end = markers(name)
        assert block.startswith(start + "\n") and block.endswith("\n" + end)


def test_speed_notes_name_the_variants_with_a_higher_share() -> None:
    experiments = _experiments()
    experiments["fast_variants"]["summary"]["size48"]["flops_share"] = 0.3
    text = speed_notes(_results(share=0.1, met=False), experiments)
    assert "higher: `size48` (30%, 0.50 x the baseline's wall time, passes every seed)" in text
