"""Hand-made experiments.json entries for the benchmark's tests: figures chosen to check by eye."""

from __future__ import annotations

from typing import Any

from bench.experiments import summarise
from bench.variants import VARIANTS, settings

VAL_N, VAL_REAL = 100, 40  # so the majority class (fake) has 60


def run_row(
    variant: str,
    *,
    seed: int = 0,
    round_: int | None = None,
    wall: float = 10.0,
    cpu: float = 20.0,
    correct: int = VAL_N,
    called_real: int = VAL_REAL,
    auc: float = 1.0,
    epochs: int = 10,
) -> dict[str, Any]:
    """One run as :func:`bench.experiments._run` stores it; fit time is 90% of ``wall``."""
    return {
        "variant": variant,
        "seed": seed,
        "round": seed if round_ is None else round_,
        "peak_rss_mb": 1000.0,
        "train_seconds": wall,
        "fit_seconds": 0.9 * wall,
        "cpu_seconds": cpu,
        "val_accuracy": correct / VAL_N,
        "auc": auc,
        "load_average": [[1.0, 1.0, 1.0], [1.5, 1.0, 1.0]],
        "flops_per_image": 1e6,
        "images_per_second": 1000.0,
        "val_n": VAL_N,
        "val_correct": correct,
        "val_called_real": called_real,
        "val_n_real": VAL_REAL,
        "val_majority": VAL_N - VAL_REAL,
        "params": 1234,
        "largest_layer": {"name": "dense", "params": 1000},
        "first_epoch_loss": 0.5,
        "last_epoch_loss": 0.1,
        "hidden_units": 32,
        "hidden_units_dead": 3,
        "epochs": epochs,
        "image_size": 64,
        "batch_size": 32,
        "learning_rate": 3e-3,
    }


def make_session(
    name: str, runs: list[dict[str, Any]], *, baseline: str, timed: bool, matmul: float = 10.0
) -> dict[str, Any]:
    """An experiments.json entry holding ``runs``, with the variants' settings as ``core`` has them now."""
    variants = list(dict.fromkeys(r["variant"] for r in runs))
    record = {
        "experiment": name,
        "question": "What?",
        "command": f"python -m bench.experiments --only {name}",
        "date": "2026-12-01T10:00:00+00:00",
        "data": "/data/hard",
        "data_description": "the test set",
        "seeds": sorted({r["seed"] for r in runs}),
        "epochs": 10,
        "timed": timed,
        "baseline": baseline,
        "code": {"commit": "0123456789abcdef", "dirty": False},
        "cores": 2,
        "load_average_start": [1.0, 1.0, 1.0],
        "load_average_end": [1.0, 1.0, 1.0],
        "matmul_gflops": matmul,
        "variants": {
            v: {
                "description": VARIANTS[v].description,
                "epochs": next(r["epochs"] for r in runs if r["variant"] == v),
                "settings": settings(VARIANTS[v]),
            }
            for v in variants
        },
        "runs": runs,
    }
    record["summary"] = summarise(record)
    return record


def fast_session() -> dict[str, Any]:
    """Two timed rounds: ``size48`` 0.5 x the baseline and passing, ``xla`` 2 x, ``units16`` failing."""
    runs = []
    for seed in (0, 1):
        runs += [run_row("baseline", seed=seed, wall=10.0), run_row("baseline", seed=seed, wall=12.0)]
        runs += [run_row("size48", seed=seed, wall=5.5), run_row("xla", seed=seed, wall=22.0)]
        runs += [
            run_row(
                "units16", seed=seed, wall=7.0, correct=60 if seed else 100, called_real=0 if seed else 40
            )
        ]
        runs += [run_row("global_average", seed=seed, wall=11.0, correct=70 + seed)]
    return make_session("fast_variants", runs, baseline="baseline", timed=True)


def paper_session() -> dict[str, Any]:
    """One seed: raw pixels call everything fake; rescaling alone learns; the preset learns best."""
    runs = [
        run_row("paper_raw_glorot_lr1e-3", wall=100.0, correct=60, called_real=0, auc=0.5, epochs=2),
        run_row("paper_glorot_lr1e-3", wall=100.0, correct=95, auc=0.99, epochs=2),
        run_row("paper", wall=500.0, correct=99, auc=0.9999, epochs=10),
    ]
    for run in runs[:1]:
        run |= {"first_epoch_loss": 1234.5, "hidden_units_dead": 128, "hidden_units": 128}
    return make_session("paper_trials", runs, baseline="paper", timed=False)
