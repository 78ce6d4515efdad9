"""bench.throughput: the folder it builds, the progress line it reads, how its figures are kept and shown.

No timing is checked against a target here (STYLE.md 16): the figures below are made up by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench import throughput
from bench.readme import _throughput_note
from bench.report import _throughput
from bench.targets import check
from core.cli.common import score_bar


def _figures(rate: float, rss_256: float) -> dict:
    def size(side: int, rate: float, rss: float) -> dict:
        return {"image_size": side, "n": 6000, "n_skipped": 0, "images_per_second": rate,
                "wall_seconds": 20.0, "peak_rss_mb": rss, "load_average": [3.0, 2.5, 2.0]}  # fmt: skip

    return {
        "n_images": 6000,
        "data": "copies of the shared sets",
        "cores": 2,
        "device": "CPU",
        "chunk_size": 256,
        "by_size": {"64": size(64, rate, 900.0), "256": size(256, 100, rss_256)},
    }


def test_rate_line_reads_what_score_bar_prints(capsys):
    report = score_bar()
    report(0, 6000)
    report(6000, 6000)
    [*_, (done, total, rate)] = throughput.RATE_LINE.findall(capsys.readouterr().err)
    assert (done, total) == ("6000", "6000") and int(rate) > 0


def test_build_folder_copies_half_real_half_fake(tmp_path):
    said = throughput.build_folder(tmp_path / "faces", n=10)
    assert said.startswith("copies of ")
    for cls in ("real", "fake"):
        assert len(list((tmp_path / "faces" / cls).iterdir())) == 5


def test_record_keeps_the_other_figures_and_checks_the_throughput_targets(tmp_path):
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"fast": {"train_seconds": 10.0}}), encoding="utf-8")
    throughput.record(_figures(300, 1200.0), path)
    results = json.loads(path.read_text(encoding="utf-8"))
    assert results["fast"] == {"train_seconds": 10.0}
    verdicts = {t["key"]: t["met"] for t in results["targets"]}
    assert verdicts["throughput.by_size.64.images_per_second"] is False
    assert verdicts["throughput.by_size.256.peak_rss_mb"] is True


def test_throughput_section_says_by_how_much_a_target_is_missed():
    results = {"throughput": _figures(300, 3072.0)}
    results["targets"] = check(results)
    text = _throughput(results)
    assert "| 64² | 6000 | 300 | 20.0 | 900 | 3.0, 2.5, 2.0 |" in text
    assert "300 images/s against >= 400 images/s: **missed** by 100 images/s (25% of the target)." in text
    assert "3,072 MiB against <= 2560 MiB: **missed** by 512 MiB (20% of the target)." in text


def test_throughput_section_when_not_measured():
    assert "python -m bench.throughput --write" in _throughput({"targets": []})


def test_build_folder_falls_back_to_the_demo_set(tmp_path, monkeypatch):
    monkeypatch.setattr(throughput, "shared_datasets_dir", lambda: Path(tmp_path / "nowhere"))
    said = throughput.build_folder(tmp_path / "faces", n=4)
    assert "synthetic demo set" in said
    assert sum(1 for _ in (tmp_path / "faces").rglob("*.*")) == 4


def test_throughput_note_names_its_own_command_n_and_load():
    figures = {
        "date": "2026-11-30T18:00:00+00:00",
        "command": "python -m bench.throughput",
        **_figures(500, 1000),
    }
    note = _throughput_note({"throughput": figures})
    assert note == (
        " The streamed-evaluate rows were measured by `python -m bench.throughput` on 2026-11-30, "
        "n = 6,000 images per size on CPU, 1-minute load average 3.0 (64 px) and 3.0 (256 px)."
    )
    assert _throughput_note({}) == ""
