"""The benchmark's training arithmetic: extrapolation, speed-up, FLOPs share, summaries over seeds."""

from __future__ import annotations

import pytest

from bench.training import (
    achieved_gflops,
    add_flops_fraction,
    extrapolated_wall,
    flops_fraction,
    speedup,
    summarise,
)


def _run(*, epochs: int, seed: int = 0, train: float = 13.0, load: float = 1.0, call: float = 12.0) -> dict:
    """A worker's run: ``call`` seconds in train(), of which fit 10 s; accuracy and AUC by seed."""
    return {
        "seed": seed,
        "config": {"epochs": epochs, "image_size": 300, "batch_size": 32},
        "n_images": 1289,
        "n_train": 966,
        "val_n": 323,
        "train_seconds": train,
        "load_seconds": load,
        "call_seconds": call,
        "fit_seconds": 10.0,
        "cpu_seconds": 18.0,
        "images_per_second": 966 * epochs / 10.0,
        "flops_per_image": 1_000_000,
        "val_accuracy": 0.9 + seed / 100,
        "val_accuracy_ci": [0.8, 0.95],
        "auc": 0.99,
        "load_average": [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]],
    }


@pytest.mark.parametrize(
    ("epochs", "target", "expected"),
    [
        (1, 10, 1.0 + 2.0 + 100.0),  # load + outside fit + 10 x (10 s per epoch)
        (2, 10, 1.0 + 2.0 + 50.0),  # 5 s per epoch
        (5, 2, 1.0 + 2.0 + 4.0),  # extrapolates down too
        (10, 10, 13.0),  # measured as asked: the measured wall, untouched
    ],
)
def test_extrapolated_wall(epochs: int, target: int, expected: float) -> None:
    assert extrapolated_wall(_run(epochs=epochs), target) == pytest.approx(expected)


def test_speedup_is_slow_over_fast() -> None:
    assert speedup(450.0, 5.0) == 90.0
    assert speedup(5.0, 450.0) == pytest.approx(1 / 90)


def test_achieved_gflops_and_flops_fraction() -> None:
    assert achieved_gflops(2e6, 500) == 1.0
    assert flops_fraction(2e6, 500, gflops=4.0) == 0.25
    assert flops_fraction(1e6, 2000, gflops=10.0) == pytest.approx(0.2)


def test_add_flops_fraction_sets_both_keys() -> None:
    summary = {"flops_per_image": 3e6, "images_per_second": 1000.0}
    add_flops_fraction(summary, gflops=12.0)
    assert summary == {
        "flops_per_image": 3e6,
        "images_per_second": 1000.0,
        "achieved_gflops": 3.0,
        "flops_fraction": 0.25,
    }


def test_summarise_extrapolates_and_averages_seeds() -> None:
    worker = {
        "preset": "paper",
        "peak_rss_mb": 9000.0,
        "runs": [_run(epochs=1, seed=0), _run(epochs=1, seed=2)],
    }
    out = summarise(worker, target_epochs=10)
    assert out["extrapolated"] is True and out["measured_epochs"] == 1 and out["epochs"] == 10
    assert out["train_seconds"] == pytest.approx(103.0)
    assert out["train_seconds_range"] == pytest.approx([103.0, 103.0])
    assert out["val_accuracy_mean"] == pytest.approx(0.91)
    assert out["val_accuracy_range"] == pytest.approx([0.90, 0.92])
    assert out["seeds"] == [0, 2]
    assert out["images_per_second"] == pytest.approx(96.6)


def test_summarise_measured_as_asked_is_not_extrapolated() -> None:
    worker = {"preset": "fast", "peak_rss_mb": 1000.0, "runs": [_run(epochs=10, train=5.0)]}
    out = summarise(worker, target_epochs=10)
    assert out["extrapolated"] is False
    assert out["train_seconds"] == 5.0
